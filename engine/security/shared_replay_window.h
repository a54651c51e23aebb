// The anti-replay window of one sender sequence space, shared by every
// receiving worker (docs/wire-format.md 10.4): the routes of one sender
// reach the receiver on different 5-tuples, hence possibly on different
// workers, and a frame replayed onto another network must still be a
// replay. Same semantics as ReplayWindow (replay_window.h, its
// single-threaded reference), lock-free:
//
//   each 64-bit slot holds a 40-bit block tag and the 24-bit bitmap of
//   that block's sequences, updated by one compare-and-swap; a slot holding
//   an older block is taken over, one holding a newer block means the frame
//   is too old; the highest sequence only grows (CAS-max).
//
// No frame is ever accepted twice, whatever the interleaving. Tags are
// compared modulo 2^40 blocks (2.6e13 sequences): a sender that jumps
// further (a new epoch) starts a new window (reset() by the owner of the
// sender's state, with no worker inside). check() any thread; commit() any
// receiving worker, after the tag verified. Sequence 2^64 - 1 is never
// used (a space changes epoch long before). Per-packet path: no locks, no
// allocation.
#pragma once

#include <atomic>
#include <cstdint>

#include "engine/security/replay_window.h"

namespace ftnet {

template <unsigned kSlots = 128>
class SharedReplayWindow {
    static_assert(kSlots >= 8 && (kSlots & (kSlots - 1)) == 0, "a power of two of at least 8 slots");
    static constexpr unsigned kPerSlot = 24;
    static constexpr uint64_t kTagMask = (uint64_t{1} << 40) - 1;
    static constexpr uint64_t kBitsMask = (uint64_t{1} << kPerSlot) - 1;

  public:
    // One slot is always being refilled (RFC 6479).
    static constexpr uint64_t kWindow = uint64_t{kSlots - 1} * kPerSlot;

    ReplayVerdict check(uint64_t seq) const {
        const uint64_t top = top_.load(std::memory_order_acquire);
        if (top && seq <= top - 1 && top - 1 - seq >= kWindow) return ReplayVerdict::TooOld;
        const uint64_t block = seq / kPerSlot;
        const uint64_t w = slots_[block & (kSlots - 1)].load(std::memory_order_acquire);
        if (w == 0) return ReplayVerdict::Ok;
        const int64_t d = distance(w >> kPerSlot, block);
        if (d > 0) return ReplayVerdict::TooOld;
        if (d == 0 && (w >> (seq % kPerSlot)) & 1) return ReplayVerdict::Replay;
        return ReplayVerdict::Ok;
    }

    // Records seq; false if it was seen (maybe by another worker an instant
    // ago) or has fallen out of the window: drop the frame.
    bool commit(uint64_t seq) {
        const uint64_t block = seq / kPerSlot;
        const uint64_t bit = uint64_t{1} << (seq % kPerSlot);
        std::atomic<uint64_t>& slot = slots_[block & (kSlots - 1)];
        uint64_t w = slot.load(std::memory_order_acquire);
        for (;;) {
            const uint64_t top = top_.load(std::memory_order_acquire);
            if (top && seq <= top - 1 && top - 1 - seq >= kWindow) return false;
            uint64_t nw;
            const int64_t d = w ? distance(w >> kPerSlot, block) : -1;
            if (d > 0) return false;
            if (d == 0) {
                if (w & bit) return false;
                nw = w | bit;
            } else {
                nw = ((block & kTagMask) << kPerSlot) | bit;
            }
            if (slot.compare_exchange_weak(w, nw, std::memory_order_acq_rel, std::memory_order_acquire)) break;
        }
        // top_ holds the highest sequence + 1 (0: nothing yet).
        uint64_t t = top_.load(std::memory_order_relaxed);
        while (t < seq + 1 && !top_.compare_exchange_weak(t, seq + 1, std::memory_order_acq_rel)) {
        }
        return true;
    }

    // Highest sequence committed (meaningful once started()).
    uint64_t top() const { return top_.load(std::memory_order_acquire) - 1; }
    bool started() const { return top_.load(std::memory_order_acquire) != 0; }

    void reset() {
        for (auto& s : slots_) s.store(0, std::memory_order_relaxed);
        top_.store(0, std::memory_order_release);
    }

  private:
    // Signed distance from block b to the slot's tag, modulo 2^40.
    static int64_t distance(uint64_t tag, uint64_t b) {
        const uint64_t diff = (tag - (b & kTagMask)) & kTagMask;
        return diff & (uint64_t{1} << 39) ? static_cast<int64_t>(diff) - (int64_t{1} << 40) : static_cast<int64_t>(diff);
    }

    std::atomic<uint64_t> slots_[kSlots] = {};
    std::atomic<uint64_t> top_{0};
};

}  // namespace ftnet
