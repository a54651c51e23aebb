// The heartbeat module's control part. Route state changes decided by the
// workers' heartbeats arrive on a ring; the control thread writes them to
// the cluster log, derives node reachability (a peer is unreachable when all
// its routes are down), and streams both to `ftnetctl events`.

#include <fmt/format.h>
#include <rte_cycles.h>
#include <time.h>

#include "engine/cluster_log/control/cluster_log.h"
#include "engine/core/engine.h"
#include "engine/core/mono_clock.h"
#include "engine/heartbeat/control/heartbeat_module.h"
#include "engine/heartbeat/datapath/route_health.h"
#include "engine/heartbeat/heartbeat_settings.h"
#include "engine/tunnel/control/tunnel_module.h"

namespace ftnet {

using nlohmann::json;

void HeartbeatModule::start(Engine& e) {
    e_ = &e;
    tunnel_ = &e.module<TunnelModule>();
    Dataplane& dp = e.dp();
    // Every table carries the heartbeat properties as one snapshot, and
    // which worker owns each route's heartbeats: route id modulo the number
    // of workers, so that a route keeps its owner (and its owner's private
    // state) across rebuilds.
    tunnel_->add_table_filler([this, &dp](RouteTable& t) {
        t.hb = heartbeat_settings(e_->config().cluster.properties, dp.tsc_hz);
        const uint16_t nw = dp.n_workers;
        unsigned k = 0;
        for (uint16_t w = 0; w < nw; w++) {
            t.hb_begin[w] = static_cast<uint16_t>(k);
            for (uint16_t p = 0; p < t.n_peers; p++)
                for (uint16_t i = 0; i < t.peers[p].n_routes; i++)
                    if (t.peers[p].routes[i].route_id % nw == w) t.hb_refs[k++] = HbRef{p, i};
        }
        for (uint16_t w = nw; w <= kMaxWorkers; w++) t.hb_begin[w] = static_cast<uint16_t>(k);
    });
    // Routes added or removed at run time (leased addresses): a peer may
    // have gained or lost its way.
    tunnel_->add_plan_listener([this] {
        for (auto& p : e_->config().peers) update_reachability(p.id, "routes planned again");
    });
    e.loop().add_pending([&dp] { return rte_ring_count(dp.route_events) != 0; });
    e.loop().add_hook("heartbeat", [this](uint64_t) { drain_route_events(); });
    e.commands().add({"cluster",
                      "heartbeat",
                      "cluster properties (heartbeat profile): get all or one, or set one",
                      {{"action", ArgType::String, false, "get (default) or set", {"get", "set"}},
                       {"name", ArgType::String, false, "a property name", {}},
                       {"value", ArgType::Integer, false, "the new value (set)", {}}},
                      false,
                      [this](const nlohmann::json& args) { return cmd_cluster(args); },
                      {"get"}});
    e.add_status([this](nlohmann::json& out) { out["heartbeat_profile"] = profile_name(e_->config().cluster.properties.profile); });
    // A reload applies the file's properties as one snapshot (the loader
    // checked them together); a new profile needs a restart (the peers
    // must agree on it: engine/membership/control/config_digest.h).
    e.reloaders().add({"heartbeat", {"cluster"}, [this](const Config& next, ReloadReport& report) {
                           ClusterProperties& p = e_->config().cluster.properties;
                           const ClusterProperties& n = next.cluster.properties;
                           if (n.profile != p.profile) {
                               report.restart.push_back(fmt::format("cluster.profile {} -> {}: applied at the next restart",
                                                                    profile_name(p.profile), profile_name(n.profile)));
                               return;
                           }
                           const auto before = list_properties(p), after = list_properties(n);
                           bool any = false;
                           for (size_t i = 0; i < before.size() && i < after.size(); i++)
                               if (before[i].value != after[i].value) {
                                   report.applied.push_back(fmt::format("cluster property {} {} -> {}", before[i].name,
                                                                        before[i].value, after[i].value));
                                   any = true;
                               }
                           if (!any) return;
                           p = n;
                           tunnel_->mark_dirty();  // workers see them in the next table
                       }});
}

void HeartbeatModule::drain_route_events() {
    RouteEvent evs[64];
    unsigned n;
    while ((n = rte_ring_sc_dequeue_burst_elem(e_->dp().route_events, evs, sizeof(RouteEvent), 64, nullptr)) > 0)
        for (unsigned i = 0; i < n; i++) handle_route_event(evs[i]);
}

namespace {
// At most one stall report of each kind in the cluster log per interval;
// the counters (`ftnetctl counters`) have every one.
constexpr uint64_t kStallReportMs = 10000;
}  // namespace

void HeartbeatModule::report_stall(const RouteEvent& ev) {
    const Config& cfg_ = e_->config();
    const Dataplane* dp_ = &e_->dp();
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
                   ev.worker, e_->workers()[ev.worker]->lcore, ev.detail / 1000.0, more, c.hb_stalls.get(),
                   static_cast<double>(c.hb_stall_max_cycles.get()) / cyc_per_ms);
    } else {
        const RouteDesc* first = tunnel_->route_by_id(ev.route_id);
        const std::string who = cause == HealthCause::AllSilent
                                    ? std::string("every route to every peer")
                                    : fmt::format("every route to node {}", first ? cfg_.peers[first->peer_cfg].name : "?");
        clog::warn("HEARTBEAT", "{} went silent at once (the first for {:.1f} ms){}: {}, not a network failure; its routes are "
                   "held up for StallGrace {} ms before they go down ({} such episodes so far)",
                   who, ev.detail / 1000.0, more,
                   cause == HealthCause::AllSilent ? "a stall of this host" : "a stall (or the failure) of that node",
                   cfg_.cluster.properties.stall_grace_ms, c.hb_all_silent.get());
    }
    e_->emit_event({{"time", e_->event_time(ev.tsc)},
                {"type", "stall"},
                {"kind", cause == HealthCause::WorkerStall ? "worker"
                         : cause == HealthCause::AllSilent  ? "all_routes_silent"
                                                            : "peer_silent"},
                {"worker", ev.worker},
                {"duration_us", ev.detail}});
}

