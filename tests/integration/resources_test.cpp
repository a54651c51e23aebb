// IP Address resources in a group, on three real nodes: the group comes
// online on its first preferred owner (the address on that node's host
// interface, answered and announced by its engine, reachable from a plain
// host), follows a kill -9 of its owner, moves on request (offline on the
// old owner before online on the new one), takes a run-time setting, and is
// never online in a partition without quorum (no gratuitous ARP from it).

#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "tests/integration/lab_fixture.h"

namespace ftnet::itest {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Every node gets the same resources (the config digest compares them).
std::string web_group(const std::string& owners) {
    return R"(
[[resource]]
name = "ipA"
type = "ip_address"
network = "public"
address = "198.18.1.50/24"

[[resource]]
name = "ip6A"
type = "ip_address"
network = "public"
address = "fd00:1::50/64"

[[group]]
name = "web"
resources = ["ipA", "ip6A"]
preferred_owners = )" + owners + "\n";
}

// The lab's public port MAC of node n (scripts/topology.sh).
std::string public_mac(int n) { return "00:00:5e:00:53:" + std::to_string(n) + "1"; }

class Resources : public testing::Test {
  protected:
    void start(int nodes, const std::string& owners) {
        lab = std::make_unique<Lab>(nodes);
        opts.append = web_group(owners);
        lab->start_all(opts, 30s);
    }
    void TearDown() override { lab.reset(); }

    json group(int asked, const std::string& g = "web") {
        return lab->ctl(asked, "group", {{"action", "show"}, {"name", g}});
    }
    // Waits until node `asked` sees the group online on `owner`.
    bool online_on(int asked, const std::string& owner, std::chrono::milliseconds timeout = 15s) {
        return eventually(
            [&] {
                json g = group(asked);
                return g["owner"] == owner && g["state"] == "online" && !g.contains("moving_to");
            },
            timeout);
    }
    bool has_address(int n, const std::string& addr) {
        return run(lab->node_ns(n), "ip -br addr show dev public-host").out.find(addr) != std::string::npos;
    }
    // The probe's neighbour entry for `addr` (MAC, or "" when none).
    std::string probe_neighbour(const std::string& addr) {
        CmdResult r = run(lab->ns("probe"), "ip neigh show " + addr + " dev public");
        auto at = r.out.find("lladdr ");
        return at == std::string::npos ? "" : r.out.substr(at + 7, 17);
    }
    bool probe_pings(const std::string& addr) {
        return run(lab->ns("probe"), "ping -c 1 -W 1 " + addr + " >/dev/null").ok();
    }

    std::unique_ptr<Lab> lab;
    NodeOptions opts;
};

