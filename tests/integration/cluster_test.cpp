// Clusters of more than two nodes in the lab topology (scripts/topology.sh
// up PREFIX N, configs from scripts/lab-config.sh): every pair of nodes
// reaches every other across ftnet0, and ftnet0's broadcast and multicast
// frames (ARP, IPv6 all-nodes) are flooded to every peer.

#include <gtest/gtest.h>
#include <signal.h>

#include <regex>
#include <set>

#include "tests/integration/lab_fixture.h"

namespace ftnet::itest {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::string apipa(int n) { return "169.254.1." + std::to_string(n); }
std::string link_local(int n) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "fe80::a9fe:1:%x%%ftnet0", n);
    return buf;
}

// The distinct addresses that answered a ping (broadcast and multicast
// pings get one reply per host).
std::set<std::string> responders(const std::string& ping_output) {
    std::set<std::string> from;
    static const std::regex re(R"(bytes from ([0-9a-f.:]+)[%:])");
    for (auto it = std::sregex_iterator(ping_output.begin(), ping_output.end(), re); it != std::sregex_iterator(); ++it)
        from.insert((*it)[1]);
    return from;
}

class Cluster : public testing::Test {
  protected:
    void start(int nodes, const NodeOptions& o = {}) {
        lab = std::make_unique<Lab>(nodes);
        lab->start_all(o, 60s);
    }
    void TearDown() override { lab.reset(); }

    // Every node pings every other, IPv4 and IPv6; returns the failures
    // (and checks that every ping ran).
    std::vector<std::string> ping_every_pair(int count) {
        std::vector<std::string> failed;
        int answered = 0;
        for (int from = 1; from <= lab->nodes(); from++) {
            std::string script;
            for (int to = 1; to <= lab->nodes(); to++) {
                if (to == from) continue;
                for (const std::string& a : {apipa(to), link_local(to)})
                    script += "if ping -c " + std::to_string(count) + " -i 0.2 -W 2 " + a +
                              " >/dev/null 2>&1; then echo answered; else echo " + a + "; fi;";
            }
            CmdResult r = run(lab->node_ns(from), "sh -c '" + script + "'");
            std::istringstream lines(r.out);
            for (std::string l; std::getline(lines, l);) {
                if (l == "answered")
                    answered++;
                else if (!l.empty())
                    failed.push_back("node" + std::to_string(from) + " -> " + l);
            }
        }
        EXPECT_EQ(answered + static_cast<int>(failed.size()), lab->nodes() * (lab->nodes() - 1) * 2) << "every ping ran";
        return failed;
    }

    // Every node holds the same membership view, of every node, with quorum.
    void expect_one_view_of_everyone() {
        std::string last;
        const bool ok = eventually(
            [&] {
                std::set<uint64_t> epochs;
                for (int n = 1; n <= lab->nodes(); n++) {
                    json m = lab->ctl(n, "membership");
                    last = "node" + std::to_string(n) + ": " + m.dump();
                    if (m["members"].size() != static_cast<size_t>(lab->nodes()) || !m["quorum"]["has"].get<bool>())
                        return false;
                    epochs.insert(m["epoch"].get<uint64_t>());
                }
                return epochs.size() == 1;
            },
            30s);
        EXPECT_TRUE(ok) << "no common view of all " << lab->nodes() << " nodes; " << last;
    }

    std::unique_ptr<Lab> lab;
};

