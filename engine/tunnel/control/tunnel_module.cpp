// The tunnel module's control part: routes, the route table workers read
// (published with RCU: engine/core/rcu_publish.h), the frames workers hand
// to the control thread, and tunnel messages the control thread sends.

#include <rte_malloc.h>

#include <algorithm>
#include <cstring>
#include <set>

#include <rte_cycles.h>

#include "engine/cluster_log/control/cluster_log.h"
#include "engine/core/engine.h"
#include "engine/core/worker_wakeup.h"
#include "engine/neighbor/control/neighbor_wire.h"
#include "engine/tunnel/control/tunnel_module.h"
#include "engine/tunnel/encap_template.h"
#include "engine/tunnel/protected_message.h"

namespace ftnet {

void TunnelModule::start(Engine& e) {
    e_ = &e;
    tables_ = RcuPublisher<RouteTable>(&e.dp().routes, e.dp().qsbr);
    RoutePlanResult plan = plan_routes(e.config(), route_ids_);
    for (auto& s : plan.skipped) clog::warn("ROUTE", "{}", s);
    routes_ = std::move(plan.routes);
    const Config& cfg = e.config();
    for (auto& r : routes_)
        clog::info("ROUTE", "Adding route: {} to {} (node {}), rank {}", route_title(cfg, r), cfg.peers[r.peer_cfg].name,
                   r.peer_node, r.rank + 1);
    if (routes_.empty()) clog::warn("ROUTE", "no route to any peer: check the [[peer]] endpoints and the ports' networks");

    for (auto& pc : cfg.ports) static_gateway4_.push_back(pc.gateway4.has_value());

    ControlLoop& loop = e.loop();
    Dataplane& dp = e.dp();
    loop.add_pending([&dp] { return rte_ring_count(dp.to_control) != 0; });
    loop.add_hook("tunnel", [this](uint64_t now) { drain_control_ring(now); });
    loop.add_final_hook("tunnel", [this](uint64_t) {
        if (dirty_) publish();
        tables_.reclaim(false);
    });
    register_commands();
    e.add_status([this](nlohmann::json& out) {
        size_t up = 0;
        for (auto& r : routes_) up += route_is_up(r);
        size_t reachable = 0;
        for (auto& p : e_->config().peers) reachable += active_route(p.id) != nullptr;
        out["peers_reachable"] = reachable;
        out["routes"] = routes_.size();
        out["routes_up"] = up;
        out["route_table_generation"] = table_generation_;
    });
}

// Every module has registered its table fillers and next-hop lookup: the
// first table, before the workers start.
void TunnelModule::ready(Engine&) { publish(); }

void TunnelModule::stop(Engine& e) {
    if (!routes_.empty())
        for (auto& r : routes_) clog::info("ROUTE", "Removing route: {}", route_title(e.config(), r));
    // Workers have stopped: no grace period is needed any more.
    tables_.release_all();
}

void TunnelModule::replan(const std::string& why) {
    const Config& cfg = e_->config();
    RoutePlanResult plan = plan_routes(cfg, route_ids_);
    std::set<uint16_t> before, after;
    for (auto& r : routes_) before.insert(r.id);
    for (auto& r : plan.routes) after.insert(r.id);
    for (auto& r : routes_)
        if (!after.count(r.id)) clog::info("ROUTE", "Removing route: {} ({})", route_title(cfg, r), why);
    for (auto& r : plan.routes)
        if (!before.count(r.id))
            clog::info("ROUTE", "Adding route: {} to {} (node {}), rank {} ({})", route_title(cfg, r), cfg.peers[r.peer_cfg].name,
                       r.peer_node, r.rank + 1, why);
    routes_ = std::move(plan.routes);
    for (auto& f : plan_listeners_) f();
    mark_dirty();
}

bool TunnelModule::set_port_ipv4(size_t port_cfg, const std::optional<IfAddr>& a, const std::optional<IpAddr>& router) {
    Config& cfg = e_->config();
    if (port_cfg >= cfg.ports.size() || !cfg.ports[port_cfg].ipv4_dhcp) return false;
    PortConfig& pc = cfg.ports[port_cfg];
    std::optional<IpAddr> gw = static_gateway4_[port_cfg] ? pc.gateway4 : router;
    // A router off the leased subnet is no next hop.
    if (gw && a && !a->subnet().contains(*gw)) gw.reset();
    const bool same = pc.ipv4.has_value() == a.has_value() && (!a || (pc.ipv4->addr == a->addr && pc.ipv4->prefix_len == a->prefix_len)) &&
                      pc.gateway4 == gw;
    if (same) return true;
    pc.ipv4 = a;
    pc.gateway4 = gw;
    replan(a ? fmt::format("port {} leased {}", pc.name, a->str()) : fmt::format("port {} has no lease", pc.name));
    return true;
}

bool TunnelModule::set_peer_ipv4(uint16_t peer_node, const std::string& network, const std::optional<IpAddr>& a) {
    Config& cfg = e_->config();
    for (auto& p : cfg.peers) {
        if (p.id != peer_node) continue;
        for (auto& ep : p.endpoints) {
            if (ep.network != network || !ep.ipv4_dhcp) continue;
            if (ep.ipv4 == a) return true;
            ep.ipv4 = a;
            replan(a ? fmt::format("{} leased {} on {}", p.name, a->str(), network)
                     : fmt::format("{} has no lease on {}", p.name, network));
            return true;
        }
    }
    return false;
}

const RouteDesc* TunnelModule::route_by_id(uint16_t id) const {
    for (auto& r : routes_)
        if (r.id == id) return &r;
    return nullptr;
}

void TunnelModule::drain_control_ring(uint64_t now) {
    Dataplane& dp = e_->dp();
    void* objs[64];
    unsigned n;
    while ((n = rte_ring_sc_dequeue_burst(dp.to_control, objs, 64, nullptr)) > 0) {
        for (unsigned i = 0; i < n; i++) {
            auto* m = static_cast<rte_mbuf*>(objs[i]);
            const uint16_t pi = m->port < RTE_MAX_ETHPORTS ? dp.port_index_by_id[m->port] : kMaxPorts;
            if (pi < e_->ports().size()) {
                const uint8_t* f = rte_pktmbuf_mtod(m, const uint8_t*);
                const RouteTable* rt = dp.routes.load(std::memory_order_acquire);
                const RxResult c = classify_frame(f, m->data_len, *rt, pi, true, true);
                frames_.dispatch(ControlFrame{pi, f, m->data_len, c, now});
            }
            rte_pktmbuf_free(m);
        }
    }
}

bool TunnelModule::send_tunnel(const RouteDesc& r, wire::MsgType type, const void* payload, size_t len) {
    const KeyRing* kr = e_->dp().keys.load(std::memory_order_acquire);
    const uint64_t seq = next_sequence(e_->dp().epoch, e_->dp().control_counter);
    if (!kr || seq == 0) {
        e_->ctl_drop(kr ? DropReason::tx_seq_exhausted : DropReason::tx_no_key);
        return false;
    }
    alignas(64) RouteEntry e{};
    if (!fill_route_entry(e, r)) return false;
    e.tx_csum_offload = false;  // control frames carry complete checksums
    rte_mbuf* m = rte_pktmbuf_alloc(e_->control_pool());
    if (!m) {
        e_->ctl_drop(DropReason::ctl_tx_no_mbuf);
        return false;
    }
    const size_t total = message_len(r.family, len);
    auto* out = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(total)));
    if (!out) {
        rte_pktmbuf_free(m);
        e_->ctl_drop(DropReason::ctl_tx_no_mbuf);
        return false;
    }
    build_message(out, e, type, payload, len, *kr, wire::kControlSpace, seq);
    return e_->send_mbuf(static_cast<uint16_t>(r.port_cfg), m);
}

