// The endpoint exchange module (HELLO): tells every peer this node's ftnet0
// identity over every route and learns theirs, so that workers can map a
// unicast inner frame to its peer (the route table's adapter MACs).
// Commands: `nodes`. Drop reasons: HELLOs with a bad tag.
//
// Control thread only; workers hand HELLOs over unchanged.
#pragma once

#include <memory>
#include <vector>
#include <nlohmann/json.hpp>

#include "engine/core/module.h"
#include "engine/hello/control/endpoint_exchange.h"

namespace ftnet {

class TunnelModule;
struct ControlFrame;
struct RouteDesc;

// The route a HELLO from `node` arrived on: the peer's route on this port
// and family whose remote end is the frame's outer source `src` (a peer may
// have two endpoints on one network); nullptr when none. Pure.
const RouteDesc* hello_arrival_route(const std::vector<RouteDesc>& routes, uint16_t node, size_t port_index,
                                     Family family, const IpAddr& src);

class HelloModule : public Module {
  public:
    void start(Engine& e) override;
    const EndpointExchange& endpoints() const { return *endpoints_; }

  private:
    void on_hello(const ControlFrame& f);
    void send_hellos(uint64_t now_ms);
    nlohmann::json cmd_nodes() const;

    Engine* e_ = nullptr;
    TunnelModule* tunnel_ = nullptr;
    std::unique_ptr<EndpointExchange> endpoints_;
};

}  // namespace ftnet
