// The anti-replay window of one sender sequence space, shared by every
// receiving worker (docs/wire-format.md 10.4): the routes of one sender
// reach the receiver on different 5-tuples, hence possibly on different
// workers, and a frame replayed onto another network must still be a
// replay. Same semantics as ReplayWindow (replay_window.h, its
// single-threaded reference), lock-free:
//
//   a sequence is epoch (upper 16 bits) and counter (lower 48 bits); each
//   64-bit slot holds the low 8 bits of an epoch, a 32-bit block number
//   within it and the 24-bit bitmap of that block's sequences, updated by
//   one compare-and-swap; a slot holding an older block (or an older
//   epoch) is taken over, one holding a newer block means the frame is too
//   old; the highest sequence only grows (CAS-max) and is kept whole.
//
// No frame is ever accepted twice, whatever the interleaving: a frame whose
// slot was taken over is older than the window by then, which the whole
// 64-bit highest sequence decides, not the truncated tags. A new epoch of
// the sender (a restart) needs no reset: its sequences are above every old
// one, and old slots are recognised by their epoch. check() any thread;
// commit() any receiving worker, after the tag verified. Per-packet path:
// no locks, no allocation.
#pragma once

#include <atomic>
#include <cstdint>

#include "engine/security/replay_window.h"

namespace ftnet {

template <unsigned kSlots = 128>
class SharedReplayWindow {
    static_assert(kSlots >= 8 && (kSlots & (kSlots - 1)) == 0, "a power of two of at least 8 slots");
    static constexpr unsigned kPerSlot = 24;
    static constexpr uint64_t kCounterMask = (uint64_t{1} << 48) - 1;

  public:
    // One slot is always being refilled (RFC 6479).
    static constexpr uint64_t kWindow = uint64_t{kSlots - 1} * kPerSlot;

    ReplayVerdict check(uint64_t seq) const {
        const uint64_t top = top_.load(std::memory_order_acquire);
        if (top && seq <= top - 1 && top - 1 - seq >= kWindow) return ReplayVerdict::TooOld;
        const uint64_t w = slots_[index(seq)].load(std::memory_order_acquire);
        if (w == 0) return ReplayVerdict::Ok;
        const int d = compare(w, seq);
        if (d > 0) return ReplayVerdict::TooOld;
        if (d == 0 && (w >> (counter(seq) % kPerSlot)) & 1) return ReplayVerdict::Replay;
        return ReplayVerdict::Ok;
    }

    // Records seq; false if it was seen (maybe by another worker an instant
    // ago) or has fallen out of the window: drop the frame.
    bool commit(uint64_t seq) {
        const uint64_t bit = uint64_t{1} << (counter(seq) % kPerSlot);
        std::atomic<uint64_t>& slot = slots_[index(seq)];
        uint64_t w = slot.load(std::memory_order_acquire);
        for (;;) {
            const uint64_t top = top_.load(std::memory_order_acquire);
            if (top && seq <= top - 1 && top - 1 - seq >= kWindow) return false;
            uint64_t nw;
            const int d = w ? compare(w, seq) : -1;
            if (d > 0) return false;
            if (d == 0) {
                if (w & bit) return false;
                nw = w | bit;
            } else {
                nw = tag_of(seq) | bit;
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

    // Forgets everything; only with no receiver inside (tests, a peer
    // removed from the configuration).
    void reset() {
        for (auto& s : slots_) s.store(0, std::memory_order_relaxed);
        top_.store(0, std::memory_order_release);
    }

  private:
    static uint64_t counter(uint64_t seq) { return seq & kCounterMask; }
    static uint64_t block(uint64_t seq) { return counter(seq) / kPerSlot; }
    static unsigned index(uint64_t seq) { return static_cast<unsigned>(block(seq) & (kSlots - 1)); }
    // epoch (8 low bits) | block (32 low bits) | bitmap
    static uint64_t tag_of(uint64_t seq) {
        return ((seq >> 48) & 0xff) << 56 | (block(seq) & 0xffffffff) << kPerSlot;
    }
    // Where the slot's block stands against seq's: > 0 newer, 0 the same,
    // < 0 older. Epochs and blocks compare in serial arithmetic (RFC 1982)
    // on their truncated bits; the whole highest sequence has already
    // rejected anything far enough behind for that to alias.
    static int compare(uint64_t w, uint64_t seq) {
        const auto we = static_cast<uint8_t>(w >> 56);
        const auto se = static_cast<uint8_t>(seq >> 48);
        if (we != se) return static_cast<int8_t>(static_cast<uint8_t>(we - se)) > 0 ? 1 : -1;
        const auto wb = static_cast<uint32_t>(w >> kPerSlot);
        const auto sb = static_cast<uint32_t>(block(seq));
        if (wb == sb) return 0;
        return static_cast<int32_t>(wb - sb) > 0 ? 1 : -1;
    }

    std::atomic<uint64_t> slots_[kSlots] = {};
    std::atomic<uint64_t> top_{0};
};

}  // namespace ftnet