RouteTable* TunnelModule::build_route_table() {
    auto* t = static_cast<RouteTable*>(rte_zmalloc("ftnet_routes", sizeof(RouteTable), RTE_CACHE_LINE_SIZE));
    if (!t) return nullptr;
    const Config& cfg_ = e_->config();
    const auto& ports_ = e_->ports();
    t->generation = ++table_generation_;
    t->local_node = cfg_.node.id;
    t->udp_port = cfg_.tunnel.udp_port;
    t->adapter_mtu = static_cast<uint16_t>(cfg_.adapter.mtu);
    std::memcpy(t->adapter_mac, e_->adapter().mac.b.data(), 6);
    std::fill(std::begin(t->peer_by_node), std::end(t->peer_by_node), kNoPeer);

    for (size_t i = 0; i < ports_.size(); i++) {
        PortAddrs& pa = t->ports[i];
        std::memcpy(pa.mac, ports_[i].handle.mac.b.data(), 6);
        if (ports_[i].cfg_index < 0) continue;
        const PortConfig& pc = cfg_.ports[static_cast<size_t>(ports_[i].cfg_index)];
        if (pc.ipv4) {
            pa.has_v4 = true;
            std::memcpy(pa.v4, pc.ipv4->addr.b.data(), 4);
        }
        if (pc.ipv6) {
            pa.has_v6 = true;
            std::memcpy(pa.v6, pc.ipv6->addr.b.data(), 16);
            IpAddr g = solicited_node_group(pc.ipv6->addr);
            std::memcpy(pa.v6_solicited, g.b.data(), 16);
        }
    }

    for (const PeerConfig& pc : cfg_.peers) {
        PeerEntry& pe = t->peers[t->n_peers];
        pe.node_id = pc.id;
        if (pc.removed) {  // keeps its index; frames from it find no peer
            t->n_peers++;
            continue;
        }
        for (auto& fill : fillers_) fill(pe, pc.id);
        for (const RouteDesc& r : routes_) {
            if (r.peer_node != pc.id || pe.n_routes >= kMaxRoutesPerPeer) continue;
            fill_route_entry(pe.routes[pe.n_routes++], r);
        }
        t->peer_by_node[pc.id] = t->n_peers;
        t->n_peers++;
    }
    for (auto& fill : table_fillers_) fill(*t);
    return t;
}

