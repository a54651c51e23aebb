// Stage for frames from ftnet0: which peer a frame is for, and which of its
// routes carries it.
//
// Inline, worker-only. A route is usable when its next hop is resolved, its
// port has link and is administratively up, and the route itself is up;
// routes are stored best-first, so the first usable one wins and a route
// going down moves the very next frame to the next best route.
//
// Last resort: when no route of the peer answers heartbeats but some still
// have link, the best of those carries the traffic, so that a false alarm
// or a partial failure never loses what a path could still carry. A route
// known dead by link loss (ours or the peer's) or by the operator is never
// used.
#pragma once

#include <atomic>
#include <cstring>

#include "engine/core/dataplane.h"
#include "engine/tunnel/route_table.h"
#include "engine/core/worker.h"

namespace ftnet {

inline bool route_usable(const Dataplane& dp, const RouteEntry& r) {
    return r.resolved && dp.port_live[r.port_index].usable.load(std::memory_order_relaxed) &&
           dp.route_live[r.route_id].up.load(std::memory_order_relaxed);
}

inline bool route_has_link(const Dataplane& dp, const RouteEntry& r) {
    return r.resolved && dp.port_live[r.port_index].usable.load(std::memory_order_relaxed) &&
           !dp.route_live[r.route_id].dead.load(std::memory_order_relaxed);
}

inline const RouteEntry* last_resort_route(const Dataplane& dp, const PeerEntry& p) {
    for (unsigned i = 0; i < p.n_routes; i++)
        if (route_has_link(dp, p.routes[i])) return &p.routes[i];
    return nullptr;
}

inline const RouteEntry* select_route(const Dataplane& dp, const PeerEntry& p) {
    for (unsigned i = 0; i < p.n_routes; i++)
        if (route_usable(dp, p.routes[i])) return &p.routes[i];
    return last_resort_route(dp, p);
}

// A frame a policy rule steers (engine/policy/): the best usable route on
// the first of its preferred networks that has one, else the normal choice.
inline const RouteEntry* select_route_steered(const Dataplane& dp, const PeerEntry& p, const uint8_t* networks,
                                              uint8_t n_networks) {
    for (uint8_t k = 0; k < n_networks; k++)
        for (unsigned i = 0; i < p.n_routes; i++)
            if (p.routes[i].network == networks[k] && route_usable(dp, p.routes[i])) return &p.routes[i];
    return select_route(dp, p);
}

// The peer whose ftnet0 has this unicast MAC, or nullptr. Frames of one flow
// come in runs, so the previous answer is kept until the table changes.
inline const PeerEntry* peer_by_adapter_mac(Worker& w, const uint8_t* mac) {
    const RouteTable& rt = *w.rt;
    if (w.cache_gen == rt.generation && std::memcmp(w.cache_mac, mac, 6) == 0) return w.cache_peer;
    const PeerEntry* found = nullptr;
    for (unsigned i = 0; i < rt.n_peers; i++) {
        const PeerEntry& p = rt.peers[i];
        if (p.adapter_known && std::memcmp(p.adapter_mac, mac, 6) == 0) {
            found = &p;
            break;
        }
    }
    w.cache_gen = rt.generation;
    std::memcpy(w.cache_mac, mac, 6);
    w.cache_peer = found;
    return found;
}

}  // namespace ftnet
