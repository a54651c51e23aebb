// Heartbeats between two real workers, node 1 and node 2, joined back to
// back by ring ports (a "wire" per network that the test can cut, and whose
// frames it can record and replay). 1 ms heartbeats, threshold 3,
// recovery 2, real time.

#include <gtest/gtest.h>
#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>

#include <functional>
#include <memory>
#include <vector>

#include "engine/core/dataplane.h"
#include "engine/tunnel/encap_template.h"
#include "engine/heartbeat/cluster_properties.h"
#include "engine/neighbor/control/neighbor_wire.h"
#include "engine/tunnel/datapath/route_select.h"
#include "engine/core/worker.h"
#include "tests/unit/packet_fixtures.h"

namespace ftnet::test {
namespace {

constexpr int kPorts = 3;  // cluster, storage, ftnet0

MacAddr port_mac(uint16_t node, uint16_t port) {
    return MacAddr{{0, 0, 0x5e, 0, 0x53, static_cast<uint8_t>(node * 16 + 2 + port)}};
}

// 1 ms x 3, recovery 2, a 20 ms stall grace, no flap damping.
ClusterProperties test_properties() {
    ClusterProperties p = ClusterProperties::defaults(HeartbeatProfile::Fast);
    p.same_subnet_delay_ms = 1;
    p.same_subnet_threshold = 3;
    p.route_recovery_threshold = 2;
    p.stall_grace_ms = 20;
    p.flap_threshold = 0;
    return p;
}

struct Node {
    uint16_t id = 0;
    ClusterProperties props = test_properties();
    RingPort ports[kPorts];
    std::unique_ptr<Dataplane> dp;
    std::unique_ptr<WorkerCounters> ctr;
    std::unique_ptr<PeerReplayWindows[]> windows;
    std::unique_ptr<RouteTable> rt;
    std::unique_ptr<Worker> w;

