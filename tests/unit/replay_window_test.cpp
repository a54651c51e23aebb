// The anti-replay window (engine/security/replay_window.h): in order,
// reordered within the window, duplicates, too old, large jumps, sequence
// numbers near 2^64, and that a frame that was only checked (its tag then
// failed) moves nothing.

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>
#include <set>

#include "engine/security/replay_window.h"

namespace ftnet::test {
namespace {

using W = ReplayWindow<2048>;

TEST(ReplayWindow, InOrderFramesAreAcceptedOnceEach) {
    W w;
    for (uint64_t s = 1; s <= 10000; s++) {
        ASSERT_EQ(w.check(s), ReplayVerdict::Ok) << s;
        ASSERT_TRUE(w.commit(s));
        ASSERT_EQ(w.check(s), ReplayVerdict::Replay) << s;
    }
    EXPECT_EQ(w.top(), 10000u);
}

TEST(ReplayWindow, ReorderingWithinTheWindowIsAcceptedAndDuplicatesAreNot) {
    W w;
    ASSERT_TRUE(w.commit(5000));
    for (uint64_t s = 5000 - W::kWindow + 1; s < 5000; s += 7) {
        EXPECT_EQ(w.check(s), ReplayVerdict::Ok) << s;
        EXPECT_TRUE(w.commit(s));
        EXPECT_EQ(w.check(s), ReplayVerdict::Replay) << s;
        EXPECT_FALSE(w.commit(s)) << "a duplicate is never recorded twice";
    }
    EXPECT_EQ(w.top(), 5000u) << "older frames do not move the window";
}

TEST(ReplayWindow, FramesOlderThanTheWindowAreRejected) {
    W w;
    ASSERT_TRUE(w.commit(100000));
    EXPECT_EQ(w.check(100000 - W::kWindow), ReplayVerdict::TooOld);
    EXPECT_EQ(w.check(1), ReplayVerdict::TooOld);
    EXPECT_EQ(w.check(100000 - W::kWindow + 1), ReplayVerdict::Ok);
}

TEST(ReplayWindow, AJumpClearsWhatFellOutAndKeepsWhatDidNot) {
    W w;
    for (uint64_t s = 1; s <= 3000; s++) ASSERT_TRUE(w.commit(s));
    ASSERT_TRUE(w.commit(3000 + 1000));  // a jump smaller than the window
    for (uint64_t s = 3001; s < 4000; s++) EXPECT_EQ(w.check(s), ReplayVerdict::Ok) << "never seen: " << s;
    for (uint64_t s = 4000 - W::kWindow + 1; s <= 3000; s++) EXPECT_EQ(w.check(s), ReplayVerdict::Replay) << s;
    ASSERT_TRUE(w.commit(1000000));  // a jump larger than the bitmap
    EXPECT_EQ(w.check(999999), ReplayVerdict::Ok);
    EXPECT_EQ(w.check(1000000), ReplayVerdict::Replay);
    EXPECT_EQ(w.check(4000), ReplayVerdict::TooOld);
}

TEST(ReplayWindow, OnlyCommittedFramesMoveIt) {
    W w;
    ASSERT_TRUE(w.commit(10));
    // A forged frame far ahead passes check() but fails its tag: no commit.
    EXPECT_EQ(w.check(1u << 30), ReplayVerdict::Ok);
    EXPECT_EQ(w.top(), 10u);
    EXPECT_EQ(w.check(11), ReplayVerdict::Ok) << "genuine traffic is not locked out";
}

TEST(ReplayWindow, WorksUpToTheEndOfTheSequenceSpace) {
    W w;
    const uint64_t end = ~uint64_t{0};
    ASSERT_TRUE(w.commit(end - 1500));
    for (uint64_t s = end - 1000; s != 0; s++) ASSERT_TRUE(w.commit(s)) << s;  // s wraps to 0 after end: stop
    EXPECT_EQ(w.top(), end);
    EXPECT_EQ(w.check(end), ReplayVerdict::Replay);
    EXPECT_EQ(w.check(end - 1500), ReplayVerdict::Replay);
    EXPECT_EQ(w.check(end - 1200), ReplayVerdict::Ok) << "a gap within the window";
    EXPECT_EQ(w.check(end - 4500), ReplayVerdict::TooOld);
    EXPECT_EQ(w.check(0), ReplayVerdict::TooOld) << "the sender must change epoch, not wrap";
}

TEST(ReplayWindow, ARandomlyReorderedAndDuplicatedStreamIsAcceptedExactlyOnce) {
    W w;
    std::mt19937_64 rng(42);
    // 1..N, shuffled within blocks of 1,000 (less than the window), and
    // after every frame, with probability 1/4, a replay of a recent one.
    std::vector<uint64_t> order;
    for (uint64_t base = 1; base < 200000; base += 1000) {
        std::vector<uint64_t> block;
        for (uint64_t s = base; s < base + 1000; s++) block.push_back(s);
        std::shuffle(block.begin(), block.end(), rng);
        for (uint64_t s : block) {
            order.push_back(s);
            if (rng() % 4 == 0) order.push_back(order[order.size() - 1 - rng() % std::min<size_t>(order.size(), 500)]);
        }
    }
    std::set<uint64_t> accepted;
    for (size_t i = 0; i < order.size(); i++) {
        const uint64_t s = order[i];
        const bool ok = w.check(s) == ReplayVerdict::Ok && w.commit(s);
        ASSERT_EQ(ok, accepted.insert(s).second) << "sequence " << s << " at step " << i;
    }
    EXPECT_EQ(accepted.size(), 200000u) << "every distinct frame once";
}

TEST(ReplayWindow, ResetStartsANewLife) {
    W w;
    ASSERT_TRUE(w.commit(77));
    w.reset();
    EXPECT_FALSE(w.started());
    EXPECT_EQ(w.check(77), ReplayVerdict::Ok);
    EXPECT_EQ(w.check(1), ReplayVerdict::Ok);
}

}  // namespace
}  // namespace ftnet::test
