// Link-layer resolution for the engine's own addresses on the cluster ports:
// answers ARP and neighbour solicitations for them, announces them when a
// port comes up, and resolves the next hops (peers, gateways) that routes
// need, re-confirming them periodically.
//
// Control thread only. Frames leave through the injected Sender.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "engine/core/net_addr.h"
#include "engine/neighbor/control/neighbor_wire.h"

namespace ftnet {

// Probe timing: every retry_ms while unresolved, re-confirm after
// reachable_ms, then probe every retry_ms while stale.
struct NeighborTiming {
    uint64_t retry_ms = 1000;
    uint64_t reachable_ms = 30000;
};

class NeighborTable {
  public:
    using Timing = NeighborTiming;
    using Sender = std::function<void(uint16_t port_index, const Frame& frame)>;

    struct PortSelf {
        std::string name;
        MacAddr mac;
        std::optional<IpAddr> v4;
        std::optional<IpAddr> v6;
        // Host addresses the engine answers for on this port too (IP
        // Address resources online here, engine/resources/).
        std::vector<IpAddr> host;
    };

    enum class State : uint8_t { Incomplete, Reachable, Stale };

    struct Entry {
        uint16_t port_index;
        IpAddr addr;
        State state;
        std::optional<MacAddr> mac;
        uint64_t confirmed_ms;  // last time an ARP/ND answer confirmed it
        unsigned probes;        // unanswered probes since then
    };

    NeighborTable(std::vector<PortSelf> ports, Sender send, Timing t = {});

    // Registers a next hop to resolve (idempotent); probing starts at the
    // next tick().
    void want(uint16_t port_index, const IpAddr& next_hop);
    std::optional<MacAddr> lookup(uint16_t port_index, const IpAddr& addr) const;

    // An ARP or NS/NA frame received on a port. Returns true when a
    // resolution changed (the route table must be rebuilt).
    bool handle_frame(uint16_t port_index, const uint8_t* frame, size_t len, uint64_t now_ms);

    // Sends the probes that are due. Returns true when a resolution changed.
    bool tick(uint64_t now_ms);

    // Gratuitous ARP and unsolicited NA for our addresses on a port, so that
    // neighbours learn (or re-learn) our MAC at once.
    void announce(uint16_t port_index);

    // A port's own IPv4 address changed (a DHCP lease): answered from now
    // on, announced when there is one. True when it changed.
    bool set_self_v4(uint16_t port_index, const std::optional<IpAddr>& a);

    // Host addresses: answered like the port's own while added; announce
    // one with a gratuitous ARP or an unsolicited NA.
    void add_host_address(uint16_t port_index, const IpAddr& a);
    void remove_host_address(uint16_t port_index, const IpAddr& a);
    void announce_address(uint16_t port_index, const IpAddr& a);

    // Link came up: announce and re-probe everything on the port now.
    void link_up(uint16_t port_index, uint64_t now_ms);

    std::vector<Entry> entries() const;
    static const char* state_name(State s);

  private:
    struct Key {
        uint16_t port;
        std::string addr;
        bool operator<(const Key& o) const { return std::tie(port, addr) < std::tie(o.port, o.addr); }
    };
    struct Slot {
        Entry e;
        uint64_t next_probe_ms = 0;
    };

    // The port's own address or one of its host addresses equal to `a`.
    std::optional<IpAddr> answers_for(const PortSelf& self, const IpAddr& a) const;
    bool learn(uint16_t port_index, const IpAddr& addr, const MacAddr& mac, uint64_t now_ms);
    void probe(Slot& s);

    std::vector<PortSelf> ports_;
    Sender send_;
    Timing t_;
    std::map<Key, Slot> slots_;
};

}  // namespace ftnet
