// The [cluster] section: the heartbeat profile and properties.

#include <fmt/format.h>
#include <toml++/toml.h>

#include "engine/config/config_sections.h"
#include "engine/config/reader.h"
#include "engine/heartbeat/control/heartbeat_module.h"

namespace ftnet {

namespace {

void read_cluster(Reader& r, const toml::table& root, Config& c) {
    const toml::table* t = r.section(root, "cluster");
    // The cluster key (key, key_file, key_id) is the security module's
    // (engine/security/control/key_config.cpp); it also says when it is missing.
    if (!t) {
        c.cluster.properties = ClusterProperties::defaults(HeartbeatProfile::Classic);
        return;
    }
    r.check_known(*t, "cluster", {"profile", "key", "key_file", "key_id", "SameSubnetDelay", "SameSubnetThreshold",
                                  "CrossSubnetDelay", "CrossSubnetThreshold", "RouteRecoveryThreshold", "StallGrace",
                                  "FlapThreshold", "FlapWindow", "FlapHoldDown", "FlapHoldDownMax"});
    HeartbeatProfile profile = HeartbeatProfile::Classic;
    std::string pname;
    if (r.get_string(*t, "cluster", "profile", pname)) {
        if (auto p = parse_profile(pname))
            profile = *p;
        else
            r.error(t->get("profile"), "cluster.profile",
                    fmt::format("\"{}\" is not a heartbeat profile (allowed: classic, fast)", pname));
    }
    // Defaults of the chosen profile, then each property through the same
    // validation as `ftnetctl cluster set`.
    c.cluster.properties = ClusterProperties::defaults(profile);
    for (const std::string& name : property_names()) {
        const toml::node* n = t->get(name);
        if (!n) continue;
        auto v = n->is_integer() ? n->value<int64_t>() : std::nullopt;  // a float: UB in toml++ when huge
        if (!n->is_integer() || !v) {
            r.error(n, "cluster." + name, fmt::format("{} is not an integer", r.shown(*n)));
            continue;
        }
        if (auto err = set_property(c.cluster.properties, name, *v, false)) r.error(n, "cluster." + name, *err);
    }
    if (auto conflict = properties_consistent(c.cluster.properties)) {
        const toml::node* n = t->get(conflict->name);
        r.error(n ? n : t, "cluster." + conflict->name, conflict->message);
    }
}

}  // namespace

void register_cluster_config(ConfigSections& s) { s.add({"cluster", "heartbeat", read_cluster}); }

}  // namespace ftnet
