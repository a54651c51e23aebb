// What a reload compares (engine/reload/control/config_diff.h) and the
// automatic network metrics (engine/config/network_metrics.h).
#include <gtest/gtest.h>

#include "engine/config/config_loader.h"
#include "engine/config/network_metrics.h"
#include "engine/reload/control/config_diff.h"
#include "tests/unit/minimal_config.h"

namespace ftnet {
namespace {

TEST(ConfigDiff, OnlyChangedTopLevelKeysCountNotCommentsOrLayout) {
    toml::table a = toml::parse(R"(
[node]
id = 1   # the first
name = "n1"
[[network]]
name = "cluster"
metric = 100
[[network]]
name = "storage"
)");
    toml::table same = toml::parse(R"(
# reformatted
[node]
name = "n1"
id = 1
[[network]]
metric = 100
name = "cluster"

[[network]]
name = "storage"
)");
    EXPECT_TRUE(changed_top_level_keys(a, same).empty());
    toml::table b = toml::parse(R"(
[node]
id = 1
name = "n1"
[[network]]
name = "cluster"
metric = 300
[[network]]
name = "storage"
[metrics]
prometheus = "127.0.0.1:9100"
)");
    EXPECT_EQ(changed_top_level_keys(a, b), (std::vector<std::string>{"metrics", "network"}));
    EXPECT_EQ(changed_top_level_keys(b, a), (std::vector<std::string>{"metrics", "network"})) << "a key removed counts";
}

Config load(const std::string& text) {
    ConfigResult r = load_config_string(text, "t.toml");
    EXPECT_TRUE(r.config) << (r.errors.empty() ? "" : r.errors.front().str());
    return r.config ? *r.config : Config{};
}

TEST(AutoMetrics, PrivateNetworksRankBeforeThoseWithAGatewayAndAnOperatorsMetricStays) {
    std::string text = test::kMinimalConfig;
    text += R"([[network]]
name = "public"
role = 3
subnets = ["198.18.1.0/24"]
[[network]]
name = "fixed"
metric = 50
subnets = ["198.18.4.0/24"]
[[port]]
name = "q"
driver = "null"
network = "public"
ipv4 = "198.18.1.1/24"
gateway4 = "198.18.1.254"
)";
    Config c = load(text);
    ASSERT_EQ(c.networks.size(), 4u);
    auto metric = [&](const char* n) { return c.find_network(n)->metric; };
    EXPECT_EQ(metric("cluster"), 1000u);
    EXPECT_EQ(metric("storage"), 1100u);
    EXPECT_EQ(metric("public"), 10000u) << "it has a default gateway";
    EXPECT_EQ(metric("fixed"), 50u);
    EXPECT_FALSE(c.find_network("fixed")->metric_auto);
    EXPECT_TRUE(network_has_gateway(c, "public"));
    // Role 3 ranks after role 1 among private networks.
    for (auto& n : c.networks)
        if (n.name == "cluster") n.role = NetworkRole::ClusterAndClient;
    assign_auto_metrics(c);
    EXPECT_EQ(metric("storage"), 1000u);
    EXPECT_EQ(metric("cluster"), 1100u);
}

}  // namespace
}  // namespace ftnet