    void init(uint16_t self, uint16_t peer, const KeyRing& keys, uint32_t boot, int instance) {
        id = self;
        dp = std::make_unique<Dataplane>();
        for (int i = 0; i < kPorts; i++) {
            RingPort& p = ports[i];
            p = make_ring_port("hb" + std::to_string(instance) + "n" + std::to_string(self) + "p" + std::to_string(i), test_pool());
            dp->ports[i].port_id = p.port_id;
            dp->ports[i].role = i == kAdapterIndex ? PortRole::Adapter : PortRole::Physical;
            dp->port_index_by_id[p.port_id] = static_cast<uint16_t>(i);
            dp->port_live[i].usable.store(true);
        }
        dp->n_ports = kPorts;
        dp->adapter_index = kAdapterIndex;
        dp->n_workers = 1;
        std::string base = "hb" + std::to_string(instance) + "n" + std::to_string(self);
        dp->to_control = rte_ring_create((base + "toctl").c_str(), 256, SOCKET_ID_ANY, RING_F_SC_DEQ);
        dp->from_control[0] = rte_ring_create((base + "fromctl").c_str(), 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
        dp->route_events = rte_ring_create_elem((base + "ev").c_str(), sizeof(RouteEvent), 1024, SOCKET_ID_ANY, RING_F_SC_DEQ);
        dp->keys.store(const_cast<KeyRing*>(&keys));
        windows = make_replay_windows();
        dp->replay = windows.get();
        dp->epoch = 1;
        dp->boot_id = boot;
        dp->tsc_hz = rte_get_tsc_hz();
        ctr = std::make_unique<WorkerCounters>();
        dp->counters[0] = ctr.get();

        // The table: routes to `peer` on cluster and storage, IPv6 then IPv4.
        rt = std::make_unique<RouteTable>();
        rt->generation = 1;
        rt->hb = heartbeat_settings(props, dp->tsc_hz);
        rt->local_node = self;
        rt->udp_port = wire::kDefaultUdpPort;
        rt->adapter_mtu = 1400;
        std::fill(std::begin(rt->peer_by_node), std::end(rt->peer_by_node), kNoPeer);
        for (uint16_t p = 0; p < 2; p++) {
            PortAddrs& pa = rt->ports[p];
            std::memcpy(pa.mac, port_mac(self, p).b.data(), 6);
            pa.has_v4 = pa.has_v6 = true;
            std::memcpy(pa.v4, peer_ip(self, p, Family::V4).b.data(), 4);
            std::memcpy(pa.v6, peer_ip(self, p, Family::V6).b.data(), 16);
            std::memcpy(pa.v6_solicited, solicited_node_group(peer_ip(self, p, Family::V6)).b.data(), 16);
        }
        PeerEntry& pe = rt->peers[0];
        pe.node_id = peer;
        uint16_t rid = 0;
        for (uint16_t port = 0; port < 2; port++)
            for (Family f : {Family::V6, Family::V4}) {
                RouteEntry& e = pe.routes[pe.n_routes];
                TemplateSpec s;
                s.family = f;
                s.src_mac = port_mac(self, port);
                s.dst_mac = port_mac(peer, port);
                s.src_ip = peer_ip(self, port, f);
                s.dst_ip = peer_ip(peer, port, f);
                s.src_node = self;
                s.dst_node = peer;
                build_encap_template(e, s);
                e.resolved = true;
                e.route_id = rid++;
                e.port_index = port;
                rt->hb_refs[pe.n_routes] = HbRef{0, pe.n_routes};
                pe.n_routes++;
            }
        rt->n_peers = 1;
        rt->peer_by_node[peer] = 0;
        rt->hb_begin[0] = 0;
        for (size_t i = 1; i <= kMaxWorkers; i++) rt->hb_begin[i] = pe.n_routes;
        dp->routes.store(rt.get());

        w = std::make_unique<Worker>();
        // Both nodes share this thread: each node's CPU time is the thread's
        // CPU time spent polling it (poll()), so that polling the other node
        // is not taken for running, and a paused node is a stalled node.
        w->cpu_ns = [](void* ctx) { return static_cast<Node*>(ctx)->cpu; };
        w->cpu_ctx = this;
        w->dp = dp.get();
        w->ctr = ctr.get();
        w->pool = test_pool();
        w->cfg.burst = 32;
        for (uint16_t i = 0; i < kPorts; i++) w->rxq[w->n_rxq++] = RxQueueRef{i, ports[i].port_id, 0, dp->ports[i].role};
    }

    void fini() {
        for (auto& p : ports) free_ring_port(p);
        drain_ring(dp->to_control);
        drain_ring(dp->from_control[0]);
        rte_ring_free(dp->to_control);
        rte_ring_free(dp->from_control[0]);
        rte_ring_free(dp->route_events);
    }

    // New heartbeat properties: a new table generation, as the engine
    // publishes them.
    void set(const ClusterProperties& p) {
        props = p;
        rt->hb = heartbeat_settings(props, dp->tsc_hz);
        rt->generation++;
    }

    uint64_t cpu = 0;  // CPU time of this node's worker, ns
    unsigned poll() {
        const uint64_t c0 = thread_cpu_ns(nullptr);
        const unsigned n = worker_poll_once(*w);
        cpu += thread_cpu_ns(nullptr) - c0;
        return n;
    }

    HealthState state(uint16_t route) const { return static_cast<HealthState>(dp->route_live[route].state.load()); }
    uint64_t drops(DropReason r) const { return ctr->drops[static_cast<size_t>(r)].get(); }
    // Route state changes (the worker's stall reports aside, see stalls).
    std::vector<RouteEvent> events() {
        std::vector<RouteEvent> v;
        RouteEvent e;
        while (rte_ring_dequeue_elem(dp->route_events, &e, sizeof e) == 0) {
            const auto c = static_cast<HealthCause>(e.cause);
            if (c == HealthCause::WorkerStall || c == HealthCause::AllSilent || c == HealthCause::PeerSilent)
                stalls.push_back(e);
            else
                v.push_back(e);
        }
        return v;
    }
    std::vector<RouteEvent> stalls;
};

class Heartbeat : public testing::Test {
  protected:
    void SetUp() override {
        static int instance = 0;
        instance++;
        a.init(1, 2, test_keys(), 0x1111, instance);
        b.init(2, 1, test_keys(), 0x2222, instance);
        free_at_start = rte_mempool_avail_count(test_pool());
    }
    void TearDown() override {
        a.fini();
        b.fini();
        for (auto* m : recorded) rte_pktmbuf_free(m);
        EXPECT_EQ(rte_mempool_avail_count(test_pool()), free_at_start) << "mbufs leaked";
    }

    // The ftnet message type of a frame on the wire (0: not ftnet).
    static uint8_t msg_type(const rte_mbuf* m) {
        const uint8_t* f = rte_pktmbuf_mtod(m, const uint8_t*);
        const size_t h = f[12] == 0x86 ? 62 : 42;
        return m->data_len > h + 1 ? f[h + 1] : 0;
    }

