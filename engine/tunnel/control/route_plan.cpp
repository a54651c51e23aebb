#include "engine/tunnel/control/route_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "engine/core/limits.h"

namespace ftnet {

bool RouteIdMap::id_for(const RouteDesc& r, const std::string& port_name, uint16_t& out) {
    std::string key = fmt::format("{}|{}|{}|{}", r.peer_node, port_name, static_cast<int>(r.family), r.remote.str());
    auto it = ids_.find(key);
    if (it != ids_.end()) {
        out = it->second;
        return true;
    }
    if (ids_.size() >= kMaxRoutes) return false;
    out = static_cast<uint16_t>(ids_.size());
    ids_.emplace(key, out);
    return true;
}

static int role_rank(NetworkRole r) { return r == NetworkRole::ClusterOnly ? 0 : 1; }

RoutePlanResult plan_routes(const Config& cfg, RouteIdMap& ids) {
    RoutePlanResult res;
    for (size_t pi = 0; pi < cfg.peers.size(); pi++) {
        const PeerConfig& peer = cfg.peers[pi];
        if (peer.removed) continue;
        std::vector<RouteDesc> mine;
        for (size_t li = 0; li < cfg.ports.size(); li++) {
            const PortConfig& port = cfg.ports[li];
            for (const PeerEndpoint& ep : peer.endpoints) {
                if (ep.network != port.network) continue;
                auto nit = std::find_if(cfg.networks.begin(), cfg.networks.end(),
                                        [&](auto& n) { return n.name == port.network; });
                if (nit == cfg.networks.end() || nit->role == NetworkRole::None) continue;
                for (Family fam : {Family::V6, Family::V4}) {
                    const auto& local = fam == Family::V6 ? port.ipv6 : port.ipv4;
                    const auto& remote = fam == Family::V6 ? ep.ipv6 : ep.ipv4;
                    if (!local || !remote) continue;
                    RouteDesc r;
                    r.peer_node = peer.id;
                    r.peer_cfg = pi;
                    r.port_cfg = li;
                    r.network_cfg = static_cast<size_t>(nit - cfg.networks.begin());
                    r.family = fam;
                    r.local = local->addr;
                    r.remote = *remote;
                    r.cross_subnet = !local->subnet().contains(*remote);
                    r.metric = nit->metric;
                    r.role = nit->role;
                    if (r.cross_subnet) {
                        const auto& gw = fam == Family::V6 ? port.gateway6 : port.gateway4;
                        if (!gw) {
                            res.skipped.push_back(fmt::format(
                                "no route from {} to {} ({} {}): the peer is on another subnet "
                                "and port \"{}\" has no gateway{}",
                                r.local.str(), r.remote.str(), port.network, family_name(fam),
                                port.name, fam == Family::V6 ? "6" : "4"));
                            continue;
                        }
                        r.next_hop = *gw;
                    } else {
                        r.next_hop = r.remote;
                    }
                    mine.push_back(r);
                }
            }
        }
        std::stable_sort(mine.begin(), mine.end(), [](const RouteDesc& a, const RouteDesc& b) {
            return std::tuple(a.metric, role_rank(a.role), a.cross_subnet, a.family != Family::V6,
                              a.network_cfg, a.port_cfg) <
                   std::tuple(b.metric, role_rank(b.role), b.cross_subnet, b.family != Family::V6,
                              b.network_cfg, b.port_cfg);
        });
        if (mine.size() > kMaxRoutesPerPeer) {
            res.skipped.push_back(fmt::format("peer {} has {} paths; only the best {} are used",
                                              peer.name, mine.size(), kMaxRoutesPerPeer));
            mine.resize(kMaxRoutesPerPeer);
        }
        for (size_t i = 0; i < mine.size(); i++) {
            mine[i].rank = static_cast<unsigned>(i);
            if (!ids.id_for(mine[i], cfg.ports[mine[i].port_cfg].name, mine[i].id)) {
                res.skipped.push_back(fmt::format("route id space full ({} routes)", kMaxRoutes));
                continue;
            }
            res.routes.push_back(mine[i]);
        }
    }
    return res;
}

std::string route_title(const Config& cfg, const RouteDesc& r) {
    return fmt::format("Route between {} and {} ({}, {}{})", r.local.str(), r.remote.str(),
                       cfg.networks[r.network_cfg].name, family_name(r.family),
                       r.cross_subnet ? fmt::format(", via {}", r.next_hop.str()) : "");
}

}  // namespace ftnet