TEST_F(Resources, AGroupIsOnlineOnItsPreferredOwnerAndFollowsItsKill) {
    start(3, R"(["node2", "node3"])");
    ASSERT_TRUE(online_on(1, "node2")) << group(1).dump(2);
    // Node 1 learns "online" from the manager's table, which carries the
    // owner's report: the owner's host interface and the other members'
    // copies of the table follow within moments, not necessarily before.
    EXPECT_TRUE(eventually([&] { return has_address(2, "198.18.1.50/24") && has_address(2, "fd00:1::50/64"); }, 5s))
        << run(lab->node_ns(2), "ip -br addr show dev public-host").out << group(2).dump(2);
    EXPECT_FALSE(has_address(1, "198.18.1.50"));
    EXPECT_FALSE(has_address(3, "198.18.1.50"));
    // Every node shows the same owner and the owner's resource states.
    for (int n = 1; n <= 3; n++) {
        EXPECT_TRUE(eventually(
            [&] {
                json g = group(n);
                return g["owner"] == "node2" && g.value(json::json_pointer("/status/resources/ipA/state"), std::string()) == "online";
            },
            5s))
            << n << ": " << group(n).dump(2);
    }

    // A plain host reaches the address (the engine answers ARP/ND for it,
    // the host behind it answers the rest) and TCP to it works.
    ASSERT_TRUE(eventually([&] { return probe_pings("198.18.1.50"); }, 5s));
    ASSERT_TRUE(eventually([&] { return probe_pings("fd00:1::50"); }, 5s));
    EXPECT_EQ(probe_neighbour("198.18.1.50"), public_mac(2));
    {
        BgProcess recv(lab->node_ns(2), build_root() + "/ftnet-xfer recv 7001", lab->dir() + "/web-recv.out");
        ASSERT_TRUE(eventually([&] { return recv.output().find("listening") != std::string::npos; }, 5s));
        CmdResult send = run(lab->ns("probe"), "timeout 20 " + build_root() + "/ftnet-xfer send 198.18.1.50 7001 2M 3");
        ASSERT_TRUE(send.ok()) << send.out;
        ASSERT_EQ(recv.wait(10s), 0) << recv.output();
        EXPECT_EQ(expect_transfer_intact(send.out, recv.output()), 2ull << 20);
    }

    // kill -9 of the owner: the next preferred owner brings it online and
    // announces it, so the plain host's existing neighbour entry follows
    // without it asking (gratuitous ARP).
    const auto killed = Clock::now();
    lab->daemon(2).stop(SIGKILL);
    ASSERT_TRUE(online_on(1, "node3", 30s)) << group(1).dump(2);
    const double took = std::chrono::duration<double>(Clock::now() - killed).count();
    EXPECT_TRUE(has_address(3, "198.18.1.50/24"));
    EXPECT_TRUE(eventually([&] { return probe_neighbour("198.18.1.50") == public_mac(3); }, 5s))
        << "the probe still has " << probe_neighbour("198.18.1.50");
    EXPECT_TRUE(eventually([&] { return probe_pings("198.18.1.50") && probe_pings("fd00:1::50"); }, 5s));
    std::printf("kill -9 of the owner -> online on the next preferred owner: %.2f s\n", took);

    // The killed node comes back: the group stays where it is.
    lab->start_node(2, opts);
    lab->wait_ready(2, 30s);
    EXPECT_TRUE(eventually([&] { return group(2)["owner"] == "node3"; }, 10s)) << "node2 learns the owner from the table";
    std::this_thread::sleep_for(1s);
    EXPECT_EQ(group(1)["owner"], "node3") << "no failback";
    EXPECT_FALSE(has_address(2, "198.18.1.50"));
}

TEST_F(Resources, AMoveTakesTheGroupOfflineOnTheOldOwnerBeforeOnlineOnTheNew) {
    start(3, R"(["node1"])");
    ASSERT_TRUE(online_on(3, "node1")) << group(3).dump(2);
    EventStream ev1(lab->socket(1)), ev3(lab->socket(3));
    // Asked on a node that is neither owner nor manager (node 1 manages).
    CmdResult mv = run("", build_root() + "/ftnetctl -s " + lab->socket(2) + " group move web node3");
    ASSERT_TRUE(mv.ok()) << mv.out;
    EXPECT_NE(mv.out.find("online on node3"), std::string::npos) << mv.out;
    auto off = ev1.wait_for([](const json& e) { return e["type"] == "resource" && e["state_here"] == "offline"; }, 10s);
    auto on = ev3.wait_for([](const json& e) { return e["type"] == "resource" && e["state_here"] == "online"; }, 10s);
    ASSERT_TRUE(off && on);
    EXPECT_LT(off->received, on->received) << "online on node3 before offline on node1";
    EXPECT_FALSE(has_address(1, "198.18.1.50"));
    EXPECT_TRUE(has_address(3, "198.18.1.50/24"));
    EXPECT_TRUE(eventually([&] { return probe_pings("198.18.1.50"); }, 5s));

    // Refusals: an unknown node, an unknown group; nothing changes.
    CmdResult bad = run("", build_root() + "/ftnetctl -s " + lab->socket(1) + " group move web node9");
    EXPECT_EQ(bad.status, 1) << bad.out;
    EXPECT_NE(bad.out.find("not a node of this cluster"), std::string::npos) << bad.out;
    bad = run("", build_root() + "/ftnetctl -s " + lab->socket(1) + " group show nope");
    EXPECT_EQ(bad.status, 1) << bad.out;
    EXPECT_EQ(group(1)["owner"], "node3");

    // Offline for good, then online again, on its owner.
    ASSERT_TRUE(run("", build_root() + "/ftnetctl -s " + lab->socket(2) + " group offline web").ok());
    ASSERT_TRUE(eventually([&] { return !has_address(3, "198.18.1.50"); }, 5s));
    EXPECT_EQ(group(1)["state"], "offline");
    ASSERT_TRUE(run("", build_root() + "/ftnetctl -s " + lab->socket(2) + " group online web").ok());
    ASSERT_TRUE(online_on(1, "node3"));
}

