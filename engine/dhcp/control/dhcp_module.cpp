#include "engine/dhcp/control/dhcp_module.h"

#include <algorithm>
#include <random>

#include "engine/cluster_log/control/cluster_log.h"
#include "engine/core/command_registry.h"
#include "engine/core/engine.h"
#include "engine/core/mono_clock.h"
#include "engine/dhcp/control/dhcp_config.h"
#include "engine/dhcp/dhcp_frame.h"
#include "engine/neighbor/control/neighbor_wire.h"
#include "engine/session/control/session_module.h"
#include "engine/tunnel/control/tunnel_module.h"

namespace ftnet {

using nlohmann::json;

namespace {

constexpr uint64_t kTickMs = 50;
const MacAddr kBroadcastMac{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
const IpAddr kAny = IpAddr::v4(0, 0, 0, 0);
const IpAddr kAllOnes = IpAddr::v4(255, 255, 255, 255);

}  // namespace

DhcpModule::~DhcpModule() = default;

void DhcpModule::start(Engine& e) {
    e_ = &e;
    tunnel_ = &e.module<TunnelModule>();
    session_ = e.find_module<SessionModule>();
    if (session_) {
        session_->on_message(SessionType::PortLeases, "dhcp",
                             [this](uint16_t peer, const uint8_t* d, size_t n) { on_leases(peer, d, n); });
        // A peer that starts (or starts again) learns our leases at once.
        session_->on_peer_restart([this](uint16_t peer, uint16_t, uint16_t) { tell_leases(peer); });
    }
    if (const auto* s = e.config().find_section<DhcpSettings>(kDhcpSection)) timing_ = *s;
    e.module<TunnelModule>().control_frames().on_local("dhcp", [this](const ControlFrame& f) { on_frame(f); });
    e.commands().add({"dhcp", "dhcp", "DHCP clients of this node: port, client id, state, lease and its timers", {}, true,
                      [this](const json&) {
                          json out = json::array();
                          for (auto& [h, en] : clients_) out.push_back(entry_json(en));
                          return json{{"clients", out}, {"frames_in", frames_in_}, {"frames_ignored", frames_ignored_}};
                      }});
}

// The ports' own addresses (`ipv4 = "dhcp"`): leased with an identifier of
// the node and the port, applied to the routes (the tunnel plans them
// again), and told to every peer, which plans its routes to us again.
void DhcpModule::lease_ports() {
    const Config& cfg = e_->config();
    for (size_t i = 0; i < cfg.ports.size(); i++) {
        if (!cfg.ports[i].ipv4_dhcp) continue;
        const std::string id = fmt::format("ftnet/{}/{}/{}", cfg.node.cluster, cfg.node.name, cfg.ports[i].name);
        acquire(static_cast<uint16_t>(i), id, [this, i](const std::optional<LeaseInfo>& l, const std::string&) {
            tunnel_->set_port_ipv4(i, l ? std::optional<IfAddr>(l->addr) : std::nullopt, l ? l->router : std::nullopt);
            for (auto& p : e_->config().peers)
                if (!p.removed) tell_leases(p.id);
        });
        clog::info("DHCP", "port {}: its IPv4 address comes from DHCP (client id {})", cfg.ports[i].name, id);
    }
}

void DhcpModule::tell_leases(uint16_t peer) {
    if (!session_) return;
    json entries = json::array();
    for (auto& pc : e_->config().ports)
        if (pc.ipv4_dhcp) entries.push_back({{"n", pc.network}, {"a", pc.ipv4 ? pc.ipv4->addr.str() : ""}});
    if (entries.empty()) return;
    const std::vector<uint8_t> msg = json::to_cbor(json{{"leases", entries}});
    std::string why;
    if (!session_->send(peer, SessionType::PortLeases, msg.data(), msg.size(), {}, &why))
        clog::warn("DHCP", "cannot tell node {} our leased addresses: {}", peer, why);
}

void DhcpModule::on_leases(uint16_t peer, const uint8_t* data, size_t len) {
    json j;
    try {
        j = json::from_cbor(data, data + len);
        for (auto& e : j.at("leases")) {
            const std::string net = e.at("n").get<std::string>(), text = e.at("a").get<std::string>();
            std::optional<IpAddr> a;
            if (!text.empty()) {
                a = IpAddr::parse(text);
                const NetworkConfig* n = e_->config().find_network(net);
                bool inside = n && a && !a->is_v6() && (n->subnets.empty() || std::any_of(n->subnets.begin(), n->subnets.end(),
                                                                                        [&](auto& s) { return s.contains(*a); }));
                if (!inside) {
                    clog::warn("DHCP", "node {} says its lease on {} is {}: not an address of that network; ignored", peer, net, text);
                    continue;
                }
            }
            if (tunnel_->set_peer_ipv4(peer, net, a))
                clog::info("DHCP", "node {} leased {} on network {}", peer, a ? a->str() : std::string("nothing"), net);
        }
    } catch (const json::exception& ex) {
        clog::warn("DHCP", "malformed lease message from node {} ({}); ignored", peer, ex.what());
    }
}

void DhcpModule::running(Engine& e) {
    lease_ports();
    e.loop().add_timer("dhcp", kTickMs, [this](uint64_t) {
        const uint64_t now = mono_ms();
        // A callback may release a client (and erase it): walk by handle.
        for (auto it = clients_.begin(); it != clients_.end();) {
            const uint32_t h = it->first;
            it->second.client->tick(now);
            it = clients_.upper_bound(h);
        }
    });
}

void DhcpModule::stop(Engine&) {
    // No RELEASE: the workers have stopped, nothing would carry it.
    clients_.clear();
}

uint32_t DhcpModule::acquire(uint16_t port, const std::string& client_id, Notify n) {
    const uint32_t h = next_handle_++;
    Entry& en = clients_[h];
    en.port = port;
    en.client_id = client_id;
    en.notify = std::move(n);
    // RFC 2132 9.14: type 0, an identifier that is not a hardware address.
    std::vector<uint8_t> id = {0};
    id.insert(id.end(), client_id.begin(), client_id.end());
    dhcp::Client::Io io;
    io.send = [this, h](const dhcp::Message& m, bool broadcast) {
        auto it = clients_.find(h);
        if (it != clients_.end()) send(it->second, m, broadcast);
    };
    io.arp_probe = [this, port](const IpAddr& target) {
        const MacAddr& mac = e_->ports()[port].handle.mac;
        e_->send_frame(port, build_arp(1, kBroadcastMac, mac, kAny, MacAddr{}, target));
    };
    io.bound = [this, h](const dhcp::Lease& l) {
        auto it = clients_.find(h);
        if (it == clients_.end()) return;
        LeaseInfo info{IfAddr{l.addr, l.prefix_len}, l.server, l.router, l.lease_s, it->second.client->status(mono_ms())};
        clog::info("DHCP", "{}: {} from {} for {} s (renew at {} s, rebind at {} s)", it->second.client_id,
                   info.addr.str(), l.server.str(), l.lease_s, l.t1_s, l.t2_s);
        it->second.notify(info, "");
    };
    io.lost = [this, h](const std::string& why) {
        auto it = clients_.find(h);
        if (it == clients_.end()) return;
        clog::warn("DHCP", "{}: {}", it->second.client_id, why);
        it->second.notify(std::nullopt, why);
    };
    en.client = std::make_unique<dhcp::Client>(std::move(io), e_->ports()[port].handle.mac, std::move(id), timing_,
                                               std::random_device{}());
    en.client->start(mono_ms());
    return h;
}

void DhcpModule::release(uint32_t handle) {
    auto it = clients_.find(handle);
    if (it == clients_.end()) return;
    if (!e_->dp().stop.load()) it->second.client->stop(mono_ms());  // RELEASE if bound (not while the engine stops)
    clients_.erase(it);
}

json DhcpModule::status(uint32_t handle) const {
    auto it = clients_.find(handle);
    return it == clients_.end() ? json{{"state", "none"}} : entry_json(it->second);
}

json DhcpModule::entry_json(const Entry& en) const {
    json j = en.client->status(mono_ms());
    j["port"] = e_->ports()[en.port].spec.name;
    j["client_id"] = en.client_id;
    return j;
}

void DhcpModule::send(Entry& en, const dhcp::Message& m, bool broadcast) {
    const MacAddr& mac = e_->ports()[en.port].handle.mac;
    const auto& lease = en.client->lease();
    if (!broadcast && lease) {
        e_->send_frame(en.port, dhcp::build_frame(mac, lease->server_mac, m.ciaddr, lease->server, dhcp::encode(m)));
        return;
    }
    e_->send_frame(en.port, dhcp::build_frame(mac, kBroadcastMac, m.ciaddr.is_unspecified() ? kAny : m.ciaddr, kAllOnes,
                                              dhcp::encode(m)));
}

void DhcpModule::on_frame(const ControlFrame& f) {
    if (clients_.empty()) return;
    const uint64_t now = mono_ms();
    const MacAddr& ours = e_->ports()[f.port_index].handle.mac;
    if (auto arp = parse_arp(f.frame, f.len)) {
        if (arp->sha == ours) return;  // our own probe, looped back
        for (auto& [h, en] : clients_) {
            if (en.port != f.port_index) continue;
            const auto p = en.client->probing();
            // RFC 5227 2.1.1: an ARP from the address, or another host's
            // probe for it, while we probe it.
            if (p && (arp->spa == *p || (arp->spa.is_unspecified() && arp->tpa == *p))) en.client->on_conflict(*p, now);
        }
        return;
    }
    auto rx = dhcp::parse_frame(f.frame, f.len);
    if (!rx) return;
    frames_in_++;
    auto m = dhcp::decode(rx->payload, rx->len);
    if (!m) {
        frames_ignored_++;
        return;
    }
    for (auto& [h, en] : clients_)
        if (en.port == f.port_index && en.client->xid() == m->xid) {
            en.client->on_message(*m, rx->src_mac, now);
            return;
        }
    frames_ignored_++;  // another client's, or late
}

}  // namespace ftnet
