// Virtual adapter endpoint exchange (HELLO): each node tells its peers its
// ftnet0 MAC, APIPA and link-local addresses over every route, so that the
// workers can map a unicast inner frame to its peer, and so that the cluster
// log shows the exchange as the seed's Figure 8 does.
//
// A peer not heard from gets a HELLO every hello_ms on each route with the
// "please answer" flag; a known peer gets one every refresh_ms. Receiving a
// HELLO with the flag set triggers an immediate answer on that route.
//
// Control thread only; the payload codec is pure and tested on its own.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "engine/tunnel/ftnet_wire.h"
#include "engine/core/adapter_identity.h"
#include "engine/core/net_addr.h"

namespace ftnet {


wire::HelloPayload encode_hello(const AdapterInfo& a, bool want_reply);
// nullopt when the payload is short or a field is out of its domain.
std::optional<AdapterInfo> decode_hello(const uint8_t* p, size_t len, bool* want_reply);

struct HelloTiming {
    uint64_t hello_ms = 1000;
    uint64_t refresh_ms = 30000;
};

class EndpointExchange {
  public:
    using Timing = HelloTiming;
    struct PeerState {
        bool known = false;
        AdapterInfo adapter;
        uint64_t last_heard_ms = 0;
        uint64_t next_send_ms = 0;
        std::string via;  // "fd00:2::1 <-> fd00:2::2" of the last HELLO
    };
    struct Outcome {
        bool changed = false;  // adapter info new or different: rebuild tables
        bool reply = false;    // answer on the route it came from
    };

    EndpointExchange(AdapterInfo local, Timing t = {}) : local_(std::move(local)), t_(t) {}

    Outcome on_hello(uint16_t node, const std::string& expected_name, const uint8_t* payload,
                     size_t len, const std::string& via, uint64_t now_ms);
    // True when HELLOs to `node` are due; advances its schedule.
    bool due(uint16_t node, uint64_t now_ms);
    bool wants_reply(uint16_t node) const;
    // Makes HELLOs to `node` due now (a route to it just came up).
    void hurry(uint16_t node) { peers_[node].next_send_ms = 0; }

    const PeerState* peer(uint16_t node) const;
    const AdapterInfo& local() const { return local_; }

  private:
    AdapterInfo local_;
    Timing t_;
    std::map<uint16_t, PeerState> peers_;
};

}  // namespace ftnet