    // Moves frames across each network's wire; a cut wire loses them, and
    // `lose` (when set) drops the frames it picks.
    void wire() {
        for (int p = 0; p < 2; p++)
            for (auto [from, to] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
                void* m;
                while (rte_ring_dequeue(from->ports[p].tx, &m) == 0) {
                    auto* mb = static_cast<rte_mbuf*>(m);
                    if (record && from == &b && p == 0 && recorded.size() < 200) {
                        rte_mbuf* copy = rte_pktmbuf_copy(mb, test_pool(), 0, UINT32_MAX);
                        if (copy) recorded.push_back(copy);
                    }
                    if (cut[p] || (lose && lose(*from, p, mb)) || rte_ring_enqueue(to->ports[p].rx, m) != 0)
                        rte_pktmbuf_free(mb);
                }
            }
        // What the nodes deliver into their ftnet0 is not under test.
        for (auto* n : {&a, &b}) drain_ring(n->ports[kAdapterIndex].tx);
    }

    // Runs both nodes for `ms` milliseconds of real time; a paused node is
    // not polled (a stall of that host: its worker does not run).
    void run_for(double ms, const std::function<void()>& each = {}) {
        const uint64_t end = rte_rdtsc() + static_cast<uint64_t>(ms * static_cast<double>(rte_get_tsc_hz()) / 1000);
        while (rte_rdtsc() < end) {
            if (!paused[0]) a.poll();
            if (!paused[1]) b.poll();
            wire();
            if (each) each();
        }
    }

    // Milliseconds from t0 to t1 in which worker w was running (not stalled).
    static double running_ms(const Worker& w, uint64_t t0, uint64_t t1) {
        const StallLog& l = w.stalls;
        uint64_t stalled = 0;
        for (uint64_t k = l.count > StallLog::kSize ? l.count - StallLog::kSize : 0; k < l.count; k++) {
            const unsigned i = static_cast<unsigned>(k % StallLog::kSize);
            const uint64_t from = std::max(l.end[i] - l.dur[i], t0), to = std::min(l.end[i], t1);
            if (to > from) stalled += to - from;
        }
        return static_cast<double>(t1 - t0 - stalled) * 1000 / static_cast<double>(rte_get_tsc_hz());
    }

    // Runs both nodes until cond holds (true) or timeout_ms passed (false).
    bool run_until(const std::function<bool()>& cond, double timeout_ms) {
        const uint64_t end = rte_rdtsc() + static_cast<uint64_t>(timeout_ms * static_cast<double>(rte_get_tsc_hz()) / 1000);
        while (rte_rdtsc() < end) {
            if (cond()) return true;
            run_for(0.05);
        }
        return cond();
    }

    double ms_since(uint64_t t) const { return static_cast<double>(rte_rdtsc() - t) * 1000 / static_cast<double>(rte_get_tsc_hz()); }

    bool all_up(Node& n) {
        for (uint16_t r = 0; r < 4; r++)
            if (n.state(r) != HealthState::Up) return false;
        return true;
    }

