#include "engine/dhcp/control/dhcp_module.h"

#include <random>

#include "engine/cluster_log/control/cluster_log.h"
#include "engine/core/command_registry.h"
#include "engine/core/engine.h"
#include "engine/core/mono_clock.h"
#include "engine/dhcp/control/dhcp_config.h"
#include "engine/dhcp/dhcp_frame.h"
#include "engine/neighbor/control/neighbor_wire.h"
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
    if (const auto* s = e.config().find_section<DhcpSettings>(kDhcpSection)) timing_ = *s;
    e.module<TunnelModule>().control_frames().on_local("dhcp", [this](const ControlFrame& f) { on_frame(f); });
    e.commands().add({"dhcp", "dhcp", "DHCP clients of this node: port, client id, state, lease and its timers", {}, true,
                      [this](const json&) {
                          json out = json::array();
                          for (auto& [h, en] : clients_) out.push_back(entry_json(en));
                          return json{{"clients", out}, {"frames_in", frames_in_}, {"frames_ignored", frames_ignored_}};
                      }});
}

void DhcpModule::running(Engine& e) {
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
    for (auto& [h, en] : clients_) en.client->stop(mono_ms());
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
        LeaseInfo info{IfAddr{l.addr, l.prefix_len}, l.server, l.lease_s, it->second.client->status(mono_ms())};
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
    it->second.client->stop(mono_ms());  // RELEASE if bound
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
