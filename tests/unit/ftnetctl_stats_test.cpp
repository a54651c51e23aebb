// `ftnetctl stats --watch` rates (engine/app/ftnetctl_stats.h).
#include "engine/app/ftnetctl_stats.h"

#include <gtest/gtest.h>

namespace ftnet::ctl {
namespace {

using nlohmann::json;

json sample(uint64_t rx, uint64_t rx_bytes, uint64_t worker, uint64_t deny) {
    return {{"ports", {{{"name", "cluster"}, {"rx_packets", rx}, {"rx_bytes", rx_bytes}, {"tx_packets", 0}, {"tx_bytes", 0}}}},
            {"workers", {{{"index", 0}, {"packets", worker}}}},
            {"drops", {{"policy-deny-rx", deny}, {"rx-bad-tag", 7}}}};
}

TEST(StatsRates, DifferencesOverTheIntervalAndOnlyTheDropsThatMoved) {
    json r = stats_rates(sample(1000, 1000000, 500, 3), sample(3000, 3500000, 2500, 13), 2.0);
    EXPECT_DOUBLE_EQ(r["ports"][0]["rx_pps"].get<double>(), 1000.0);
    EXPECT_DOUBLE_EQ(r["ports"][0]["rx_mbps"].get<double>(), 10.0);  // 2.5 MB in 2 s
    EXPECT_DOUBLE_EQ(r["workers"][0]["pps"].get<double>(), 1000.0);
    EXPECT_EQ(r["drops_per_s"].size(), 1u);
    EXPECT_DOUBLE_EQ(r["drops_per_s"]["policy-deny-rx"].get<double>(), 5.0);
    const std::string text = render_rates(r);
    EXPECT_NE(text.find("cluster"), std::string::npos);
    EXPECT_NE(text.find("policy-deny-rx"), std::string::npos);
    EXPECT_EQ(text.find("rx-bad-tag"), std::string::npos) << "a drop that did not move is not shown";
    // A counter that went backwards (a restarted daemon) is no negative rate.
    json back = stats_rates(sample(3000, 0, 0, 0), sample(10, 0, 0, 0), 1.0);
    EXPECT_DOUBLE_EQ(back["ports"][0]["rx_pps"].get<double>(), 0.0);
}

}  // namespace
}  // namespace ftnet::ctl
