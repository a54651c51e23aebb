#include "engine/pmtu/control/path_mtu_search.h"

#include <algorithm>

namespace ftnet {

PathMtuSearch::PathMtuSearch(uint16_t floor, uint16_t ceiling, PathMtuTiming t)
    : floor_(std::min(floor, ceiling)), ceiling_(ceiling), t_(t), lo_(floor_), hi_(static_cast<uint16_t>(ceiling + 1)) {}

const char* PathMtuSearch::state_name(State s) {
    switch (s) {
    case State::Paused: return "paused";
    case State::Searching: return "searching";
    case State::Done: return "done";
    }
    return "?";
}

uint64_t PathMtuSearch::timeout() const { return std::max<uint64_t>(t_.timeout_ms, 3 * rtt_us_ / 1000 + 1); }

void PathMtuSearch::start_search() {
    state_ = State::Searching;
    lo_fresh_ = false;
    searches_++;
}

void PathMtuSearch::finish(uint64_t now_ms) {
    state_ = State::Done;
    raise_at_ = now_ms + t_.raise_ms;
    // A size no reply of this search proved (kept from before, or a
    // router's word) is probed at once.
    confirm_at_ = lo_fresh_ || lo_ == floor_ ? now_ms + t_.confirm_ms : now_ms;
}

void PathMtuSearch::failed(uint16_t size) {
    if (size <= lo_) {
        // What passed before does not any more: the path shrank silently.
        lo_ = floor_;
        hi_ = std::max<uint16_t>(size, floor_);
        start_search();
        return;
    }
    hi_ = std::min(hi_, size);
}

bool PathMtuSearch::recently_sent(uint32_t id, uint16_t size) const {
    for (unsigned i = 0; i < std::min(recent_n_, kRecent); i++)
        if (recent_id_[i] == id && recent_size_[i] == size) return true;
    return false;
}

std::optional<uint16_t> PathMtuSearch::due(uint64_t now_ms) {
    if (state_ == State::Paused) return std::nullopt;
    if (out_.active) {
        if (now_ms - out_.sent_ms < timeout()) return std::nullopt;
        probes_lost_++;
        if (out_.tries < t_.tries) return out_.size;
        out_.active = false;
        failed(out_.size);
    }
    if (state_ == State::Done) {
        if (now_ms >= raise_at_ && lo_ < ceiling_) {
            hi_ = static_cast<uint16_t>(ceiling_ + 1);
            start_search();
        } else if (now_ms >= confirm_at_) {
            confirm_at_ = now_ms + t_.confirm_ms;
            if (lo_ == floor_) return std::nullopt;  // the floor is every path's promise
            return lo_;
        } else {
            return std::nullopt;
        }
    }
    if (hint_ > lo_ && hint_ < hi_) {
        const uint16_t h = hint_;
        hint_ = 0;
        return h;
    }
    hint_ = 0;
    if (hi_ - lo_ <= kGranularity) {
        finish(now_ms);
        return std::nullopt;
    }
    return hi_ == ceiling_ + 1 ? ceiling_ : static_cast<uint16_t>(lo_ + (hi_ - lo_) / 2);
}

void PathMtuSearch::sent(uint16_t size, uint32_t probe_id, uint64_t now_ms) {
    if (out_.active && out_.size == size) {
        out_.tries++;
    } else {
        out_ = Outstanding{};
        out_.size = size;
        out_.tries = 1;
        out_.active = true;
    }
    out_.id = probe_id;
    out_.sent_ms = now_ms;
    recent_id_[recent_n_ % kRecent] = probe_id;
    recent_size_[recent_n_ % kRecent] = size;
    recent_n_++;
    probes_sent_++;
}

bool PathMtuSearch::answered(uint32_t probe_id, uint16_t size, uint64_t now_ms) {
    if (!recently_sent(probe_id, size)) return false;
    replies_++;
    if (out_.active && out_.size == size) out_.active = false;
    const uint16_t old = lo_;
    if (size >= lo_) {
        lo_ = size;
        lo_fresh_ = true;
    }
    if (hi_ <= lo_) hi_ = static_cast<uint16_t>(ceiling_ + 1);  // a late reply: the path grew
    if (state_ == State::Done && size == lo_) confirm_at_ = now_ms + t_.confirm_ms;
    return lo_ != old;
}

bool PathMtuSearch::too_big(uint16_t mtu, uint64_t now_ms) {
    (void)now_ms;
    if (state_ == State::Paused) return false;
    mtu = std::max(mtu, floor_);
    if (mtu >= ceiling_) return false;
    const uint16_t old = lo_;
    if (mtu < lo_) {
        // Honoured at once (it quotes our own packet), then proved by a probe.
        lo_ = mtu;
        lo_fresh_ = false;
        hi_ = static_cast<uint16_t>(mtu + 1);
    } else {
        hi_ = std::min<uint16_t>(hi_, static_cast<uint16_t>(mtu + 1));
        hint_ = mtu;
    }
    if (out_.active && out_.size > mtu) out_.active = false;  // known too big: no need to wait
    if (state_ == State::Done) {
        state_ = State::Searching;
        lo_fresh_ = false;
    }
    return lo_ != old;
}

void PathMtuSearch::restart(uint64_t now_ms) {
    out_.active = false;
    hint_ = 0;
    hi_ = static_cast<uint16_t>(ceiling_ + 1);
    start_search();
    if (lo_ == ceiling_) finish(now_ms);  // nothing above to find; lo_ is confirmed at once
}

void PathMtuSearch::pause() {
    state_ = State::Paused;
    out_.active = false;
}

void PathMtuSearch::confirm_now(uint64_t now_ms) {
    if (state_ == State::Done) confirm_at_ = now_ms;
}

}  // namespace ftnet
