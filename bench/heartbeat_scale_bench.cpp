// Heartbeat cost at scale: one worker (the real worker_main poll loop) owns
// 64 peers x 4 networks = 256 routes at 1 ms, over net_ring ports. The main
// lcore plays the 64 peers (or --peers): it answers every request the worker sends and
// sends the worker 256 requests a millisecond of its own, all signed with
// the cluster key, so the worker handles ~768k heartbeat messages a second
// (requests out, replies in, requests in and replies out).
//
// Four schedules, each in busy-poll mode and with idle back-off:
//   aligned:        every route starts at once, 1 ms x 3, and every peer
//                   sends at the same instant (the cheapest case);
//   random phases:  routes join one by one at random instants (as peers do),
//                   published table by table as the control thread would;
//                   each peer sends its requests as ftnetd does, all its
//                   routes together, at a random phase of its own;
//   random + mixed: the same with half the networks cross-subnet at
//                   CrossSubnetDelay 2 ms (two Delays in one schedule);
//   per-route:      as random phases, but the peers send on each route at
//                   a random phase of its own (peers without a send grid:
//                   the worst case for the worker).
//
// Reports the share of the worker core spent on heartbeats (busy cycles /
// elapsed cycles, as the worker itself counts them), how many busy loops it
// took, and checks that every route stayed up.
//
//   sudo build/bench/heartbeat_scale_bench [--seconds 5] [--schedule S] [--mode busy-poll|idle]
//                                          [--peers N] [--peer-poll-us U]
//                                          [--out bench/results/heartbeat_scale.json]
//
// --peers runs a smaller cluster (the cost per route should not grow with
// it); --peer-poll-us makes the simulated peers read the worker's rings
// only that often, instead of spinning on them.

#include <rte_cycles.h>

#include <CLI/CLI.hpp>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numeric>
#include <random>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/core/dataplane.h"
#include "engine/tunnel/encap_template.h"
#include "engine/tunnel/protected_message.h"
#include "engine/heartbeat/cluster_properties.h"
#include "engine/core/worker.h"
#include "tests/unit/packet_fixtures.h"
#include "tests/unit/test_eal.h"

using namespace ftnet;