bool TunnelModule::fill_route_entry(RouteEntry& e, const RouteDesc& r) const {
    const Config& cfg_ = e_->config();
    const auto& ports_ = e_->ports();
    TemplateSpec s;
    s.family = r.family;
    s.src_mac = ports_[r.port_cfg].handle.mac;
    auto mac = lookup_ ? lookup_(static_cast<uint16_t>(r.port_cfg), r.next_hop) : std::nullopt;
    if (mac) s.dst_mac = *mac;
    s.src_ip = r.local;
    s.dst_ip = r.remote;
    s.udp_port = cfg_.tunnel.udp_port;
    s.dscp = cfg_.tunnel.dscp;
    s.ttl = static_cast<uint8_t>(cfg_.tunnel.ttl);
    s.src_node = cfg_.node.id;
    s.dst_node = r.peer_node;
    s.path_mtu = path_mtu(r);
    build_encap_template(e, s);
    e.resolved = mac.has_value();
    e.tx_csum_offload = ports_[r.port_cfg].handle.tx_csum_offload;
    e.cross_subnet = r.cross_subnet;
    e.route_id = r.id;
    e.port_index = static_cast<uint16_t>(r.port_cfg);
    e.network = static_cast<uint8_t>(r.network_cfg);
    return e.resolved;
}

uint16_t TunnelModule::path_mtu(const RouteDesc& r) const {
    const unsigned port_mtu = e_->config().ports[r.port_cfg].mtu;
    const uint16_t measured = pmtu_lookup_ ? pmtu_lookup_(r.id) : 0;
    return static_cast<uint16_t>(measured ? std::min<unsigned>(measured, port_mtu) : port_mtu);
}

void TunnelModule::publish() {
    RouteTable* t = build_route_table();
    if (!t) {
        clog::error("ROUTE", "cannot allocate a route table; keeping the current one");
        return;
    }
    dirty_ = false;
    tables_.publish(t);
    // A worker waiting until its next heartbeat must start the new routes' now.
    wake_workers(e_->dp());
}

const char* TunnelModule::route_down_reason(const RouteDesc& r) const {
    const PortRuntime& p = e_->ports()[r.port_cfg];
    if (!p.admin_up) return "port administratively down";
    if (!p.link_up) return "link down";
    if (!lookup_ || !lookup_(static_cast<uint16_t>(r.port_cfg), r.next_hop)) return "next hop unresolved";
    const RouteLive& live = e_->dp().route_live[r.id];
    if (!live.up.load(std::memory_order_relaxed)) {
        auto s = static_cast<HealthState>(live.state.load(std::memory_order_relaxed));
        if (s == HealthState::Unknown) return "no heartbeat reply yet";
        if (live.held_until_tsc.load(std::memory_order_relaxed)) return "held down: flapping";
        if (live.peer_link_down.load(std::memory_order_relaxed) || live.dead.load(std::memory_order_relaxed))
            return "peer reports its link down";
        return "heartbeats missed";
    }
    return nullptr;
}

const RouteDesc* TunnelModule::active_route(uint16_t peer_node) const {
    // routes_ is best-first per peer: the first usable one is what workers pick.
    for (auto& r : routes_)
        if (r.peer_node == peer_node && route_is_up(r)) return &r;
    return nullptr;
}

const RouteDesc* TunnelModule::last_resort_route(uint16_t peer_node) const {
    // As the workers' last_resort_route(): the best route that still has
    // link and is not known dead, when none answers.
    for (auto& r : routes_) {
        if (r.peer_node != peer_node) continue;
        const PortRuntime& p = e_->ports()[r.port_cfg];
        if (p.admin_up && p.link_up && lookup_ && lookup_(static_cast<uint16_t>(r.port_cfg), r.next_hop) &&
            !e_->dp().route_live[r.id].dead.load(std::memory_order_relaxed))
            return &r;
    }
    return nullptr;
}

}  // namespace ftnet
