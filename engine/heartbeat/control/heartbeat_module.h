// The heartbeat module's control part: the route events the workers'
// heartbeats decide (cluster log, `ftnetctl events`, node reachability), the
// heartbeat settings and route ownership it adds to each route table, and
// the cluster properties (`ftnetctl cluster get|set`, config [cluster]).
//
// Control thread only. The detector itself runs on the workers
// (engine/heartbeat/datapath/).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>

#include "engine/core/dataplane.h"
#include "engine/core/module.h"

namespace ftnet {

class TunnelModule;

class HeartbeatModule : public Module {
  public:
    void start(Engine& e) override;

  private:
    void drain_route_events();
    void handle_route_event(const RouteEvent& ev);
    void report_stall(const RouteEvent& ev);
    void update_reachability(uint16_t peer_node, const char* why);
    nlohmann::json cmd_cluster(const nlohmann::json& args);

    Engine* e_ = nullptr;
    TunnelModule* tunnel_ = nullptr;
    // Rate limits of the stall reports in the cluster log.
    uint64_t stall_report_ms_ = 0, silence_report_ms_ = 0;
    uint64_t stall_reports_suppressed_ = 0, silence_reports_suppressed_ = 0;
    std::map<uint16_t, bool> peer_reachable_;
    std::map<uint16_t, int> peer_active_;       // route id each peer's traffic uses, -1: none
    std::map<uint16_t, int> peer_last_resort_;  // route id used as a last resort, -1: none
};

void register_cluster_config(ConfigSections& s);

}  // namespace ftnet