namespace {

constexpr unsigned kPeers = 64, kNets = 4, kRoutes = kPeers * kNets;  // at most; --peers picks fewer
constexpr uint16_t kAdapter = kNets;

IpAddr addr(unsigned net, unsigned host) { return *IpAddr::parse("fd00:" + std::to_string(net + 1) + "::" + std::to_string(host)); }
MacAddr local_mac(unsigned net) { return MacAddr{{0, 0, 0x5e, 0, 0x53, static_cast<uint8_t>(0x10 + net)}}; }
MacAddr peer_mac(unsigned peer, unsigned net) {
    return MacAddr{{2, 0, 0, 0, static_cast<uint8_t>(peer), static_cast<uint8_t>(net)}};
}

struct Bench {
    test::RingPort ports[kNets + 1];
    Dataplane* dp;
    Worker* w;
    RouteTable* rt;
    rte_mempool* pool;
    RouteEntry mirror[kRoutes] = {};  // peer -> local, for the simulated peers' messages
    uint32_t peer_seq[kRoutes] = {};
    uint32_t peer_rep_seq[kRoutes] = {};
    uint64_t peer_counter[kPeers] = {};  // each simulated peer's one sequence space
    PeerReplayWindows* windows = nullptr;
    uint64_t replies_from_worker = 0, requests_from_worker = 0;
    // The schedule under test: the simulated peers' request period and
    // phase per route, and the tables published while routes join.
    uint64_t peer_period[kRoutes] = {};
    uint64_t peer_next[kRoutes] = {};
    RouteTable* tables[2] = {};
    uint64_t generation = 1;
    unsigned n_peers = kPeers, n_routes = kRoutes;
    // How often the simulated peers look at the worker's transmit rings (0:
    // always, a core spinning on them).
    uint64_t peer_poll_tsc = 0, peer_polled = 0;
};

void setup(Bench& b) {
    b.pool = rte_pktmbuf_pool_create("hbs_pool", 16383, 256, 0, 2048, SOCKET_ID_ANY);
    void* mem = rte_zmalloc("hbs_dp", sizeof(Dataplane), 64);
    b.dp = new (mem) Dataplane();
    for (unsigned i = 0; i <= kNets; i++) {
        b.ports[i] = test::make_ring_port("hbs" + std::to_string(i), b.pool, 4096);
        b.dp->ports[i].port_id = b.ports[i].port_id;
        b.dp->ports[i].role = i == kAdapter ? PortRole::Adapter : PortRole::Physical;
        b.dp->port_index_by_id[b.ports[i].port_id] = static_cast<uint16_t>(i);
        b.dp->port_live[i].usable.store(true);
    }
    b.dp->n_ports = kNets + 1;
    b.dp->adapter_index = kAdapter;
    b.dp->n_workers = 1;
    b.dp->to_control = rte_ring_create("hbs_toctl", 1024, SOCKET_ID_ANY, RING_F_SC_DEQ);
    b.dp->from_control[0] = rte_ring_create("hbs_fromctl", 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    b.dp->route_events = rte_ring_create_elem("hbs_ev", sizeof(RouteEvent), 4096, SOCKET_ID_ANY, RING_F_SC_DEQ);
    b.dp->keys.store(const_cast<KeyRing*>(&test::test_keys()));
    b.windows = new PeerReplayWindows[kMaxPeers];
    b.dp->replay = b.windows;
    b.dp->epoch = 1;
    b.dp->boot_id = 0xb0b0;
    b.dp->tsc_hz = rte_get_tsc_hz();
    size_t qsz = rte_rcu_qsbr_get_memsize(1);
    b.dp->qsbr = static_cast<rte_rcu_qsbr*>(rte_zmalloc("hbs_qsbr", qsz, 64));
    rte_rcu_qsbr_init(b.dp->qsbr, 1);
    b.dp->counters[0] = new (rte_zmalloc("hbs_ctr", sizeof(WorkerCounters), 64)) WorkerCounters();

    b.rt = static_cast<RouteTable*>(rte_zmalloc("hbs_rt", sizeof(RouteTable), 64));
    RouteTable& t = *b.rt;
    t.generation = 1;
    ClusterProperties props = ClusterProperties::defaults(HeartbeatProfile::Fast);
    props.same_subnet_delay_ms = 1;
    props.same_subnet_threshold = 3;
    props.cross_subnet_delay_ms = 2;  // the mixed schedule's second Delay
    props.cross_subnet_threshold = 3;
    props.route_recovery_threshold = 3;
    t.hb = heartbeat_settings(props, b.dp->tsc_hz);
    t.local_node = 1;
    t.udp_port = wire::kDefaultUdpPort;
    t.adapter_mtu = 1400;
    std::fill(std::begin(t.peer_by_node), std::end(t.peer_by_node), kNoPeer);
    for (unsigned n = 0; n < kNets; n++) {
        std::memcpy(t.ports[n].mac, local_mac(n).b.data(), 6);
        t.ports[n].has_v6 = true;
        std::memcpy(t.ports[n].v6, addr(n, 1).b.data(), 16);
    }
    unsigned k = 0;
    for (unsigned p = 0; p < b.n_peers; p++) {
        PeerEntry& pe = t.peers[p];
        pe.node_id = static_cast<uint16_t>(p + 2);
        for (unsigned n = 0; n < kNets; n++) {
            const uint16_t rid = static_cast<uint16_t>(p * kNets + n);
            TemplateSpec s;
            s.family = Family::V6;
            s.src_mac = local_mac(n);
            s.dst_mac = peer_mac(p, n);
            s.src_ip = addr(n, 1);
            s.dst_ip = addr(n, p + 2);
            s.src_node = 1;
            s.dst_node = pe.node_id;
            RouteEntry& e = pe.routes[pe.n_routes++];
            build_encap_template(e, s);
            e.resolved = true;
            e.route_id = rid;
            e.port_index = static_cast<uint16_t>(n);
            t.hb_refs[k++] = HbRef{static_cast<uint16_t>(p), static_cast<uint16_t>(n)};
            // The peer's side of the same route.
            TemplateSpec m = s;
            std::swap(m.src_mac, m.dst_mac);
            std::swap(m.src_ip, m.dst_ip);
            std::swap(m.src_node, m.dst_node);
            build_encap_template(b.mirror[rid], m);
            b.mirror[rid].route_id = rid;
        }
        t.peer_by_node[pe.node_id] = static_cast<uint16_t>(p);
    }
    t.n_peers = b.n_peers;
    t.hb_begin[0] = 0;
    for (unsigned i = 1; i <= kMaxWorkers; i++) t.hb_begin[i] = static_cast<uint16_t>(k);
    b.dp->routes.store(b.rt);
    for (auto& tb : b.tables) tb = static_cast<RouteTable*>(rte_zmalloc("hbs_rt_join", sizeof(RouteTable), 64));

    b.w = new (rte_zmalloc("hbs_worker", sizeof(Worker), 64)) Worker();
    b.w->dp = b.dp;
    b.w->ctr = b.dp->counters[0];
    b.w->pool = b.pool;
    b.w->cfg.burst = 32;
    for (uint16_t i = 0; i <= kNets; i++) b.w->rxq[b.w->n_rxq++] = RxQueueRef{i, b.ports[i].port_id, 0, b.dp->ports[i].role};
}

// The 64 peers: answer what the worker sent, and send their own requests.
void simulate_peers(Bench& b, uint64_t now) {
    if (b.peer_poll_tsc) {
        if (now < b.peer_polled + b.peer_poll_tsc) return;
        b.peer_polled = now;
    }
    const KeyRing& key = test::test_keys();
    void* burst[64];
    for (unsigned n = 0; n < kNets; n++) {
        unsigned got;
        while ((got = rte_ring_sc_dequeue_burst(b.ports[n].tx, burst, 64, nullptr)) > 0) {
            unsigned out = 0;
            for (unsigned i = 0; i < got; i++) {
                auto* m = static_cast<rte_mbuf*>(burst[i]);
                const uint8_t* f = rte_pktmbuf_mtod(m, const uint8_t*);
                auto* h = reinterpret_cast<const wire::Header*>(f + 62);
                if (h->type != static_cast<uint8_t>(wire::MsgType::HeartbeatReq)) {
                    b.replies_from_worker++;
                    rte_pktmbuf_free(m);
                    continue;
                }
                b.requests_from_worker++;
                const unsigned peer = rte_be_to_cpu_16(h->dst_node) - 2u;
                const uint16_t rid = static_cast<uint16_t>(peer * kNets + n);
                wire::HeartbeatPayload req;
                std::memcpy(&req, f + 62 + sizeof(wire::Header), sizeof req);
                wire::HeartbeatPayload rep{};
                rep.boot_id = rte_cpu_to_be_32(0x5000 + peer);
                rep.echo_boot_id = req.boot_id;
                rep.echo_seq = req.seq;
                rep.tx_time = req.tx_time;
                rep.seq = rte_cpu_to_be_32(++b.peer_rep_seq[rid]);
                rte_pktmbuf_reset(m);
                auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(message_len(Family::V6, sizeof rep))));
                build_message(p, b.mirror[rid], wire::MsgType::HeartbeatRep, &rep, sizeof rep, key, 0,
                              next_sequence(1, b.peer_counter[peer]));
                burst[out++] = m;
            }
            if (out) {
                unsigned q = rte_ring_sp_enqueue_burst(b.ports[n].rx, burst, out, nullptr);
                for (unsigned i = q; i < out; i++) rte_pktmbuf_free(static_cast<rte_mbuf*>(burst[i]));
            }
        }
    }
    for (unsigned rid = 0; rid < b.n_routes; rid++) {
        if (b.peer_period[rid] == 0 || now < b.peer_next[rid]) continue;
        b.peer_next[rid] += b.peer_period[rid];
        if (b.peer_next[rid] < now) b.peer_next[rid] = now + b.peer_period[rid];  // fell behind: no burst of catch-up
        rte_mbuf* m = rte_pktmbuf_alloc(b.pool);
        if (!m) break;
        wire::HeartbeatPayload req{};
        req.boot_id = rte_cpu_to_be_32(0x5000 + rid / kNets);
        req.tx_time = rte_cpu_to_be_64(now);
        req.seq = rte_cpu_to_be_32(++b.peer_seq[rid]);
        auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(message_len(Family::V6, sizeof req))));
        build_message(p, b.mirror[rid], wire::MsgType::HeartbeatReq, &req, sizeof req, key, 0,
                      next_sequence(1, b.peer_counter[rid / kNets]));
        if (rte_ring_sp_enqueue(b.ports[rid % kNets].rx, m) != 0) rte_pktmbuf_free(m);
    }
}

