// The health of one route, judged by the worker that owns it
// (datapath/heartbeat.cpp), as a pure state machine over heartbeat periods
// and a few asynchronous facts (silence deadline, link loss, hold-down end).
//
//   unknown --first answered period--> up
//   unknown --Threshold missed periods in a row--> down
//   up --silent for Threshold x Delay (health_silence), or Threshold missed
//        periods in a row--> down, unless the owner holds it (may_fail false)
//   any --port without link, set down by the operator, or the peer reports
//        its end down--> down (at once)
//   down --RecoveryThreshold answered periods in a row--> up (hysteresis)
//   a route that went down more than FlapThreshold times within FlapWindow
//        is held down (damped) for a hold-down time that doubles with each
//        further hold, up to FlapHoldDownMax; it comes back when the hold
//        ends and its last RecoveryThreshold periods were answered.
//
// What a period's outcome means (the owner decides it, see PeriodOutcome):
// only a period in which this node sent its request on time and was itself
// running throughout can count as missed, so a stall of the node never
// accuses the network.
//
// Times are in any monotonic unit (the worker uses TSC cycles, the unit
// tests milliseconds). Pure and inline; no thread of its own.
#pragma once

#include <cstdint>

namespace ftnet {

enum class HealthState : uint8_t { Unknown = 0, Up = 1, Down = 2 };

inline const char* health_name(HealthState s) {
    return s == HealthState::Up ? "up" : s == HealthState::Down ? "down" : "unknown";
}

// Why a route changed state, or (the last two) what the owner worker wants
// the control thread to know. Values travel in RouteEvent.
enum class HealthCause : uint8_t {
    None = 0,
    FirstReply,    // unknown -> up
    Missed,        // -> down: no sign of the peer for Threshold x Delay
    LinkDown,      // -> down: our port lost its carrier
    Recovered,     // down -> up after RecoveryThreshold answered periods
    AdminDown,     // -> down: our port was set down by the operator
    PeerLinkDown,  // -> down: the peer reports its end of the route down
    HoldEnded,     // down -> up: a flap hold-down ended with the route healthy
    AllSilent,     // event only: every route to every peer went silent at once
    WorkerStall,   // event only: the worker itself was not running for a while
    PeerSilent,    // event only: every route to one peer went silent at once
};

inline const char* cause_name(HealthCause c) {
    switch (c) {
    case HealthCause::FirstReply: return "heartbeat answered";
    case HealthCause::Missed: return "heartbeats missed";
    case HealthCause::LinkDown: return "link down";
    case HealthCause::Recovered: return "heartbeats answered again";
    case HealthCause::AdminDown: return "port set down by the operator";
    case HealthCause::PeerLinkDown: return "peer reports its link down";
    case HealthCause::HoldEnded: return "flap hold-down ended, heartbeats answered";
    case HealthCause::AllSilent: return "all routes silent at once";
    case HealthCause::WorkerStall: return "worker stalled";
    case HealthCause::PeerSilent: return "all routes to the peer silent at once";
    default: return "";
    }
}

// What one heartbeat period showed.
enum class PeriodOutcome : uint8_t {
    Answered,  // a timely reply to one of our requests arrived
    Alive,     // no timely reply, but other proof that the peer hears us
               // (a late reply, its own request saying the route is up,
               // tunnel data from it): keeps an up route up, never brings
               // a route up
    Missed,    // nothing, although we sent on time and ran all along
    Unjudged,  // nothing, but this node stalled or sent late: no verdict
};

struct HealthConfig {
    unsigned threshold = 5;
    unsigned recovery = 3;
    // Flap damping: more than flap_threshold downs within flap_window start a
    // hold-down of hold_down, doubling with each further one up to
    // hold_down_max. flap_threshold 0 turns damping off.
    unsigned flap_threshold = 0;
    uint64_t flap_window = 0;
    uint64_t hold_down = 0;
    uint64_t hold_down_max = 0;
};

inline constexpr unsigned kFlapHistory = 16;  // the largest FlapThreshold + 1

struct RouteHealth {
    HealthState state = HealthState::Unknown;
    uint8_t misses = 0;  // consecutive missed periods
    uint8_t goods = 0;   // consecutive answered periods
    bool held = false;   // damped: down until hold_until whatever the heartbeats say
    uint64_t hold_until = 0;
    uint64_t hold_len = 0;   // the next hold-down (0: HealthConfig::hold_down)
    uint64_t up_since = 0;
    // Times of the most recent up -> down transitions (a ring).
    uint64_t downs[kFlapHistory] = {};
    uint8_t n_downs = 0;     // valid entries
    uint8_t next_down = 0;   // ring position of the next one
};

// Down transitions within the flap window ending at now.
inline unsigned health_flaps(const RouteHealth& h, const HealthConfig& c, uint64_t now) {
    unsigned n = 0;
    for (unsigned i = 0; i < h.n_downs; i++)
        if (now - h.downs[i] < c.flap_window) n++;
    return n;
}

namespace detail {

inline HealthCause go_down(RouteHealth& h, const HealthConfig& c, uint64_t now, HealthCause why) {
    const bool was_up = h.state == HealthState::Up;
    h.state = HealthState::Down;
    h.goods = 0;
    if (!was_up || c.flap_threshold == 0) return why;
    // A route that stayed up for a whole window is stable again: its next
    // hold-down starts from the first length.
    if (now - h.up_since >= c.flap_window) h.hold_len = 0;
    h.downs[h.next_down] = now;
    h.next_down = static_cast<uint8_t>((h.next_down + 1) % kFlapHistory);
    if (h.n_downs < kFlapHistory) h.n_downs++;
    if (health_flaps(h, c, now) > c.flap_threshold) {
        if (h.hold_len == 0) h.hold_len = c.hold_down;
        h.held = true;
        h.hold_until = now + h.hold_len;
        h.hold_len = h.hold_len * 2 > c.hold_down_max ? c.hold_down_max : h.hold_len * 2;
    }
    return why;
}

inline HealthCause go_up(RouteHealth& h, uint64_t now, HealthCause why) {
    h.state = HealthState::Up;
    h.misses = 0;
    h.up_since = now;
    return why;
}

}  // namespace detail

// Would this outcome take the (up or unknown) route down? The owner asks
// before health_period() so that it can hold a route whose silence looks
// like a stall rather than a failure (may_fail).
inline bool health_would_fail(const RouteHealth& h, const HealthConfig& c, PeriodOutcome o) {
    return h.state != HealthState::Down && o == PeriodOutcome::Missed && h.misses + 1u >= c.threshold;
}

// One period ended with outcome o. Returns the cause when the state changed.
inline HealthCause health_period(RouteHealth& h, const HealthConfig& c, PeriodOutcome o, uint64_t now,
                                 bool may_fail = true) {
    // For a route that is not up, only real replies count: a peer that we
    // hear but that does not hear us is no path.
    if (h.state != HealthState::Up && o == PeriodOutcome::Alive) o = PeriodOutcome::Missed;
    switch (o) {
    case PeriodOutcome::Unjudged:
        return HealthCause::None;
    case PeriodOutcome::Alive:
        h.misses = 0;
        return HealthCause::None;
    case PeriodOutcome::Answered:
        h.misses = 0;
        if (h.goods < 255) h.goods++;
        if (h.state == HealthState::Unknown) return detail::go_up(h, now, HealthCause::FirstReply);
        if (h.state == HealthState::Down && !h.held && h.goods >= c.recovery)
            return detail::go_up(h, now, HealthCause::Recovered);
        return HealthCause::None;
    case PeriodOutcome::Missed:
        break;
    }
    h.goods = 0;
    if (h.state == HealthState::Down) return HealthCause::None;
    if (h.misses < 255) h.misses++;
    if (h.misses >= c.threshold && may_fail) return detail::go_down(h, c, now, HealthCause::Missed);
    return HealthCause::None;
}

// The route has gone Threshold x Delay without any sign of the peer, and the
// owner checked that deadline on time: an up route is down.
inline HealthCause health_silence(RouteHealth& h, const HealthConfig& c, uint64_t now) {
    if (h.state != HealthState::Up) return HealthCause::None;
    h.misses = static_cast<uint8_t>(c.threshold < 255 ? c.threshold : 255);
    return detail::go_down(h, c, now, HealthCause::Missed);
}

// The port lost its link or was set down, or the peer reports its end down
// (why says which): down at once, whatever the heartbeats say.
inline HealthCause health_link_down(RouteHealth& h, const HealthConfig& c, uint64_t now, HealthCause why) {
    h.misses = 0;
    if (h.state == HealthState::Down) {
        h.goods = 0;
        return HealthCause::None;
    }
    // Operator actions are not flaps.
    if (why == HealthCause::AdminDown) {
        h.state = HealthState::Down;
        h.goods = 0;
        return why;
    }
    return detail::go_down(h, c, now, why);
}

// The hold-down of a damped route may have ended: it comes up if its last
// RecoveryThreshold periods were answered, else it recovers normally.
inline HealthCause health_hold_check(RouteHealth& h, const HealthConfig& c, uint64_t now) {
    if (!h.held || now < h.hold_until) return HealthCause::None;
    h.held = false;
    if (h.state == HealthState::Down && h.goods >= c.recovery) return detail::go_up(h, now, HealthCause::HoldEnded);
    return HealthCause::None;
}

}  // namespace ftnet
