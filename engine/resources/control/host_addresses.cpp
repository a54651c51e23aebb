#include "engine/resources/control/host_addresses.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "engine/core/engine.h"
#include "engine/core/kernel_netlink.h"
#include "engine/neighbor/control/neighbor_module.h"
#include "engine/neighbor/control/neighbor_wire.h"
#include "engine/tunnel/control/tunnel_module.h"

namespace ftnet {

HostAddresses::HostAddresses(Engine& e, TunnelModule& tunnel, NeighborModule& neighbor)
    : e_(e), tunnel_(tunnel), neighbor_(neighbor) {}

int HostAddresses::host_ifindex(uint16_t port_index) const {
    const PortRuntime& p = e_.ports().at(port_index);
    if (p.cfg_index < 0 || p.host_peer < 0) return 0;
    return netlink::ifindex(e_.config().ports[static_cast<size_t>(p.cfg_index)].host_interface);
}

bool HostAddresses::has(uint16_t port_index, const IpAddr& a) const {
    return std::any_of(entries_.begin(), entries_.end(),
                       [&](const Entry& x) { return x.port_index == port_index && x.addr.addr == a; });
}

void HostAddresses::add(uint16_t port_index, const IfAddr& a, uint64_t now_ms) {
    if (has(port_index, a.addr)) return;
    size_t same_family = 0;
    for (auto& x : entries_) same_family += x.port_index == port_index && x.addr.addr.family == a.addr.family;
    if (same_family >= kMaxHostAddrs)
        throw std::runtime_error(fmt::format("port {} already has {} client addresses of this family, the most it takes",
                                             e_.ports()[port_index].spec.name, kMaxHostAddrs));
    const int ifindex = host_ifindex(port_index);
    if (ifindex == 0)
        throw std::runtime_error(fmt::format("port {} has no host interface to put {} on (port.host_interface)",
                                             e_.ports()[port_index].spec.name, a.str()));
    netlink::add_address(ifindex, a.addr, a.prefix_len);
    neighbor_.table().add_host_address(port_index, a.addr);
    tunnel_.mark_dirty();
    entries_.push_back({port_index, a, 0, now_ms, tunnel_.table_generation() + 1});
}

void HostAddresses::remove(uint16_t port_index, const IfAddr& a) {
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [&](const Entry& x) { return x.port_index == port_index && x.addr.addr == a.addr; });
    if (it == entries_.end()) return;
    entries_.erase(it);
    neighbor_.table().remove_host_address(port_index, a.addr);
    tunnel_.mark_dirty();
    // The interface may be gone already (shutdown): nothing left to undo.
    if (const int ifindex = host_ifindex(port_index)) netlink::del_address(ifindex, a.addr, a.prefix_len);
}

void HostAddresses::tick(uint64_t now_ms) {
    for (auto& x : entries_) {
        if (x.announced >= kAnnouncements || now_ms < x.next_announce_ms) continue;
        // Not before the workers hand the address's frames to the host: a
        // client that learns the MAC must find the address served.
        if (tunnel_.table_generation() < x.table_generation) continue;
        neighbor_.table().announce_address(x.port_index, x.addr.addr);
        x.announced++;
        x.next_announce_ms = now_ms + kAnnounceGapMs;
    }
}

void HostAddresses::fill(RouteTable& t) const {
    for (const Entry& x : entries_) {
        PortAddrs& pa = t.ports[x.port_index];
        const IpAddr& a = x.addr.addr;
        if (a.is_v6()) {
            if (pa.n_host_v6 >= kMaxHostAddrs) continue;
            std::memcpy(pa.host_v6[pa.n_host_v6], a.b.data(), 16);
            std::memcpy(pa.host_v6_solicited[pa.n_host_v6], solicited_node_group(a).b.data(), 16);
            pa.n_host_v6++;
        } else {
            if (pa.n_host_v4 >= kMaxHostAddrs) continue;
            std::memcpy(pa.host_v4[pa.n_host_v4], a.b.data(), 4);
            pa.n_host_v4++;
        }
    }
}

}  // namespace ftnet
