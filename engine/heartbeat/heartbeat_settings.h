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
    // Requests leave on a grid of this step (the greatest common divisor of
    // the two Delays): the routes a worker owns send at a few instants of
    // each period (one when both Delays are equal), in one burst and one
    // poll each, and their replies come back together, instead of one poll
    // per route at random phases. Only a route's first period changes
    // length (to between half and one and a half Delays) to land on the
    // grid.
    uint64_t send_step_tsc;
    // Nanoseconds per TSC cycle in 32.32 fixed point (RTTs without a
    // division or a double per reply); 0 in hand-built settings.
    uint64_t ns_per_tsc_q32;
    uint64_t tsc_per_us;  // TSC cycles per microsecond
};

// The end of a period that starts at `now`: the grid point nearest to
// now + delay, and at least half a Delay away.
inline uint64_t next_period_end(const HeartbeatSettings& s, uint64_t now, unsigned cls) {
    const uint64_t delay = s.delay_tsc[cls];
    const uint64_t step = s.send_step_tsc;
    if (step <= 1) return now + delay;
    const uint64_t end = now + delay + step / 2;
    const uint64_t on_grid = end - end % step;
    return on_grid >= now + delay / 2 ? on_grid : on_grid + step;
}

inline uint64_t tsc_to_ns(const HeartbeatSettings& s, uint64_t cycles, uint64_t tsc_hz) {
    if (s.ns_per_tsc_q32 == 0) return static_cast<uint64_t>(static_cast<double>(cycles) * 1e9 / static_cast<double>(tsc_hz));
    return static_cast<uint64_t>((static_cast<unsigned __int128>(cycles) * s.ns_per_tsc_q32) >> 32);
}

HeartbeatSettings heartbeat_settings(const ClusterProperties& p, uint64_t tsc_hz);

}  // namespace ftnet