TEST_F(Cluster, ThreeNodesReachEachOtherAndFloodBroadcastAndMulticast) {
    start(3);
    for (int n = 1; n <= 3; n++) {
        json nodes = lab->ctl(n, "nodes");
        int peers = 0;
        for (auto& x : nodes)
            if (!x["local"].get<bool>()) peers++;
        EXPECT_EQ(peers, 2) << "node" << n << ": " << nodes.dump();
    }
    std::vector<std::string> failed = ping_every_pair(3);
    EXPECT_TRUE(failed.empty()) << "no answer: " << testing::PrintToString(failed);

    // TCP with a checksum between the pairs that do not include node 1.
    for (auto [from, to] : {std::pair{3, 2}, {2, 3}}) {
        BgProcess recv(lab->node_ns(to), build_root() + "/ftnet-xfer recv 5001", lab->dir() + "/recv.out");
        ASSERT_TRUE(eventually([&] { return recv.output().find("listening") != std::string::npos; }, 5s));
        CmdResult send = run(lab->node_ns(from), build_root() + "/ftnet-xfer send " + apipa(to) + " 5001 8M 3");
        ASSERT_TRUE(send.ok()) << send.out;
        ASSERT_EQ(recv.wait(60s), 0) << recv.output();
        EXPECT_GE(expect_transfer_intact(send.out, recv.output()), 8ull << 20);
    }

    // Broadcast (IPv4) and multicast (IPv6 all-nodes) from node 1's ftnet0
    // reach both other nodes: each answers.
    for (int n = 2; n <= 3; n++)
        ASSERT_TRUE(run(lab->node_ns(n), "sysctl -q -w net.ipv4.icmp_echo_ignore_broadcasts=0").ok());
    CmdResult b = run(lab->node_ns(1), "ping -b -I ftnet0 -c 3 -i 0.3 -w 4 169.254.255.255");
    std::set<std::string> want4 = {apipa(2), apipa(3)};
    std::set<std::string> got4 = responders(b.out);
    for (auto& a : want4) EXPECT_TRUE(got4.count(a)) << a << " did not answer the broadcast ping:\n" << b.out;
    CmdResult m = run(lab->node_ns(1), "ping -c 3 -i 0.3 -w 4 ff02::1%ftnet0");
    std::set<std::string> got6 = responders(m.out);
    for (int n = 2; n <= 3; n++) {
        std::string ll = link_local(n);
        ll = ll.substr(0, ll.find('%'));
        EXPECT_TRUE(got6.count(ll)) << ll << " did not answer the all-nodes ping:\n" << m.out;
    }
    const json counters = lab->ctl(1, "counters");
    uint64_t flooded = 0;
    for (auto& w : counters["workers"]) flooded += w["flooded"].get<uint64_t>();
    EXPECT_GT(flooded, 0u) << "node 1 copied its broadcasts to several peers: " << counters.dump();
    expect_one_view_of_everyone();
}

// The largest cluster the lab tests: 16 nodes on this host's two cores (at
// a 250 ms heartbeat, so that 16 engines' 1,440 routes leave the host room
// to answer pings), every pair reachable both ways.
TEST_F(Cluster, SixteenNodesEveryPairReachable) {
    NodeOptions o;
    o.replace = {{"SameSubnetDelay = 20 ", "SameSubnetDelay = 250 "}, {"memory_mb = 512", "memory_mb = 256"}};
    start(16, o);
    for (int n = 1; n <= 16; n++) {
        json routes = lab->ctl(n, "routes");
        EXPECT_EQ(routes.size(), 15u * 6) << "node" << n << ": 15 peers x 3 networks x 2 families";
    }
    std::vector<std::string> failed = ping_every_pair(1);
    EXPECT_TRUE(failed.empty()) << failed.size() << " pairs did not answer: " << testing::PrintToString(failed);
    expect_one_view_of_everyone();
    // One of sixteen dies: the fifteen agree on a view without it.
    kill(lab->daemon(16).pid(), SIGKILL);
    std::string last;
    const bool ok = eventually(
        [&] {
            std::set<uint64_t> epochs;
            for (int n = 1; n <= 15; n++) {
                json m = lab->ctl(n, "membership");
                last = "node" + std::to_string(n) + ": " + m.dump();
                if (m["members"].size() != 15u) return false;
                epochs.insert(m["epoch"].get<uint64_t>());
            }
            return epochs.size() == 1;
        },
        30s);
    EXPECT_TRUE(ok) << "the fifteen did not agree; " << last;
}

}  // namespace
}  // namespace ftnet::itest
