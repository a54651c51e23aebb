// The tunnel module's management commands: `routes` (every route with its
// state, heartbeat statistics and counters).

#include <fmt/format.h>
#include <rte_cycles.h>

#include "engine/config/network_metrics.h"
#include "engine/core/engine.h"
#include "engine/heartbeat/datapath/route_health.h"
#include "engine/tunnel/control/tunnel_module.h"

namespace ftnet {

using nlohmann::json;

namespace {

}  // namespace

void TunnelModule::register_commands() {
    e_->commands().add({"routes", "tunnel", "every route to every peer: state, heartbeats, RTT, counters", {}, true,
                        [this](const json&) { return cmd_routes(); }});
    e_->commands().add({"networks", "tunnel", "every network: subnets, role, metric (set or automatic), routes up", {}, true,
                        [this](const json&) { return cmd_networks(); }});
    e_->commands().add({"network",
                        "tunnel",
                        "change a network at once: role 0|1|3, metric N or auto",
                        {{"action", ArgType::String, false, "set (default)", {"set"}},
                         {"name", ArgType::String, true, "the network", {}},
                         {"role", ArgType::UnsignedInteger, false, "0 not used, 1 cluster only, 3 cluster and client", {}},
                         {"metric", ArgType::String, false, "lower is preferred: a number, or \"auto\"", {}}},
                        false,
                        [this](const json& a) { return cmd_network(a); }});
    e_->reloaders().add({"tunnel", {"network"}, [this](const Config& next, ReloadReport& report) {
                             reload_networks(next, report);
                         }});
    e_->reloaders().add({"tunnel", {"peer"}, [this](const Config& next, ReloadReport& report) {
                             reload_peers(next, report);
                         }});
}

json TunnelModule::route_json(const RouteDesc& r) const {
    const Config& cfg_ = e_->config();
    const Dataplane* dp_ = &e_->dp();
    const RouteDesc* active = active_route(r.peer_node);
    uint64_t txp = 0, txb = 0, rxp = 0, rxb = 0, txfrag = 0, txfrags = 0, rxreasm = 0;
    for (uint16_t w = 0; w < dp_->n_workers; w++) {
        const RouteCounters& c = dp_->counters[w]->route[r.id];
        txp += c.tx_pkts.get();
        txb += c.tx_bytes.get();
        rxp += c.rx_pkts.get();
        rxb += c.rx_bytes.get();
        txfrag += c.tx_fragmented.get();
        txfrags += c.tx_fragments.get();
        rxreasm += c.rx_reassembled.get();
    }
    const char* why = route_down_reason(r);
    auto mac = lookup_ ? lookup_(static_cast<uint16_t>(r.port_cfg), r.next_hop) : std::nullopt;
    const RouteLive& live = dp_->route_live[r.id];
    const uint64_t sent = live.req_sent.load(), got = live.rep_rcvd.load(), late = live.rep_late.load();
    const uint64_t held_until = live.held_until_tsc.load(), now_tsc = rte_rdtsc();
    const uint64_t changed = live.changed_tsc.load();
    json hist = json::array();
    for (size_t b = 0; b < kRttBuckets; b++)
        hist.push_back({{"le_us", b + 1 < kRttBuckets ? json(kRttBucketUs[b]) : json(nullptr)},
                        {"count", live.rtt_hist[b].load()}});
    const ClusterProperties& p = cfg_.cluster.properties;
    json out = {
        {"id", r.id},
        {"title", route_title(cfg_, r)},
        {"peer", cfg_.peers[r.peer_cfg].name},
        {"peer_id", r.peer_node},
        {"network", cfg_.networks[r.network_cfg].name},
        {"port", cfg_.ports[r.port_cfg].name},
        {"family", family_name(r.family)},
        {"local", r.local.str()},
        {"remote", r.remote.str()},
        {"next_hop", r.next_hop.str()},
        {"next_hop_mac", mac ? mac->str() : ""},
        {"cross_subnet", r.cross_subnet},
        {"metric", r.metric},
        {"role", static_cast<int>(r.role)},
        {"role_name", network_role_name(r.role)},
        {"rank", r.rank + 1},
        {"state", why ? "down" : "up"},
        {"reason", why ? why : ""},
        {"health", health_name(static_cast<HealthState>(live.state.load()))},
        {"in_use", active == &r},
        {"last_resort", !active && last_resort_route(r.peer_node) == &r},
        {"held_down_s", held_until > now_tsc ? static_cast<double>(held_until - now_tsc) / static_cast<double>(dp_->tsc_hz) : 0.0},
        {"flaps", live.flaps.load()},
        {"last_change", changed ? e_->event_time(changed) : ""},
        {"last_change_s_ago", changed ? (static_cast<double>(rte_rdtsc() - changed) / static_cast<double>(dp_->tsc_hz)) : -1.0},
        {"heartbeat",
         {{"delay_ms", r.cross_subnet ? p.cross_subnet_delay_ms : p.same_subnet_delay_ms},
          {"threshold", r.cross_subnet ? p.cross_subnet_threshold : p.same_subnet_threshold},
          {"requests_sent", sent},
          {"replies_received", got},
          {"replies_late", late},
          {"periods_unjudged", live.periods_unjudged.load()},
          {"periods_alive", live.periods_alive.load()},
          {"requests_received", live.req_rcvd.load()},
          {"replies_sent", live.rep_sent.load()},
          {"periods_missed", live.periods_missed.load()},
          {"loss_pct", sent > 1 ? 100.0 * static_cast<double>(sent - 1 - std::min(got, sent - 1)) / static_cast<double>(sent - 1) : 0.0},
          {"rtt_last_us", live.rtt_last_ns.load() / 1000.0},
          {"rtt_smoothed_us", live.rtt_srtt_ns.load() / 1000.0},
          {"rtt_histogram", hist}}},
        {"tx_packets", txp},
        {"tx_bytes", txb},
        {"rx_packets", rxp},
        {"rx_bytes", rxb},
        // Frames larger than the path MTU allows whole (engine/pmtu/).
        {"tx_fragmented", txfrag},
        {"tx_fragments", txfrags},
        {"rx_reassembled", rxreasm},
    };
    for (auto& annotate : annotators_) annotate(r, out);
    return out;
}

json TunnelModule::cmd_routes() const {
    json out = json::array();
    for (auto& r : routes_) out.push_back(route_json(r));
    return out;
}

}  // namespace ftnet
