// Management commands: each turns engine state into JSON for `ftnetctl`
// (which renders text from the same JSON) or changes something on request.
// Control thread only.

#include <fmt/format.h>
#include <rte_ethdev.h>
#include <rte_cycles.h>
#include <rte_version.h>

#include "engine/common/drop_reason.h"
#include "engine/control/cluster_log.h"
#include "engine/control/engine.h"
#include "engine/control/mono_clock.h"

namespace ftnet {

using nlohmann::json;

namespace {

const char* role_name(NetworkRole r) {
    switch (r) {
    case NetworkRole::None: return "none";
    case NetworkRole::ClusterOnly: return "cluster";
    case NetworkRole::ClusterAndClient: return "cluster-and-client";
    }
    return "?";
}

}  // namespace

json Engine::handle_request(const json& req) {
    const std::string cmd = req.at("cmd").get<std::string>();
    const json args = req.contains("args") ? req["args"] : json::object();
    if (!args.is_object()) throw MgmtError("\"args\" must be a JSON object");
    if (cmd == "status") return cmd_status();
    if (cmd == "routes") return cmd_routes();
    if (cmd == "interfaces") return cmd_interfaces();
    if (cmd == "counters") return cmd_counters();
    if (cmd == "nodes") return cmd_nodes();
    if (cmd == "neighbors") return cmd_neighbors();
    if (cmd == "log") return cmd_log(args);
    if (cmd == "link") return cmd_link(args);
    if (cmd == "cluster") return cmd_cluster(args);
    throw MgmtError(fmt::format("unknown command \"{}\" (known: status, routes, interfaces, counters, "
                                "nodes, neighbors, log, link, cluster, events)",
                                cmd));
}

json Engine::cmd_status() {
    size_t up = 0;
    for (auto& r : routes_) up += route_is_up(r);
    size_t reachable = 0;
    for (auto& p : cfg_.peers) reachable += active_route(p.id) != nullptr;
    uint64_t rx = 0, tx = 0, drops = 0;
    for (uint16_t w = 0; w < dp_->n_workers; w++) {
        const WorkerCounters& c = *dp_->counters[w];
        for (size_t i = 0; i < ports_.size(); i++) {
            rx += c.port[i].rx_pkts.get();
            tx += c.port[i].tx_pkts.get();
        }
        for (auto& d : c.drops) drops += d.get();
    }
    for (auto& d : ctl_drops_) drops += d.get();
    return {
        {"node", {{"id", cfg_.node.id}, {"name", cfg_.node.name}, {"cluster", cfg_.node.cluster}}},
        {"version", FTNET_VERSION},
        {"dpdk", rte_version()},
        {"config", cfg_.path},
        {"uptime_s", (mono_ms() - start_ms_) / 1000},
        {"workers", dp_->n_workers},
        {"ports", ports_.size() - 1},
        {"peers", cfg_.peers.size()},
        {"peers_reachable", reachable},
        {"routes", routes_.size()},
        {"routes_up", up},
        {"route_table_generation", table_generation_},
        {"rx_packets", rx},
        {"tx_packets", tx},
        {"drops", drops},
        {"control_tx_dropped", ctl_drops_[static_cast<size_t>(DropReason::ctl_tx_no_mbuf)].get() +
                                   ctl_drops_[static_cast<size_t>(DropReason::ctl_tx_ring_full)].get()},
        {"heartbeat_profile", profile_name(cfg_.cluster.properties.profile)},
        {"control_bad_auth", ctl_drops_[static_cast<size_t>(DropReason::ctl_bad_auth)].get()},
        {"event_subscribers", mgmt_ ? mgmt_->subscribers() : 0},
    };
}

json Engine::route_json(const RouteDesc& r) {
    const RouteDesc* active = active_route(r.peer_node);
    uint64_t txp = 0, txb = 0, rxp = 0, rxb = 0;
    for (uint16_t w = 0; w < dp_->n_workers; w++) {
        const RouteCounters& c = dp_->counters[w]->route[r.id];
        txp += c.tx_pkts.get();
        txb += c.tx_bytes.get();
        rxp += c.rx_pkts.get();
        rxb += c.rx_bytes.get();
    }
    const char* why = route_down_reason(r);
    auto mac = neighbors_->lookup(static_cast<uint16_t>(r.port_cfg), r.next_hop);
    const RouteLive& live = dp_->route_live[r.id];
    const uint64_t sent = live.req_sent.load(), got = live.rep_rcvd.load(), late = live.rep_late.load();
    const uint64_t held_until = live.held_until_tsc.load(), now_tsc = rte_rdtsc();
    const uint64_t changed = live.changed_tsc.load();
    json hist = json::array();
    for (size_t b = 0; b < kRttBuckets; b++)
        hist.push_back({{"le_us", b + 1 < kRttBuckets ? json(kRttBucketUs[b]) : json(nullptr)},
                        {"count", live.rtt_hist[b].load()}});
    const ClusterProperties& p = cfg_.cluster.properties;
    return {
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
        {"role_name", role_name(r.role)},
        {"rank", r.rank + 1},
        {"state", why ? "down" : "up"},
        {"reason", why ? why : ""},
        {"health", health_name(static_cast<HealthState>(live.state.load()))},
        {"in_use", active == &r},
        {"last_resort", !active && last_resort_route(r.peer_node) == &r},
        {"held_down_s", held_until > now_tsc ? static_cast<double>(held_until - now_tsc) / static_cast<double>(dp_->tsc_hz) : 0.0},
        {"flaps", live.flaps.load()},
        {"last_change", changed ? event_time(changed) : ""},
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
    };
}

json Engine::cmd_routes() {
    json out = json::array();
    for (auto& r : routes_) out.push_back(route_json(r));
    return out;
}

json Engine::cmd_cluster(const json& args) {
    const std::string action = args.value("action", std::string("get"));
    ClusterProperties& p = cfg_.cluster.properties;
    if (action == "set") {
        if (!args.contains("name") || !args["name"].is_string() || !args.contains("value") || !args["value"].is_number_integer())
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
        routes_dirty_ = true;
        clog::info("CLUSTER", "cluster property {} changed from {} to {} by the operator", name, old, value);
        emit_event({{"time", event_time(rte_rdtsc())}, {"type", "property"}, {"name", name}, {"old", old}, {"value", value}});
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

json Engine::cmd_interfaces() {
    json pairs = json::array();
    for (auto& r : routes_)
        pairs.push_back({{"local", r.local.str()}, {"remote", r.remote.str()}, {"peer", cfg_.peers[r.peer_cfg].name},
                         {"network", cfg_.networks[r.network_cfg].name}, {"family", family_name(r.family)}});
    json adapter = {
        {"name", cfg_.adapter.name},
        {"description", "ftnet Failover Cluster Virtual Adapter"},
        {"driver", port_driver_name(cfg_.adapter.driver)},
        {"mac", adapter_.mac.str()},
        {"mac_windows", adapter_.mac.windows_str()},
        {"apipa", adapter_.apipa.str()},
        {"apipa_mask", "255.255.0.0"},
        {"link_local", adapter_.link_local.str()},
        {"mtu", cfg_.adapter.mtu},
        {"dhcp", false},
        {"autoconfiguration", true},
        {"mac_from_port", ports_.front().spec.name},
        {"endpoint_pairs", pairs},
    };
    json phys = json::array();
    for (size_t i = 0; i < ports_.size(); i++) {
        if (i == adapter_index_) continue;
        const PortRuntime& p = ports_[i];
        const PortConfig& pc = cfg_.ports[static_cast<size_t>(p.cfg_index)];
        phys.push_back({
            {"name", pc.name},
            {"driver", port_driver_name(pc.driver)},
            {"device", p.handle.device},
            {"iface", pc.iface},
            {"network", pc.network},
            {"mac", p.handle.mac.str()},
            {"ipv4", pc.ipv4 ? pc.ipv4->str() : ""},
            {"ipv6", pc.ipv6 ? pc.ipv6->str() : ""},
            {"gateway4", pc.gateway4 ? pc.gateway4->str() : ""},
            {"gateway6", pc.gateway6 ? pc.gateway6->str() : ""},
            {"mtu", pc.mtu},
            {"link", p.link_up ? "up" : "down"},
            {"admin", p.admin_up ? "up" : "down"},
            {"numa_socket", p.handle.socket},
            {"rx_queues", p.handle.nb_rxq},
            {"tx_queues", p.handle.nb_txq},
            {"checksum_offload", p.handle.tx_csum_offload},
        });
    }
    return {{"adapter", adapter}, {"ports", phys}};
}

json Engine::cmd_counters() {
    json ports = json::array();
    for (size_t i = 0; i < ports_.size(); i++) {
        uint64_t v[4] = {};
        for (uint16_t w = 0; w < dp_->n_workers; w++) {
            const PortCounters& c = dp_->counters[w]->port[i];
            v[0] += c.rx_pkts.get();
            v[1] += c.rx_bytes.get();
            v[2] += c.tx_pkts.get();
            v[3] += c.tx_bytes.get();
        }
        rte_eth_stats st{};
        rte_eth_stats_get(ports_[i].handle.port_id, &st);
        ports.push_back({{"name", ports_[i].spec.name},
                         {"rx_packets", v[0]},
                         {"rx_bytes", v[1]},
                         {"tx_packets", v[2]},
                         {"tx_bytes", v[3]},
                         {"hw_ipackets", st.ipackets},
                         {"hw_opackets", st.opackets},
                         {"hw_imissed", st.imissed},
                         {"hw_ierrors", st.ierrors},
                         {"hw_oerrors", st.oerrors},
                         {"hw_rx_nombuf", st.rx_nombuf}});
    }
    json drops = json::object();
    for (size_t d = 0; d < kNumDropReasons; d++) {
        uint64_t n = ctl_drops_[d].get();
        for (uint16_t w = 0; w < dp_->n_workers; w++) n += dp_->counters[w]->drops[d].get();
        drops[drop_reason_name(static_cast<DropReason>(d))] = n;
    }
    json workers = json::array();
    for (uint16_t w = 0; w < dp_->n_workers; w++) {
        const WorkerCounters& c = *dp_->counters[w];
        uint64_t pkts = c.busy_pkts.get(), cyc = c.busy_cycles.get();
        workers.push_back({{"index", w},
                           {"lcore", workers_[w]->lcore},
                           {"loops", c.loops.get()},
                           {"busy_loops", c.busy_loops.get()},
                           {"packets", pkts},
                           {"cycles_per_packet", pkts ? static_cast<double>(cyc) / static_cast<double>(pkts) : 0.0},
                           {"sleeps", c.sleeps.get()},
                           {"to_control", c.to_control.get()},
                           {"from_control", c.from_control.get()},
                           {"flooded", c.flooded.get()},
                           {"tx_last_resort", c.tx_last_resort.get()},
                           {"stalls", c.hb_stalls.get()},
                           {"stalled_ms", static_cast<double>(c.hb_stall_cycles.get()) * 1000.0 / static_cast<double>(dp_->tsc_hz)},
                           {"stall_max_ms", static_cast<double>(c.hb_stall_max_cycles.get()) * 1000.0 / static_cast<double>(dp_->tsc_hz)},
                           {"all_routes_silent", c.hb_all_silent.get()}});
    }
    return {{"ports", ports}, {"drops", drops}, {"workers", workers},
            {"control_tx_dropped", ctl_drops_[static_cast<size_t>(DropReason::ctl_tx_no_mbuf)].get() +
                                       ctl_drops_[static_cast<size_t>(DropReason::ctl_tx_ring_full)].get()}};
}

json Engine::cmd_nodes() {
    json out = json::array();
    out.push_back({{"id", cfg_.node.id}, {"name", cfg_.node.name}, {"local", true}, {"state", "up"},
                   {"adapter_mac", adapter_.mac.str()}, {"apipa", adapter_.apipa.str()},
                   {"link_local", adapter_.link_local.str()}});
    for (auto& p : cfg_.peers) {
        const RouteDesc* a = active_route(p.id);
        const RouteDesc* resort = a ? nullptr : last_resort_route(p.id);
        const auto* ps = endpoints_->peer(p.id);
        size_t n = 0, up = 0;
        for (auto& r : routes_)
            if (r.peer_node == p.id) {
                n++;
                up += route_is_up(r);
            }
        out.push_back({{"id", p.id},
                       {"name", p.name},
                       {"local", false},
                       {"state", a ? "reachable" : "unreachable"},
                       {"active_route", a ? route_title(cfg_, *a) : ""},
                       {"last_resort_route", resort ? route_title(cfg_, *resort) : ""},
                       {"routes", n},
                       {"routes_up", up},
                       {"adapter_known", ps && ps->known},
                       {"adapter_mac", ps && ps->known ? ps->adapter.mac.str() : ""},
                       {"apipa", ps && ps->known ? ps->adapter.apipa.str() : ""},
                       {"link_local", ps && ps->known ? ps->adapter.link_local.str() : ""}});
    }
    return out;
}

json Engine::cmd_neighbors() {
    json out = json::array();
    for (auto& e : neighbors_->entries())
        out.push_back({{"port", ports_[e.port_index].spec.name},
                       {"address", e.addr.str()},
                       {"mac", e.mac ? e.mac->str() : ""},
                       {"state", NeighborTable::state_name(e.state)},
                       {"probes", e.probes}});
    return out;
}

json Engine::cmd_log(const json& args) {
    size_t n = 50;
    if (args.contains("lines")) {
        if (!args["lines"].is_number_unsigned() || args["lines"].get<uint64_t>() == 0 ||
            args["lines"].get<uint64_t>() > cfg_.management.log_lines)
            throw MgmtError(fmt::format("\"lines\" must be an integer in 1..{}", cfg_.management.log_lines));
        n = args["lines"].get<size_t>();
    }
    return clog::recent(n);
}

json Engine::cmd_link(const json& args) {
    if (!args.contains("port") || !args["port"].is_string() || !args.contains("state") || !args["state"].is_string())
        throw MgmtError("link needs {\"port\": NAME, \"state\": \"up\"|\"down\"}");
    std::string name = args["port"], state = args["state"];
    if (state != "up" && state != "down") throw MgmtError(fmt::format("state \"{}\" is not up or down", state));
    for (size_t i = 0; i < ports_.size(); i++) {
        if (i == adapter_index_ || ports_[i].spec.name != name) continue;
        bool up = state == "up";
        if (ports_[i].admin_up != up) {
            ports_[i].admin_up = up;
            set_port_usable(i);
            clog::info("PORT", "port {} set administratively {} by the operator", name, state);
            emit_event({{"time", event_time(rte_rdtsc())}, {"type", "link"}, {"port", name}, {"state", state}, {"admin", true}});
            if (up && ports_[i].link_up) neighbors_->link_up(static_cast<uint16_t>(i), mono_ms());
            if (ports_[i].link_up) send_link_notices(i, up, wire::kLinkReasonAdmin);
        }
        return {{"port", name}, {"admin", state}, {"link", ports_[i].link_up ? "up" : "down"}};
    }
    throw MgmtError(fmt::format("no cluster port named \"{}\"", name));
}

}  // namespace ftnet
