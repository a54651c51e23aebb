// Anti-replay window for one sender sequence space (wire format v2,
// docs/wire-format.md): accepts each sequence number at most once, accepts
// reordering within the window, rejects what is older than the window.
// RFC 4303 section 3.4.3 semantics with RFC 6479's layout: a ring of
// 64-bit words, so that advancing the window clears whole words instead of
// shifting a bitmap.
//
// Checking and committing are separate: check() before the tag is verified
// (cheap, rejects replays without cryptography), commit() only after (a
// forged frame must not move the window). Single writer: the receiving
// worker that owns the sender's sequence space (docs/wire-format.md, "who
// receives what"); any thread may read nothing of it. No allocation, no
// syscalls: per-packet path.
#pragma once

#include <cstdint>
#include <cstring>

namespace ftnet {

enum class ReplayVerdict : uint8_t {
    Ok,         // new: verify the tag, then commit()
    Replay,     // seen already
    TooOld,     // before the window
};

template <unsigned kBits = 2048>
class ReplayWindow {
    static_assert(kBits >= 128 && (kBits & (kBits - 1)) == 0, "a power of two of at least 128 bits");
    static constexpr unsigned kWords = kBits / 64;
    static constexpr unsigned kWordMask = kWords - 1;

  public:
    // How far behind the highest sequence seen a frame may arrive: one
    // word is always being refilled, so the usable window is a word less
    // than the bitmap (RFC 6479).
    static constexpr uint64_t kWindow = kBits - 64;

    ReplayVerdict check(uint64_t seq) const {
        if (!started_ || seq > top_) return ReplayVerdict::Ok;
        if (top_ - seq >= kWindow) return ReplayVerdict::TooOld;
        return (words_[(seq >> 6) & kWordMask] >> (seq & 63)) & 1 ? ReplayVerdict::Replay : ReplayVerdict::Ok;
    }

    // Records seq as seen; call only for a frame that passed check() and
    // its tag. Returns false (and records nothing) if it is no longer
    // acceptable, which cannot happen between a check() and a commit() of
    // the same single writer.
    bool commit(uint64_t seq) {
        if (check(seq) != ReplayVerdict::Ok) return false;
        if (!started_ || seq > top_) advance(seq);
        words_[(seq >> 6) & kWordMask] |= uint64_t{1} << (seq & 63);
        return true;
    }

    uint64_t top() const { return top_; }
    bool started() const { return started_; }

    // A new life of the sender (its epoch changed): forget everything.
    void reset() {
        std::memset(words_, 0, sizeof words_);
        top_ = 0;
        started_ = false;
    }

  private:
    void advance(uint64_t seq) {
        const uint64_t from = started_ ? (top_ >> 6) + 1 : seq >> 6;
        const uint64_t to = seq >> 6;
        if (!started_ || to - from + 1 >= kWords) {
            std::memset(words_, 0, sizeof words_);
        } else {
            for (uint64_t w = from; w <= to; w++) words_[w & kWordMask] = 0;
        }
        top_ = seq;
        started_ = true;
    }

    uint64_t words_[kWords] = {};
    uint64_t top_ = 0;
    bool started_ = false;
};

}  // namespace ftnet
