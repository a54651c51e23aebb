// An idle worker that waits for traffic (engine/core/idle_wait.h): it wakes
// when one of its rx queues' fds becomes readable or someone hands it work
// (engine/core/worker_wakeup.h), and otherwise sleeps until its timeout; and
// the PMD sockets it waits on are found among the process's fds
// (drivers/rx_wakeup.h). Pipes stand in for the queues' fds.

#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <rte_ring.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <chrono>
#include <memory>
#include <thread>

#include "drivers/rx_wakeup.h"
#include "engine/core/dataplane.h"
#include "engine/core/idle_wait.h"
#include "engine/core/worker.h"
#include "engine/core/worker_wakeup.h"

namespace ftnet::test {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

class IdleWait : public testing::Test {
  protected:
    void SetUp() override {
        static int instance = 0;
        dp = std::make_unique<Dataplane>();
        dp->n_workers = 1;
        dp->worker_wakeup_fd[0] = -1;
        dp->from_control[0] = rte_ring_create(("iw" + std::to_string(++instance)).c_str(), 64, SOCKET_ID_ANY,
                                              RING_F_SP_ENQ | RING_F_SC_DEQ);
        ASSERT_NE(dp->from_control[0], nullptr);
        w = std::make_unique<Worker>();
        w->dp = dp.get();
        w->index = 0;
        w->cfg.idle_sleep_max_us = 200;
        for (auto& p : pipes) ASSERT_EQ(pipe(p), 0);
        for (uint16_t q = 0; q < 2; q++) w->rxq[w->n_rxq++] = RxQueueRef{q, q, 0, PortRole::Physical};
        std::snprintf(dp->ports[1].name, sizeof dp->ports[1].name, "storage");
    }
    void TearDown() override {
        idle_wait_close(*w);
        for (auto& p : pipes) {
            close(p[0]);
            close(p[1]);
        }
        void* m;
        while (rte_ring_dequeue(dp->from_control[0], &m) == 0) {
        }
        rte_ring_free(dp->from_control[0]);
    }
    std::vector<int> queue_fds() const { return {pipes[0][0], pipes[1][0]}; }
    // How long idle_wait(timeout) took, and what it returned.
    std::pair<IdleWake, std::chrono::milliseconds> timed_wait(std::chrono::milliseconds timeout) {
        const auto t0 = Clock::now();
        const IdleWake woken = idle_wait(*w, static_cast<uint64_t>(timeout.count()) * 1000000u);
        return {woken, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0)};
    }

    std::unique_ptr<Dataplane> dp;
    std::unique_ptr<Worker> w;
    int pipes[2][2];
};

TEST_F(IdleWait, WithNothingToDoItSleepsUntilItsTimeout) {
    ASSERT_EQ(idle_wait_open(*w, queue_fds()), "");
    auto [woken, took] = timed_wait(60ms);
    EXPECT_EQ(woken, IdleWake::Timeout);
    EXPECT_GE(took, 50ms);
}

TEST_F(IdleWait, AFrameOnAnyQueueWakesIt) {
    ASSERT_EQ(idle_wait_open(*w, queue_fds()), "");
    std::thread t([&] {
        std::this_thread::sleep_for(30ms);
        ASSERT_EQ(write(pipes[1][1], "x", 1), 1);
    });
    auto [woken, took] = timed_wait(10s);
    t.join();
    EXPECT_EQ(woken, IdleWake::Traffic);
    EXPECT_LT(took, 1s) << "woken by the frame, not by the timeout";
}

TEST_F(IdleWait, WorkHandedOverWakesItOnceAndIsNotLost) {
    ASSERT_EQ(idle_wait_open(*w, queue_fds()), "");
    std::thread t([&] {
        // The worker's flag is up while it waits: wait for it, as a real
        // hand-over can come at any time.
        while (!dp->worker_waiting[0].load()) std::this_thread::sleep_for(1ms);
        static int frame;
        ASSERT_EQ(rte_ring_sp_enqueue(dp->from_control[0], &frame), 0);
        wake_worker(*dp, 0);
    });
    auto [woken, took] = timed_wait(10s);
    t.join();
    EXPECT_EQ(woken, IdleWake::Work);
    EXPECT_LT(took, 1s);
    EXPECT_FALSE(dp->worker_waiting[0].load());
    // The ring still holds the frame: a second wait returns at once.
    auto [again, took2] = timed_wait(10s);
    EXPECT_EQ(again, IdleWake::Work);
    EXPECT_LT(took2, 1s);
    void* m;
    ASSERT_EQ(rte_ring_dequeue(dp->from_control[0], &m), 0);
    // Nothing pending any more, the eventfd was drained: it sleeps again.
    auto [third, took3] = timed_wait(40ms);
    EXPECT_EQ(third, IdleWake::Timeout);
    EXPECT_GE(took3, 30ms);
}

