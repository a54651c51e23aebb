// The route health state machine (engine/heartbeat/datapath/route_health.h), as
// sequences of heartbeat periods and the state after each, and as timelines
// for silence deadlines, flap damping and hold-downs.
#include "engine/heartbeat/datapath/route_health.h"
#include "engine/heartbeat/cluster_properties.h"
#include "engine/heartbeat/heartbeat_settings.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

namespace ftnet {
namespace {

// One period: 'a' answered, 'l' alive (a sign of the peer, no timely reply),
// 'm' missed, 'u' unjudged (this node stalled), 'L' link lost, 'A' set down
// by the operator, 'P' the peer reports its link down. Expected states: 'u'
// unknown, 'U' up, 'D' down, one per period.
struct Sequence {
    const char* name;
    unsigned threshold, recovery;
    const char* periods;
    const char* states;
    const char* causes;  // per period: '.' none, 'F' first reply, 'M' missed, 'L' link, 'A' admin, 'P' peer, 'R' recovered
};

char cause_char(HealthCause c) {
    switch (c) {
    case HealthCause::None: return '.';
    case HealthCause::FirstReply: return 'F';
    case HealthCause::Missed: return 'M';
    case HealthCause::LinkDown: return 'L';
    case HealthCause::AdminDown: return 'A';
    case HealthCause::PeerLinkDown: return 'P';
    case HealthCause::Recovered: return 'R';
    default: return '?';
    }
}

class HealthTest : public testing::TestWithParam<Sequence> {};

TEST_P(HealthTest, StatesFollowThePeriods) {
    const Sequence& s = GetParam();
    HealthConfig c;
    c.threshold = s.threshold;
    c.recovery = s.recovery;
    RouteHealth h;
    std::string states, causes;
    uint64_t t = 0;
    for (const char* p = s.periods; *p; p++, t += 10) {
        HealthCause cause = HealthCause::None;
        switch (*p) {
        case 'L': cause = health_link_down(h, c, t, HealthCause::LinkDown); break;
        case 'A': cause = health_link_down(h, c, t, HealthCause::AdminDown); break;
        case 'P': cause = health_link_down(h, c, t, HealthCause::PeerLinkDown); break;
        default: {
            const PeriodOutcome o = *p == 'a'   ? PeriodOutcome::Answered
                                    : *p == 'l' ? PeriodOutcome::Alive
                                    : *p == 'u' ? PeriodOutcome::Unjudged
                                                : PeriodOutcome::Missed;
            cause = health_period(h, c, o, t);
        }
        }
        states += h.state == HealthState::Up ? 'U' : h.state == HealthState::Down ? 'D' : 'u';
        causes += cause_char(cause);
    }
    EXPECT_EQ(states, s.states) << "periods " << s.periods;
    EXPECT_EQ(causes, s.causes) << "periods " << s.periods;
}

INSTANTIATE_TEST_SUITE_P(
    Sequences, HealthTest,
    testing::Values(
        Sequence{"first_reply_brings_it_up_at_once", 3, 3, "a", "U", "F"},
        Sequence{"never_answered_goes_down_after_threshold", 3, 3, "mmmm", "uuDD", "..M."},
        Sequence{"threshold_misses_in_a_row", 3, 3, "ammmm", "UUUDD", "F..M."},
        Sequence{"fewer_misses_than_threshold_do_nothing", 3, 3, "ammammamm", "UUUUUUUUU", "F........"},
        Sequence{"an_answer_resets_the_count", 5, 3, "ammmmammmm", "UUUUUUUUUU", "F........."},
        Sequence{"threshold_five", 5, 3, "ammmmm", "UUUUUD", "F....M"},
        Sequence{"hysteresis_needs_recovery_answers_in_a_row", 2, 3, "ammaaamaaa", "UUDDDUUUUU", "F.M..R...."},
        Sequence{"a_miss_restarts_the_recovery", 2, 3, "ammaamaaa", "UUDDDDDDU", "F.M.....R"},
        Sequence{"recovery_one_is_immediate", 2, 1, "amma", "UUDU", "F.MR"},
        Sequence{"link_loss_is_down_at_once", 5, 3, "aLa", "UDD", "FL."},
        Sequence{"link_loss_while_unknown", 3, 3, "L", "D", "L"},
        Sequence{"link_back_then_recovery", 3, 2, "aLLaa", "UDDDU", "FL..R"},
        Sequence{"flapping_link_never_carries_traffic_early", 3, 3, "aLaLaLaaa", "UDDDDDDDU", "FL......R"},
        Sequence{"operator_down_is_down_at_once", 3, 2, "aAaa", "UDDU", "FA.R"},
        Sequence{"peer_reported_link_down_is_down_at_once", 3, 2, "aPaa", "UDDU", "FP.R"},
        // A stall of this node never counts as a miss, whatever its length.
        Sequence{"unjudged_periods_never_accuse", 3, 3, "auuuuuuuu", "UUUUUUUUU", "F........"},
        Sequence{"unjudged_periods_neither_count_nor_reset", 3, 3, "ammumm", "UUUUDD", "F...M."},
        // Other signs of the peer keep an up route up, but never bring one up.
        Sequence{"alive_keeps_an_up_route_up", 3, 3, "amlmmlmm", "UUUUUUUU", "F......."},
        Sequence{"alive_never_brings_a_route_up", 2, 2, "lll", "uDD", ".M."},
        Sequence{"alive_does_not_count_for_recovery", 2, 2, "ammlalaa", "UUDDDDDU", "F.M....R"}),
    [](const testing::TestParamInfo<Sequence>& i) { return std::string(i.param.name); });

TEST(HealthSilence, OnlyAnUpRouteFallsSilent) {
    HealthConfig c;
    c.threshold = 3;
    c.recovery = 2;
    RouteHealth h;
    EXPECT_EQ(health_silence(h, c, 0), HealthCause::None) << "unknown: the period count decides";
    health_period(h, c, PeriodOutcome::Answered, 0);
    ASSERT_EQ(h.state, HealthState::Up);
    EXPECT_EQ(health_silence(h, c, 10), HealthCause::Missed);
    EXPECT_EQ(h.state, HealthState::Down);
    EXPECT_EQ(h.misses, 3);
    EXPECT_EQ(health_silence(h, c, 20), HealthCause::None) << "already down";
    // Recovery after a silence still needs the hysteresis.
    EXPECT_EQ(health_period(h, c, PeriodOutcome::Answered, 30), HealthCause::None);
    EXPECT_EQ(health_period(h, c, PeriodOutcome::Answered, 40), HealthCause::Recovered);
}

TEST(HealthSilence, AHeldVerdictWaits) {
    HealthConfig c;
    c.threshold = 2;
    RouteHealth h;
    health_period(h, c, PeriodOutcome::Answered, 0);
    EXPECT_TRUE(health_would_fail(h, c, PeriodOutcome::Missed) == false) << "one miss is not two";
    health_period(h, c, PeriodOutcome::Missed, 1);
    EXPECT_TRUE(health_would_fail(h, c, PeriodOutcome::Missed));
    EXPECT_FALSE(health_would_fail(h, c, PeriodOutcome::Unjudged));
    // The owner holds the verdict (every route silent at once): still up.
    EXPECT_EQ(health_period(h, c, PeriodOutcome::Missed, 2, false), HealthCause::None);
    EXPECT_EQ(h.state, HealthState::Up);
    EXPECT_EQ(health_period(h, c, PeriodOutcome::Missed, 3, true), HealthCause::Missed);
}

// Flap damping: FlapThreshold 2 downs tolerated within a window of 1000,
// then a hold-down of 100 that doubles, up to 350.
struct Damping : testing::Test {
    HealthConfig c{.threshold = 1, .recovery = 1, .flap_threshold = 2, .flap_window = 1000, .hold_down = 100,
                   .hold_down_max = 350};
    RouteHealth h;
    uint64_t t = 0;

