// Building route tables for the workers and publishing them with RCU: the
// control thread fills a new RouteTable, swaps the pointer (release), and
// frees the previous table once every worker has reported quiescence since
// the swap (rte_rcu_qsbr_start/check), without ever blocking on them.

#include <rte_malloc.h>

#include <cstring>

#include "engine/common/encap_template.h"
#include "engine/control/cluster_log.h"
#include "engine/control/engine.h"
#include "engine/control/neighbor_wire.h"

namespace ftnet {

RouteTable* Engine::build_route_table() {
    auto* t = static_cast<RouteTable*>(rte_zmalloc("ftnet_routes", sizeof(RouteTable), RTE_CACHE_LINE_SIZE));
    if (!t) return nullptr;
    t->generation = ++table_generation_;
    t->local_node = cfg_.node.id;
    t->udp_port = cfg_.tunnel.udp_port;
    t->hb = heartbeat_settings(cfg_.cluster.properties, dp_->tsc_hz);
    t->adapter_mtu = static_cast<uint16_t>(cfg_.adapter.mtu);
    std::memcpy(t->adapter_mac, adapter_.mac.b.data(), 6);
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
        if (const auto* ps = endpoints_->peer(pc.id); ps && ps->known) {
            pe.adapter_known = true;
            std::memcpy(pe.adapter_mac, ps->adapter.mac.b.data(), 6);
        }
        for (const RouteDesc& r : routes_) {
            if (r.peer_node != pc.id || pe.n_routes >= kMaxRoutesPerPeer) continue;
            fill_route_entry(pe.routes[pe.n_routes++], r);
        }
        t->peer_by_node[pc.id] = t->n_peers;
        t->n_peers++;
    }
    // Heartbeat ownership: route id modulo the number of workers, so that a
    // route keeps its owner (and its owner's private state) across rebuilds.
    const uint16_t nw = dp_->n_workers;
    unsigned k = 0;
    for (uint16_t w = 0; w < nw; w++) {
        t->hb_begin[w] = static_cast<uint16_t>(k);
        for (uint16_t p = 0; p < t->n_peers; p++)
            for (uint16_t i = 0; i < t->peers[p].n_routes; i++)
                if (t->peers[p].routes[i].route_id % nw == w) t->hb_refs[k++] = HbRef{p, i};
    }
    for (uint16_t w = nw; w <= kMaxWorkers; w++) t->hb_begin[w] = static_cast<uint16_t>(k);
    return t;
}

bool Engine::fill_route_entry(RouteEntry& e, const RouteDesc& r) const {
    TemplateSpec s;
    s.family = r.family;
    s.src_mac = ports_[r.port_cfg].handle.mac;
    auto mac = neighbors_->lookup(static_cast<uint16_t>(r.port_cfg), r.next_hop);
    if (mac) s.dst_mac = *mac;
    s.src_ip = r.local;
    s.dst_ip = r.remote;
    s.udp_port = cfg_.tunnel.udp_port;
    s.dscp = cfg_.tunnel.dscp;
    s.ttl = static_cast<uint8_t>(cfg_.tunnel.ttl);
    s.src_node = cfg_.node.id;
    s.dst_node = r.peer_node;
    s.route_id = r.id;
    build_encap_template(e, s);
    e.resolved = mac.has_value();
    e.tx_csum_offload = ports_[r.port_cfg].handle.tx_csum_offload;
    e.cross_subnet = r.cross_subnet;
    e.route_id = r.id;
    e.port_index = static_cast<uint16_t>(r.port_cfg);
    return e.resolved;
}

void Engine::publish_routes() {
    RouteTable* t = build_route_table();
    if (!t) {
        clog::error("ROUTE", "cannot allocate a route table; keeping the current one");
        return;
    }
    routes_dirty_ = false;
    RouteTable* old = dp_->routes.exchange(t, std::memory_order_acq_rel);
    if (old) retired_.push_back({old, rte_rcu_qsbr_start(dp_->qsbr)});
}

void Engine::reclaim_routes(bool wait) {
    size_t kept = 0;
    for (auto& r : retired_) {
        if (rte_rcu_qsbr_check(dp_->qsbr, r.token, wait) == 1)
            rte_free(r.table);
        else
            retired_[kept++] = r;
    }
    retired_.resize(kept);
}

bool Engine::route_is_up(const RouteDesc& r) const { return route_down_reason(r) == nullptr; }

const char* Engine::route_down_reason(const RouteDesc& r) const {
    const PortRuntime& p = ports_[r.port_cfg];
    if (!p.admin_up) return "port administratively down";
    if (!p.link_up) return "link down";
    if (!neighbors_->lookup(static_cast<uint16_t>(r.port_cfg), r.next_hop)) return "next hop unresolved";
    const RouteLive& live = dp_->route_live[r.id];
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

const RouteDesc* Engine::active_route(uint16_t peer_node) const {
    // routes_ is best-first per peer: the first usable one is what workers pick.
    for (auto& r : routes_)
        if (r.peer_node == peer_node && route_is_up(r)) return &r;
    return nullptr;
}

const RouteDesc* Engine::last_resort_route(uint16_t peer_node) const {
    // As the workers' last_resort_route(): the best route that still has
    // link and is not known dead, when none answers.
    for (auto& r : routes_) {
        if (r.peer_node != peer_node) continue;
        const PortRuntime& p = ports_[r.port_cfg];
        if (p.admin_up && p.link_up && neighbors_->lookup(static_cast<uint16_t>(r.port_cfg), r.next_hop) &&
            !dp_->route_live[r.id].dead.load(std::memory_order_relaxed))
            return &r;
    }
    return nullptr;
}

}  // namespace ftnet
