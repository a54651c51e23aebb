#include "engine/pmtu/control/pmtu_module.h"

#include <rte_byteorder.h>

#include <cstring>

#include "engine/cluster_log/control/cluster_log.h"
#include "engine/core/engine.h"
#include "engine/core/mono_clock.h"
#include "engine/pmtu/control/too_big.h"
#include "engine/tunnel/control/route_plan.h"
#include "engine/tunnel/control/tunnel_module.h"
#include "engine/tunnel/datapath/arrival.h"

namespace ftnet {

using nlohmann::json;

namespace {
constexpr uint64_t kTickMs = 10;
}  // namespace

void PmtuModule::start(Engine& e) {
    e_ = &e;
    tunnel_ = &e.module<TunnelModule>();
    const Config& cfg = e.config();
    for (const RouteDesc& r : tunnel_->routes()) {
        const auto ceiling = static_cast<uint16_t>(cfg.ports[r.port_cfg].mtu);
        routes_.emplace(r.id, Route{r.id, PathMtuSearch(wire::kMinPathMtu, ceiling)});
    }
    // Routes planned at run time (leased addresses): a search for each new
    // route, none kept for a route that is gone.
    tunnel_->add_plan_listener([this] {
        std::map<uint16_t, bool> live;
        for (const RouteDesc& r : tunnel_->routes()) {
            live[r.id] = true;
            if (!routes_.count(r.id))
                routes_.emplace(r.id, Route{r.id, PathMtuSearch(wire::kMinPathMtu,
                                                                static_cast<uint16_t>(e_->config().ports[r.port_cfg].mtu))});
        }
        for (auto it = routes_.begin(); it != routes_.end();) it = live.count(it->first) ? std::next(it) : routes_.erase(it);
    });
    tunnel_->set_path_mtu_lookup([this](uint16_t id) -> uint16_t {
        auto it = routes_.find(id);
        return it == routes_.end() ? 0 : it->second.search.pmtu();
    });
    ControlFrames& cf = tunnel_->control_frames();
    cf.on_message(static_cast<uint8_t>(wire::MsgType::PmtuProbe), "pmtu", [this](const ControlFrame& f) { on_probe(f); });
    cf.on_message(static_cast<uint8_t>(wire::MsgType::PmtuReply), "pmtu", [this](const ControlFrame& f) { on_reply(f); });
    cf.on_local("pmtu", [this](const ControlFrame& f) { on_local(f); });
    tunnel_->add_route_listener([this](const RouteDesc& r, bool up) { route_event(r, up); });
    tunnel_->add_route_annotator([this](const RouteDesc& r, json& out) {
        auto it = routes_.find(r.id);
        if (it != routes_.end()) out["path_mtu"] = route_json(it->second);
    });
    e.commands().add({"path-mtu", "pmtu", "each route's path MTU search: size, state, probes, too-big reports", {}, true,
                      [this](const json&) {
                          json out = {{"probes_answered", probes_answered_}, {"too_big_unmatched", too_big_unmatched_}};
                          json rs = json::array();
                          for (auto& [id, rt] : routes_) {
                              json j = route_json(rt);
                              j["route"] = id;
                              if (const RouteDesc* r = tunnel_->route_by_id(id)) j["title"] = route_title(e_->config(), *r);
                              rs.push_back(j);
                          }
                          out["routes"] = rs;
                          return out;
                      }});
}

void PmtuModule::running(Engine& e) {
    e.loop().add_timer("pmtu", kTickMs, [this](uint64_t now) { tick(now); });
}

json PmtuModule::route_json(const Route& rt) const {
    const PathMtuSearch& s = rt.search;
    const RouteDesc* r = tunnel_->route_by_id(rt.id);
    const uint16_t pmtu = r ? tunnel_->path_mtu(*r) : s.pmtu();
    const size_t whole = pmtu - wire::ip_packet_len(r && r->family == Family::V6, 0);
    return {{"pmtu", pmtu},
            {"port_mtu", s.ceiling()},
            {"state", PathMtuSearch::state_name(s.state())},
            // Frames from ftnet0 longer than this go out as fragments.
            {"largest_frame_whole", whole},
            {"probes_sent", s.probes_sent()},
            {"probes_lost", s.probes_lost()},
            {"replies", s.replies()},
            {"searches", s.searches()},
            {"changes", rt.changes},
            {"too_big_honoured", rt.too_big_honoured},
            {"too_big_ignored", rt.too_big_ignored}};
}

void PmtuModule::changed(Route& rt, uint16_t old, const char* why) {
    const uint16_t now = rt.search.pmtu();
    if (now == old) return;
    rt.changes++;
    if (const RouteDesc* r = tunnel_->route_by_id(rt.id))
        clog::info("PMTU", "Path MTU of route {}: {} -> {} ({}){}", route_title(e_->config(), *r), old, now, why,
                   now < e_->config().adapter.mtu + wire::kEthHdrLen + wire::kMaxOverhead
                       ? ": frames from ftnet0 that do not fit go out as fragments"
                       : "");
    tunnel_->mark_dirty();
}

void PmtuModule::route_event(const RouteDesc& r, bool up) {
    const uint64_t now = mono_ms();
    auto it = routes_.find(r.id);
    if (it != routes_.end()) {
        if (up)
            it->second.search.restart(now);
        else
            it->second.search.pause();
    }
    // A route that takes over a peer's traffic has its size confirmed now.
    const RouteDesc* act = tunnel_->active_route(r.peer_node);
    const uint16_t act_id = act ? act->id : kNoRoute;
    auto [a, fresh] = active_.try_emplace(r.peer_node, act_id);
    if (!fresh && a->second != act_id && act) {
        auto ar = routes_.find(act_id);
        if (ar != routes_.end()) ar->second.search.confirm_now(now);
    }
    a->second = act_id;
}

void PmtuModule::tick(uint64_t now) {
    const uint32_t boot = e_->boot_id();
    for (auto& [id, rt] : routes_) {
        const RouteLive& live = e_->dp().route_live[id];
        rt.search.set_rtt_us(live.rtt_srtt_ns.load(std::memory_order_relaxed) / 1000);
        const uint16_t old = rt.search.pmtu();
        const auto size = rt.search.due(now);
        changed(rt, old, "a probe of that size went unanswered");
        if (!size) continue;
        const RouteDesc* r = tunnel_->route_by_id(id);
        if (!r) continue;
        const size_t overhead = wire::ip_packet_len(r->family == Family::V6, 0);
        if (*size < overhead + sizeof(wire::PmtuProbePayload)) continue;
        buf_.assign(*size - overhead, 0);
        wire::PmtuProbePayload p{};
        p.boot_id = rte_cpu_to_be_32(boot);
        p.probe_id = rte_cpu_to_be_32(++next_probe_id_);
        p.size = rte_cpu_to_be_16(*size);
        std::memcpy(buf_.data(), &p, sizeof p);
        // Counted as sent even when the tunnel could not take it: a probe
        // that never left is a lost one, and the search waits it out.
        tunnel_->send_tunnel(*r, wire::MsgType::PmtuProbe, buf_.data(), buf_.size());
        rt.search.sent(*size, next_probe_id_, now);
    }
}

const RouteDesc* PmtuModule::arrival(const ControlFrame& f) const {
    if (!f.c.peer) return nullptr;
    const RouteEntry* e = arrival_route(*f.c.peer, f.port_index, f.c.family, f.frame);
    return e ? tunnel_->route_by_id(e->route_id) : nullptr;
}

void PmtuModule::on_probe(const ControlFrame& f) {
    // Admitted by a worker: authentic, fresh, for us.
    if (f.c.payload_len < sizeof(wire::PmtuProbePayload)) return;
    const RouteDesc* r = arrival(f);
    if (!r) return;
    wire::PmtuProbePayload p;
    std::memcpy(&p, f.frame + f.c.payload_off, sizeof p);
    // The size the prober meant is what arrived: a probe cut short on the way
    // would not have passed its tag check.
    if (tunnel_->send_tunnel(*r, wire::MsgType::PmtuReply, &p, sizeof p)) probes_answered_++;
}

void PmtuModule::on_reply(const ControlFrame& f) {
    if (f.c.payload_len < sizeof(wire::PmtuProbePayload)) return;
    const RouteDesc* r = arrival(f);
    if (!r) return;
    wire::PmtuProbePayload p;
    std::memcpy(&p, f.frame + f.c.payload_off, sizeof p);
    if (rte_be_to_cpu_32(p.boot_id) != e_->boot_id()) return;  // for an earlier life of ours
    auto it = routes_.find(r->id);
    if (it == routes_.end()) return;
    const uint16_t old = it->second.search.pmtu();
    it->second.search.answered(rte_be_to_cpu_32(p.probe_id), rte_be_to_cpu_16(p.size), mono_ms());
    changed(it->second, old, "a probe of that size was answered");
}

void PmtuModule::on_local(const ControlFrame& f) {
    const auto rep = parse_too_big(f.frame, f.len);
    if (!rep) return;
    const RouteTable* rt = e_->dp().routes.load(std::memory_order_acquire);
    const uint16_t port = e_->config().tunnel.udp_port;
    for (unsigned i = 0; rt && i < rt->n_peers; i++) {
        const PeerEntry& pe = rt->peers[i];
        for (unsigned k = 0; k < pe.n_routes; k++) {
            const RouteEntry& re = pe.routes[k];
            if (re.port_index != f.port_index || re.family != rep->family) continue;
            auto it = routes_.find(re.route_id);
            if (it == routes_.end()) continue;
            // Same addresses as this route's packets, but not our header:
            // not ours, or a router that quotes too little to tell.
            const bool addressed = std::memcmp(rep->quoted_dst.b.data(),
                                               re.tmpl + kOuterL3Off + (re.family == Family::V6 ? 24 : 16),
                                               re.family == Family::V6 ? 16 : 4) == 0;
            if (!addressed) continue;
            Route& r = it->second;
            if (!quotes_our_packet(*rep, re, port, e_->dp().epoch)) {
                r.too_big_ignored++;
                clog::warn("PMTU", "ignored a too-big report (MTU {}) on port {}: it does not quote one of our tunnel "
                           "packets{}", rep->mtu, e_->config().ports[f.port_index].name,
                           rep->has_header ? "" : " (the quote stops before the ftnet header)");
                return;
            }
            r.too_big_honoured++;
            const uint16_t old = r.search.pmtu();
            r.search.too_big(static_cast<uint16_t>(std::min<uint32_t>(rep->mtu, 65535)), mono_ms());
            changed(r, old, "a router reported its next link's MTU");
            return;
        }
    }
    too_big_unmatched_++;
}

}  // namespace ftnet
