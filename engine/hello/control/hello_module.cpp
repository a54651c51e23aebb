#include "engine/hello/control/hello_module.h"

#include <fmt/format.h>

#include <cstring>

#include "engine/cluster_log/control/cluster_log.h"
#include "engine/core/engine.h"
#include "engine/tunnel/control/tunnel_module.h"
#include "engine/tunnel/datapath/arrival.h"

namespace ftnet {

using nlohmann::json;

namespace {
constexpr uint64_t kTickMs = 10;
}  // namespace

const RouteDesc* hello_arrival_route(const std::vector<RouteDesc>& routes, uint16_t node, size_t port_index,
                                     Family family, const IpAddr& src) {
    for (auto& r : routes)
        if (r.peer_node == node && r.port_cfg == port_index && r.family == family && r.remote == src) return &r;
    return nullptr;
}

void HelloModule::start(Engine& e) {
    e_ = &e;
    tunnel_ = &e.module<TunnelModule>();
    endpoints_ = std::make_unique<EndpointExchange>(e.adapter());
    tunnel_->control_frames().on_message(static_cast<uint8_t>(wire::MsgType::Hello), "hello",
                                         [this](const ControlFrame& f) { on_hello(f); });
    tunnel_->add_peer_filler([this](PeerEntry& pe, uint16_t node) {
        if (const auto* ps = endpoints_->peer(node); ps && ps->known) {
            pe.adapter_known = true;
            std::memcpy(pe.adapter_mac, ps->adapter.mac.b.data(), 6);
        }
    });
    // A path to a peer that has not told us its adapter yet (or restarted):
    // exchange endpoints now rather than at the next HELLO period.
    tunnel_->add_route_listener([this](const RouteDesc& r, bool up) {
        if (up && endpoints_->wants_reply(r.peer_node)) endpoints_->hurry(r.peer_node);
    });
    e.loop().add_timer("hello", kTickMs, [this](uint64_t now) { send_hellos(now); });
    e.commands().add({"nodes", "hello", "this node and every peer: reachability, active route, adapter", {}, true,
                      [this](const json&) { return cmd_nodes(); }});
}

void HelloModule::on_hello(const ControlFrame& f) {
    // Admitted by the worker that received it (engine/security/datapath/admit.h):
    // authentic, fresh and decrypted.
    const RxResult& c = f.c;
    const Config& cfg = e_->config();
    const uint16_t node = rte_be_to_cpu_16(c.hdr->src_node);
    // The route it came over: the peer's route on this port and family
    // whose remote end is the frame's outer source (a peer may have two
    // endpoints on one network).
    const RouteDesc* via =
        hello_arrival_route(tunnel_->routes(), node, f.port_index, c.family, outer_source(f.frame, c.family));
    const PeerConfig* peer = nullptr;
    for (auto& p : cfg.peers)
        if (p.id == node && !p.removed) peer = &p;
    if (!peer) return;
    std::string pair = via ? fmt::format("{} <-> {} ({}, {})", via->local.str(), via->remote.str(),
                                         cfg.networks[via->network_cfg].name, family_name(via->family))
                           : fmt::format("port {}", e_->ports()[f.port_index].spec.name);
    auto out = endpoints_->on_hello(node, peer->name, f.frame + c.payload_off, c.payload_len, pair, f.now_ms);
    if (out.changed) tunnel_->mark_dirty();
    if (out.reply && via) {
        wire::HelloPayload h = encode_hello(e_->adapter(), endpoints_->wants_reply(node));
        tunnel_->send_tunnel(*via, wire::MsgType::Hello, &h, sizeof h);
    }
}

void HelloModule::send_hellos(uint64_t now) {
    for (auto& p : e_->config().peers) {
        if (!endpoints_->due(p.id, now)) continue;
        wire::HelloPayload h = encode_hello(e_->adapter(), endpoints_->wants_reply(p.id));
        for (auto& r : tunnel_->routes())
            if (r.peer_node == p.id && tunnel_->route_is_up(r)) tunnel_->send_tunnel(r, wire::MsgType::Hello, &h, sizeof h);
    }
}

json HelloModule::cmd_nodes() const {
    const Config& cfg = e_->config();
    const AdapterInfo& a = e_->adapter();
    json out = json::array();
    out.push_back({{"id", cfg.node.id}, {"name", cfg.node.name}, {"local", true}, {"state", "up"},
                   {"adapter_mac", a.mac.str()}, {"apipa", a.apipa.str()}, {"link_local", a.link_local.str()}});
    for (auto& p : cfg.peers) {
        if (p.removed) continue;
        const RouteDesc* act = tunnel_->active_route(p.id);
        const RouteDesc* resort = act ? nullptr : tunnel_->last_resort_route(p.id);
        const auto* ps = endpoints_->peer(p.id);
        size_t n = 0, up = 0;
        for (auto& r : tunnel_->routes())
            if (r.peer_node == p.id) {
                n++;
                up += tunnel_->route_is_up(r);
            }
        out.push_back({{"id", p.id},
                       {"name", p.name},
                       {"local", false},
                       {"state", act ? "reachable" : "unreachable"},
                       {"active_route", act ? route_title(cfg, *act) : ""},
                       {"last_resort_route", resort ? route_title(cfg, *resort) : ""},
                       {"routes", n},
                       {"routes_up", up},
                       {"adapter_known", ps && ps->known},
                       {"adapter_mac", ps && ps->known ? ps->adapter.mac.str() : ""},
                       {"apipa", ps && ps->known ? ps->adapter.apipa.str() : ""},
                       {"link_local", ps && ps->known ? ps->adapter.link_local.str() : ""}});
    }
    return out;
}

}  // namespace ftnet
