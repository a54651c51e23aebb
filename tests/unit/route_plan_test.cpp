// Route planning and ranking (engine/tunnel/control/route_plan.h).
#include "engine/tunnel/control/route_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/config/config_loader.h"
#include "engine/hello/control/hello_module.h"

namespace ftnet {
namespace {

// node 1 with ports on three networks; peer 2 on all three, peer 3 on a
// routed site (other subnets of the cluster network) reached via gateways.
const char* kConfig = R"(
[node]
id = 1
name = "n1"
[cluster]
key = "00112233445566778899aabbccddeeff"
[[network]]
name = "public"
role = 3
metric = 100
subnets = ["198.18.1.0/24", "fd00:1::/64"]
[[network]]
name = "cluster"
role = 1
metric = 100
subnets = ["198.18.2.0/24", "fd00:2::/64", "198.19.2.0/24", "fd00:12::/64"]
[[network]]
name = "backup"
role = 1
metric = 500
subnets = ["198.18.3.0/24"]
[[network]]
name = "mgmt"
role = 0
subnets = ["198.18.9.0/24"]
[[port]]
name = "p-public"
driver = "null"
network = "public"
ipv4 = "198.18.1.1/24"
ipv6 = "fd00:1::1/64"
[[port]]
name = "p-cluster"
driver = "null"
network = "cluster"
ipv4 = "198.18.2.1/24"
ipv6 = "fd00:2::1/64"
gateway4 = "198.18.2.254"
[[port]]
name = "p-backup"
driver = "null"
network = "backup"
ipv4 = "198.18.3.1/24"
[[port]]
name = "p-mgmt"
driver = "null"
network = "mgmt"
ipv4 = "198.18.9.1/24"
[[peer]]
id = 2
name = "n2"
  [[peer.endpoint]]
  network = "public"
  ipv4 = "198.18.1.2"
  ipv6 = "fd00:1::2"
  [[peer.endpoint]]
  network = "cluster"
  ipv4 = "198.18.2.2"
  ipv6 = "fd00:2::2"
  [[peer.endpoint]]
  network = "backup"
  ipv4 = "198.18.3.2"
  [[peer.endpoint]]
  network = "mgmt"
  ipv4 = "198.18.9.2"
[[peer]]
id = 3
name = "n3"
  [[peer.endpoint]]
  network = "cluster"
  ipv4 = "198.19.2.3"
  ipv6 = "fd00:12::3"
)";

Config load() {
    auto r = load_config_string(kConfig, "test.toml");
    for (auto& e : r.errors) ADD_FAILURE() << e.str();
    return *r.config;
}

std::vector<std::string> titles(const Config& c, const std::vector<RouteDesc>& rs, uint16_t peer) {
    std::vector<std::string> out;
    for (auto& r : rs)
        if (r.peer_node == peer) out.push_back(route_title(c, r));
    return out;
}

TEST(RoutePlan, RanksByMetricThenRoleThenIpv6First) {
    Config c = load();
    RouteIdMap ids;
    auto plan = plan_routes(c, ids);
    // Equal metric 100: role 1 (cluster) before role 3 (public); IPv6
    // before IPv4 on each; backup (metric 500) last; mgmt (role 0) never.
    EXPECT_EQ(titles(c, plan.routes, 2), (std::vector<std::string>{
                                             "Route between fd00:2::1 and fd00:2::2 (cluster, IPv6)",
                                             "Route between 198.18.2.1 and 198.18.2.2 (cluster, IPv4)",
                                             "Route between fd00:1::1 and fd00:1::2 (public, IPv6)",
                                             "Route between 198.18.1.1 and 198.18.1.2 (public, IPv4)",
                                             "Route between 198.18.3.1 and 198.18.3.2 (backup, IPv4)",
                                         }));
    for (auto& r : plan.routes)
        if (r.peer_node == 2) {
            EXPECT_EQ(r.rank, static_cast<unsigned>(&r - &plan.routes[0]));
        }
}

TEST(RoutePlan, CrossSubnetRoutesNeedAGatewayOfTheirFamily) {
    Config c = load();
    RouteIdMap ids;
    auto plan = plan_routes(c, ids);
    auto t = titles(c, plan.routes, 3);
    ASSERT_EQ(t.size(), 1u) << "IPv4 via gateway4; no IPv6 route without gateway6";
    EXPECT_EQ(t[0], "Route between 198.18.2.1 and 198.19.2.3 (cluster, IPv4, via 198.18.2.254)");
    const RouteDesc& r = plan.routes.back();
    EXPECT_TRUE(r.cross_subnet);
    EXPECT_EQ(r.next_hop.str(), "198.18.2.254");
    ASSERT_EQ(plan.skipped.size(), 1u);
    EXPECT_NE(plan.skipped[0].find("has no gateway6"), std::string::npos) << plan.skipped[0];
}

TEST(RoutePlan, SameSubnetRoutesPrecedeRoutedOnesAtEqualMetric) {
    Config c = load();
    c.ports[1].gateway6 = IpAddr::parse("fd00:2::fe");
    c.peers[0].endpoints[1].ipv6 = IpAddr::parse("fd00:12::2");  // peer 2's cluster v6 now routed
    RouteIdMap ids;
    auto plan = plan_routes(c, ids);
    auto t = titles(c, plan.routes, 2);
    EXPECT_EQ(t[0], "Route between 198.18.2.1 and 198.18.2.2 (cluster, IPv4)");
    // Role still ranks before routed-ness: the routed cluster path beats public.
    EXPECT_EQ(t[1], "Route between fd00:2::1 and fd00:12::2 (cluster, IPv6, via fd00:2::fe)");
    EXPECT_EQ(t[2], "Route between fd00:1::1 and fd00:1::2 (public, IPv6)");
}

TEST(RoutePlan, RouteIdsAreStableAcrossReplanning) {
    Config c = load();
    RouteIdMap ids;
    auto first = plan_routes(c, ids);
    std::swap(c.peers[0], c.peers[1]);  // order changes, ids must not
    auto second = plan_routes(c, ids);
    for (auto& a : first.routes)
        for (auto& b : second.routes)
            if (a.peer_node == b.peer_node && a.remote == b.remote && a.port_cfg == b.port_cfg) {
                EXPECT_EQ(a.id, b.id);
            }
}

// A port or a peer that leases its IPv4 address (`ipv4 = "dhcp"`): no
// IPv4 route until the address is known, then one, and the routes that
// were there keep their ids; a new lease is a new route.
TEST(RoutePlan, LeasedAddressesAddAndReplaceRoutesAndTheOthersKeepTheirIds) {
    Config c = load();
    c.ports[2].ipv4.reset();  // p-backup: ipv4 = "dhcp", no lease yet
    c.ports[2].ipv4_dhcp = true;
    RouteIdMap ids;
    auto before = plan_routes(c, ids);
    EXPECT_THAT(titles(c, before.routes, 2), ::testing::Not(::testing::Contains(::testing::HasSubstr("backup"))));
    c.ports[2].ipv4 = *IfAddr::parse("198.18.3.117/24");
    auto leased = plan_routes(c, ids);
    EXPECT_THAT(titles(c, leased.routes, 2), ::testing::Contains("Route between 198.18.3.117 and 198.18.3.2 (backup, IPv4)"));
    for (auto& a : before.routes)
        for (auto& b : leased.routes)
            if (a.peer_node == b.peer_node && a.remote == b.remote && a.port_cfg == b.port_cfg) {
                EXPECT_EQ(a.id, b.id);
            }
    // The peer's side: its endpoint leases too, and it told us its address.
    c.peers[0].endpoints[2].ipv4.reset();
    c.peers[0].endpoints[2].ipv4_dhcp = true;
    EXPECT_THAT(titles(c, plan_routes(c, ids).routes, 2), ::testing::Not(::testing::Contains(::testing::HasSubstr("backup"))));
    c.peers[0].endpoints[2].ipv4 = *IpAddr::parse("198.18.3.201");
    auto told = plan_routes(c, ids);
    EXPECT_THAT(titles(c, told.routes, 2), ::testing::Contains("Route between 198.18.3.117 and 198.18.3.201 (backup, IPv4)"));
    uint16_t old_id = 0, new_id = 0;
    for (auto& r : leased.routes)
        if (r.port_cfg == 2) old_id = r.id;
    for (auto& r : told.routes)
        if (r.port_cfg == 2) new_id = r.id;
    EXPECT_NE(old_id, new_id) << "another remote address: another route";
}

TEST(RoutePlan, NoCommonNetworkMeansNoRoute) {
    Config c = load();
    c.peers[1].endpoints[0].network = "backup";
    c.peers[1].endpoints[0].ipv6.reset();
    c.peers[1].endpoints[0].ipv4 = IpAddr::parse("198.18.3.3");
    c.ports[2].network = "public";  // nobody local on backup any more
    RouteIdMap ids;
    EXPECT_TRUE(titles(c, plan_routes(c, ids).routes, 3).empty());
}

}  // namespace
}  // namespace ftnet