TEST_F(Resources, ARunTimeSettingChangesTheAddressOnEveryNode) {
    start(2, R"(["node1"])");
    ASSERT_TRUE(online_on(2, "node1"));
    CmdResult set = run("", build_root() + "/ftnetctl -s " + lab->socket(2) + " resource set ipA static 198.18.1.60/24");
    ASSERT_TRUE(set.ok()) << set.out;
    ASSERT_TRUE(eventually([&] { return has_address(1, "198.18.1.60/24") && !has_address(1, "198.18.1.50/"); }, 5s))
        << run(lab->node_ns(1), "ip -br addr show dev public-host").out;
    EXPECT_TRUE(eventually([&] { return probe_pings("198.18.1.60"); }, 5s));
    json r = lab->ctl(2, "resource", {{"action", "show"}, {"name", "ipA"}});
    EXPECT_EQ(r["setting"], "198.18.1.60/24") << r.dump(2);
    // Refused: outside the network's subnets; the setting stays.
    CmdResult bad = run("", build_root() + "/ftnetctl -s " + lab->socket(1) + " resource set ipA static 10.1.1.1/8");
    EXPECT_EQ(bad.status, 1);
    EXPECT_NE(bad.out.find("in none of network"), std::string::npos) << bad.out;
    EXPECT_TRUE(has_address(1, "198.18.1.60/24"));
}

TEST_F(Resources, ThePartitionWithoutQuorumNeverHoldsTheGroup) {
    start(3, R"(["node1", "node2"])");
    ASSERT_TRUE(online_on(3, "node1"));
    // Its announcements at coming online are over after ~2 s; capture what
    // node 1 sends on the public network from then on.
    std::this_thread::sleep_for(3500ms);
    const std::string pcap = lab->dir() + "/n1-public.pcap";
    BgProcess cap(lab->ns("sw"), "tcpdump -i n1-public -w " + pcap + " -U arp", lab->dir() + "/tcpdump.out");
    std::this_thread::sleep_for(500ms);
    lab->split({{1}, {2, 3}});
    // Node 1 loses quorum and lets go; the pair brings the group up.
    ASSERT_TRUE(eventually([&] { return !lab->ctl(1, "membership")["quorum"]["has"].get<bool>(); }, 20s));
    ASSERT_TRUE(eventually([&] { return !has_address(1, "198.18.1.50"); }, 5s));
    ASSERT_TRUE(online_on(2, "node2", 20s)) << group(2).dump(2);
    EXPECT_EQ(group(1)["state"], "offline") << group(1).dump(2);
    CmdResult refused = run("", build_root() + "/ftnetctl -s " + lab->socket(1) + " group move web node1");
    EXPECT_EQ(refused.status, 1);
    EXPECT_NE(refused.out.find("no quorum"), std::string::npos) << refused.out;
    std::this_thread::sleep_for(3s);
    cap.stop(SIGINT);
    // Not one announcement of the address from node 1 in the partition.
    unsigned garps = 0;
    for (auto& f : read_pcap(pcap))
        if (f.size() >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[28] == 198 && f[29] == 18 && f[30] == 1 && f[31] == 50) garps++;
    EXPECT_EQ(garps, 0u) << "node 1 announced the address while it had no quorum (or before)";
    lab->heal();
    ASSERT_TRUE(eventually([&] { return lab->ctl(1, "membership")["quorum"]["has"].get<bool>(); }, 20s));
    std::this_thread::sleep_for(1s);
    EXPECT_EQ(group(1)["owner"], "node2");
    EXPECT_FALSE(has_address(1, "198.18.1.50"));
}

}  // namespace
}  // namespace ftnet::itest