enum class Schedule { Aligned, RandomPhases, RandomMixed, RandomPerRoute };

const char* schedule_name(Schedule s) {
    switch (s) {
    case Schedule::Aligned: return "aligned, 1 ms";
    case Schedule::RandomPhases: return "random phases, 1 ms";
    case Schedule::RandomMixed: return "random phases, 1 + 2 ms";
    case Schedule::RandomPerRoute: return "per-route peers, 1 ms";
    }
    return "?";
}

const char* schedule_key(Schedule s) {
    switch (s) {
    case Schedule::Aligned: return "aligned";
    case Schedule::RandomPhases: return "random";
    case Schedule::RandomMixed: return "mixed";
    case Schedule::RandomPerRoute: return "per-route";
    }
    return "?";
}

// Publishes `t` as the next table and waits until the worker no longer
// reads the previous one (QSBR), as the control thread's RcuPublisher does.
void publish(Bench& b, RouteTable* t) {
    t->generation = ++b.generation;
    b.dp->routes.store(t, std::memory_order_release);
    rte_rcu_qsbr_synchronize(b.dp->qsbr, RTE_QSBR_THRID_INVALID);
}

// Sets the schedule: which networks are cross-subnet, the peers' periods
// and phases; for the random schedules, routes then join one at a time at
// random instants over one period (the worker running), each join a new
// table. Returns when every route has joined.
void start_schedule(Bench& b, Schedule s, std::mt19937& rng) {
    const uint64_t ms = rte_get_tsc_hz() / 1000;
    RouteTable& base = *b.rt;
    for (unsigned p = 0; p < b.n_peers; p++)
        for (unsigned n = 0; n < kNets; n++) base.peers[p].routes[n].cross_subnet = s == Schedule::RandomMixed && n >= kNets / 2;
    const uint64_t now = rte_rdtsc();
    // Each simulated peer is an ftnetd: its routes' requests leave together
    // (its send grid), at a phase of its own. The per-route schedule is the
    // worst case, peers that send on each route at a random phase.
    uint64_t peer_phase[kPeers];
    for (auto& ph : peer_phase) ph = s == Schedule::Aligned ? 0 : rng() % ms;
    for (unsigned rid = 0; rid < b.n_routes; rid++) {
        b.peer_period[rid] = (s == Schedule::RandomMixed && rid % kNets >= kNets / 2) ? 2 * ms : ms;
        b.peer_next[rid] = now + (s == Schedule::RandomPerRoute ? rng() % ms : peer_phase[rid / kNets]);
    }
    if (s == Schedule::Aligned) {
        *b.tables[0] = base;
        publish(b, b.tables[0]);
        return;
    }
    std::vector<unsigned> order(b.n_routes);
    std::iota(order.begin(), order.end(), 0u);
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<uint64_t> at(b.n_routes);
    for (auto& a : at) a = now + rng() % ms;
    std::sort(at.begin(), at.end());
    unsigned cur = 0;
    for (unsigned k = 0; k <= b.n_routes; k++) {
        RouteTable& t = *b.tables[cur];
        t = base;
        for (unsigned i = 0; i < k; i++) t.hb_refs[i] = base.hb_refs[order[i]];
        t.hb_begin[0] = 0;
        for (unsigned w = 1; w <= kMaxWorkers; w++) t.hb_begin[w] = static_cast<uint16_t>(k);
        if (k > 0)
            while (rte_rdtsc() < at[k - 1]) simulate_peers(b, rte_rdtsc());
        publish(b, &t);
        cur ^= 1;
    }
}

