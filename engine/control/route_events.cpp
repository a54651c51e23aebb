// Route and node events on the control thread: route state changes decided
// by the workers' heartbeats arrive on a ring; the control thread writes
// them to the cluster log, derives node reachability (a peer is unreachable
// when all its routes are down), and streams both to `ftnetctl events`.

#include <fmt/format.h>
#include <rte_cycles.h>
#include <time.h>

#include "engine/control/cluster_log.h"
#include "engine/control/engine.h"
#include "engine/control/mono_clock.h"

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

void Engine::drain_route_events() {
    RouteEvent evs[64];
    unsigned n;
    while ((n = rte_ring_sc_dequeue_burst_elem(dp_->route_events, evs, sizeof(RouteEvent), 64, nullptr)) > 0)
        for (unsigned i = 0; i < n; i++) handle_route_event(evs[i]);
}

namespace {
// At most one stall report of each kind in the cluster log per interval;
// the counters (`ftnetctl counters`) have every one.
constexpr uint64_t kStallReportMs = 10000;
}  // namespace

void Engine::report_stall(const RouteEvent& ev) {
    const uint64_t now = mono_ms();
    const auto cause = static_cast<HealthCause>(ev.cause);
    uint64_t& last = cause == HealthCause::WorkerStall ? stall_report_ms_ : silence_report_ms_;
    uint64_t& suppressed = cause == HealthCause::WorkerStall ? stall_reports_suppressed_ : silence_reports_suppressed_;
    if (last != 0 && now - last < kStallReportMs) {
        suppressed++;
        return;
    }
    const std::string more = suppressed ? fmt::format(" ({} more since the last report)", suppressed) : "";
    last = now;
    suppressed = 0;
    const WorkerCounters& c = *dp_->counters[ev.worker];
    const double cyc_per_ms = static_cast<double>(dp_->tsc_hz) / 1000.0;
    if (cause == HealthCause::WorkerStall) {
        clog::warn("HEARTBEAT", "worker {} (lcore {}) was not running for {:.1f} ms{}: this host stalled (CPU contention?); "
                   "heartbeat periods in that time are not judged and the silence is not held against any route "
                   "({} stalls so far, longest {:.1f} ms)",
                   ev.worker, workers_[ev.worker]->lcore, ev.detail / 1000.0, more, c.hb_stalls.get(),
                   static_cast<double>(c.hb_stall_max_cycles.get()) / cyc_per_ms);
    } else {
        const RouteDesc* first = nullptr;
        for (auto& r : routes_)
            if (r.id == ev.route_id) first = &r;
        const std::string who = cause == HealthCause::AllSilent
                                    ? std::string("every route to every peer")
                                    : fmt::format("every route to node {}", first ? cfg_.peers[first->peer_cfg].name : "?");
        clog::warn("HEARTBEAT", "{} went silent at once (the first for {:.1f} ms){}: {}, not a network failure; its routes are "
                   "held up for StallGrace {} ms before they go down ({} such episodes so far)",
                   who, ev.detail / 1000.0, more,
                   cause == HealthCause::AllSilent ? "a stall of this host" : "a stall (or the failure) of that node",
                   cfg_.cluster.properties.stall_grace_ms, c.hb_all_silent.get());
    }
    emit_event({{"time", event_time(ev.tsc)},
                {"type", "stall"},
                {"kind", cause == HealthCause::WorkerStall ? "worker"
                         : cause == HealthCause::AllSilent  ? "all_routes_silent"
                                                            : "peer_silent"},
                {"worker", ev.worker},
                {"duration_us", ev.detail}});
}