    // One flap: up (first reply or recovery), then down by a missed period.
    HealthCause flap() {
        health_period(h, c, PeriodOutcome::Answered, t += 10);
        return health_period(h, c, PeriodOutcome::Missed, t += 10);
    }
};

TEST_F(Damping, AFewDownsAreTolerated) {
    EXPECT_EQ(flap(), HealthCause::Missed);
    EXPECT_EQ(flap(), HealthCause::Missed);
    EXPECT_FALSE(h.held);
    EXPECT_EQ(health_flaps(h, c, t), 2u);
}

TEST_F(Damping, OneMoreHoldsTheRouteDownThroughAnsweredPeriods) {
    flap();
    flap();
    EXPECT_EQ(flap(), HealthCause::Missed);
    ASSERT_TRUE(h.held);
    EXPECT_EQ(h.hold_until, t + 100);
    for (int i = 0; i < 5; i++) EXPECT_EQ(health_period(h, c, PeriodOutcome::Answered, t += 10), HealthCause::None);
    EXPECT_EQ(h.state, HealthState::Down) << "held, although every period was answered";
    EXPECT_EQ(health_hold_check(h, c, t), HealthCause::None) << "not yet";
    t = h.hold_until;
    EXPECT_EQ(health_hold_check(h, c, t), HealthCause::HoldEnded);
    EXPECT_EQ(h.state, HealthState::Up);
}

TEST_F(Damping, AHoldEndingOnAFailingRouteLeavesItToRecover) {
    flap();
    flap();
    flap();
    ASSERT_TRUE(h.held);
    t = h.hold_until;
    health_period(h, c, PeriodOutcome::Missed, t);
    EXPECT_EQ(health_hold_check(h, c, t), HealthCause::None);
    EXPECT_FALSE(h.held);
    EXPECT_EQ(h.state, HealthState::Down);
    EXPECT_EQ(health_period(h, c, PeriodOutcome::Answered, t += 10), HealthCause::Recovered);
}

TEST_F(Damping, EachFurtherHoldDoublesUpToTheMaximum) {
    std::vector<uint64_t> holds;
    for (int i = 0; i < 8; i++) {
        flap();
        if (h.held) {
            holds.push_back(h.hold_until - t);
            t = h.hold_until;
            health_period(h, c, PeriodOutcome::Answered, t);
            health_hold_check(h, c, t);
        }
    }
    ASSERT_GE(holds.size(), 4u);
    EXPECT_EQ(holds[0], 100u);
    EXPECT_EQ(holds[1], 200u);
    EXPECT_EQ(holds[2], 350u);
    EXPECT_EQ(holds[3], 350u);
}

TEST_F(Damping, ARouteStableForAWindowStartsAfresh) {
    flap();
    flap();
    flap();
    ASSERT_TRUE(h.held);
    t = h.hold_until;
    health_period(h, c, PeriodOutcome::Answered, t);
    health_hold_check(h, c, t);
    t += 2000;  // up and quiet for two windows
    EXPECT_EQ(flap(), HealthCause::Missed);
    EXPECT_FALSE(h.held) << "old downs left the window";
    flap();
    flap();
    ASSERT_TRUE(h.held);
    EXPECT_EQ(h.hold_until - t, 100u) << "and the hold-down is back to its first length";
}

TEST_F(Damping, OperatorActionsAreNotFlaps) {
    for (int i = 0; i < 5; i++) {
        health_period(h, c, PeriodOutcome::Answered, t += 10);
        health_link_down(h, c, t += 10, HealthCause::AdminDown);
    }
    EXPECT_FALSE(h.held);
    EXPECT_EQ(health_flaps(h, c, t), 0u);
}

TEST_F(Damping, LinkFlapsAreFlaps) {
    for (int i = 0; i < 3; i++) {
        health_period(h, c, PeriodOutcome::Answered, t += 10);
        health_link_down(h, c, t += 10, HealthCause::LinkDown);
    }
    EXPECT_TRUE(h.held);
}

TEST_F(Damping, OffWhenTheThresholdIsZero) {
    c.flap_threshold = 0;
    for (int i = 0; i < 10; i++) flap();
    EXPECT_FALSE(h.held);
}

// The send grid: a period that starts off the grid ends on it, no sooner
// than half a Delay and no later than one and a half; one that starts on it
// (or a little late, as a poll is) lasts exactly one Delay; routes of the
// longer Delay land on the same grid.
TEST(SendGrid, PeriodsEndOnTheGridOfTheShortestDelay) {
    ClusterProperties p = ClusterProperties::defaults(HeartbeatProfile::Fast);
    p.same_subnet_delay_ms = 1;
    p.cross_subnet_delay_ms = 2;
    const uint64_t hz = 2'000'000'000;
    const HeartbeatSettings s = heartbeat_settings(p, hz);
    const uint64_t ms = hz / 1000;
    ASSERT_EQ(s.send_step_tsc, ms);
    for (uint64_t now : {uint64_t{0}, ms / 3, ms / 2, ms / 2 + 1, ms - 1, 12345 * ms + 777777}) {
        for (unsigned cls : {0u, 1u}) {
            const uint64_t delay = s.delay_tsc[cls];
            const uint64_t end = next_period_end(s, now, cls);
            EXPECT_EQ(end % ms, 0u) << "on the grid, from " << now;
            EXPECT_GE(end, now + delay / 2);
            EXPECT_LE(end, now + delay + delay / 2);
            // The next period starts there (or a poll later) and keeps to it.
            for (uint64_t late : {uint64_t{0}, ms / 100, ms / 3}) EXPECT_EQ(next_period_end(s, end + late, cls), end + delay);
        }
    }
    // Delays that are not multiples of each other keep their own periods
    // on a finer grid (20 and 50 ms: 10 ms; 2 and 3 ms: 1 ms).
    for (auto [d0, d1, step] : {std::tuple{20u, 50u, 10u}, std::tuple{2u, 3u, 1u}}) {
        p.same_subnet_delay_ms = d0;
        p.cross_subnet_delay_ms = d1;
        const HeartbeatSettings lab = heartbeat_settings(p, hz);
        EXPECT_EQ(lab.send_step_tsc, step * ms);
        for (uint64_t now : {uint64_t{0}, 7 * ms, 12345 * ms + 777777}) {
            for (unsigned cls : {0u, 1u}) {
                const uint64_t end = next_period_end(lab, now, cls);
                EXPECT_EQ(end % (step * ms), 0u);
                EXPECT_EQ(next_period_end(lab, end + ms / 10, cls), end + lab.delay_tsc[cls])
                    << d0 << "/" << d1 << " ms: class " << cls << " keeps its Delay";
            }
        }
    }
    // Hand-built settings without a grid keep plain periods.
    HeartbeatSettings plain{};
    plain.delay_tsc[0] = ms;
    EXPECT_EQ(next_period_end(plain, 123, 0), 123 + ms);
}

TEST(SendGrid, RttsConvertWithoutADivision) {
    const HeartbeatSettings s = heartbeat_settings(ClusterProperties::defaults(HeartbeatProfile::Fast), 2'600'000'000);
    EXPECT_EQ(tsc_to_ns(s, 2'600, 2'600'000'000), 1000u);
    EXPECT_NEAR(static_cast<double>(tsc_to_ns(s, 13'000'000'000ull, 2'600'000'000)), 5e9, 2.0) << "no overflow at 5 s";
    EXPECT_EQ(s.tsc_per_us, 2600u);
}

}  // namespace
}  // namespace ftnet
