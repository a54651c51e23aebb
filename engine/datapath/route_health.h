// The state machine of one route's health, advanced once per heartbeat
// period by the worker that owns the route (datapath/heartbeat.cpp).
//
//   unknown --first answered period--> up
//   unknown/up --Threshold periods in a row without any reply--> down
//   up --Threshold x Delay since the last reply (health_timeout)--> down
//   any --port without link, or set down by the operator--> down (at once)
//   down --RecoveryThreshold answered periods in a row--> up (hysteresis)
//
// A period is "answered" when any valid reply to one of our requests
// arrived in it, whichever request it answers: a reply late by less than
// Threshold x Delay keeps the route up, as the classic heartbeat does.
//
// Pure and inline; the unit tests drive it directly.
#pragma once

#include <cstdint>

namespace ftnet {

enum class HealthState : uint8_t { Unknown = 0, Up = 1, Down = 2 };

inline const char* health_name(HealthState s) {
    return s == HealthState::Up ? "up" : s == HealthState::Down ? "down" : "unknown";
}

// Why a route changed state (also on the wire of route events).
enum class HealthCause : uint8_t { None = 0, FirstReply, Missed, LinkDown, Recovered };

inline const char* cause_name(HealthCause c) {
    switch (c) {
    case HealthCause::FirstReply: return "heartbeat answered";
    case HealthCause::Missed: return "heartbeats missed";
    case HealthCause::LinkDown: return "link down";
    case HealthCause::Recovered: return "heartbeats answered again";
    default: return "";
    }
}

struct RouteHealth {
    HealthState state = HealthState::Unknown;
    uint8_t misses = 0;  // consecutive periods without a reply
    uint8_t goods = 0;   // consecutive answered periods
};

// Advances one period; returns the cause when the state changed, else None.
inline HealthCause health_step(RouteHealth& h, bool link_usable, bool answered, unsigned threshold,
                               unsigned recovery) {
    if (!link_usable) {
        h.goods = 0;
        h.misses = 0;
        if (h.state == HealthState::Down) return HealthCause::None;
        h.state = HealthState::Down;
        return HealthCause::LinkDown;
    }
    if (answered) {
        h.misses = 0;
        if (h.goods < 255) h.goods++;
        if (h.state == HealthState::Unknown) {
            h.state = HealthState::Up;  // first contact: no hysteresis to wait out
            return HealthCause::FirstReply;
        }
        if (h.state == HealthState::Down && h.goods >= recovery) {
            h.state = HealthState::Up;
            return HealthCause::Recovered;
        }
        return HealthCause::None;
    }
    h.goods = 0;
    if (h.misses < 255) h.misses++;
    if (h.state != HealthState::Down && h.misses >= threshold) {
        h.state = HealthState::Down;
        return HealthCause::Missed;
    }
    return HealthCause::None;
}

// The route has gone Threshold x Delay without any reply (the owner checks
// this deadline as it falls due, between period ends): an up route is down.
inline HealthCause health_timeout(RouteHealth& h, unsigned threshold) {
    if (h.state != HealthState::Up) return HealthCause::None;
    h.state = HealthState::Down;
    h.goods = 0;
    h.misses = static_cast<uint8_t>(threshold < 255 ? threshold : 255);
    return HealthCause::Missed;
}

}  // namespace ftnet