    Node a, b;
    bool cut[2] = {false, false};
    bool paused[2] = {false, false};
    std::function<bool(const Node& from, int port, const rte_mbuf* m)> lose;
    bool record = false;
    std::vector<rte_mbuf*> recorded;
    unsigned free_at_start = 0;
};

TEST_F(Heartbeat, RoutesComeUpOnTheFirstRepliesWithRtt) {
    EXPECT_EQ(a.state(0), HealthState::Unknown);
    EXPECT_FALSE(a.dp->route_live[0].up.load()) << "no route is used before a heartbeat is answered";
    run_for(10);
    EXPECT_TRUE(all_up(a));
    EXPECT_TRUE(all_up(b));
    auto ev = a.events();
    ASSERT_EQ(ev.size(), 4u);
    for (auto& e : ev) {
        EXPECT_EQ(e.state, static_cast<uint8_t>(HealthState::Up));
        EXPECT_EQ(e.cause, static_cast<uint8_t>(HealthCause::FirstReply));
    }
    const RouteLive& live = a.dp->route_live[0];
    EXPECT_GE(live.req_sent.load(), 5u);
    EXPECT_GE(live.rep_rcvd.load(), 5u);
    EXPECT_GE(b.dp->route_live[0].req_rcvd.load(), 5u) << "node 2 answered node 1's requests";
    EXPECT_GT(live.rtt_last_ns.load(), 0u);
    EXPECT_LT(live.rtt_last_ns.load(), 5000000u);
    uint64_t hist = 0;
    for (auto& b2 : live.rtt_hist) hist += b2.load();
    EXPECT_EQ(hist, live.rep_rcvd.load());
    for (size_t d = 0; d < kNumDropReasons; d++) EXPECT_EQ(a.ctr->drops[d].get(), 0u) << drop_reason_name(static_cast<DropReason>(d));
}

// A route taken out of the worker's schedule (a table without it) and put
// back later comes up again: its request sequence continues where it
// stopped, so the peer's replies are not taken for replays of answers
// already seen.
TEST_F(Heartbeat, ARouteRemovedAndAddedAgainComesBackUp) {
    run_for(10);
    ASSERT_TRUE(all_up(a));
    const uint32_t hb_end = a.rt->hb_begin[1];
    for (size_t i = 1; i <= kMaxWorkers; i++) a.rt->hb_begin[i] = 0;  // node 1 heartbeats nothing
    a.rt->generation++;
    run_for(10);
    for (size_t i = 1; i <= kMaxWorkers; i++) a.rt->hb_begin[i] = static_cast<uint16_t>(hb_end);
    a.rt->generation++;
    const uint64_t replays = a.drops(DropReason::rx_replay);
    const uint64_t replies = a.dp->route_live[0].rep_rcvd.load();
    a.events();
    run_for(20);
    unsigned first_replies = 0;
    for (auto& e : a.events()) first_replies += e.cause == static_cast<uint8_t>(HealthCause::FirstReply);
    EXPECT_EQ(first_replies, 4u) << "each re-added route is answered again";
    EXPECT_GE(a.dp->route_live[0].rep_rcvd.load(), replies + 5) << "its replies count";
    EXPECT_TRUE(all_up(a));
    EXPECT_EQ(a.drops(DropReason::rx_replay), replays) << "no reply to the re-added routes was taken for a replay";
}

TEST_F(Heartbeat, SilentLossTakesTheNetworksRoutesDownAfterThresholdAndBackAfterRecovery) {
    run_for(10);
    ASSERT_TRUE(all_up(a));
    a.events();
    cut[0] = true;  // the cluster network drops everything, links stay up
    const uint64_t t0 = rte_rdtsc();
    uint64_t down_at = 0;
    ASSERT_TRUE(run_until([&] { return a.state(0) == HealthState::Down && a.state(1) == HealthState::Down; }, 500));
    down_at = rte_rdtsc();
    run_for(2);
    // Down at the end of the Threshold-th (3rd) period without a reply after
    // the last reply's period: 2-4 ms after the cut, in the time the worker
    // was running (a preemption of this test process is a stall of both
    // nodes, and never counts as silence).
    const double detect_ms = running_ms(*a.w, t0, down_at);
    EXPECT_GE(detect_ms, 1.9) << "not before threshold x delay of silence";
    // Plus node 2's reported send skew (at most another 3 ms, on a loaded
    // host), plus scheduling.
    EXPECT_LE(detect_ms, 12.0) << "threshold x delay, plus the peer's skew, plus scheduling";
    EXPECT_EQ(a.state(1), HealthState::Down);
    EXPECT_EQ(a.state(2), HealthState::Up);
    EXPECT_EQ(b.state(0), HealthState::Down) << "node 2 sees it too";
    const RouteEntry* best = select_route(*a.dp, a.rt->peers[0]);
    ASSERT_NE(best, nullptr);
    EXPECT_EQ(best->route_id, 2) << "traffic moves to storage IPv6";
    for (auto& e : a.events()) EXPECT_EQ(e.cause, static_cast<uint8_t>(HealthCause::Missed));

    cut[0] = false;
    run_for(10);
    EXPECT_TRUE(all_up(a)) << "failback after RouteRecoveryThreshold answered periods";
    auto ev = a.events();
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[0].cause, static_cast<uint8_t>(HealthCause::Recovered));
    EXPECT_EQ(select_route(*a.dp, a.rt->peers[0])->route_id, 0);
}

TEST_F(Heartbeat, LinkLossIsActedOnAtOnce) {
    run_for(10);
    a.events();
    a.dp->port_live[0].usable.store(false);
    a.dp->hb_kick.fetch_add(1);
    a.poll();  // one loop iteration, no period has to end
    EXPECT_EQ(a.state(0), HealthState::Down);
    EXPECT_EQ(a.state(1), HealthState::Down);
    auto ev = a.events();
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[0].cause, static_cast<uint8_t>(HealthCause::LinkDown));
    const uint64_t sent = a.dp->route_live[0].req_sent.load();
    run_for(5);
    EXPECT_EQ(a.dp->route_live[0].req_sent.load(), sent) << "no heartbeats on a port without link";
    a.dp->port_live[0].usable.store(true);
    a.dp->hb_kick.fetch_add(1);
    EXPECT_TRUE(run_until([&] { return a.state(0) == HealthState::Up; }, 200)) << "probing restarts with the link";
}

TEST_F(Heartbeat, ReplayedRepliesNeverKeepADeadRouteAlive) {
    record = true;  // node 2's frames on the cluster network, replies among them
    run_for(10);
    record = false;
    ASSERT_GE(recorded.size(), 10u);
    ASSERT_TRUE(all_up(a));
    cut[0] = true;
    // Keep feeding node 1 the old replies, as an attacker on the wire would.
    size_t next = 0;
    run_until([&] {
        rte_mbuf* copy = rte_pktmbuf_copy(recorded[next++ % recorded.size()], test_pool(), 0, UINT32_MAX);
        if (copy && rte_ring_enqueue(a.ports[0].rx, copy) != 0) rte_pktmbuf_free(copy);
        return a.state(0) == HealthState::Down && a.state(1) == HealthState::Down && next > 50;
    }, 300);
    EXPECT_EQ(a.state(0), HealthState::Down);
    EXPECT_EQ(a.state(1), HealthState::Down);
    EXPECT_GT(a.drops(DropReason::rx_seq_replay) + a.drops(DropReason::rx_too_old), 10u)
        << "refused by the replay window";
}

TEST_F(Heartbeat, ReplayedRequestsGetNoAnswer) {
    run_for(5);
    // Capture one of node 1's requests off the wire, then play it to node 2 again.
    rte_mbuf* req = nullptr;
    const uint64_t give_up = rte_rdtsc() + rte_get_tsc_hz() / 20;  // 50 heartbeat periods
    while (!req && rte_rdtsc() < give_up) {
        a.poll();
        void* m;
        while (rte_ring_dequeue(a.ports[0].tx, &m) == 0) {
            auto* mb = static_cast<rte_mbuf*>(m);
            const uint8_t* f = rte_pktmbuf_mtod(mb, const uint8_t*);
            size_t ft = f[12] == 0x86 ? 62 : 42;
            if (!req && mb->data_len > ft + 1 && f[ft + 1] == 3)
                req = rte_pktmbuf_copy(mb, test_pool(), 0, UINT32_MAX);
            if (rte_ring_enqueue(b.ports[0].rx, mb) != 0) rte_pktmbuf_free(mb);
        }
    }
    ASSERT_NE(req, nullptr);
    run_for(3);
    // Let node 2 answer everything already on its way (node 1 is not polled
    // any more, so nothing new arrives).
    for (int idle = 0; idle < 3;) {
        wire();
        idle = b.poll() == 0 ? idle + 1 : 0;
    }
    const uint64_t replies = b.dp->route_live[0].rep_sent.load() + b.dp->route_live[1].rep_sent.load();
    ASSERT_EQ(rte_ring_enqueue(b.ports[0].rx, req), 0);
    b.poll();
    EXPECT_EQ(b.drops(DropReason::rx_seq_replay), 1u) << "the replay window refuses it before the heartbeat sees it";
    EXPECT_EQ(b.dp->route_live[0].rep_sent.load() + b.dp->route_live[1].rep_sent.load(), replies);
}

TEST_F(Heartbeat, SequencesWrapAround) {
    // Both nodes have sent and had answered nearly 2^32 requests per route:
    // their counts wrap during the run.
    for (auto* n : {&a, &b}) {
        for (auto& h : n->w->hb) h.seq = 0xfffffff0u;
        for (auto& l : n->dp->route_live) {
            l.sent_seq.store(0xfffffff0u);
            l.acked_seq.store(0xfffffff0u);
        }
    }
    run_for(40);
    EXPECT_TRUE(all_up(a));
    EXPECT_TRUE(all_up(b));
    EXPECT_LT(a.dp->route_live[0].sent_seq.load(), 100u) << "wrapped";
    EXPECT_EQ(a.drops(DropReason::rx_replay), 0u);
    EXPECT_EQ(b.drops(DropReason::rx_replay), 0u);
    EXPECT_EQ(a.drops(DropReason::rx_hb_unexpected), 0u);
}

TEST_F(Heartbeat, AWrongKeyNeverBringsARouteUp) {
    b.dp->keys.store(const_cast<KeyRing*>(&other_cluster_keys()));
    run_for(10);
    for (uint16_t r = 0; r < 4; r++) EXPECT_NE(a.state(r), HealthState::Up);
    EXPECT_GT(a.drops(DropReason::rx_bad_auth), 0u);
    EXPECT_GT(b.drops(DropReason::rx_bad_auth), 0u);
}

TEST_F(Heartbeat, APeerRestartIsAccepted) {
    run_for(10);
    ASSERT_TRUE(all_up(a));
    // Node 2 restarts: a new boot id, sequences from 1 again.
    b.dp->boot_id = 0x3333;
    for (auto& h : b.w->hb) h = HbPrivate{};
    for (auto& r : b.dp->route_live) {
        r.sent_seq.store(0);
        r.acked_seq.store(0);
        r.state.store(0);
        r.up.store(false);
    }
    a.events();
    run_for(10);
    EXPECT_TRUE(all_up(a)) << "the restarted peer's requests are answered, its replies counted";
    EXPECT_TRUE(all_up(b));
    EXPECT_EQ(a.drops(DropReason::rx_replay), 0u);
    EXPECT_TRUE(a.events().empty()) << "node 1 never lost the routes";
}


// A stall of a node (its worker does not run for 5 ms, the networks are
// fine) must not take any route down: the stalled node knows it was not
// running; its peer sees every route fall silent at once and waits it out.
TEST_F(Heartbeat, AStalledNodeDoesNotAccuseTheNetwork) {
    run_for(10);
    ASSERT_TRUE(all_up(a));
    a.events();
    b.events();
    paused[0] = true;
    run_for(5);
    paused[0] = false;
    run_for(15);
    EXPECT_TRUE(all_up(a));
    EXPECT_TRUE(all_up(b));
    EXPECT_TRUE(a.events().empty()) << "the stalled node accused none of its routes";
    EXPECT_TRUE(b.events().empty()) << "nor did its peer";
    EXPECT_GE(a.ctr->hb_stalls.get(), 1u) << "node 1 noticed it had not been running";
    EXPECT_GE(a.ctr->hb_stall_max_cycles.get(), rte_get_tsc_hz() / 250) << "for about 5 ms";
    // Node 2 saw every route fall silent at once: one episode, counted once,
    // not once per route (unless node 2 was stalled too: this test's two
    // nodes share one thread).
    if (b.ctr->hb_stalls.get() == 0) {
        EXPECT_EQ(b.ctr->hb_all_silent.get(), 1u);
        ASSERT_FALSE(b.stalls.empty());
        EXPECT_EQ(b.stalls.back().cause, static_cast<uint8_t>(HealthCause::AllSilent));
    }
    EXPECT_LE(b.ctr->hb_all_silent.get(), 1u);
}

// A peer that stalls for longer than StallGrace is taken for dead after all:
// every route goes down, and traffic keeps a last-resort route.
TEST_F(Heartbeat, ASilenceLongerThanTheStallGraceTakesEveryRouteDown) {
    run_for(10);
    a.events();
    cut[0] = cut[1] = true;
    const uint64_t t0 = rte_rdtsc();
    ASSERT_TRUE(run_until([&] {
        bool down = true;
        for (uint16_t r = 0; r < 4; r++) down &= a.state(r) == HealthState::Down;
        return down;
    }, 500));
    const uint64_t all_down = rte_rdtsc();
    const double took = running_ms(*a.w, t0, all_down);
    EXPECT_GE(took, 20.0) << "not before the 20 ms StallGrace";
    EXPECT_LE(took, 50.0) << "detection (3-4 ms) plus the grace, plus scheduling";
    EXPECT_EQ(a.ctr->hb_all_silent.get(), 1u);
    const RouteEntry* r = select_route(*a.dp, a.rt->peers[0]);
    ASSERT_NE(r, nullptr) << "no route answers, but the links are up: last resort";
    EXPECT_EQ(r->route_id, 0) << "the best of them";
}

// Replies lost on one network while the peer's own requests still arrive
// and say the route is up: the peer demonstrably hears us, the route stays.
TEST_F(Heartbeat, ThePeersRequestsKeepARouteUpWhoseRepliesAreLost) {
    run_for(10);
    a.events();
    lose = [&](const Node& from, int port, const rte_mbuf* m) {
        return &from == &b && port == 0 && msg_type(m) == static_cast<uint8_t>(wire::MsgType::HeartbeatRep);
    };
    const uint64_t replies = a.dp->route_live[0].rep_rcvd.load();
    run_for(30);
    EXPECT_EQ(a.dp->route_live[0].rep_rcvd.load(), replies) << "no reply got through";
    EXPECT_EQ(a.state(0), HealthState::Up);
    EXPECT_EQ(a.state(1), HealthState::Up);
    EXPECT_TRUE(a.events().empty());
}

// A one-way failure: node 1's frames no longer reach node 2 on the cluster
// network, node 2's still reach node 1. Node 2's requests keep arriving, but
// they echo ever older requests of node 1: they prove nothing, and node 1
// takes the route down on time, not only once node 2 has.
TEST_F(Heartbeat, AOneWayFailureIsNotHiddenByThePeersRequests) {
    run_for(10);
    a.events();
    lose = [&](const Node& from, int port, const rte_mbuf*) { return &from == &a && port == 0; };
    const uint64_t t0 = rte_rdtsc();
    ASSERT_TRUE(run_until([&] { return a.state(0) == HealthState::Down && a.state(1) == HealthState::Down; }, 300));
    const double took = running_ms(*a.w, t0, rte_rdtsc());
    EXPECT_LE(took, 12.0) << "as fast as a silence both ways";
    EXPECT_GT(a.dp->route_live[0].req_rcvd.load(), 0u);
    EXPECT_EQ(a.state(2), HealthState::Up);
}

// Tunnel DATA is not authenticated in wire format v1: it may carry a route
// through a burst that crowds out its heartbeats for one more detection
// time, but it never keeps a route alive whose heartbeats are gone.
TEST_F(Heartbeat, DataNeverKeepsARouteAliveOnItsOwn) {
    run_for(10);
    a.events();
    lose = [&](const Node& from, int port, const rte_mbuf* m) {
        const uint8_t t = msg_type(m);
        return &from == &b && port == 0 && t != static_cast<uint8_t>(wire::MsgType::Data);
    };
    // Node 2 keeps sending data to node 1 (flooded: it has not learnt node
    // 1's adapter), on its best route, cluster IPv6.
    const Bytes frame = inner_frame(MacAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, kPeer2AdapterMac, 200);
    const uint64_t t0 = rte_rdtsc();
    uint64_t v4_down = 0, v6_down = 0;
    run_until([&] {
        rte_mbuf* m = to_mbuf(test_pool(), frame);
        if (rte_ring_enqueue(b.ports[kAdapterIndex].rx, m) != 0) rte_pktmbuf_free(m);
        if (!v4_down && a.state(1) == HealthState::Down) v4_down = rte_rdtsc();
        if (!v6_down && a.state(0) == HealthState::Down) v6_down = rte_rdtsc();
        return v4_down && v6_down;
    }, 300);
    EXPECT_GT(a.ctr->route[0].rx_pkts.get(), 20u) << "data kept arriving on cluster IPv6";
    ASSERT_NE(v4_down, 0u);
    ASSERT_NE(v6_down, 0u) << "data alone did not keep it up";
    EXPECT_GT(a.dp->route_live[0].periods_alive.load(), a.dp->route_live[1].periods_alive.load())
        << "periods with data from the peer kept IPv6 alive; IPv4 had no data (at most a reply still on its way)";
    EXPECT_LE(running_ms(*a.w, t0, v6_down), 15.0) << "at most one more detection time (3-4 ms) than without data";
}

// A paused peer (kill -STOP) answers its backlog of requests when it
// resumes: those replies prove it is alive again, but they are lost for
// the loss and RTT statistics.
TEST_F(Heartbeat, LateRepliesAfterAPauseCountAsLost) {
    run_for(10);
    const RouteLive& live = a.dp->route_live[0];
    const uint64_t answered0 = live.rep_rcvd.load(), sent0 = live.req_sent.load(), late0 = live.rep_late.load();
    paused[1] = true;
    run_for(40);  // node 1's requests queue up at node 2
    paused[1] = false;
    run_for(20);
    const uint64_t late = live.rep_late.load() - late0;
    EXPECT_GE(late, 5u) << "the backlog's answers came late";
    const uint64_t sent = live.req_sent.load() - sent0, answered = live.rep_rcvd.load() - answered0;
    EXPECT_LE(answered + late, sent + 1) << "a late reply is not an answered request";
    EXPECT_LT(live.rtt_last_ns.load(), 3000000u) << "the RTT is the timely replies', not the backlog's";
    EXPECT_TRUE(all_up(a)) << "and the routes came back";
}

// Flap damping: FlapThreshold 2 downs in a 1 s window are tolerated; the
// third holds the route down for 40 ms even though it answers again.
TEST_F(Heartbeat, AFlappingRouteIsHeldDown) {
    ClusterProperties p = test_properties();
    p.flap_threshold = 2;
    p.flap_window_ms = 1000;
    p.flap_hold_down_ms = 40;
    p.flap_hold_down_max_ms = 160;
    a.set(p);
    b.set(p);
    run_for(10);
    a.events();
    for (int i = 0; i < 3; i++) {
        cut[1] = true;  // storage
        ASSERT_TRUE(run_until([&] { return a.state(2) == HealthState::Down; }, 200));
        cut[1] = false;
        if (i < 2) {
            ASSERT_TRUE(run_until([&] { return a.state(2) == HealthState::Up; }, 200));
        }
    }
    run_for(10);
    auto ev = a.events();
    const RouteEvent* held = nullptr;
    for (auto& e : ev)
        if (e.route_id == 2 && e.hold_ms) held = &e;
    ASSERT_NE(held, nullptr) << "the third down of storage IPv6 started a hold-down";
    EXPECT_EQ(held->hold_ms, 40u);
    EXPECT_EQ(held->flaps, 3u);
    EXPECT_EQ(a.state(2), HealthState::Down) << "held, although it answers again";
    EXPECT_NE(a.dp->route_live[2].held_until_tsc.load(), 0u);
    run_for(45);
    EXPECT_EQ(a.state(2), HealthState::Up) << "back when the hold-down ended";
    bool ended = false;
    for (auto& e : a.events()) ended |= e.route_id == 2 && e.cause == static_cast<uint8_t>(HealthCause::HoldEnded);
    EXPECT_TRUE(ended);
}

// Routes that join at different instants (as peers come up) send their
// requests together once their first period ends: one burst per period
// instead of one poll per route.
TEST_F(Heartbeat, RoutesThatJoinApartSendTogether) {
    auto owned = [&](uint16_t n) {
        for (size_t i = 1; i <= kMaxWorkers; i++) a.rt->hb_begin[i] = n;
        a.rt->generation++;
    };
    owned(1);
    run_for(0.37);
    owned(2);
    run_for(0.61);
    owned(4);
    run_for(10);
    ASSERT_TRUE(all_up(a));
    const uint64_t step = a.rt->hb.send_step_tsc;
    ASSERT_GT(step, 1u);
    const uint64_t next = a.w->hb[0].next_tsc;
    EXPECT_EQ(next % step, 0u) << "on the send grid";
    for (uint16_t r = 1; r < 4; r++) EXPECT_EQ(a.w->hb[r].next_tsc, next) << "route " << r << " ends its periods with route 0's";
    // Their last requests left in the same poll.
    const RouteLive& l0 = a.dp->route_live[0];
    for (uint16_t r = 1; r < 4; r++) {
        const RouteLive& l = a.dp->route_live[r];
        const uint32_t s0 = static_cast<uint32_t>(l0.sent_seq.load()), sr = static_cast<uint32_t>(l.sent_seq.load());
        EXPECT_EQ(l.sent_time[sr % RouteLive::kSentTimes].load(), l0.sent_time[s0 % RouteLive::kSentTimes].load()) << "route " << r;
    }
}

// The owner's schedule costs O(routes due): each route is visited about
// once per period (period end, or its silence deadline), however the
// routes' phases drift apart.
TEST_F(Heartbeat, TheScheduleVisitsEachRouteAboutOncePerPeriod) {
    run_for(10);
    const uint64_t v0 = a.w->hb_visits;
    const uint64_t t0 = rte_rdtsc();
    run_for(200);
    const double periods = running_ms(*a.w, t0, rte_rdtsc());  // 1 ms heartbeats
    const double per_route_period = static_cast<double>(a.w->hb_visits - v0) / (periods * 4);
    EXPECT_GT(per_route_period, 0.5);
    EXPECT_LT(per_route_period, 2.5) << "not once per route per due route (O(N^2))";
}

}  // namespace
}  // namespace ftnet::test
