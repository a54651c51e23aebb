// Two sites whose networks are routed (scripts/topology.sh with two sites:
// every network is two subnets, the switch namespace forwards between
// them): the routes between the sites go through each port's gateway, whose
// MAC the engine resolves, are cross-subnet and heartbeat at the
// CrossSubnet properties; ftnet0 carries traffic across the router; a
// router that stops forwarding one network is failed over like any silent
// loss.

#include <gtest/gtest.h>

#include <thread>

#include "tests/integration/lab_fixture.h"

namespace ftnet::itest {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

json in_use(Lab& lab, int n) {
    for (auto& r : lab.ctl(n, "routes"))
        if (r["in_use"].get<bool>()) return r;
    return json();
}

// The MAC of the router's interface on node 1's site of a network.
std::string router_mac(Lab& lab, const std::string& net) {
    CmdResult r = run(lab.ns("sw"), "cat /sys/class/net/br-" + net + "/address");
    std::string mac = r.out;
    while (!mac.empty() && (mac.back() == '\n' || mac.back() == ' ')) mac.pop_back();
    return mac;
}

TEST(RoutedSites, TrafficCrossesTheRouterOnCrossSubnetRoutes) {
    Lab lab(2, 2);
    lab.start_all();
    const json routes = lab.ctl(1, "routes");
    ASSERT_EQ(routes.size(), 6u) << routes.dump(2);
    for (auto& r : routes) {
        const std::string net = r["network"];
        const bool v6 = r["family"] == "IPv6";
        EXPECT_TRUE(r["cross_subnet"].get<bool>()) << r.dump();
        const int i = net == "public" ? 1 : net == "cluster" ? 2 : 3;
        EXPECT_EQ(r["next_hop"], v6 ? "fd00:" + std::to_string(i) + "::fe" : "198.18." + std::to_string(i) + ".254") << r.dump();
        EXPECT_EQ(r["next_hop_mac"], router_mac(lab, net)) << "the gateway's MAC, resolved by ARP/ND: " << r.dump();
        EXPECT_EQ(r["heartbeat"]["delay_ms"], 50) << "CrossSubnetDelay (fast default)";
        EXPECT_EQ(r["state"], "up");
    }
    // The heartbeat rate on a routed route is CrossSubnetDelay's.
    const auto t0 = Clock::now();
    const uint64_t sent0 = lab.ctl(1, "routes")[0]["heartbeat"]["requests_sent"];
    std::this_thread::sleep_for(2s);
    const uint64_t sent1 = lab.ctl(1, "routes")[0]["heartbeat"]["requests_sent"];
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    EXPECT_NEAR(static_cast<double>(sent1 - sent0) / secs, 20.0, 4.0) << "one request every 50 ms";

    // ftnet0 across the router, both families, and a TCP transfer with a checksum.
    EXPECT_TRUE(run(lab.node_ns(1), "ping -c 3 -i 0.2 -W 2 169.254.1.2").ok());
    EXPECT_TRUE(run(lab.node_ns(2), "ping -c 3 -i 0.2 -W 2 fe80::a9fe:1:1%ftnet0").ok());
    BgProcess recv(lab.node_ns(2), build_root() + "/ftnet-xfer recv 5001", lab.dir() + "/recv.out");
    ASSERT_TRUE(eventually([&] { return recv.output().find("listening") != std::string::npos; }, 5s));
    CmdResult send = run(lab.node_ns(1), build_root() + "/ftnet-xfer send 169.254.1.2 5001 32M 5");
    ASSERT_TRUE(send.ok()) << send.out;
    ASSERT_EQ(recv.wait(30s), 0) << recv.output();
    EXPECT_EQ(expect_transfer_intact(send.out, recv.output()), 32ull << 20);
    // It went through the router: its forwarding counters moved.
    CmdResult fwd = run(lab.ns("sw"), "cat /sys/class/net/br-cluster-b/statistics/tx_packets");
    EXPECT_GT(std::stoull(fwd.out), 20000u) << "the frames were routed onto site B's subnet";
}

TEST(RoutedSites, ARouterThatStopsForwardingANetworkIsFailedOver) {
    Lab lab(2, 2);
    lab.start_all();
    json r = in_use(lab, 1);
    ASSERT_EQ(r["network"], "cluster") << r.dump();
    EventStream ev1(lab.socket(1));
    // The router drops what it would forward on the cluster network (both
    // ways, both families); the links stay up, only heartbeats can tell.
    const auto cut = Clock::now();
    const CmdResult drop = run(lab.ns("sw"), "nft add table inet ftrouter && "
                                             "nft 'add chain inet ftrouter cut { type filter hook forward priority 0; }' && "
                                             "nft add rule inet ftrouter cut iifname '{ br-cluster, br-cluster-b }' drop");
    ASSERT_TRUE(drop.ok()) << drop.out;
    auto down = ev1.wait_for(
        [](const json& e) {
            return e.value("type", "") == "route" && e.value("network", "") == "cluster" && e.value("state", "") == "down";
        },
        5s);
    ASSERT_TRUE(down) << "the cluster routes went down";
    EXPECT_EQ(down->ev.value("cause", ""), "heartbeats missed") << down->ev.dump();
    // CrossSubnetDelay x CrossSubnetThreshold + CrossSubnetDelay = 200 ms; generous here.
    EXPECT_LT(down->received - cut, 2s) << "switched within 2 s";
    EXPECT_TRUE(eventually([&] { return in_use(lab, 1).value("network", "") == "storage"; }, 2s)) << in_use(lab, 1).dump();
    EXPECT_TRUE(run(lab.node_ns(1), "ping -c 3 -i 0.2 -W 2 169.254.1.2").ok()) << "ftnet0 over the next network";
    // The router forwards again: the cluster network comes back into use.
    ASSERT_TRUE(run(lab.ns("sw"), "nft delete table inet ftrouter").ok());
    EXPECT_TRUE(eventually([&] { return in_use(lab, 1).value("network", "") == "cluster"; }, 5s)) << in_use(lab, 1).dump();
}

}  // namespace
}  // namespace ftnet::itest
