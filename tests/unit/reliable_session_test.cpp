// The reliable session against a simulated channel: loss, reordering,
// duplication, route switches, a paused peer, a restarted peer, and
// messages around the segment size and up to 64 KiB and beyond. Every
// schedule is seeded and reproducible.

#include "engine/session/reliable_session.h"

#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <map>
#include <random>

namespace ftnet::session {
namespace {

constexpr size_t kSegData = 1300;

// A message's content follows from its number and length, so the receiver
// can check every byte.
std::vector<uint8_t> body(uint32_t n, size_t len) {
    std::vector<uint8_t> b(len);
    for (size_t i = 0; i < len; i++) b[i] = static_cast<uint8_t>(n * 31 + i * 7 + (i >> 8));
    if (len >= 4) std::memcpy(b.data(), &n, 4);
    return b;
}

struct Channel;

// One end: its session and what reached it.
struct End : SessionIo {
    End(Channel& ch, int id, uint16_t inc)
        : ch(ch), id(id), s(std::make_unique<ReliableSession>(*this, inc, kSegData, 1000u + static_cast<unsigned>(id))) {}
    bool transmit(const uint8_t* seg, size_t len) override;
    void deliver(uint16_t type, const uint8_t* data, size_t len) override {
        received.push_back({type, std::vector<uint8_t>(data, data + len)});
    }
    void completed(uint64_t id_, MessageStatus st) override { outcomes[id_] = st; }
    void peer_incarnation(uint16_t old_inc, uint16_t new_inc) override { incarnations.push_back({old_inc, new_inc}); }

    Channel& ch;
    int id;
    std::unique_ptr<ReliableSession> s;
    std::vector<std::pair<uint16_t, std::vector<uint8_t>>> received;
    std::map<uint64_t, MessageStatus> outcomes;
    std::vector<std::pair<uint16_t, uint16_t>> incarnations;
    std::vector<std::vector<uint8_t>> sent_log;  // every segment it transmitted
    bool paused = false;                          // neither reads nor sends (SIGSTOP)
    std::deque<std::vector<uint8_t>> backlog;     // what arrived while paused
};

struct Channel {
    explicit Channel(uint32_t seed) : rng(seed) {}
    double loss = 0, dup = 0;
    uint64_t min_delay_us = 50, max_delay_us = 50;
    bool blackhole = false;  // the route in use silently drops everything
    struct InFlight {
        uint64_t at;
        int to;
        std::vector<uint8_t> seg;
    };
    std::multimap<uint64_t, InFlight> q;
    std::mt19937 rng;
    uint64_t now = 1000;
    End* ends[2] = {nullptr, nullptr};
    uint64_t transmissions = 0;