// A queue whose fd stays in an error state (an af_packet socket while its
// link is down reports POLLERR all along; here a pipe whose writer is gone)
// wakes the worker once, not on every wait: it would spin otherwise.
TEST_F(IdleWait, AQueueStuckInAnErrorStateDoesNotKeepWakingIt) {
    ASSERT_EQ(idle_wait_open(*w, queue_fds()), "");
    close(pipes[1][1]);
    pipes[1][1] = open("/dev/null", O_WRONLY);  // TearDown closes something
    timed_wait(50ms);  // the hang-up itself may wake it once
    auto [woken, took] = timed_wait(60ms);
    EXPECT_EQ(woken, IdleWake::Timeout);
    EXPECT_GE(took, 50ms);
    // Frames still wake it.
    ASSERT_EQ(write(pipes[0][1], "x", 1), 1);
    EXPECT_EQ(timed_wait(5s).first, IdleWake::Traffic);
}

TEST_F(IdleWait, AHeartbeatKickOrStopWakesIt) {
    ASSERT_EQ(idle_wait_open(*w, queue_fds()), "");
    std::thread t([&] {
        while (!dp->worker_waiting[0].load()) std::this_thread::sleep_for(1ms);
        kick_heartbeats(*dp);
    });
    EXPECT_EQ(timed_wait(10s).first, IdleWake::Work);
    t.join();
    w->hb_kick_seen = dp->hb_kick.load();
    dp->stop.store(true);
    auto [woken, took] = timed_wait(10s);
    EXPECT_EQ(woken, IdleWake::Work) << "a stopping engine's workers never wait";
    EXPECT_LT(took, 1s);
}

TEST_F(IdleWait, AQueueThatCannotSignalKeepsTheTimedBackOff) {
    EXPECT_EQ(idle_wait_open(*w, {pipes[0][0], -1}), "timed back-off: rx queue 0 of port storage cannot signal arrivals");
    EXPECT_EQ(w->idle_epoll_fd, -1);
    w->cfg.idle_wakeup = false;
    EXPECT_EQ(idle_wait_open(*w, queue_fds()), "timed back-off (dataplane.idle_wakeup = false)");
    w->cfg.idle_sleep_max_us = 0;
    EXPECT_EQ(idle_wait_open(*w, queue_fds()), "busy-polls (dataplane.idle_sleep_max_us = 0)");
    EXPECT_EQ(w->idle_epoll_fd, -1);
    EXPECT_EQ(dp->worker_wakeup_fd[0], -1);
}

// The af_packet PMD's queue sockets are the AF_PACKET sockets with a
// TPACKET_V2 ring bound to the interface that appeared while it probed;
// other new sockets (and other interfaces') are not taken for them.
TEST(RxWakeup, FindsThePacketRingSocketsThatAppearedForTheInterface) {
    const std::set<int> before = open_socket_fds();
    int other = socket(AF_UNIX, SOCK_DGRAM, 0);
    int pkt = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (pkt < 0) GTEST_SKIP() << "AF_PACKET sockets need CAP_NET_RAW (run the unit tests as root)";
    const int lo = static_cast<int>(if_nametoindex("lo"));
    int ver = TPACKET_V2;
    ASSERT_EQ(setsockopt(pkt, SOL_PACKET, PACKET_VERSION, &ver, sizeof ver), 0);
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = lo;
    ASSERT_EQ(bind(pkt, reinterpret_cast<sockaddr*>(&sll), sizeof sll), 0);
    const std::set<int> after = open_socket_fds();
    EXPECT_TRUE(after.count(other) && after.count(pkt));
    EXPECT_EQ(new_packet_ring_sockets(before, after, lo), std::vector<int>{pkt});
    EXPECT_TRUE(new_packet_ring_sockets(before, after, lo + 1000).empty()) << "another interface";
    EXPECT_TRUE(new_packet_ring_sockets(after, after, lo).empty()) << "not new";
    EXPECT_TRUE(new_xdp_sockets(before, after).empty());
    close(pkt);
    close(other);
}

}  // namespace
}  // namespace ftnet::test
