// The reliable session between real ftnetd nodes: numbered messages
// (`session-probe`) that the receiver checks for order, loss and
// duplicates, across a silent cut of the network in use, a restart of the
// peer (kill -9), and a pause of it (SIGSTOP for 3 s).

#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "tests/integration/lab_fixture.h"

namespace ftnet::itest {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class Session : public testing::Test {
  protected:
    void SetUp() override {
        lab = std::make_unique<Lab>();
        lab->start_all();
        wait_established(1, 2);
        wait_established(2, 1);
    }
    void TearDown() override { lab.reset(); }

    json peer_session(int n, int peer) {
        for (auto& s : lab->ctl(n, "session"))
            if (s["peer"] == peer) return s;
        ADD_FAILURE() << "node" << n << " has no session with node " << peer;
        return json::object();
    }
    void wait_established(int n, int peer) {
        ASSERT_TRUE(eventually([&] { return peer_session(n, peer)["state"] == "established"; }, 10s))
            << "node" << n << ": " << peer_session(n, peer).dump();
    }
    void probe(int from, int to, uint64_t count, uint64_t size) {
        json r = lab->ctl(from, "session-probe", {{"peer", to}, {"count", count}, {"size", size}});
        ASSERT_EQ(r["queued"], count) << r.dump();
    }
    // Waits until node `to` received `total` probe messages from `from`,
    // all in order, none damaged, and `from` saw every one acknowledged.
    void expect_probes_complete(int from, int to, uint64_t total, std::chrono::milliseconds timeout = 30s) {
        bool done = eventually([&] { return peer_session(to, from)["probe_received"] == total; }, timeout);
        json rx = peer_session(to, from), tx = peer_session(from, to);
        EXPECT_TRUE(done) << "receiver: " << rx.dump() << "\nsender: " << tx.dump();
        EXPECT_EQ(rx["probe_received"], total);
        EXPECT_EQ(rx["probe_out_of_order"], 0) << "a probe arrived twice, late or early";
        EXPECT_EQ(rx["probe_bad"], 0);
        EXPECT_TRUE(eventually([&] { return peer_session(from, to)["in_flight"] == 0; }, 10s)) << tx.dump();
    }

    std::unique_ptr<Lab> lab;
};

TEST_F(Session, TenThousandMessagesArriveOnceInOrderAcrossACutOfTheActiveNetwork) {
    const json before = peer_session(1, 2);
    EXPECT_NE(before["route"].get<std::string>().find("cluster"), std::string::npos) << before.dump();
    probe(1, 2, 2000, 64);
    lab->block("cluster");  // silently: links stay up, only heartbeats can tell
    probe(1, 2, 3000, 64);
    std::this_thread::sleep_for(300ms);
    probe(1, 2, 3000, 64);
    lab->unblock("cluster");
    probe(1, 2, 2000, 64);
    expect_probes_complete(1, 2, 10000);
    const json after = peer_session(1, 2);
    EXPECT_GT(after["route_changes"].get<uint64_t>(), 0u) << "the session followed the route change: " << after.dump();
    EXPECT_GT(after["segs_retransmitted"].get<uint64_t>(), 0u) << "what the cut lost went out again";
    EXPECT_EQ(after["msgs_acked"].get<uint64_t>(), before["msgs_acked"].get<uint64_t>() + 10000);
    std::printf("10000 probes: %llu segments retransmitted, %llu timeouts, %llu route changes\n",
                static_cast<unsigned long long>(after["segs_retransmitted"].get<uint64_t>()),
                static_cast<unsigned long long>(after["timeouts"].get<uint64_t>()),
                static_cast<unsigned long long>(after["route_changes"].get<uint64_t>()));
}

TEST_F(Session, MessagesOf64KiBAndMoreAreReassembled) {
    probe(1, 2, 50, 65536);
    probe(1, 2, 5, 1 << 20);
    probe(2, 1, 100, 20000);
    expect_probes_complete(1, 2, 55);
    expect_probes_complete(2, 1, 100);
}

TEST_F(Session, ARestartedPeerResetsTheSessionOnBothSides) {
    probe(1, 2, 100, 64);
    expect_probes_complete(1, 2, 100);
    const uint64_t inc2 = peer_session(1, 2)["peer_incarnation"].get<uint64_t>();
    EventStream ev1(lab->socket(1));
    kill(lab->daemon(2).pid(), SIGKILL);
    lab->daemon(2).wait(5s);
    lab->start_node(2);
    lab->wait_ready(2);
    auto reset = ev1.wait_for([](const json& e) { return e.value("type", "") == "session" && e.value("state", "") == "reset"; }, 10s);
    ASSERT_TRUE(reset) << "node 1 never saw node 2's new incarnation";
    EXPECT_GT((*reset).ev["incarnation"].get<uint64_t>(), inc2);
    wait_established(2, 1);
    EXPECT_EQ(peer_session(1, 2)["resets"], 1);
    probe(1, 2, 100, 64);
    probe(2, 1, 100, 64);
    expect_probes_complete(1, 2, 100);
    expect_probes_complete(2, 1, 100);
}

TEST_F(Session, APausedPeerDeliversNothingTwice) {
    probe(1, 2, 1000, 64);
    expect_probes_complete(1, 2, 1000);
    kill(lab->daemon(2).pid(), SIGSTOP);
    probe(1, 2, 1000, 200);
    std::this_thread::sleep_for(3s);
    kill(lab->daemon(2).pid(), SIGCONT);
    expect_probes_complete(1, 2, 2000);
    const json tx = peer_session(1, 2);
    EXPECT_GT(tx["timeouts"].get<uint64_t>(), 0u) << "it retried while the peer was paused";
    EXPECT_EQ(tx["resets"], 0) << "a pause is not a restart";
    EXPECT_LT(tx["rto_us"].get<uint64_t>(), 100000u) << "the timeout did not grow from the pause: " << tx.dump();
}

}  // namespace
}  // namespace ftnet::itest