    void put(int from, const uint8_t* seg, size_t len) {
        transmissions++;
        if (blackhole) return;
        std::uniform_real_distribution<double> u(0, 1);
        int copies = u(rng) < loss ? 0 : 1;
        if (copies && u(rng) < dup) copies = 2;
        for (int c = 0; c < copies; c++) {
            std::uniform_int_distribution<uint64_t> d(min_delay_us, max_delay_us);
            const uint64_t at = now + d(rng);
            q.emplace(at, InFlight{at, 1 - from, std::vector<uint8_t>(seg, seg + len)});
        }
    }
    // Advances time by `us`, delivering what falls due and flushing both
    // ends whenever they have something due.
    void run_for(uint64_t us, uint64_t step = 100) {
        const uint64_t end = now + us;
        while (now < end) {
            now += step;
            while (!q.empty() && q.begin()->first <= now) {
                InFlight f = std::move(q.begin()->second);
                q.erase(q.begin());
                End& e = *ends[f.to];
                if (e.paused)
                    e.backlog.push_back(std::move(f.seg));
                else
                    e.s->on_segment(f.seg.data(), f.seg.size(), now);
            }
            for (End* e : ends)
                if (!e->paused && e->s->next_due_us() <= now) e->s->flush(now);
        }
    }
    void resume(End& e) {
        e.paused = false;
        for (auto& seg : e.backlog) e.s->on_segment(seg.data(), seg.size(), now);
        e.backlog.clear();
        e.s->flush(now);
    }
};

bool End::transmit(const uint8_t* seg, size_t len) {
    if (paused) return false;
    sent_log.emplace_back(seg, seg + len);
    ch.put(id, seg, len);
    return true;
}

struct Pair {
    explicit Pair(uint32_t seed, uint16_t inc_a = 1, uint16_t inc_b = 1) : ch(seed), a(ch, 0, inc_a), b(ch, 1, inc_b) {
        ch.ends[0] = &a;
        ch.ends[1] = &b;
    }
    Channel ch;
    End a, b;
};

// Sends `n` numbered messages of sizes from `sizes`; returns their ids.
std::vector<uint64_t> send_numbered(End& from, uint64_t now, uint32_t first, uint32_t n, const std::vector<size_t>& sizes) {
    std::vector<uint64_t> ids;
    for (uint32_t i = 0; i < n; i++) {
        const uint32_t num = first + i;
        auto b = body(num, sizes[num % sizes.size()]);
        SendRefusal why;
        uint64_t id = from.s->send(static_cast<uint16_t>(num % 7), b.data(), b.size(), now, &why);
        EXPECT_NE(id, 0u) << "message " << num << " refused";
        ids.push_back(id);
    }
    return ids;
}

// What `to` received is exactly messages first..first+n-1, once each, in order, intact.
void expect_exactly_once_in_order(const End& to, uint32_t first, uint32_t n, const std::vector<size_t>& sizes) {
    ASSERT_EQ(to.received.size(), n);
    for (uint32_t i = 0; i < n; i++) {
        const uint32_t num = first + i;
        const auto& [type, data] = to.received[i];
        ASSERT_EQ(type, num % 7) << "message " << num;
        ASSERT_EQ(data, body(num, sizes[num % sizes.size()])) << "message " << num << " (position " << i << ")";
    }
}

TEST(ReliableSession, ThirtyPercentLossReorderingAndDuplicatesDeliverEveryMessageOnceInOrder) {
    const std::vector<size_t> sizes = {0, 1, 64, kSegData - 1, kSegData, kSegData + 1, 3 * kSegData, 9000, 16384};
    for (uint32_t seed = 1; seed <= 6; seed++) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        Pair p(seed);
        p.ch.loss = 0.30;
        p.ch.dup = 0.10;
        p.ch.min_delay_us = 50;
        p.ch.max_delay_us = 3000;  // segments overtake each other
        p.a.s->set_rtt(500);
        p.b.s->set_rtt(500);
        auto ids_a = send_numbered(p.a, p.ch.now, 0, 400, sizes);
        auto ids_b = send_numbered(p.b, p.ch.now, 10000, 200, sizes);
        p.ch.run_for(20'000'000);
        expect_exactly_once_in_order(p.b, 0, 400, sizes);
        expect_exactly_once_in_order(p.a, 10000, 200, sizes);
        for (uint64_t id : ids_a) EXPECT_EQ(p.a.outcomes[id], MessageStatus::Delivered);
        for (uint64_t id : ids_b) EXPECT_EQ(p.b.outcomes[id], MessageStatus::Delivered);
        EXPECT_GT(p.a.s->stats().segs_retransmitted, 0u);
        EXPECT_GT(p.b.s->stats().segs_duplicate, 0u);
        EXPECT_EQ(p.a.s->queued_bytes(), 0u);
        EXPECT_EQ(p.a.s->stats().segs_malformed + p.b.s->stats().segs_malformed, 0u);
    }
}

TEST(ReliableSession, FragmentsAroundTheSegmentSizeAnd64KiBAndTheLimit) {
    const size_t sd = kSegData;
    const std::vector<size_t> sizes = {0, 1, sd - 1, sd, sd + 1, 2 * sd - 1, 2 * sd, 2 * sd + 1, 65535, 65536, 65537, kMaxMessage};
    Pair p(7);
    p.ch.loss = 0.05;
    auto ids = send_numbered(p.a, p.ch.now, 0, static_cast<uint32_t>(sizes.size()), sizes);
    p.ch.run_for(30'000'000);
    expect_exactly_once_in_order(p.b, 0, static_cast<uint32_t>(sizes.size()), sizes);
    for (uint64_t id : ids) EXPECT_EQ(p.a.outcomes[id], MessageStatus::Delivered);
    std::vector<uint8_t> big(kMaxMessage + 1);
    SendRefusal why = SendRefusal::None;
    EXPECT_EQ(p.a.s->send(1, big.data(), big.size(), p.ch.now, &why), 0u);
    EXPECT_EQ(why, SendRefusal::TooBig);
}

TEST(ReliableSession, ARouteChangeSendsEverythingOutstandingAgainAtOnce) {
    Pair p(3);
    p.a.s->set_rtt(100'000);  // a timeout far away: only the route change can explain a resend
    p.ch.run_for(2000);       // incarnations learnt
    ASSERT_TRUE(p.a.s->established());
    p.ch.blackhole = true;    // the route in use dies silently
    auto ids = send_numbered(p.a, p.ch.now, 0, 20, {kSegData * 2});
    p.ch.run_for(1000);
    ASSERT_EQ(p.a.s->in_flight(), 40u);
    ASSERT_EQ(p.a.s->stats().segs_retransmitted, 0u);
    p.ch.blackhole = false;   // the next route
    p.a.s->route_changed(p.ch.now);
    EXPECT_EQ(p.a.s->next_due_us(), 0u) << "due now, not after the timeout";
    p.a.s->flush(p.ch.now);
    EXPECT_EQ(p.a.s->stats().segs_retransmitted, 40u);
    EXPECT_EQ(p.a.s->stats().timeouts, 0u);
    p.ch.run_for(2000);
    expect_exactly_once_in_order(p.b, 0, 20, {kSegData * 2});
    for (uint64_t id : ids) EXPECT_EQ(p.a.outcomes[id], MessageStatus::Delivered);
}

TEST(ReliableSession, ARestartedPeerResetsBothSidesAndNothingOfItsEarlierLifeIsDelivered) {
    Pair p(4, /*inc_a=*/5, /*inc_b=*/9);
    p.ch.run_for(2000);
    send_numbered(p.a, p.ch.now, 0, 10, {100});
    send_numbered(p.b, p.ch.now, 500, 10, {100});
    p.ch.run_for(50'000);
    expect_exactly_once_in_order(p.b, 0, 10, {100});
    ASSERT_EQ(p.a.incarnations.size(), 1u);
    EXPECT_EQ(p.a.incarnations[0], (std::pair<uint16_t, uint16_t>{0, 9}));

    // B's old life sent these; they may still be in the network.
    std::vector<std::vector<uint8_t>> old_life = p.b.sent_log;
    // Messages A sends while B is gone stay outstanding.
    p.ch.blackhole = true;
    auto lost = send_numbered(p.a, p.ch.now, 100, 5, {100});
    p.ch.run_for(10'000);
    // B starts again with a later incarnation.
    p.b.s = std::make_unique<ReliableSession>(p.b, 10, kSegData, 77);
    p.b.received.clear();
    p.ch.blackhole = false;
    p.ch.run_for(100'000);
    for (uint64_t id : lost) EXPECT_EQ(p.a.outcomes[id], MessageStatus::PeerRestarted);
    EXPECT_EQ(p.a.s->stats().resets, 1u);
    ASSERT_EQ(p.a.incarnations.size(), 2u);
    EXPECT_EQ(p.a.incarnations[1], (std::pair<uint16_t, uint16_t>{9, 10}));
    EXPECT_TRUE(p.b.received.empty()) << "the new life got nothing of the old stream";

    // The old life's segments, replayed now, are dropped at A.
    const size_t before = p.a.received.size();
    const uint64_t stale = p.a.s->stats().segs_stale;
    for (auto& seg : old_life) p.a.s->on_segment(seg.data(), seg.size(), p.ch.now);
    EXPECT_EQ(p.a.received.size(), before);
    EXPECT_EQ(p.a.s->stats().segs_stale, stale + old_life.size());

    // Both directions work in the new life, from the start of a new stream.
    send_numbered(p.a, p.ch.now, 200, 10, {3000});
    send_numbered(p.b, p.ch.now, 300, 10, {3000});
    p.ch.run_for(100'000);
    expect_exactly_once_in_order(p.b, 200, 10, {3000});
    ASSERT_EQ(p.a.received.size(), before + 10);
}

// A receiver that just started (its replay windows empty) is shown
// everything recorded from an earlier life of the peer first: probes, acks,
// data. It must not take that life for the present one (a spurious reset
// when the real one arrives), and it delivers nothing of it.
TEST(ReliableSession, AFreshReceiverIsNotFooledByAReplayedEarlierLife) {
    Pair p(12, /*inc_a=*/3, /*inc_b=*/1);
    p.ch.run_for(2000);
    send_numbered(p.a, p.ch.now, 0, 20, {500});
    p.ch.run_for(50'000);
    std::vector<std::vector<uint8_t>> recorded = p.a.sent_log;  // A's life 3
    // Both restart: A in life 4, B afresh.
    p.a.s = std::make_unique<ReliableSession>(p.a, 4, kSegData, 5);
    p.b.s = std::make_unique<ReliableSession>(p.b, 2, kSegData, 6);
    p.b.received.clear();
    p.a.incarnations.clear();
    p.b.incarnations.clear();
    for (auto& seg : recorded) p.b.s->on_segment(seg.data(), seg.size(), p.ch.now);
    EXPECT_FALSE(p.b.s->established()) << "a recorded life is no proof";
    EXPECT_GT(p.b.s->stats().segs_unverified, 0u);
    EXPECT_TRUE(p.b.received.empty());
    p.ch.run_for(100'000);
    ASSERT_TRUE(p.b.s->established());
    EXPECT_EQ(p.b.s->peer_incarnation(), 4);
    ASSERT_EQ(p.b.incarnations.size(), 1u);
    EXPECT_EQ(p.b.incarnations[0], (std::pair<uint16_t, uint16_t>{0, 4})) << "first contact, no reset";
    EXPECT_EQ(p.b.s->stats().resets, 0u);
    send_numbered(p.a, p.ch.now, 100, 10, {500});
    p.ch.run_for(50'000);
    expect_exactly_once_in_order(p.b, 100, 10, {500});
}

TEST(ReliableSession, APausedPeerDeliversNothingTwiceAndTheSenderBacksOff) {
    Pair p(5);
    p.a.s->set_rtt(200);
    p.ch.run_for(2000);
    send_numbered(p.a, p.ch.now, 0, 50, {2000});
    p.b.paused = true;                // kill -STOP
    p.ch.run_for(3'000'000, 500);     // 3 s
    const SessionStats during = p.a.s->stats();
    // Backoff: each segment's timeout doubles up to kMaxRto, so 3 s costs a
    // handful of retries per segment, not one per minimum timeout.
    const uint64_t segs = 100;
    EXPECT_LE(during.timeouts, segs * 14) << "retries during 3 s";
    EXPECT_GE(during.timeouts, segs * 3);
    EXPECT_LT(p.a.s->rto_us(), 10'000u) << "the timeout base comes from the heartbeat RTT, not from late acks";
    p.ch.resume(p.b);                 // kill -CONT: it reads the whole backlog
    p.ch.run_for(2'000'000, 500);
    expect_exactly_once_in_order(p.b, 0, 50, {2000});
    EXPECT_GT(p.b.s->stats().segs_duplicate, 0u) << "the backlog held copies";
    EXPECT_LT(p.a.s->rto_us(), 10'000u);
}

TEST(ReliableSession, ReplayedSegmentsAreNeverDeliveredAgain) {
    Pair p(6);
    p.ch.run_for(2000);
    send_numbered(p.a, p.ch.now, 0, 30, {5000});
    p.ch.run_for(100'000);
    expect_exactly_once_in_order(p.b, 0, 30, {5000});
    for (int round = 0; round < 3; round++)
        for (auto& seg : p.a.sent_log) p.b.s->on_segment(seg.data(), seg.size(), p.ch.now);
    EXPECT_EQ(p.b.received.size(), 30u);
}

TEST(ReliableSession, TheSenderNeverHasMoreOutstandingThanThePeersWindow) {
    Pair p(8);
    p.ch.run_for(2000);
    // The receiver is reached but its acks are lost: the window stays shut.
    send_numbered(p.a, p.ch.now, 0, 1000, {kSegData});
    p.ch.loss = 0;
    for (int i = 0; i < 200; i++) {
        // Drop everything B sends.
        p.ch.run_for(100);
        for (auto it = p.ch.q.begin(); it != p.ch.q.end();) it = it->second.to == 0 ? p.ch.q.erase(it) : std::next(it);
        ASSERT_LE(p.a.s->in_flight(), kWindow);
    }
    EXPECT_EQ(p.a.s->in_flight(), kWindow);
    p.ch.run_for(5'000'000);
    expect_exactly_once_in_order(p.b, 0, 1000, {kSegData});
}

TEST(ReliableSession, AFullQueueRefusesWithTheReason) {
    Pair p(9);
    std::vector<uint8_t> m(1u << 20);
    size_t accepted = 0;
    SendRefusal why = SendRefusal::None;
    while (p.a.s->send(1, m.data(), m.size(), p.ch.now, &why) != 0) accepted++;
    EXPECT_EQ(accepted, kMaxQueuedBytes / m.size());
    EXPECT_EQ(why, SendRefusal::QueueFull);
}

TEST(ReliableSession, MalformedSegmentsAreCountedAndChangeNothing) {
    Pair p(10);
    p.ch.run_for(2000);
    uint8_t junk[64] = {};
    p.b.s->on_segment(junk, 10, p.ch.now);                 // short
    junk[0] = 9;                                            // unknown kind
    p.b.s->on_segment(junk, sizeof junk, p.ch.now);
    SegHeader h{};
    h.kind = static_cast<uint8_t>(SegKind::Data);
    h.sender_inc = __builtin_bswap16(1);
    h.receiver_inc = __builtin_bswap16(1);
    h.seq = __builtin_bswap64(1);
    h.frags = 0;                                            // no fragments
    std::memcpy(junk, &h, sizeof h);
    p.b.s->on_segment(junk, sizeof junk, p.ch.now);
    EXPECT_EQ(p.b.s->stats().segs_malformed, 3u);
    EXPECT_TRUE(p.b.received.empty());
    send_numbered(p.a, p.ch.now, 0, 3, {10});
    p.ch.run_for(10'000);
    expect_exactly_once_in_order(p.b, 0, 3, {10});
}

}  // namespace
}  // namespace ftnet::session