void HeartbeatModule::handle_route_event(const RouteEvent& ev) {
    const Config& cfg_ = e_->config();
    const auto cause = static_cast<HealthCause>(ev.cause);
    if (cause == HealthCause::WorkerStall || cause == HealthCause::AllSilent || cause == HealthCause::PeerSilent) {
        report_stall(ev);
        return;
    }
    const RouteDesc* r = tunnel_->route_by_id(ev.route_id);
    if (!r) return;  // a route removed meanwhile
    const auto state = static_cast<HealthState>(ev.state);
    const RouteLive& live = e_->dp().route_live[r->id];
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
    json e = {{"time", e_->event_time(ev.tsc)},
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
    e_->emit_event(e);
    update_reachability(r->peer_node, cause_name(cause));
    tunnel_->route_changed(*r, state == HealthState::Up);
}

void HeartbeatModule::update_reachability(uint16_t peer_node, const char* why) {
    const Config& cfg_ = e_->config();
    const RouteDesc* active = tunnel_->active_route(peer_node);
    const bool reachable = active != nullptr;
    const RouteDesc* resort = reachable ? nullptr : tunnel_->last_resort_route(peer_node);
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
    json ev = {{"time", e_->event_time(rte_rdtsc())},
               {"type", "node"},
               {"node", name},
               {"id", peer_node},
               {"state", reachable ? "reachable" : "unreachable"},
               {"active_route", reachable ? route_title(cfg_, *active) : ""},
               {"last_resort_route", resort ? route_title(cfg_, *resort) : ""}};
    if (reachable == was && known) {
        if (reachable && moved) e_->emit_event(ev);  // still reachable, on another route now
        if (!reachable && resort_moved && resort) {
            clog::warn("NODE", "node {} ({}): no route answering; sending on {} as last resort", name, peer_node,
                       route_title(cfg_, *resort));
            e_->emit_event(ev);
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
    e_->emit_event(ev);
}

using json = nlohmann::json;

json HeartbeatModule::cmd_cluster(const json& args) {
    const std::string action = args.value("action", std::string("get"));
    ClusterProperties& p = e_->config().cluster.properties;
    if (action == "set") {
        if (!args.contains("name") || !args.contains("value"))
            throw MgmtError("cluster set needs {\"name\": PROPERTY, \"value\": INTEGER}");
        const std::string name = args["name"];
        const int64_t value = args["value"].get<int64_t>();
        ClusterProperties next = p;
        if (auto err = set_property(next, name, value)) throw MgmtError(name + ": " + *err);
        uint32_t old = 0;
        for (auto& i : list_properties(p))
            if (i.name == name) old = i.value;
        p = next;
        // Workers see the new properties as one snapshot in the next table.
        tunnel_->mark_dirty();
        clog::info("CLUSTER", "cluster property {} changed from {} to {} by the operator", name, old, value);
        e_->emit_event({{"time", e_->event_time(rte_rdtsc())}, {"type", "property"}, {"name", name}, {"old", old}, {"value", value}});
    } else if (action != "get") {
        throw MgmtError(fmt::format("cluster action \"{}\" is not get or set", action));
    }
    json props = json::array();
    for (auto& i : list_properties(p)) {
        if (args.contains("name") && args["name"].is_string() && action == "get" && args["name"] != i.name) continue;
        props.push_back({{"name", i.name}, {"value", i.value}, {"unit", i.unit}, {"min", i.min}, {"max", i.max},
                         {"default", i.def}, {"help", i.help}});
    }
    if (props.empty()) throw MgmtError(fmt::format("no such cluster property \"{}\" (known: {})",
                                                   args.value("name", std::string()), fmt::join(property_names(), ", ")));
    return {{"profile", profile_name(p.profile)}, {"properties", props}};
}

}  // namespace ftnet