void Engine::handle_route_event(const RouteEvent& ev) {
    const auto cause = static_cast<HealthCause>(ev.cause);
    if (cause == HealthCause::WorkerStall || cause == HealthCause::AllSilent || cause == HealthCause::PeerSilent) {
        report_stall(ev);
        return;
    }
    const RouteDesc* r = nullptr;
    for (auto& d : routes_)
        if (d.id == ev.route_id) r = &d;
    if (!r) return;  // a route removed meanwhile
    const auto state = static_cast<HealthState>(ev.state);
    const RouteLive& live = dp_->route_live[r->id];
    std::string detail;
    if (cause == HealthCause::Missed)
        detail = ev.others_us == UINT32_MAX
                     ? fmt::format(": silent for {:.1f} ms, no other route to the peer up", ev.silent_us / 1000.0)
                     : fmt::format(": silent for {:.1f} ms while another route heard the peer {:.1f} ms ago",
                                   ev.silent_us / 1000.0, ev.others_us / 1000.0);
    else if (cause == HealthCause::Recovered)
        detail = fmt::format(": {} periods answered in a row", ev.detail);
    else if (cause == HealthCause::FirstReply)
        detail = fmt::format(": RTT {:.3f} ms", live.rtt_last_ns.load() / 1e6);
    const ClusterProperties& props = cfg_.cluster.properties;
    std::string damped;
    if (ev.hold_ms)
        damped = fmt::format("; route flapping ({} downs within {} s), held down for {:.1f} s", ev.flaps,
                             props.flap_window_ms / 1000.0, ev.hold_ms / 1000.0);
    clog::info("ROUTE", "{} to {} is {} ({}{}){}", route_title(cfg_, *r), cfg_.peers[r->peer_cfg].name,
               health_name(state), cause_name(cause), detail, damped);
    json e = {{"time", event_time(ev.tsc)},
              {"type", "route"},
              {"route", route_title(cfg_, *r)},
              {"route_id", r->id},
              {"peer", cfg_.peers[r->peer_cfg].name},
              {"peer_id", r->peer_node},
              {"network", cfg_.networks[r->network_cfg].name},
              {"family", family_name(r->family)},
              {"state", health_name(state)},
              {"cause", cause_name(cause)},
              {"detail", ev.detail}};
    if (cause == HealthCause::Missed) {
        e["silent_ms"] = ev.silent_us / 1000.0;
        if (ev.others_us != UINT32_MAX) e["others_heard_ms_ago"] = ev.others_us / 1000.0;
    }
    if (ev.hold_ms) {
        e["held_down_ms"] = ev.hold_ms;
        e["flaps"] = ev.flaps;
    }
    emit_event(e);
    update_reachability(r->peer_node, cause_name(cause));
    // A path to a peer that has not told us its adapter yet (or restarted):
    // exchange endpoints now rather than at the next HELLO period.
    if (state == HealthState::Up && endpoints_->wants_reply(r->peer_node)) endpoints_->hurry(r->peer_node);
}

void Engine::update_reachability(uint16_t peer_node, const char* why) {
    const RouteDesc* active = active_route(peer_node);
    const bool reachable = active != nullptr;
    const RouteDesc* resort = reachable ? nullptr : last_resort_route(peer_node);
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
    const int resort_id = resort ? resort->id : -1;
    const bool resort_moved = peer_last_resort_[peer_node] != resort_id;
    peer_last_resort_[peer_node] = resort_id;
    json ev = {{"time", event_time(rte_rdtsc())},
               {"type", "node"},
               {"node", name},
               {"id", peer_node},
               {"state", reachable ? "reachable" : "unreachable"},
               {"active_route", reachable ? route_title(cfg_, *active) : ""},
               {"last_resort_route", resort ? route_title(cfg_, *resort) : ""}};
    if (reachable == was && known) {
        if (reachable && moved) emit_event(ev);  // still reachable, on another route now
        if (!reachable && resort_moved && resort) {
            clog::warn("NODE", "node {} ({}): no route answering; sending on {} as last resort", name, peer_node,
                       route_title(cfg_, *resort));
            emit_event(ev);
        }
        return;
    }
    if (!reachable && !known) return;  // never reached yet: nothing to report
    if (reachable)
        clog::info("NODE", "node {} ({}) is reachable, using {}", name, peer_node, route_title(cfg_, *active));
    else if (resort)
        clog::warn("NODE", "node {} ({}) is unreachable: all its routes are down (last: {}); no route answering, "
                   "sending on {} as last resort", name, peer_node, why, route_title(cfg_, *resort));
    else
        clog::warn("NODE", "node {} ({}) is unreachable: all its routes are down (last: {})", name, peer_node, why);
    emit_event(ev);
}

}  // namespace ftnet
