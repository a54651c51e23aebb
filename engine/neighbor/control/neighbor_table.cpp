#include "engine/neighbor/control/neighbor_table.h"

#include <algorithm>
#include <tuple>

#include "engine/cluster_log/control/cluster_log.h"

namespace ftnet {

namespace {
const MacAddr kBroadcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
const IpAddr kAllNodes = *IpAddr::parse("ff02::1");
}  // namespace

NeighborTable::NeighborTable(std::vector<PortSelf> ports, Sender send, Timing t)
    : ports_(std::move(ports)), send_(std::move(send)), t_(t) {}

const char* NeighborTable::state_name(State s) {
    switch (s) {
    case State::Incomplete: return "incomplete";
    case State::Reachable: return "reachable";
    case State::Stale: return "stale";
    }
    return "?";
}

void NeighborTable::want(uint16_t port_index, const IpAddr& next_hop) {
    Key k{port_index, next_hop.str()};
    if (slots_.count(k)) return;
    Slot s;
    s.e = Entry{port_index, next_hop, State::Incomplete, std::nullopt, 0, 0};
    s.next_probe_ms = 0;
    slots_.emplace(k, s);
}

std::optional<MacAddr> NeighborTable::lookup(uint16_t port_index, const IpAddr& addr) const {
    auto it = slots_.find(Key{port_index, addr.str()});
    if (it == slots_.end()) return std::nullopt;
    return it->second.e.mac;
}

bool NeighborTable::learn(uint16_t port_index, const IpAddr& addr, const MacAddr& mac, uint64_t now_ms) {
    auto it = slots_.find(Key{port_index, addr.str()});
    if (it == slots_.end() || mac.is_zero() || mac.is_multicast()) return false;
    Entry& e = it->second.e;
    bool changed = !e.mac || *e.mac != mac;
    if (changed)
        clog::info("NEIGH", "{} on port {} is at {}{}", addr.str(), ports_[port_index].name, mac.str(),
                   e.mac ? fmt::format(" (was {})", e.mac->str()) : "");
    e.mac = mac;
    e.state = State::Reachable;
    e.confirmed_ms = now_ms;
    e.probes = 0;
    it->second.next_probe_ms = now_ms + t_.reachable_ms;
    return changed;
}

bool NeighborTable::handle_frame(uint16_t port_index, const uint8_t* f, size_t len, uint64_t now_ms) {
    if (port_index >= ports_.size()) return false;
    const PortSelf& self = ports_[port_index];
    if (auto arp = parse_arp(f, len)) {
        bool changed = learn(port_index, arp->spa, arp->sha, now_ms);
        if (arp->op == 1 && !arp->spa.is_unspecified())
            if (auto a = answers_for(self, arp->tpa)) send_(port_index, build_arp(2, arp->sha, self.mac, *a, arp->sha, arp->spa));
        return changed;
    }
    if (auto nd = parse_nd(f, len)) {
        if (nd->type == 135) {  // NS
            bool changed = false;
            if (nd->lladdr && !nd->src.is_unspecified()) changed = learn(port_index, nd->src, *nd->lladdr, now_ms);
            if (auto a = answers_for(self, nd->target)) {
                if (nd->src.is_unspecified())  // DAD probe: answer to all nodes (RFC 4861 7.2.4)
                    send_(port_index, build_na(self.mac, ipv6_multicast_mac(kAllNodes), *a, kAllNodes, false));
                else
                    send_(port_index, build_na(self.mac, nd->lladdr ? *nd->lladdr : nd->eth_src, *a, nd->src, true));
            }
            return changed;
        }
        if (nd->type == 136 && nd->lladdr) return learn(port_index, nd->target, *nd->lladdr, now_ms);
    }
    return false;
}

void NeighborTable::probe(Slot& s) {
    const PortSelf& self = ports_[s.e.port_index];
    if (s.e.addr.is_v6()) {
        if (self.v6) send_(s.e.port_index, build_ns(self.mac, *self.v6, s.e.addr));
    } else if (self.v4) {
        send_(s.e.port_index, build_arp(1, kBroadcast, self.mac, *self.v4, MacAddr{}, s.e.addr));
    }
    s.e.probes++;
}

bool NeighborTable::tick(uint64_t now_ms) {
    for (auto& [k, s] : slots_) {
        if (now_ms < s.next_probe_ms) continue;
        if (s.e.state == State::Reachable) s.e.state = State::Stale;
        probe(s);
        s.next_probe_ms = now_ms + t_.retry_ms;
    }
    // A stale MAC is kept: liveness is the heartbeats' business, and a
    // neighbour that stops answering ARP may still forward our frames.
    return false;
}

void NeighborTable::announce(uint16_t port_index) {
    if (port_index >= ports_.size()) return;
    const PortSelf& self = ports_[port_index];
    if (self.v4) send_(port_index, build_arp(1, kBroadcast, self.mac, *self.v4, MacAddr{}, *self.v4));
    if (self.v6) send_(port_index, build_na(self.mac, ipv6_multicast_mac(kAllNodes), *self.v6, kAllNodes, false));
}

std::optional<IpAddr> NeighborTable::answers_for(const PortSelf& self, const IpAddr& a) const {
    if (self.v4 && a == *self.v4) return a;
    if (self.v6 && a == *self.v6) return a;
    for (auto& h : self.host)
        if (h == a) return a;
    return std::nullopt;
}

bool NeighborTable::set_self_v4(uint16_t port_index, const std::optional<IpAddr>& a) {
    if (port_index >= ports_.size() || ports_[port_index].v4 == a) return false;
    ports_[port_index].v4 = a;
    if (a) announce_address(port_index, *a);
    return true;
}

void NeighborTable::add_host_address(uint16_t port_index, const IpAddr& a) {
    if (port_index >= ports_.size()) return;
    auto& h = ports_[port_index].host;
    if (std::find(h.begin(), h.end(), a) == h.end()) h.push_back(a);
}

void NeighborTable::remove_host_address(uint16_t port_index, const IpAddr& a) {
    if (port_index >= ports_.size()) return;
    auto& h = ports_[port_index].host;
    h.erase(std::remove(h.begin(), h.end(), a), h.end());
}

void NeighborTable::announce_address(uint16_t port_index, const IpAddr& a) {
    if (port_index >= ports_.size()) return;
    const PortSelf& self = ports_[port_index];
    if (a.is_v6())
        send_(port_index, build_na(self.mac, ipv6_multicast_mac(kAllNodes), a, kAllNodes, false));
    else
        send_(port_index, build_arp(1, kBroadcast, self.mac, a, MacAddr{}, a));
}

void NeighborTable::link_up(uint16_t port_index, uint64_t now_ms) {
    announce(port_index);
    for (auto& [k, s] : slots_)
        if (s.e.port_index == port_index) s.next_probe_ms = now_ms;
}

std::vector<NeighborTable::Entry> NeighborTable::entries() const {
    std::vector<Entry> v;
    for (auto& [k, s] : slots_) v.push_back(s.e);
    return v;
}

}  // namespace ftnet
