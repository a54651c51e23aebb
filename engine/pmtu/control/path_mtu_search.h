// Path MTU discovery of one route, as a state machine over probe sizes
// (packetization-layer PMTUD in the manner of RFC 8899): the route's frames
// are sized for the largest probe a reply has confirmed, never for a guess.
//
//   lo: the largest size known to pass (the floor, wire::kMinPathMtu, until
//       a reply proves more); hi: the smallest size known not to pass.
//   A search probes the port's MTU first (the usual answer), then a size
//   reported by a router's "too big" message, then halves [lo, hi) until it
//   is narrower than kGranularity. A probe unanswered `tries` times within
//   its timeout counts as too big.
//   Done: the current size is probed again every confirm_ms (a path that
//   shrank silently drops to the floor and is searched again) and a search
//   upward starts every raise_ms (a path that grew).
//   Paused while the route is down; a route that comes up is searched anew.
//
// Pure: no clock, no I/O (the pmtu module sends the probes). Control
// thread only.
#pragma once

#include <cstdint>
#include <optional>

namespace ftnet {

struct PathMtuTiming {
    uint64_t timeout_ms = 250;  // a probe's wait for its reply (at least 3 RTTs: set_rtt_us)
    unsigned tries = 2;         // sends of one size before it counts as too big
    uint64_t confirm_ms = 10000;
    uint64_t raise_ms = 600000;
};

class PathMtuSearch {
  public:
    enum class State : uint8_t { Paused, Searching, Done };
    static constexpr uint16_t kGranularity = 8;

    PathMtuSearch(uint16_t floor, uint16_t ceiling, PathMtuTiming t = {});

    // The size to probe now, if any; the caller sends it and calls sent().
    std::optional<uint16_t> due(uint64_t now_ms);
    void sent(uint16_t size, uint32_t probe_id, uint64_t now_ms);
    // A reply to probe `probe_id` of `size`. Returns true when pmtu() changed.
    bool answered(uint32_t probe_id, uint16_t size, uint64_t now_ms);
    // A router reported (in a message quoting our own packet) that `mtu` is
    // the most its next link carries. Returns true when pmtu() changed.
    bool too_big(uint16_t mtu, uint64_t now_ms);
    // The route came up: search from the top. Down: stop probing (pmtu() stays).
    void restart(uint64_t now_ms);
    void pause();
    // The route took over traffic: confirm the current size now.
    void confirm_now(uint64_t now_ms);
    void set_rtt_us(uint64_t rtt_us) { rtt_us_ = rtt_us; }

    uint16_t pmtu() const { return lo_; }
    uint16_t ceiling() const { return ceiling_; }
    State state() const { return state_; }
    static const char* state_name(State s);

    uint64_t probes_sent() const { return probes_sent_; }
    uint64_t probes_lost() const { return probes_lost_; }
    uint64_t replies() const { return replies_; }
    uint64_t searches() const { return searches_; }

  private:
    struct Outstanding {
        uint32_t id = 0;
        uint16_t size = 0;
        uint64_t sent_ms = 0;
        unsigned tries = 0;
        bool active = false;
    };
    uint64_t timeout() const;
    void start_search();
    void finish(uint64_t now_ms);
    void failed(uint16_t size);
    bool recently_sent(uint32_t id, uint16_t size) const;

    uint16_t floor_, ceiling_;
    PathMtuTiming t_;
    State state_ = State::Paused;
    uint16_t lo_, hi_;          // hi_ = ceiling_ + 1: nothing known to fail
    uint16_t hint_ = 0;         // a router's report to try next (0: none)
    bool lo_fresh_ = false;     // a reply of the current search proved lo_
    Outstanding out_;
    static constexpr unsigned kRecent = 8;
    uint32_t recent_id_[kRecent] = {};
    uint16_t recent_size_[kRecent] = {};
    unsigned recent_n_ = 0;
    uint64_t confirm_at_ = 0, raise_at_ = 0;
    uint64_t rtt_us_ = 0;
    uint64_t probes_sent_ = 0, probes_lost_ = 0, replies_ = 0, searches_ = 0;
};

}  // namespace ftnet
