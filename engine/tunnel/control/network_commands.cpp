// The networks as the operator sees and changes them: `networks` (each
// network's subnets, role, metric and whether it is automatic, its ports
// and routes) and `network set NAME role=R metric=N|auto`, applied at once
// by planning the routes again (engine/tunnel/control/tunnel_module.h).

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <rte_cycles.h>

#include <algorithm>
#include <charconv>

#include "engine/cluster_log/control/cluster_log.h"
#include "engine/config/network_metrics.h"
#include "engine/core/engine.h"
#include "engine/core/limits.h"
#include "engine/tunnel/control/tunnel_module.h"

namespace ftnet {

using nlohmann::json;

json TunnelModule::cmd_networks() const {
    const Config& cfg = e_->config();
    json out = json::array();
    for (size_t i = 0; i < cfg.networks.size(); i++) {
        const NetworkConfig& n = cfg.networks[i];
        json subnets = json::array(), ports = json::array();
        for (auto& s : n.subnets) subnets.push_back(s.str());
        for (auto& p : cfg.ports)
            if (p.network == n.name) ports.push_back(p.name);
        unsigned total = 0, up = 0;
        for (auto& r : routes_)
            if (r.network_cfg == i) {
                total++;
                up += route_is_up(r);
            }
        const char* state = n.role == NetworkRole::None ? "not used" : total == 0 ? "no routes" : up ? "up" : "down";
        out.push_back({{"name", n.name},
                       {"role", static_cast<int>(n.role)},
                       {"role_name", network_role_name(n.role)},
                       {"metric", n.metric},
                       {"metric_auto", n.metric_auto},
                       {"default_gateway", network_has_gateway(cfg, n.name)},
                       {"subnets", subnets},
                       {"ports", ports},
                       {"routes", total},
                       {"routes_up", up},
                       {"state", state}});
    }
    return out;
}

json TunnelModule::cmd_network(const json& a) {
    NetworkChange c;
    if (a.contains("role")) {
        const uint64_t role = a["role"].get<uint64_t>();
        if (role != 0 && role != 1 && role != 3)
            throw MgmtError(fmt::format("network set: role {} is not a role (0 = not used by the cluster, "
                                        "1 = cluster only, 3 = cluster and client)",
                                        role));
        c.role = static_cast<NetworkRole>(role);
    }
    if (a.contains("metric")) {
        const std::string m = a["metric"].get<std::string>();
        uint32_t v = 0;
        auto [end, ec] = std::from_chars(m.data(), m.data() + m.size(), v);
        if (m == "auto")
            c.metric_auto = true;
        else if (ec != std::errc() || end != m.data() + m.size() || v > 999999)
            throw MgmtError(fmt::format("network set: metric \"{}\" is not a number 0..999999 or \"auto\"", m));
        else
            c.metric = v;
    }
    if (!c.role && !c.metric && !c.metric_auto) throw MgmtError("network set: nothing to change (role, metric)");
    const std::string name = a["name"].get<std::string>();
    change_network(name, c, "the operator");
    for (auto& n : cmd_networks())
        if (n["name"] == name) return n;
    return json();
}

void TunnelModule::reload_networks(const Config& next, ReloadReport& report) {
    const auto& now = e_->config().networks;
    bool same_shape = now.size() == next.networks.size();
    for (size_t i = 0; same_shape && i < now.size(); i++) {
        std::vector<std::string> a, b;
        for (auto& s : now[i].subnets) a.push_back(s.str());
        for (auto& s : next.networks[i].subnets) b.push_back(s.str());
        same_shape = now[i].name == next.networks[i].name && a == b;
    }
    if (!same_shape) {
        report.restart.push_back("[[network]] names or subnets changed: applied at the next restart");
        return;
    }
    // Checked first, all of them: a refusal changes nothing.
    for (size_t i = 0; i < now.size(); i++)
        for (auto& g : network_guards_)
            if (auto why = g(next.networks[i])) throw MgmtError(fmt::format("network {}: {}", now[i].name, *why));
    for (size_t i = 0; i < now.size(); i++) {
        const NetworkConfig &a = e_->config().networks[i], &b = next.networks[i];
        NetworkChange c;
        if (a.role != b.role) c.role = b.role;
        if (b.metric_auto && !a.metric_auto) c.metric_auto = true;
        if (!b.metric_auto && (a.metric_auto || a.metric != b.metric)) c.metric = b.metric;
        if (!c.role && !c.metric && !c.metric_auto) continue;
        const uint32_t old_metric = a.metric;
        const int old_role = static_cast<int>(a.role);
        change_network(a.name, c, "a reload");
        const NetworkConfig& after = e_->config().networks[i];
        report.applied.push_back(fmt::format("network {}: role {} -> {}, metric {} -> {}{}", after.name, old_role,
                                             static_cast<int>(after.role), old_metric, after.metric,
                                             after.metric_auto ? " (auto)" : ""));
    }
}

void TunnelModule::reload_peers(const Config& next, ReloadReport& report) {
    Config& cfg = e_->config();
    // Peers keep their index (route table, replay windows, sessions), so
    // they are matched by id: a new id is appended (or takes back the slot
    // it had before a reload removed it), an id the file no longer lists is
    // marked removed (no routes, out of the membership), and an existing
    // peer's endpoints follow the file. A new name for an id, or a peer
    // table already full, waits for a restart.
    auto find = [](const std::vector<PeerConfig>& v, uint16_t id) -> const PeerConfig* {
        for (auto& p : v)
            if (p.id == id) return &p;
        return nullptr;
    };
    for (const PeerConfig& n : next.peers)
        if (const PeerConfig* cur = find(cfg.peers, n.id); cur && cur->name != n.name) {
            report.restart.push_back(fmt::format("[[peer]] node {} renamed {} -> {}: applied at the next restart", n.id,
                                                 cur->name, n.name));
            return;
        }
    size_t slots = cfg.peers.size();
    for (const PeerConfig& n : next.peers) slots += find(cfg.peers, n.id) == nullptr;
    if (slots > kMaxPeers) {
        report.restart.push_back(fmt::format("[[peer]]: {} peers since start, more than the {} a running engine "
                                             "keeps: applied at the next restart",
                                             slots, kMaxPeers));
        return;
    }
    std::vector<std::string> did;
    for (PeerConfig& cur : cfg.peers) {
        const PeerConfig* n = find(next.peers, cur.id);
        if (!n) {
            if (!cur.removed) did.push_back(fmt::format("peer {} (node {}) removed", cur.name, cur.id));
            cur.removed = true;
            continue;
        }
        bool same = !cur.removed && cur.endpoints.size() == n->endpoints.size();
        for (size_t k = 0; same && k < n->endpoints.size(); k++) {
            const PeerEndpoint &a = cur.endpoints[k], &b = n->endpoints[k];
            same = a.network == b.network && a.ipv6 == b.ipv6 && a.ipv4_dhcp == b.ipv4_dhcp && (b.ipv4_dhcp || a.ipv4 == b.ipv4);
        }
        if (same) continue;  // (a leased address learned from the peer stays)
        did.push_back(cur.removed ? fmt::format("peer {} (node {}) added again", n->name, n->id)
                                  : fmt::format("peer {} (node {}): endpoints changed", n->name, n->id));
        cur.endpoints = n->endpoints;
        cur.removed = false;
    }
    for (const PeerConfig& n : next.peers)
        if (!find(cfg.peers, n.id)) {
            did.push_back(fmt::format("peer {} (node {}) added", n.name, n.id));
            cfg.peers.push_back(n);
        }
    if (did.empty()) return;
    replan("peers changed by a reload");
    for (auto& f : peer_listeners_) f();
    for (auto& d : did) report.applied.push_back(d);
}

void TunnelModule::change_network(const std::string& name, const NetworkChange& c, const std::string& by) {
    Config& cfg = e_->config();
    auto it = std::find_if(cfg.networks.begin(), cfg.networks.end(), [&](auto& n) { return n.name == name; });
    if (it == cfg.networks.end()) {
        std::vector<std::string> known;
        for (auto& n : cfg.networks) known.push_back(n.name);
        throw MgmtError(fmt::format("no network \"{}\" (known: {})", name, fmt::join(known, ", ")));
    }
    NetworkConfig next = *it;
    if (c.role) next.role = *c.role;
    if (c.metric) {
        next.metric = *c.metric;
        next.metric_auto = false;
    }
    if (c.metric_auto) next.metric_auto = true;
    // A change that would leave the node without any cluster network.
    if (next.role == NetworkRole::None &&
        std::none_of(cfg.networks.begin(), cfg.networks.end(),
                     [&](auto& n) { return n.name != name && n.role != NetworkRole::None; }))
        throw MgmtError(fmt::format("network {}: role 0 would leave no network for the cluster", name));
    for (auto& g : network_guards_)
        if (auto why = g(next)) throw MgmtError(fmt::format("network {}: {}", name, *why));
    const NetworkConfig before = *it;
    *it = next;
    assign_auto_metrics(cfg);
    if (it->role == before.role && it->metric == before.metric && it->metric_auto == before.metric_auto) return;
    clog::info("NETWORK", "network {} changed by {}: role {} -> {}, metric {}{} -> {}{}", name, by,
               static_cast<int>(before.role), static_cast<int>(it->role), before.metric, before.metric_auto ? " (auto)" : "",
               it->metric, it->metric_auto ? " (auto)" : "");
    replan(fmt::format("network {} changed", name));
    e_->emit_event({{"time", e_->event_time(rte_rdtsc())},
                    {"type", "network"},
                    {"name", name},
                    {"role", static_cast<int>(it->role)},
                    {"metric", it->metric},
                    {"metric_auto", it->metric_auto},
                    {"by", by}});
}

}  // namespace ftnet
