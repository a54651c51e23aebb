// Which routes this node has to each peer, and in which order they are
// preferred. A route exists for each (local port, peer address, family)
// where the port and the peer endpoint are on the same cluster network
// (role 1 or 3) and both have an address of that family; it is a
// cross-subnet (routed) route when the peer address is outside the port's
// own prefix, and then needs the port's gateway of that family.
//
// Ranking, best first: network metric (lower first), role (1 "cluster only"
// before 3 "cluster and client"), same-subnet before routed, IPv6 before
// IPv4, then config order.
//
// Pure; control thread (and tests).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/core/net_addr.h"
#include "engine/config/config.h"

namespace ftnet {

struct RouteDesc {
    uint16_t id = 0;         // stable route id (RouteIdMap)
    uint16_t peer_node = 0;
    size_t peer_cfg = 0;     // index into Config::peers
    size_t port_cfg = 0;     // index into Config::ports (== engine port index)
    size_t network_cfg = 0;  // index into Config::networks
    Family family = Family::V6;
    IpAddr local;
    IpAddr remote;
    IpAddr next_hop;  // remote, or the port's gateway for a routed path
    bool cross_subnet = false;
    uint32_t metric = 0;
    NetworkRole role = NetworkRole::ClusterOnly;
    unsigned rank = 0;  // 0 = best, within its peer
};

// Keeps route ids stable for the life of the process: the same
// (peer, port, family, remote) always gets the same id, so per-route state
// and counters survive a table rebuild or a reload.
class RouteIdMap {
  public:
    // Returns false when all kMaxRoutes ids are in use.
    bool id_for(const RouteDesc& r, const std::string& port_name, uint16_t& out);

  private:
    std::map<std::string, uint16_t> ids_;
};

struct RoutePlanResult {
    std::vector<RouteDesc> routes;     // grouped by peer in config order, best first
    std::vector<std::string> skipped;  // why a candidate path was not made a route
};

RoutePlanResult plan_routes(const Config& cfg, RouteIdMap& ids);

// "Route between fd00:2::1 and fd00:2::2 (cluster, IPv6)"
std::string route_title(const Config& cfg, const RouteDesc& r);

}  // namespace ftnet
