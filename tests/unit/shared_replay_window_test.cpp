// The replay window shared by the receiving workers
// (engine/security/shared_replay_window.h): the single-threaded semantics
// of the reference window, and, with two threads receiving the same stream
// (every frame twice, as if replayed onto a second network), no frame is
// ever accepted twice.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "engine/security/shared_replay_window.h"

namespace ftnet::test {
namespace {

using SW = SharedReplayWindow<128>;

bool accept(SW& w, uint64_t s) { return w.check(s) == ReplayVerdict::Ok && w.commit(s); }

TEST(SharedReplayWindow, InOrderReorderedDuplicateAndTooOld) {
    SW w;
    for (uint64_t s = 1; s <= 5000; s++) ASSERT_TRUE(accept(w, s)) << s;
    EXPECT_EQ(w.top(), 5000u);
    EXPECT_EQ(w.check(4000), ReplayVerdict::Replay);
    EXPECT_FALSE(w.commit(4000));
    EXPECT_EQ(w.check(5000 - SW::kWindow), ReplayVerdict::TooOld);
    ASSERT_TRUE(accept(w, 5000 + 2000));  // a gap within the window
    for (uint64_t s = 5001; s < 7000; s += 13) EXPECT_TRUE(accept(w, s)) << s;
    ASSERT_TRUE(accept(w, 1000000));  // a jump beyond it
    EXPECT_EQ(w.check(999999), ReplayVerdict::Ok);
    EXPECT_EQ(w.check(7000), ReplayVerdict::TooOld);
    EXPECT_EQ(w.check(1000000), ReplayVerdict::Replay);
}

TEST(SharedReplayWindow, OnlyCommittedFramesMoveItAndResetStartsOver) {
    SW w;
    ASSERT_TRUE(accept(w, 10));
    EXPECT_EQ(w.check(uint64_t{1} << 40), ReplayVerdict::Ok);  // a forgery, never committed
    EXPECT_EQ(w.top(), 10u);
    EXPECT_TRUE(accept(w, 11));
    w.reset();
    EXPECT_FALSE(w.started());
    EXPECT_TRUE(accept(w, 10));
}

// A restarted sender (a new epoch in the upper 16 bits) is accepted at
// once, with no reset, and its old life is too old from then on; a frame
// of the new life is still accepted once only, whatever slots the old life
// left behind (their block numbers alias the new ones).
TEST(SharedReplayWindow, NewEpochNeedsNoResetAndRetiresTheOldLife) {
    SW w;
    const uint64_t e1 = uint64_t{1} << 48, e2 = uint64_t{2} << 48, e300 = uint64_t{300} << 48;
    for (uint64_t s = 1; s <= 5000; s++) ASSERT_TRUE(accept(w, e1 | s));
    for (uint64_t s = 1; s <= 5000; s++) ASSERT_TRUE(accept(w, e2 | s)) << s;  // same counters, new life
    for (uint64_t s = 1; s <= 5000; s++) EXPECT_FALSE(accept(w, e2 | s)) << s;
    EXPECT_EQ(w.check(e1 | 4999), ReplayVerdict::TooOld);
    EXPECT_EQ(w.check(e1 | 5001), ReplayVerdict::TooOld);  // never seen, but of a dead life
    // Epochs 256 apart share their low 8 bits: the whole sequence decides.
    EXPECT_TRUE(accept(w, e300 | 4990));
    EXPECT_TRUE(accept(w, e300 | 4991));
    EXPECT_FALSE(accept(w, e300 | 4990));
    EXPECT_EQ(w.check(e2 | 5000), ReplayVerdict::TooOld);
}

// 1..N shuffled within blocks smaller than the window, with replays.
std::vector<uint64_t> stream(uint64_t n, unsigned seed, unsigned block) {
    std::mt19937_64 rng(seed);
    std::vector<uint64_t> order;
    for (uint64_t base = 1; base <= n; base += block) {
        std::vector<uint64_t> b;
        for (uint64_t s = base; s < base + block && s <= n; s++) b.push_back(s);
        std::shuffle(b.begin(), b.end(), rng);
        for (uint64_t s : b) {
            order.push_back(s);
            if (rng() % 4 == 0) order.push_back(order[order.size() - 1 - rng() % std::min<size_t>(order.size(), 500)]);
        }
    }
    return order;
}

TEST(SharedReplayWindow, OneReceiverAcceptsEveryFrameExactlyOnce) {
    SW w;
    std::vector<uint8_t> seen(200001);
    for (uint64_t s : stream(200000, 7, 1000)) {
        const bool ok = accept(w, s);
        ASSERT_EQ(ok, seen[s] == 0) << s;
        seen[s] += ok;
    }
    EXPECT_EQ(std::count(seen.begin() + 1, seen.end(), 1), 200000);
}

TEST(SharedReplayWindow, TwoReceiversOfTheSameStreamNeverAcceptAFrameTwice) {
    for (unsigned round = 0; round < 5; round++) {
        SW w;
        const uint64_t n = 200000;
        std::vector<std::atomic<uint8_t>> seen(n + 1);
        const std::vector<uint64_t> a = stream(n, 100 + round, 500), b = stream(n, 200 + round, 500);
        auto rx = [&](const std::vector<uint64_t>& order) {
            for (uint64_t s : order)
                if (accept(w, s)) seen[s].fetch_add(1);
        };
        std::thread t1(rx, std::cref(a)), t2(rx, std::cref(b));
        t1.join();
        t2.join();
        uint64_t once = 0;
        for (uint64_t s = 1; s <= n; s++) {
            ASSERT_LE(seen[s].load(), 1) << "sequence " << s << " accepted twice in round " << round;
            once += seen[s].load();
        }
        // A frame whose every copy came after the window had moved past it
        // is lost (too old), as on a real network; nearly all arrive.
        EXPECT_GE(once, n * 95 / 100) << "round " << round;
    }
}

}  // namespace
}  // namespace ftnet::test
