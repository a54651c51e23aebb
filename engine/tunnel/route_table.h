// The forwarding snapshot that workers read: peers, their routes best-first
// with a prebuilt outer header per route, and this node's addresses per port.
//
// Immutable once published. The control thread builds a new RouteTable
// (engine/tunnel/control/tunnel_module.cpp; modules add their parts through
// table fillers), publishes it with one release store into Dataplane::routes
// and frees the old one only after an RCU (QSBR) grace period
// (engine/core/rcu_publish.h). Workers load the pointer once per poll loop (acquire) and may keep
// using it until they report quiescence.
//
// What changes faster than a rebuild (link state, route up/down) is not in
// here: it lives in the per-port and per-route atomics of Dataplane, which
// route selection reads next to this table.
#pragma once

#include <cstdint>

#include "engine/core/adapter_identity.h"
#include "engine/heartbeat/heartbeat_settings.h"
#include "engine/core/limits.h"
#include "engine/core/net_addr.h"

namespace ftnet {

inline constexpr uint16_t kNoPeer = 0xffff;
inline constexpr size_t kTemplateMax = 96;  // Ethernet 14 + IPv6 40 + UDP 8 + ftnet 22 = 84

struct alignas(64) RouteEntry {
    // Outer Ethernet + IP + UDP + ftnet header for a DATA frame on this route;
    // encap copies hdr_len bytes and patches lengths, ports, sequence and
    // checksums.
    uint8_t tmpl[kTemplateMax];
    uint8_t hdr_len;
    Family family;
    bool resolved;         // next-hop MAC known; an unresolved route is never used
    bool tx_csum_offload;  // the port computes outer checksums
    bool cross_subnet;     // routed: heartbeats use the CrossSubnet properties (HeartbeatSettings index 1)
    uint16_t route_id;     // index into Dataplane::route_live and the route counters
    uint16_t port_index;   // engine port to send on
    uint8_t network;       // index into Config::networks (traffic policy steering)
    // From the route's path MTU: the longest inner frame sent whole, and the
    // inner bytes each DATA_FRAGMENT carries when a frame is longer
    // (engine/tunnel/datapath/fragment.h; a multiple of 8).
    uint16_t max_whole;
    uint16_t frag_piece;
    // IPv4: one's-complement sum of the template's IP header with total
    // length and checksum zero. IPv6: sum of the pseudo-header's addresses
    // and next header. Either way, per-packet checksums start from here.
    uint32_t csum_base;
    // The route binding a message from the peer on this route must carry
    // (engine/security/route_binding.h; host order).
    uint32_t bind_rx;
};

struct PeerEntry {
    uint16_t node_id;
    uint8_t n_routes;
    bool adapter_known;  // adapter_mac learnt from the peer's HELLO
    uint8_t adapter_mac[6];
    RouteEntry routes[kMaxRoutesPerPeer];  // best first
};

// This node's addresses on one port, for receive classification.
struct PortAddrs {
    uint8_t mac[6];
    bool has_v4;
    bool has_v6;
    uint8_t v4[4];
    uint8_t v6[16];
    uint8_t v6_solicited[16];  // ff02::1:ffXX:XXXX of v6 (RFC 4291 2.7.1)
    // Addresses the host serves on this port beside the port's own (IP
    // Address resources online on this node, engine/resources/): frames for
    // them are the host's, except the ARP requests and neighbour
    // solicitations for them, which the engine answers.
    uint8_t n_host_v4;
    uint8_t n_host_v6;
    uint8_t host_v4[kMaxHostAddrs][4];
    uint8_t host_v6[kMaxHostAddrs][16];
    uint8_t host_v6_solicited[kMaxHostAddrs][16];
};

// One route a worker heartbeats: peers[peer].routes[route].
struct HbRef {
    uint16_t peer;
    uint16_t route;
};

struct RouteTable {
    uint64_t generation;
    uint16_t local_node;
    uint16_t udp_port;       // tunnel port, host order
    uint16_t adapter_mtu;
    uint8_t adapter_mac[6];  // our ftnet0
    uint16_t n_peers;
    uint16_t peer_by_node[kMaxNodeId + 1];  // node id -> index into peers, or kNoPeer
    PortAddrs ports[kMaxPorts];             // indexed by engine port index
    PeerEntry peers[kMaxPeers];
    HeartbeatSettings hb;  // the heartbeat properties this table was built with
    // Heartbeat ownership: worker w sends the heartbeats of, and judges,
    // hb_refs[hb_begin[w] .. hb_begin[w + 1]). Each route has one owner.
    uint16_t hb_begin[kMaxWorkers + 1];
    HbRef hb_refs[kMaxRoutes];

    const PeerEntry* peer(uint16_t node_id) const {
        if (node_id > kMaxNodeId) return nullptr;
        uint16_t i = peer_by_node[node_id];
        return i == kNoPeer ? nullptr : &peers[i];
    }
};

}  // namespace ftnet