namespace ftnet {
namespace {

// A peer with two endpoints on one network has two routes on the same port
// and family; a HELLO belongs to the one whose remote end sent it (before
// the fix, port and family alone picked the last of them for both).
TEST(HelloArrival, TwoEndpointsOfAPeerOnOneNetworkAreTwoRoutes) {
    std::string cfg = R"(
[node]
id = 1
name = "n1"
[cluster]
key = "00112233445566778899aabbccddeeff"
[[network]]
name = "cluster"
subnets = ["fd00:2::/64"]
[[port]]
name = "p0"
driver = "null"
network = "cluster"
ipv6 = "fd00:2::1/64"
[[peer]]
id = 2
name = "n2"
  [[peer.endpoint]]
  network = "cluster"
  ipv6 = "fd00:2::2"
  [[peer.endpoint]]
  network = "cluster"
  ipv6 = "fd00:2::22"
)";
    auto loaded = load_config_string(cfg, "t.toml");
    ASSERT_TRUE(loaded.config) << (loaded.errors.empty() ? "" : loaded.errors[0].str());
    RouteIdMap ids;
    auto plan = plan_routes(*loaded.config, ids);
    ASSERT_EQ(plan.routes.size(), 2u);
    const IpAddr a = *IpAddr::parse("fd00:2::2"), b = *IpAddr::parse("fd00:2::22");
    const RouteDesc* ra = hello_arrival_route(plan.routes, 2, 0, Family::V6, a);
    const RouteDesc* rb = hello_arrival_route(plan.routes, 2, 0, Family::V6, b);
    ASSERT_NE(ra, nullptr);
    ASSERT_NE(rb, nullptr);
    EXPECT_EQ(ra->remote, a);
    EXPECT_EQ(rb->remote, b);
    EXPECT_EQ(hello_arrival_route(plan.routes, 2, 0, Family::V6, *IpAddr::parse("fd00:2::99")), nullptr)
        << "a HELLO from an address that is no route's remote end belongs to no route";
    EXPECT_EQ(hello_arrival_route(plan.routes, 3, 0, Family::V6, a), nullptr) << "another node's HELLO";
}

}  // namespace
}  // namespace ftnet
