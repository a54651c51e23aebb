// Cluster heartbeat properties (SameSubnetDelay, SameSubnetThreshold,
// CrossSubnetDelay, CrossSubnetThreshold, RouteRecoveryThreshold, StallGrace
// and the flap damping ones) and their limits per heartbeat profile. One validation serves the config file and
// `ftnetctl cluster set`, so both refuse the same values with the same words.
//
// Pure; any thread (the values themselves are published to workers through
// atomics in Dataplane).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ftnet {

// classic: Windows Server 2008's defaults and limits.
// fast: dedicated interconnects, millisecond heartbeats.
enum class HeartbeatProfile : uint8_t { Classic, Fast };

const char* profile_name(HeartbeatProfile p);
std::optional<HeartbeatProfile> parse_profile(std::string_view s);

struct ClusterProperties {
    HeartbeatProfile profile = HeartbeatProfile::Classic;
    uint32_t same_subnet_delay_ms = 1000;
    uint32_t same_subnet_threshold = 5;
    uint32_t cross_subnet_delay_ms = 1000;
    uint32_t cross_subnet_threshold = 5;
    uint32_t route_recovery_threshold = 3;  // good heartbeat periods before a down route is used again
    // When every route to every peer goes silent at the same instant, the
    // cause is a stall (of this host or of the peer's), not the networks:
    // routes are held up this long before they go down.
    uint32_t stall_grace_ms = 500;
    // Flap damping: a route that goes down more than flap_threshold times
    // within flap_window_ms is held down for flap_hold_down_ms, doubling
    // with each further hold up to flap_hold_down_max_ms. 0 turns it off.
    uint32_t flap_threshold = 3;
    uint32_t flap_window_ms = 120000;
    uint32_t flap_hold_down_ms = 30000;
    uint32_t flap_hold_down_max_ms = 600000;

    static ClusterProperties defaults(HeartbeatProfile p);
};

struct PropertyInfo {
    std::string name;  // as in the config and ftnetctl: "SameSubnetDelay"
    std::string unit;  // "ms" or "heartbeats"
    uint32_t value;
    uint32_t min, max, def;  // for the profile in force
    std::string help;
};

std::vector<PropertyInfo> list_properties(const ClusterProperties& p);

// Sets `name` to `value` if the profile's limits allow it; otherwise returns
// why ("value 100 is out of range for the classic profile (allowed
// 250..2000 ms)"; callers put the key in front) and leaves p unchanged.
// With check_pairs, also refuses a value that contradicts another property
// (FlapHoldDown above FlapHoldDownMax); the config loader sets every key
// first and calls properties_consistent() once.
std::optional<std::string> set_property(ClusterProperties& p, std::string_view name, int64_t value,
                                        bool check_pairs = true);

// Properties that contradict each other: the key to blame and why; nullopt
// when consistent.
struct PropertyConflict {
    std::string name;
    std::string message;
};
std::optional<PropertyConflict> properties_consistent(const ClusterProperties& p);

// The property names, in display order.
const std::vector<std::string>& property_names();

}  // namespace ftnet
