// One traffic policy rule as the operator writes it ([[policy.rule]],
// config/schema.md "[policy]"): what inner traffic it matches and what it
// does with it. Compiled into a PolicyTable (policy_table.h) for the
// workers.
//
// Pure values; main thread (config) and control thread (compile, reload).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/net_addr.h"

namespace ftnet {

enum class PolicyAction : uint8_t { Deny = 1, Steer = 2, Class = 3 };
const char* policy_action_name(PolicyAction a);

struct PortRange {
    uint16_t lo = 0, hi = 65535;
    bool any() const { return lo == 0 && hi == 65535; }
};

struct PolicyRule {
    std::string name;
    uint32_t priority = 0;  // lower first; ties in file order
    // Matches (absent: any).
    std::optional<uint16_t> ethertype;  // inner Ethernet type (0x0800, 0x86dd, 0x0806, ...)
    std::optional<uint8_t> protocol;    // IP protocol (6 TCP, 17 UDP, ...): IP frames only
    std::optional<IpPrefix> src, dst;   // of one family: the rule matches that family only
    PortRange sport, dport;             // TCP/UDP only (a port range implies TCP or UDP)
    // Payload patterns over the inner L4 payload (TCP/UDP data; the IP
    // payload for other protocols): any one that matches. Regexes are
    // PCRE-style as Hyperscan takes them; literals are matched byte for byte.
    std::vector<std::string> regexes;
    std::vector<std::string> literals;
    bool caseless = false, dotall = false, multiline = false;
    // What it does.
    PolicyAction action = PolicyAction::Class;
    std::vector<std::string> networks;  // Steer: preferred networks, best first
    std::string traffic_class;          // Class (and, for counters, Steer)
    int line = 0;

    bool has_payload() const { return !regexes.empty() || !literals.empty(); }
    bool needs_ports() const { return !sport.any() || !dport.any(); }
};

// A traffic class's treatment ([[policy.class]]): how the DATA messages of
// the frames its rules decide are marked and queued. A class no table
// describes gets the defaults.
struct PolicyClass {
    std::string name;
    std::optional<uint8_t> dscp;  // the outer DSCP of its DATA messages (absent: the tunnel's)
    uint8_t priority = 0;         // 0..7: higher goes out first and is the last left out when a port is full
    int line = 0;
};

}  // namespace ftnet
