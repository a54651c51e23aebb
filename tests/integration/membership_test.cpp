// Membership on three and four real nodes: regroup after kill -9, after a
// node's every network is cut, after a 3 s SIGSTOP; quorum of a 2|1 split
// and, with a file-share witness, of a 2|2 split.

#include <gtest/gtest.h>
#include <signal.h>

#include <set>
#include <thread>

#include "tests/integration/lab_fixture.h"

namespace ftnet::itest {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::set<int> member_ids(const json& m) {
    std::set<int> s;
    for (auto& x : m["members"]) s.insert(x["id"].get<int>());
    return s;
}

class Membership : public testing::Test {
  protected:
    void start(int nodes, const NodeOptions& o = {}) {
        lab = std::make_unique<Lab>(nodes);
        lab->start_all(o, 30s);
        std::set<int> all;
        for (int n = 1; n <= nodes; n++) all.insert(n);
        expect_view(all, all);
    }
    void TearDown() override { lab.reset(); }

    json membership(int n) { return lab->ctl(n, "membership"); }

    // Waits until every node of `nodes` holds the same view, of exactly
    // `members`; returns its epoch (0 on timeout, with a failure).
    uint64_t expect_view(const std::set<int>& nodes, const std::set<int>& members, std::chrono::milliseconds timeout = 15s) {
        uint64_t epoch = 0;
        bool ok = eventually(
            [&] {
                std::set<uint64_t> epochs;
                for (int n : nodes) {
                    json m = membership(n);
                    if (member_ids(m) != members) return false;
                    epochs.insert(m["epoch"].get<uint64_t>());
                }
                epoch = *epochs.begin();
                return epochs.size() == 1;
            },
            timeout);
        if (!ok) {
            std::string views;
            for (int n : nodes) views += "\nnode" + std::to_string(n) + ": " + membership(n).dump();
            ADD_FAILURE() << "no common view of " << testing::PrintToString(members) << views;
            return 0;
        }
        return epoch;
    }

