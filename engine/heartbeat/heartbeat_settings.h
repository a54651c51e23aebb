// The heartbeat settings in force, as one immutable snapshot inside the
// RouteTable: workers see a property change as a new table, never a new
// Delay with an old Threshold.
//
// Built by the control thread from the cluster properties (and by tests and
// benches directly); read by owner workers at each heartbeat period.
#pragma once

#include <cstdint>

#include "engine/heartbeat/datapath/route_health.h"

namespace ftnet {

struct ClusterProperties;

struct HeartbeatSettings {
    // Index 0: same-subnet routes; 1: routed (cross-subnet) routes.
    uint64_t delay_tsc[2];
    uint32_t delay_ms[2];
    HealthConfig health[2];  // thresholds, recovery and flap damping in TSC cycles
    // A worker whose poll loop ran this much later than it meant to was not
    // running (a stall of the node): that time never counts as silence of
    // the peer. A tenth of the shortest Delay, within 100 us..10 ms.
    uint64_t stall_tolerance_tsc;
    // How long an all-routes silence is held (StallGrace).
    uint64_t stall_grace_tsc;
};

HeartbeatSettings heartbeat_settings(const ClusterProperties& p, uint64_t tsc_hz);

}  // namespace ftnet
