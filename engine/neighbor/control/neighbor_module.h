// The neighbour module: ARP and IPv6 neighbour discovery for the ports'
// own addresses and the routes' next hops, and echo replies (ping of a
// port's address). It resolves next hops for the tunnel's route table,
// handles the frames for a port's own addresses that workers hand to the
// control thread, and re-probes when a link comes up. Command: `neighbors`.
//
// Control thread only.
#pragma once

#include <memory>

#include "engine/core/module.h"
#include "engine/neighbor/control/neighbor_table.h"

namespace ftnet {

class NeighborModule : public Module {
  public:
    void start(Engine& e) override;
    void running(Engine& e) override;

    // A port's link came (back) up: announce and re-probe on it now.
    void link_up(uint16_t port_index, uint64_t now_ms);
    const NeighborTable& table() const { return *table_; }
    // Host addresses of a port (IP Address resources online on this node):
    // answered for while added; announced with a gratuitous ARP or an
    // unsolicited NA.
    NeighborTable& table() { return *table_; }

  private:
    Engine* e_ = nullptr;
    std::unique_ptr<NeighborTable> table_;
};

}  // namespace ftnet
