// Which of a peer's routes a tunnel packet arrived on: the route on the same
// port and family whose remote address is the packet's outer source. With
// two endpoints of one peer on one network, port and family alone would
// pick the wrong route.
//
// Inline; pure (workers, and the control thread for HELLO). routes are at most kMaxRoutesPerPeer, and the
// route in use is usually among the first.
#pragma once

#include <cstring>

#include "engine/tunnel/encap_template.h"
#include "engine/tunnel/route_table.h"

namespace ftnet {

inline const RouteEntry* arrival_route(const PeerEntry& p, uint16_t port_index, Family fam, const uint8_t* frame) {
    // The outer source address of the frame, and where a route's template
    // keeps the remote (its outer destination).
    const size_t src_off = fam == Family::V6 ? kOuterL3Off + 8 : kOuterL3Off + 12;
    const size_t dst_in_tmpl = fam == Family::V6 ? kOuterL3Off + 24 : kOuterL3Off + 16;
    const size_t n = fam == Family::V6 ? 16 : 4;
    for (unsigned i = 0; i < p.n_routes; i++) {
        const RouteEntry& r = p.routes[i];
        if (r.port_index == port_index && r.family == fam && std::memcmp(r.tmpl + dst_in_tmpl, frame + src_off, n) == 0)
            return &r;
    }
    return nullptr;
}

// The outer source address of a tunnel frame (the sending end of its route);
// any thread.
inline IpAddr outer_source(const uint8_t* frame, Family fam) {
    return fam == Family::V6 ? IpAddr::from_v6_bytes(frame + kOuterL3Off + 8) : IpAddr::from_v4_bytes(frame + kOuterL3Off + 12);
}

}  // namespace ftnet
