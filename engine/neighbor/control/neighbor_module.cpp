#include "engine/neighbor/control/neighbor_module.h"

#include "engine/core/engine.h"
#include "engine/neighbor/control/neighbor_wire.h"
#include "engine/tunnel/control/tunnel_module.h"

namespace ftnet {

using nlohmann::json;

namespace {
constexpr uint64_t kTickMs = 10;
}  // namespace

void NeighborModule::start(Engine& e) {
    e_ = &e;
    const Config& cfg = e.config();
    std::vector<NeighborTable::PortSelf> selves;
    for (const PortRuntime& p : e.ports()) {
        NeighborTable::PortSelf s{p.spec.name, p.handle.mac, std::nullopt, std::nullopt};
        if (p.cfg_index >= 0) {
            const PortConfig& pc = cfg.ports[static_cast<size_t>(p.cfg_index)];
            if (pc.ipv4) s.v4 = pc.ipv4->addr;
            if (pc.ipv6) s.v6 = pc.ipv6->addr;
        }
        selves.push_back(s);
    }
    table_ = std::make_unique<NeighborTable>(std::move(selves), [&e](uint16_t pi, const Frame& f) { e.send_frame(pi, f); });

    TunnelModule& tunnel = e.module<TunnelModule>();
    for (auto& r : tunnel.routes()) table_->want(static_cast<uint16_t>(r.port_cfg), r.next_hop);
    tunnel.set_next_hop_lookup([this](uint16_t pi, const IpAddr& a) { return table_->lookup(pi, a); });
    tunnel.control_frames().on_local("neighbor", [this, &tunnel](const ControlFrame& f) {
        if (table_->handle_frame(f.port_index, f.frame, f.len, f.now_ms)) tunnel.mark_dirty();
        if (auto reply = build_echo_reply(f.frame, f.len, e_->ports()[f.port_index].handle.mac))
            e_->send_frame(f.port_index, *reply);
    });
    // Addresses leased at run time: the port's own is answered from now
    // on, and the new routes' next hops resolved.
    tunnel.add_plan_listener([this, &tunnel] {
        const Config& c = e_->config();
        for (size_t i = 0; i < c.ports.size(); i++)
            if (c.ports[i].ipv4_dhcp)
                table_->set_self_v4(static_cast<uint16_t>(i), c.ports[i].ipv4 ? std::optional<IpAddr>(c.ports[i].ipv4->addr) : std::nullopt);
        for (auto& r : tunnel.routes()) table_->want(static_cast<uint16_t>(r.port_cfg), r.next_hop);
    });
    e.loop().add_timer("neighbor", kTickMs, [this, &tunnel](uint64_t now) {
        if (table_->tick(now)) tunnel.mark_dirty();
    });
    e.commands().add({"neighbors", "neighbor", "ARP/ND entries of the routes' next hops", {}, true, [this](const json&) {
                          json out = json::array();
                          for (auto& n : table_->entries())
                              out.push_back({{"port", e_->ports()[n.port_index].spec.name},
                                             {"address", n.addr.str()},
                                             {"mac", n.mac ? n.mac->str() : ""},
                                             {"state", NeighborTable::state_name(n.state)},
                                             {"probes", n.probes}});
                          return out;
                      }});
}

void NeighborModule::running(Engine& e) {
    for (size_t i = 0; i < e.ports().size(); i++)
        if (e.ports()[i].cfg_index >= 0 && e.ports()[i].link_up) table_->announce(static_cast<uint16_t>(i));
}

void NeighborModule::link_up(uint16_t port_index, uint64_t now_ms) { table_->link_up(port_index, now_ms); }

}  // namespace ftnet
