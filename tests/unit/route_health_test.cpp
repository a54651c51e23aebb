// The route health state machine (engine/datapath/route_health.h), as
// sequences of heartbeat periods and the state after each.
#include "engine/datapath/route_health.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ftnet {
namespace {

// One period: 'a' answered, 'm' missed, 'L' no link. Expected states: 'u'
// unknown, 'U' up, 'D' down, one per period.
struct Sequence {
    const char* name;
    unsigned threshold, recovery;
    const char* periods;
    const char* states;
    const char* causes;  // per period: '.' none, 'F' first reply, 'M' missed, 'L' link, 'R' recovered
};

class HealthTest : public testing::TestWithParam<Sequence> {};

TEST_P(HealthTest, StatesFollowThePeriods) {
    const Sequence& s = GetParam();
    RouteHealth h;
    std::string states, causes;
    for (const char* p = s.periods; *p; p++) {
        HealthCause c = health_step(h, *p != 'L', *p == 'a', s.threshold, s.recovery);
        states += h.state == HealthState::Up ? 'U' : h.state == HealthState::Down ? 'D' : 'u';
        causes += c == HealthCause::None        ? '.'
                  : c == HealthCause::FirstReply ? 'F'
                  : c == HealthCause::Missed     ? 'M'
                  : c == HealthCause::LinkDown   ? 'L'
                                                 : 'R';
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
        Sequence{"flapping_link_never_carries_traffic_early", 3, 3, "aLaLaLaaa", "UDDDDDDDU", "FL......R"}),
    [](const testing::TestParamInfo<Sequence>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace ftnet

namespace ftnet {
namespace {

TEST(HealthTimeout, OnlyAnUpRouteTimesOut) {
    RouteHealth h;
    EXPECT_EQ(health_timeout(h, 3), HealthCause::None) << "unknown: the period count decides";
    health_step(h, true, true, 3, 2);
    ASSERT_EQ(h.state, HealthState::Up);
    EXPECT_EQ(health_timeout(h, 3), HealthCause::Missed);
    EXPECT_EQ(h.state, HealthState::Down);
    EXPECT_EQ(h.misses, 3);
    EXPECT_EQ(health_timeout(h, 3), HealthCause::None) << "already down";
    // Recovery after a timeout still needs the hysteresis.
    EXPECT_EQ(health_step(h, true, true, 3, 2), HealthCause::None);
    EXPECT_EQ(health_step(h, true, true, 3, 2), HealthCause::Recovered);
}

}  // namespace
}  // namespace ftnet