struct Result {
    std::string schedule;
    std::string mode;
    double core_share_pct, req_out, rep_in, req_in, rep_out;
    double busy_loops_per_s, pkts_per_busy_loop, cycles_per_busy_loop, cycles_per_empty_loop;
    unsigned routes_up;
    uint64_t drops;
};

Result run(Bench& b, Schedule sched, unsigned idle_sleep_max_us, double seconds, std::mt19937& rng) {
    b.w->cfg.idle_sleep_max_us = idle_sleep_max_us;
    b.w->cfg.idle_polls = 64;
    b.dp->stop.store(false);
    // Start with no route to heartbeat; the schedule adds them.
    *b.tables[1] = *b.rt;
    for (unsigned w = 0; w <= kMaxWorkers; w++) b.tables[1]->hb_begin[w] = 0;
    b.tables[1]->generation = ++b.generation;
    b.dp->routes.store(b.tables[1]);
    unsigned lcore = rte_get_next_lcore(-1, 1, 0);
    rte_eal_remote_launch(worker_main, b.w, lcore);
    start_schedule(b, sched, rng);
    const uint64_t hz = rte_get_tsc_hz();
    const uint64_t warm = rte_rdtsc() + hz;
    while (rte_rdtsc() < warm) simulate_peers(b, rte_rdtsc());
    WorkerCounters& c = *b.dp->counters[0];
    const uint64_t busy0 = c.busy_cycles.get(), loops0 = c.busy_loops.get(), all0 = c.loops.get(), pkts0 = c.busy_pkts.get(), t0 = rte_rdtsc();
    uint64_t req_out0 = 0, rep_in0 = 0, req_in0 = 0, rep_out0 = 0;
    for (unsigned r = 0; r < b.n_routes; r++) {
        req_out0 += b.dp->route_live[r].req_sent.load();
        rep_in0 += b.dp->route_live[r].rep_rcvd.load();
        req_in0 += b.dp->route_live[r].req_rcvd.load();
        rep_out0 += b.dp->route_live[r].rep_sent.load();
    }
    uint64_t drops0 = 0;
    for (auto& d : c.drops) drops0 += d.get();
    const uint64_t end = t0 + static_cast<uint64_t>(seconds * static_cast<double>(hz));
    while (rte_rdtsc() < end) simulate_peers(b, rte_rdtsc());
    const uint64_t busy = c.busy_cycles.get() - busy0, elapsed = rte_rdtsc() - t0;
    Result res;
    res.schedule = schedule_name(sched);
    res.mode = idle_sleep_max_us ? "idle back-off (" + std::to_string(idle_sleep_max_us) + " us)" : "busy-poll";
    res.core_share_pct = 100.0 * static_cast<double>(busy) / static_cast<double>(elapsed);
    const double loops = static_cast<double>(c.busy_loops.get() - loops0), pkts = static_cast<double>(c.busy_pkts.get() - pkts0);
    res.busy_loops_per_s = loops / seconds;
    res.pkts_per_busy_loop = loops ? pkts / loops : 0;
    res.cycles_per_busy_loop = loops ? static_cast<double>(busy) / loops : 0;
    const double empty = static_cast<double>(c.loops.get() - all0) - loops;
    res.cycles_per_empty_loop = empty > 0 && idle_sleep_max_us == 0 ? static_cast<double>(elapsed - busy) / empty : 0;
    uint64_t req_out = 0, rep_in = 0, req_in = 0, rep_out = 0;
    res.routes_up = 0;
    for (unsigned r = 0; r < b.n_routes; r++) {
        req_out += b.dp->route_live[r].req_sent.load();
        rep_in += b.dp->route_live[r].rep_rcvd.load();
        req_in += b.dp->route_live[r].req_rcvd.load();
        rep_out += b.dp->route_live[r].rep_sent.load();
        res.routes_up += b.dp->route_live[r].state.load() == static_cast<uint8_t>(HealthState::Up);
    }
    res.req_out = static_cast<double>(req_out - req_out0) / seconds;
    res.rep_in = static_cast<double>(rep_in - rep_in0) / seconds;
    res.req_in = static_cast<double>(req_in - req_in0) / seconds;
    res.rep_out = static_cast<double>(rep_out - rep_out0) / seconds;
    uint64_t drops = 0;
    for (auto& d : c.drops) drops += d.get();
    res.drops = drops - drops0;
    for (size_t d = 0; d < kNumDropReasons; d++)
        if (c.drops[d].get()) std::printf("   drops %s: %llu\n", drop_reason_name(static_cast<DropReason>(d)),
                                          static_cast<unsigned long long>(c.drops[d].get()));
    b.dp->stop.store(true);
    rte_eal_wait_lcore(lcore);
    return res;
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = 5;
    std::string out = "bench/results/heartbeat_scale.json";
    CLI::App app{"heartbeat_scale_bench"};
    app.add_option("--seconds", seconds, "measuring time per run")->check(CLI::PositiveNumber);
    app.add_option("--out", out, "JSON result file");
    std::string only_schedule, only_mode;
    double peer_poll_us = 0;
    unsigned n_peers = kPeers;
    app.add_option("--peers", n_peers, "simulated peers (4 networks each)")->check(CLI::Range(1u, kPeers));
    app.add_option("--peer-poll-us", peer_poll_us, "the simulated peers read the worker's rings every this many us (0: spin)");
    app.add_option("--schedule", only_schedule, "run only this schedule")
        ->check(CLI::IsMember({"aligned", "random", "mixed", "per-route"}));
    app.add_option("--mode", only_mode, "run only this worker mode")->check(CLI::IsMember({"busy-poll", "idle"}));
    CLI11_PARSE(app, argc, argv);
    test::start_eal("heartbeat_scale_bench", "0-1", 512);
    Bench b;
    b.n_peers = n_peers;
    b.n_routes = n_peers * kNets;
    setup(b);
    b.peer_poll_tsc = static_cast<uint64_t>(peer_poll_us * static_cast<double>(rte_get_tsc_hz()) / 1e6);
    std::vector<Result> results;
    double bare_sign_ns = 0;
    std::printf("%u peers x %u networks = %u routes, threshold 3\n", b.n_peers, kNets, b.n_routes);
    std::printf("%-24s %-24s %12s %12s %12s %12s %12s %9s %6s\n", "schedule", "worker mode", "core share", "req out/s",
                "rep in/s", "req in/s", "rep out/s", "routes up", "drops");
    // The library's bare cost in the same run: building (and signing) one
    // heartbeat, the work each of the ~768k messages a second needs at
    // least once; as a share of one core at the 1 ms message rate.
    {
        alignas(64) uint8_t out[256];
        wire::HeartbeatPayload hp{};
        const KeyRing& key = test::test_keys();
        constexpr unsigned kIters = 2000000;
        uint64_t counter = 0;
        const uint64_t t0 = rte_rdtsc();
        for (unsigned i = 0; i < kIters; i++) {
            hp.tx_time = i;
            build_message(out, b.mirror[i % b.n_routes], wire::MsgType::HeartbeatReq, &hp, sizeof hp, key, 0, next_sequence(1, counter));
        }
        const double ns = static_cast<double>(rte_rdtsc() - t0) * 1e9 / static_cast<double>(rte_get_tsc_hz()) / kIters;
        bare_sign_ns = ns;
        std::printf("baseline: one sealed (AES-GCM) heartbeat built in %.1f ns; 4 x %uk messages/s of that alone = %.2f%% of one core\n",
                    ns, b.n_routes, 4.0 * b.n_routes * 1000 * ns / 1e7);
    }
    std::mt19937 rng(7);
    for (Schedule sched : {Schedule::Aligned, Schedule::RandomPhases, Schedule::RandomMixed, Schedule::RandomPerRoute})
        for (unsigned sleep_us : {0u, 100u}) {
            const char* sname = schedule_key(sched);
            if ((!only_schedule.empty() && only_schedule != sname) ||
                (!only_mode.empty() && only_mode != (sleep_us ? "idle" : "busy-poll")))
                continue;
            Result r = run(b, sched, sleep_us, seconds, rng);
            std::printf("%-24s %-24s %11.2f%% %12.0f %12.0f %12.0f %12.0f %5u/%u %6llu\n", r.schedule.c_str(), r.mode.c_str(),
                        r.core_share_pct, r.req_out, r.rep_in, r.req_in, r.rep_out, r.routes_up, b.n_routes,
                        static_cast<unsigned long long>(r.drops));
            std::printf("%-24s %-24s   %.0f busy loops/s, %.2f messages and %.0f cycles each (an empty loop: %.0f)\n", "", "",
                        r.busy_loops_per_s, r.pkts_per_busy_loop, r.cycles_per_busy_loop, r.cycles_per_empty_loop);
            results.push_back(r);
        }
    nlohmann::json j;
    j["bench"] = "heartbeat_scale";
    j["routes"] = b.n_routes;
    j["delay_ms"] = 1;
    j["baseline_signed_heartbeat_ns"] = bare_sign_ns;
    j["baseline_core_share_pct"] = 4.0 * b.n_routes * 1000 * bare_sign_ns / 1e7;
    j["peers"] = b.n_peers;
    for (auto& r : results)
        j["results"].push_back({{"schedule", r.schedule}, {"mode", r.mode}, {"core_share_pct", r.core_share_pct}, {"requests_out_per_s", r.req_out},
                                {"replies_in_per_s", r.rep_in}, {"requests_in_per_s", r.req_in},
                                {"replies_out_per_s", r.rep_out}, {"routes_up", r.routes_up}, {"drops", r.drops},
                                {"busy_loops_per_s", r.busy_loops_per_s}, {"messages_per_busy_loop", r.pkts_per_busy_loop},
                                {"cycles_per_busy_loop", r.cycles_per_busy_loop}});
    std::filesystem::create_directories(std::filesystem::path(out).parent_path());
    std::ofstream(out) << j.dump(2) << "\n";
    std::printf("results written to %s\n", out.c_str());
    for (auto& p : b.ports) test::free_ring_port(p);
    test::stop_eal();
    return 0;
}
