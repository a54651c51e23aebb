// The path MTU module: measures each route's path MTU with sealed probes
// (path_mtu_search.h), answers the peers' probes, honours routers' "too big"
// reports that quote our own packets (too_big.h), and gives the tunnel each
// route's size (TunnelModule::set_path_mtu_lookup), which sizes the frames
// workers send whole or as DATA_FRAGMENTs. `routes` shows each route's
// path MTU; `path-mtu` lists the searches.
//
// Control thread only; workers hand probes and replies over unchanged.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/module.h"
#include "engine/pmtu/control/path_mtu_search.h"

namespace ftnet {

class Engine;
class TunnelModule;
struct ControlFrame;
struct RouteDesc;

class PmtuModule : public Module {
  public:
    void start(Engine& e) override;
    void running(Engine& e) override;

  private:
    struct Route {
        uint16_t id;
        PathMtuSearch search;
        uint64_t too_big_honoured = 0;
        uint64_t too_big_ignored = 0;
        uint64_t changes = 0;
    };

    void tick(uint64_t now_ms);
    void on_probe(const ControlFrame& f);
    void on_reply(const ControlFrame& f);
    void on_local(const ControlFrame& f);
    void route_event(const RouteDesc& r, bool up);
    // The route's size moved: the tunnel re-sizes its frames.
    void changed(Route& rt, uint16_t old, const char* why);
    const RouteDesc* arrival(const ControlFrame& f) const;
    nlohmann::json route_json(const Route& rt) const;

    Engine* e_ = nullptr;
    TunnelModule* tunnel_ = nullptr;
    std::map<uint16_t, Route> routes_;      // by route id
    std::map<uint16_t, uint16_t> active_;   // peer node -> the route id in use
    uint32_t next_probe_id_ = 0;
    uint64_t probes_answered_ = 0;          // the peers' probes we replied to
    uint64_t too_big_unmatched_ = 0;        // reports quoting no route of ours
    std::vector<uint8_t> buf_;
};

}  // namespace ftnet
