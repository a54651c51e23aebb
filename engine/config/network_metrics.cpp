#include "engine/config/network_metrics.h"

#include <algorithm>
#include <vector>

namespace ftnet {

const char* network_role_name(NetworkRole r) {
    switch (r) {
    case NetworkRole::None: return "none";
    case NetworkRole::ClusterOnly: return "cluster";
    case NetworkRole::ClusterAndClient: return "cluster-and-client";
    }
    return "?";
}

bool network_has_gateway(const Config& c, const std::string& network) {
    return std::any_of(c.ports.begin(), c.ports.end(),
                       [&](const PortConfig& p) { return p.network == network && (p.gateway4 || p.gateway6); });
}

void assign_auto_metrics(Config& c) {
    std::vector<NetworkConfig*> autos;
    for (auto& n : c.networks)
        if (n.metric_auto) autos.push_back(&n);
    auto kind = [&](const NetworkConfig* n) {
        return std::pair(network_has_gateway(c, n->name), n->role == NetworkRole::ClusterOnly ? 0 : 1);
    };
    std::stable_sort(autos.begin(), autos.end(), [&](auto* a, auto* b) { return kind(a) < kind(b); });
    uint32_t next_private = kAutoMetricNoGateway, next_gateway = kAutoMetricGateway;
    for (NetworkConfig* n : autos) {
        uint32_t& next = network_has_gateway(c, n->name) ? next_gateway : next_private;
        n->metric = next;
        next += 100;
    }
}

}  // namespace ftnet
