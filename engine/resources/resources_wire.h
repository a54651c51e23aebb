// The resources module's messages on the reliable session (SessionType::
// Resources), encoded as CBOR (RFC 8949, through nlohmann-json): small,
// self-describing, and a field added later is ignored by an older node.
//
//   report   member -> manager: the view it reports for, the groups it
//            holds, and each held group's status (resource states,
//            addresses, leases, DNS), shown on every node;
//   table    manager -> every member: the OwnerTable and each group's
//            status as its owner last reported it;
//   request  any member -> manager: an operator's move, online/offline or
//            resource setting, checked locally first.
//
// Pure; any thread. decode() returns nullopt for anything malformed (the
// sender is authenticated, but a bug or a version skew must not take a
// node down).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/resources/group_manager.h"

namespace ftnet::resources {

struct ReportMsg {
    uint64_t epoch = 0;
    uint64_t seq = 0;  // the revision of that view's table it acted on (0: none)
    Holdings holds;
    nlohmann::json status = nlohmann::json::object();  // group -> status
};

struct TableMsg {
    OwnerTable table;
    nlohmann::json status = nlohmann::json::object();  // group -> the owner's status
};

struct RequestMsg {
    enum class Op : uint8_t { Move = 1, Online = 2, Offline = 3, Setting = 4 };
    Op op = Op::Move;
    std::string name;   // group, or resource for Setting
    uint16_t node = 0;  // Move: the target
    std::string value;  // Setting: "dhcp" or "ADDR/PREFIX"
};

struct Msg {
    enum class Kind : uint8_t { Report = 1, Table = 2, Request = 3 };
    Kind kind = Kind::Report;
    ReportMsg report;
    TableMsg table;
    RequestMsg request;
};

std::vector<uint8_t> encode(const Msg& m);
std::optional<Msg> decode(const uint8_t* data, size_t len);

}  // namespace ftnet::resources
