// Route and node events on the control thread: route state changes decided
// by the workers' heartbeats arrive on a ring; the control thread writes
// them to the cluster log, derives node reachability (a peer is unreachable
// when all its routes are down), and streams both to `ftnetctl events`.

#include <fmt/format.h>
#include <rte_cycles.h>
#include <time.h>

#include "engine/control/cluster_log.h"
#include "engine/control/engine.h"

namespace ftnet {

using nlohmann::json;

std::string Engine::event_time(uint64_t tsc) const {
    const int64_t ns = realtime0_ns_ + static_cast<int64_t>((static_cast<double>(tsc) - static_cast<double>(tsc0_)) * 1e9 /
                                                            static_cast<double>(dp_->tsc_hz));
    time_t secs = static_cast<time_t>(ns / 1000000000);
    tm t;
    gmtime_r(&secs, &t);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
    return fmt::format("{}.{:06d}Z", buf, (ns % 1000000000) / 1000);
}

void Engine::emit_event(json ev) {
    if (mgmt_) mgmt_->broadcast(ev);
}

void Engine::apply_heartbeat_params() {
    const ClusterProperties& p = cfg_.cluster.properties;
    dp_->hb.same_delay_ms.store(p.same_subnet_delay_ms, std::memory_order_relaxed);
    dp_->hb.same_threshold.store(p.same_subnet_threshold, std::memory_order_relaxed);
    dp_->hb.cross_delay_ms.store(p.cross_subnet_delay_ms, std::memory_order_relaxed);
    dp_->hb.cross_threshold.store(p.cross_subnet_threshold, std::memory_order_relaxed);
    dp_->hb.recovery.store(p.route_recovery_threshold, std::memory_order_relaxed);
}

void Engine::drain_route_events() {
    RouteEvent evs[64];
    unsigned n;
    while ((n = rte_ring_sc_dequeue_burst_elem(dp_->route_events, evs, sizeof(RouteEvent), 64, nullptr)) > 0)
        for (unsigned i = 0; i < n; i++) handle_route_event(evs[i]);
}

void Engine::handle_route_event(const RouteEvent& ev) {
    const RouteDesc* r = nullptr;
    for (auto& d : routes_)
        if (d.id == ev.route_id) r = &d;
    if (!r) return;  // a route removed meanwhile
    const auto state = static_cast<HealthState>(ev.state);
    const auto cause = static_cast<HealthCause>(ev.cause);
    const RouteLive& live = dp_->route_live[r->id];
    std::string detail;
    if (cause == HealthCause::Missed)
        detail = fmt::format(": {} heartbeat periods without a reply", ev.detail);
    else if (cause == HealthCause::Recovered)
        detail = fmt::format(": {} periods answered in a row", ev.detail);
    else if (cause == HealthCause::FirstReply)
        detail = fmt::format(": RTT {:.3f} ms", live.rtt_last_ns.load() / 1e6);
    clog::info("ROUTE", "{} to {} is {} ({}{})", route_title(cfg_, *r), cfg_.peers[r->peer_cfg].name,
               health_name(state), cause_name(cause), detail);
    emit_event({{"time", event_time(ev.tsc)},
                {"type", "route"},
                {"route", route_title(cfg_, *r)},
                {"route_id", r->id},
                {"peer", cfg_.peers[r->peer_cfg].name},
                {"peer_id", r->peer_node},
                {"network", cfg_.networks[r->network_cfg].name},
                {"family", family_name(r->family)},
                {"state", health_name(state)},
                {"cause", cause_name(cause)},
                {"detail", ev.detail}});
    update_reachability(r->peer_node, cause_name(cause));
    // A path to a peer that has not told us its adapter yet (or restarted):
    // exchange endpoints now rather than at the next HELLO period.
    if (state == HealthState::Up && endpoints_->wants_reply(r->peer_node)) endpoints_->hurry(r->peer_node);
}

void Engine::update_reachability(uint16_t peer_node, const char* why) {
    const RouteDesc* active = active_route(peer_node);
    const bool reachable = active != nullptr;
    auto it = peer_reachable_.find(peer_node);
    const bool was = it != peer_reachable_.end() && it->second;
    const bool known = it != peer_reachable_.end();
    peer_reachable_[peer_node] = reachable;
    std::string name;
    for (auto& p : cfg_.peers)
        if (p.id == peer_node) name = p.name;
    const int active_id = active ? active->id : -1;
    const bool moved = peer_active_[peer_node] != active_id;
    peer_active_[peer_node] = active_id;
    if (reachable == was && known) {
        if (reachable && moved)  // still reachable, on another route now
            emit_event({{"time", event_time(rte_rdtsc())}, {"type", "node"}, {"node", name}, {"id", peer_node},
                        {"state", "reachable"}, {"active_route", route_title(cfg_, *active)}});
        return;
    }
    if (!reachable && !known) return;  // never reached yet: nothing to report
    if (reachable)
        clog::info("NODE", "node {} ({}) is reachable, using {}", name, peer_node, route_title(cfg_, *active));
    else
        clog::warn("NODE", "node {} ({}) is unreachable: all its routes are down (last: {})", name, peer_node, why);
    emit_event({{"time", event_time(rte_rdtsc())},
                {"type", "node"},
                {"node", name},
                {"id", peer_node},
                {"state", reachable ? "reachable" : "unreachable"},
                {"active_route", reachable ? route_title(cfg_, *active) : ""}});
}

}  // namespace ftnet
