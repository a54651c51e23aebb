#include "engine/heartbeat/heartbeat_settings.h"

#include <algorithm>
#include <numeric>

#include "engine/heartbeat/cluster_properties.h"

namespace ftnet {

HeartbeatSettings heartbeat_settings(const ClusterProperties& p, uint64_t tsc_hz) {
    const uint64_t per_ms = tsc_hz / 1000;
    HeartbeatSettings s{};
    const uint32_t delay[2] = {std::max<uint32_t>(p.same_subnet_delay_ms, 1), std::max<uint32_t>(p.cross_subnet_delay_ms, 1)};
    const uint32_t threshold[2] = {p.same_subnet_threshold, p.cross_subnet_threshold};
    for (int i = 0; i < 2; i++) {
        s.delay_ms[i] = delay[i];
        s.delay_tsc[i] = per_ms * delay[i];
        HealthConfig& h = s.health[i];
        h.threshold = threshold[i];
        h.recovery = p.route_recovery_threshold;
        h.flap_threshold = p.flap_threshold;
        h.flap_window = per_ms * p.flap_window_ms;
        h.hold_down = per_ms * p.flap_hold_down_ms;
        h.hold_down_max = per_ms * p.flap_hold_down_max_ms;
    }
    const uint64_t shortest = std::min(s.delay_tsc[0], s.delay_tsc[1]);
    s.stall_tolerance_tsc = std::clamp<uint64_t>(shortest / 10, tsc_hz / 10000, tsc_hz / 100);
    s.stall_grace_tsc = per_ms * p.stall_grace_ms;
    // A step that divides both Delays, so that each class keeps its own
    // period exactly (20 and 50 ms: a 10 ms grid, not 50 ms periods
    // rounded to 60).
    s.send_step_tsc = per_ms * std::gcd(delay[0], delay[1]);
    s.tsc_per_us = tsc_hz / 1000000;
    // Rounded up, so that whole microseconds come out whole.
    const uint64_t hz = std::max<uint64_t>(tsc_hz, 1);
    s.ns_per_tsc_q32 = static_cast<uint64_t>(((static_cast<unsigned __int128>(1000000000) << 32) + hz - 1) / hz);
    return s;
}

}  // namespace ftnet
