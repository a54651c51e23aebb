#include "engine/membership/control/config_digest.h"

#include <fmt/format.h>

#include <algorithm>

#include "engine/membership/control/membership_config.h"
#include "engine/resources/control/resources_config.h"
#include "engine/security/control/key_config.h"

namespace ftnet {

namespace {

// FNV-1a: stable across builds and hosts, and enough to tell two configs apart.
uint64_t fnv1a(const std::string& s) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

}  // namespace

membership::Digest config_digest(const Config& cfg) {
    membership::Digest d;
    const ClusterProperties& p = cfg.cluster.properties;
    // The heartbeat properties, metrics and roles are left out: each node
    // may tune them at run time (`cluster set`, `network set`, a reload),
    // one node after the other, and nodes that differ in them still carry
    // each other's traffic (each side picks its own route and accepts
    // every route).
    d["cluster"] = fnv1a(fmt::format("{}|{}|{}", cfg.node.cluster, cfg.tunnel.udp_port,
                                     profile_name(cfg.cluster.properties.profile)));
    std::vector<std::string> nets;
    for (auto& n : cfg.networks) {
        std::string s = n.name;
        std::vector<std::string> subnets;
        for (auto& sn : n.subnets) subnets.push_back(sn.str());
        std::sort(subnets.begin(), subnets.end());
        for (auto& sn : subnets) s += "|" + sn;
        nets.push_back(s);
    }
    std::sort(nets.begin(), nets.end());
    std::string all;
    for (auto& s : nets) all += s + "\n";
    d["networks"] = fnv1a(all);
    std::vector<std::pair<uint16_t, std::string>> nodes = {{cfg.node.id, cfg.node.name}};
    for (auto& pc : cfg.peers)
        if (!pc.removed) nodes.push_back({pc.id, pc.name});
    std::sort(nodes.begin(), nodes.end());
    all.clear();
    for (auto& [id, name] : nodes) all += fmt::format("{}={}\n", id, name);
    d["nodes"] = fnv1a(all);
    all.clear();
    if (const auto* sec = cfg.find_section<SecurityConfig>(kSecuritySection)) {
        std::vector<int> ids;
        for (auto& k : sec->keys) ids.push_back(k.id);
        std::sort(ids.begin(), ids.end());
        for (int id : ids) all += fmt::format("{},", id);
        all += sec->encrypt ? "encrypt" : "authenticate";
    }
    d["keys"] = fnv1a(all);
    const MembershipSettings* ms = cfg.find_section<MembershipSettings>(kMembershipSection);
    d["membership"] = fnv1a(ms && !ms->witness_file.empty() ? "witness" : "no witness");
    // Resources and groups (engine/resources): every node must own the same
    // things the same way, or a failover would change what a group is.
    all.clear();
    if (const auto* rs = cfg.find_section<ResourcesSettings>(kResourcesSection)) {
        for (auto& r : rs->resources) {
            all += fmt::format("{}|{}|", r.name, resource_type_name(r.type));
            if (r.type == ResourceType::IpAddress)
                all += fmt::format("{}|{}\n", r.ip.network,
                                   r.ip.follow_port ? "as the port" : r.ip.dhcp ? "dhcp" : r.ip.address->str());
            else
                all += fmt::format("{}|{}|{}|{}|{}\n", r.dns.dns_name, r.dns.depends.str(), r.dns.register_all_providers_ip,
                                   r.dns.host_record_ttl, r.dns.publish_ptr);
        }
        for (auto& g : rs->groups) {
            all += "group " + g.name + ":";
            for (auto& x : g.resources) all += x + ",";
            all += "|";
            for (auto& x : g.preferred_owners) all += x + ",";
            all += "\n";
        }
    }
    d["resources"] = fnv1a(all);
    return d;
}

}  // namespace ftnet
