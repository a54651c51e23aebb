// The client addresses (IP Address resources) online on this node, and
// everything "online" means for one of them on its port:
//   - the address is on the port's host interface (so the host's services
//     answer on it: engine/host_path/);
//   - the workers hand every frame for it to the host (the route table's
//     PortAddrs host addresses, published by the tunnel module);
//   - the engine answers ARP and neighbour solicitations for it (the
//     neighbour table), since the port's wire is the engine's;
//   - it is announced by gratuitous ARP or unsolicited NA, kAnnouncements
//     times kAnnounceGapMs apart, so that clients and routers re-learn its
//     MAC at once after a failover.
// Removing it undoes all of that. Nothing is announced while the node has
// no quorum: the resources module takes every address away first.
//
// Control thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/core/net_addr.h"

namespace ftnet {

class Engine;
class NeighborModule;
class TunnelModule;
struct RouteTable;

class HostAddresses {
  public:
    static constexpr unsigned kAnnouncements = 3;
    static constexpr uint64_t kAnnounceGapMs = 1000;

    HostAddresses(Engine& e, TunnelModule& tunnel, NeighborModule& neighbor);

    // Puts `a` on port `port_index` (a physical port with a host
    // interface); throws std::runtime_error (netlink) with the reason.
    void add(uint16_t port_index, const IfAddr& a, uint64_t now_ms);
    void remove(uint16_t port_index, const IfAddr& a);
    bool has(uint16_t port_index, const IpAddr& a) const;
    // Announcements that fell due; the tunnel module's table filler.
    void tick(uint64_t now_ms);
    void fill(RouteTable& t) const;

    struct Entry {
        uint16_t port_index;
        IfAddr addr;
        unsigned announced;
        uint64_t next_announce_ms;
        uint64_t table_generation;  // the first route table that has it
    };
    const std::vector<Entry>& entries() const { return entries_; }

  private:
    int host_ifindex(uint16_t port_index) const;

    Engine& e_;
    TunnelModule& tunnel_;
    NeighborModule& neighbor_;
    std::vector<Entry> entries_;
};

}  // namespace ftnet
