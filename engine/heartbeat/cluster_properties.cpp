#include "engine/heartbeat/cluster_properties.h"

#include <fmt/format.h>

namespace ftnet {

namespace {

struct Spec {
    const char* name;
    const char* unit;
    uint32_t ClusterProperties::*field;
    uint32_t classic_min, classic_max, classic_def;
    uint32_t fast_min, fast_max, fast_def;
    const char* help;
};

// Classic limits are Windows Server 2008's (the seed's Figure 17). The fast
// profile keeps the maxima and opens the minima for dedicated links.
const Spec kSpecs[] = {
    {"SameSubnetDelay", "ms", &ClusterProperties::same_subnet_delay_ms, 250, 2000, 1000, 1, 2000, 10,
     "interval between heartbeats on routes whose ends share a subnet"},
    {"SameSubnetThreshold", "heartbeats", &ClusterProperties::same_subnet_threshold, 3, 10, 5, 2, 10, 3,
     "heartbeat periods without a reply before a same-subnet route is down"},
    {"CrossSubnetDelay", "ms", &ClusterProperties::cross_subnet_delay_ms, 250, 4000, 1000, 1, 4000, 50,
     "interval between heartbeats on routed (cross-subnet) routes"},
    {"CrossSubnetThreshold", "heartbeats", &ClusterProperties::cross_subnet_threshold, 3, 10, 5, 2, 10, 3,
     "heartbeat periods without a reply before a routed route is down"},
    {"RouteRecoveryThreshold", "heartbeats", &ClusterProperties::route_recovery_threshold, 1, 20, 3, 1, 20, 3,
     "consecutive answered periods before a down route carries traffic again (hysteresis)"},
    {"StallGrace", "ms", &ClusterProperties::stall_grace_ms, 0, 5000, 500, 0, 1000, 10,
     "when every route to every peer goes silent at once (a stalled host, not a network), how long routes are "
     "held up before they go down"},
    {"FlapThreshold", "downs", &ClusterProperties::flap_threshold, 0, 15, 3, 0, 15, 3,
     "downs of a route tolerated within FlapWindow; one more holds it down (0: no damping)"},
    {"FlapWindow", "ms", &ClusterProperties::flap_window_ms, 10000, 3600000, 120000, 100, 3600000, 10000,
     "window in which a route's downs are counted for flap damping"},
    {"FlapHoldDown", "ms", &ClusterProperties::flap_hold_down_ms, 1000, 3600000, 30000, 10, 3600000, 1000,
     "first hold-down of a flapping route; it doubles with each further hold"},
    {"FlapHoldDownMax", "ms", &ClusterProperties::flap_hold_down_max_ms, 1000, 86400000, 600000, 10, 86400000, 60000,
     "longest hold-down of a flapping route"},
};

const Spec* find(std::string_view name) {
    for (const Spec& s : kSpecs)
        if (name == s.name) return &s;
    return nullptr;
}

}  // namespace

const char* profile_name(HeartbeatProfile p) { return p == HeartbeatProfile::Fast ? "fast" : "classic"; }

std::optional<HeartbeatProfile> parse_profile(std::string_view s) {
    if (s == "classic") return HeartbeatProfile::Classic;
    if (s == "fast") return HeartbeatProfile::Fast;
    return std::nullopt;
}

ClusterProperties ClusterProperties::defaults(HeartbeatProfile p) {
    ClusterProperties c;
    c.profile = p;
    for (const Spec& s : kSpecs) c.*s.field = p == HeartbeatProfile::Fast ? s.fast_def : s.classic_def;
    return c;
}

std::vector<PropertyInfo> list_properties(const ClusterProperties& p) {
    std::vector<PropertyInfo> out;
    const bool fast = p.profile == HeartbeatProfile::Fast;
    for (const Spec& s : kSpecs)
        out.push_back({s.name, s.unit, p.*s.field, fast ? s.fast_min : s.classic_min, fast ? s.fast_max : s.classic_max,
                       fast ? s.fast_def : s.classic_def, s.help});
    return out;
}

std::optional<PropertyConflict> properties_consistent(const ClusterProperties& p) {
    if (p.flap_hold_down_ms > p.flap_hold_down_max_ms)
        return PropertyConflict{"FlapHoldDown", fmt::format("value {} exceeds FlapHoldDownMax ({} ms)", p.flap_hold_down_ms,
                                                            p.flap_hold_down_max_ms)};
    return std::nullopt;
}

std::optional<std::string> set_property(ClusterProperties& p, std::string_view name, int64_t value, bool check_pairs) {
    const Spec* s = find(name);
    if (!s) {
        std::vector<std::string> names;
        for (const Spec& x : kSpecs) names.push_back(x.name);
        return fmt::format("no such cluster property \"{}\" (known: {})", name, fmt::join(names, ", "));
    }
    const bool fast = p.profile == HeartbeatProfile::Fast;
    const uint32_t lo = fast ? s->fast_min : s->classic_min, hi = fast ? s->fast_max : s->classic_max;
    if (value < lo || value > hi)
        return fmt::format("value {} is out of range for the {} profile (allowed {}..{} {})", value,
                           profile_name(p.profile), lo, hi, s->unit);
    ClusterProperties next = p;
    next.*s->field = static_cast<uint32_t>(value);
    if (check_pairs)
        if (auto c = properties_consistent(next)) {
            if (c->name == name) return c->message;
            return fmt::format("value {} is below FlapHoldDown ({} ms)", value, p.flap_hold_down_ms);
        }
    p = next;
    return std::nullopt;
}

const std::vector<std::string>& property_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> v;
        for (const Spec& s : kSpecs) v.push_back(s.name);
        return v;
    }();
    return names;
}

}  // namespace ftnet