    std::unique_ptr<Lab> lab;
};

TEST_F(Membership, AKilledNodeIsDroppedByAgreementAndRejoinsInALaterEpoch) {
    start(3);
    const uint64_t e0 = membership(1)["epoch"].get<uint64_t>();
    EXPECT_TRUE(membership(1)["quorum"]["has"].get<bool>());
    EventStream ev1(lab->socket(1)), ev2(lab->socket(2));
    const auto killed = Clock::now();
    kill(lab->daemon(3).pid(), SIGKILL);
    const uint64_t e1 = expect_view({1, 2}, {1, 2});
    auto view_on = [&](EventStream& ev) {
        return ev.wait_for([&](const json& e) { return e.value("type", "") == "membership" && e.value("epoch", 0ull) == e1; }, 5s);
    };
    auto v1 = view_on(ev1), v2 = view_on(ev2);
    ASSERT_TRUE(v1 && v2);
    const auto took = std::max(v1->received, v2->received) - killed;
    std::printf("regroup after kill -9: new view on both survivors %lld ms after the kill\n",
                static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
    EXPECT_GT(e1, e0);
    EXPECT_TRUE(membership(1)["quorum"]["has"].get<bool>()) << "2 of 3 votes";
    EXPECT_NE(lab->node_log(1).find("[MEMBERSHIP] View epoch"), std::string::npos);
    lab->start_node(3);
    lab->wait_ready(3, 30s);
    const uint64_t e2 = expect_view({1, 2, 3}, {1, 2, 3});
    EXPECT_GT(e2, e1);
}

// Two of four nodes die at the same instant: the other two agree on a view
// of themselves, and 2 of 4 votes is no majority.
TEST_F(Membership, TwoNodesKilledAtOnceLeaveAPairWithoutQuorum) {
    start(4);
    kill(lab->daemon(3).pid(), SIGKILL);
    kill(lab->daemon(4).pid(), SIGKILL);
    expect_view({1, 2}, {1, 2});
    json m = membership(1);
    EXPECT_FALSE(m["quorum"]["has"].get<bool>()) << m.dump();
    EXPECT_NE(m["quorum"]["reason"].get<std::string>().find("2 of 4 votes"), std::string::npos) << m.dump();
    lab->start_node(3);
    lab->start_node(4);
    lab->wait_ready(3, 30s);
    lab->wait_ready(4, 30s);
    expect_view({1, 2, 3, 4}, {1, 2, 3, 4}, 30s);
    EXPECT_TRUE(membership(4)["quorum"]["has"].get<bool>());
}

TEST_F(Membership, ANodeCutFromEveryNetworkIsDroppedAndAloneHasNoQuorum) {
    start(3);
    for (const char* net : {"public", "cluster", "storage"}) lab->block(net, 100, "n3");
    const uint64_t e1 = expect_view({1, 2}, {1, 2});
    expect_view({3}, {3});
    json alone = membership(3);
    EXPECT_FALSE(alone["quorum"]["has"].get<bool>()) << alone.dump();
    EXPECT_NE(alone["quorum"]["reason"].get<std::string>().find("1 of 3 votes"), std::string::npos) << alone.dump();
    EXPECT_NE(lab->node_log(3).find("No quorum"), std::string::npos);
    EXPECT_TRUE(membership(1)["quorum"]["has"].get<bool>());
    for (const char* net : {"public", "cluster", "storage"}) lab->unblock(net);
    const uint64_t e2 = expect_view({1, 2, 3}, {1, 2, 3}, 30s);
    EXPECT_GT(e2, e1);
    EXPECT_TRUE(membership(3)["quorum"]["has"].get<bool>());
}

TEST_F(Membership, APausedNodeIsDroppedAndRejoinsAndNothingIsDeliveredTwice) {
    start(3);
    kill(lab->daemon(3).pid(), SIGSTOP);
    json r = lab->ctl(1, "session-probe", {{"peer", 3}, {"count", 500}, {"size", 100}});
    ASSERT_EQ(r["queued"], 500);
    const uint64_t e1 = expect_view({1, 2}, {1, 2});
    std::this_thread::sleep_for(3s);
    kill(lab->daemon(3).pid(), SIGCONT);
    const uint64_t e2 = expect_view({1, 2, 3}, {1, 2, 3}, 30s);
    EXPECT_GT(e2, e1);
    auto from1 = [&] {
        for (auto& s : lab->ctl(3, "session"))
            if (s["peer"] == 1) return s;
        return json::object();
    };
    ASSERT_TRUE(eventually([&] { return from1()["probe_received"] == 500; }, 15s)) << from1().dump();
    EXPECT_EQ(from1()["probe_out_of_order"], 0) << "nothing twice, nothing out of order";
}

TEST_F(Membership, ANodeWhoseClusterConfigDiffersIsRefusedNamingTheSection) {
    lab = std::make_unique<Lab>(3);
    NodeOptions odd;
    // Node 3's storage network spans one more subnet.
    odd.replace = {{R"(subnets = ["198.18.3.0/24", "fd00:3::/64"])", R"(subnets = ["198.18.3.0/24", "fd00:3::/64", "198.18.99.0/24"])"}};
    lab->start_node(1);
    lab->start_node(2);
    lab->start_node(3, odd);
    for (int n = 1; n <= 3; n++) lab->wait_ready(n, 30s);
    expect_view({1, 2}, {1, 2});
    ASSERT_TRUE(eventually([&] { return lab->node_log(1).find("is refused into the membership") != std::string::npos; }, 10s))
        << lab->node_log(1);
    EXPECT_NE(lab->node_log(1).find("node3 (node 3) is refused into the membership: its config differs from ours in [networks]"),
              std::string::npos)
        << lab->node_log(1);
    json m = membership(1);
    ASSERT_EQ(m["excluded"].size(), 1u) << m.dump();
    EXPECT_EQ(m["excluded"][0]["id"], 3);
    EXPECT_FALSE(member_ids(membership(3)).count(1)) << "node 3 is not in their view either";
    // And the refusal is settled: no new views while node 3 keeps asking.
    const uint64_t epoch = membership(1)["epoch"].get<uint64_t>();
    std::this_thread::sleep_for(1s);
    EXPECT_EQ(membership(1)["epoch"].get<uint64_t>(), epoch);
}

TEST_F(Membership, TwoAgainstTwoWithAWitnessExactlyOneSideKeepsQuorum) {
    // The witness file lives in the run's directory, which every node's
    // namespace sees (like a share every node mounts).
    lab = std::make_unique<Lab>(4);
    NodeOptions o;
    o.append = "[membership]\nwitness_file = \"" + lab->dir() + "/witness\"\nwitness_lease_ms = 1500\n";
    lab->start_all(o, 30s);
    expect_view({1, 2, 3, 4}, {1, 2, 3, 4});
    EXPECT_EQ(membership(1)["quorum"]["total"], 5) << "four nodes and the witness";
    lab->split({{1, 2}, {3, 4}});
    expect_view({1, 2}, {1, 2});
    expect_view({3, 4}, {3, 4});
    // The witness settles on one side within a lease.
    bool settled = eventually(
        [&] {
            const bool a = membership(1)["quorum"]["has"].get<bool>() && membership(2)["quorum"]["has"].get<bool>();
            const bool b = membership(3)["quorum"]["has"].get<bool>() && membership(4)["quorum"]["has"].get<bool>();
            const bool na = !membership(1)["quorum"]["has"].get<bool>() && !membership(2)["quorum"]["has"].get<bool>();
            const bool nb = !membership(3)["quorum"]["has"].get<bool>() && !membership(4)["quorum"]["has"].get<bool>();
            return (a && nb) || (b && na);
        },
        10s);
    std::string all;
    for (int n = 1; n <= 4; n++) all += "\nnode" + std::to_string(n) + ": " + membership(n).dump();
    ASSERT_TRUE(settled) << "exactly one side with quorum:" << all;
    // And it stays so: never both.
    for (int i = 0; i < 20; i++) {
        const bool a = membership(1)["quorum"]["has"].get<bool>(), b = membership(3)["quorum"]["has"].get<bool>();
        EXPECT_FALSE(a && b) << "both sides claim quorum";
        EXPECT_TRUE(a || b) << "neither side has quorum";
        std::this_thread::sleep_for(100ms);
    }
    lab->heal();
    expect_view({1, 2, 3, 4}, {1, 2, 3, 4}, 30s);
    for (int n = 1; n <= 4; n++) EXPECT_TRUE(membership(n)["quorum"]["has"].get<bool>());
}

}  // namespace
}  // namespace ftnet::itest
