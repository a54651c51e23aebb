// Fast-path bench: one real worker poll loop (worker_poll_once) on its own
// lcore, driven over net_ring ports: two cluster ports and ftnet0. The main
// lcore recycles packets: what the worker transmits is turned back into
// input (undoing encapsulation or decapsulation in place: no allocation, no
// copy), so the worker never waits for input and the figures are the
// worker's own.
//
//   encap: ftnet0 rx -> route select -> encap -> cluster tx   (node 1 sending)
//   decap: cluster rx -> classify -> decap -> ftnet0 tx        (node 1 receiving)
//
// Reports, per direction and inner frame size, packets per second and TSC
// cycles per packet on the worker core: all its cycles (empty polls
// included, so it also reflects how fast the recycler feeds it) and its busy
// cycles (polls that moved packets: the worker's own cost). Writes JSON.
//
//   sudo build/bench/fastpath_bench [--seconds 3] [--out bench/results/fastpath.json]

#include <rte_cycles.h>

#include <CLI/CLI.hpp>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_prefetch.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/core/dataplane.h"
#include "engine/tunnel/encap_template.h"
#include "engine/core/worker.h"
#include "tests/unit/packet_fixtures.h"
#include "tests/unit/test_eal.h"

namespace ftnet::test {
namespace {

constexpr unsigned kRingSize = 4096;
constexpr unsigned kInFlight = 2048;

struct Bench {
    RingPort ports[3];
    std::unique_ptr<Dataplane> dp;
    std::unique_ptr<WorkerCounters> ctr;
    std::unique_ptr<RouteTable> rt;
    Worker* w = nullptr;
    rte_mempool* pool = nullptr;

    std::atomic<bool> stop{false};
    std::atomic<bool> measuring{false};
    uint64_t cycles = 0, busy_cycles = 0, packets = 0, polls = 0, empty_polls = 0;  // written by the worker lcore, read after it stops
};

int worker_lcore(void* arg) {
    Bench& b = *static_cast<Bench*>(arg);
    uint64_t cyc = 0, busy = 0, pk = 0, polls = 0, empty = 0;
    while (!b.stop.load(std::memory_order_relaxed)) {
        uint64_t t0 = rte_rdtsc();
        unsigned n = worker_poll_once(*b.w);
        if (b.measuring.load(std::memory_order_relaxed)) {
            uint64_t d = rte_rdtsc() - t0;
            cyc += d;
            if (n) busy += d;
            pk += n;
            polls++;
            empty += n == 0;
        }
    }
    b.cycles = cyc;
    b.busy_cycles = busy;
    b.packets = pk;
    b.polls = polls;
    b.empty_polls = empty;
    return 0;
}

struct Result {
    std::string direction;
    size_t size;
    double mpps, cycles_per_packet, busy_cycles_per_packet, gbps, empty_poll_pct, pkts_per_poll;
    uint64_t drops;
};

Result run_one(Bench& b, bool encap, size_t size, double seconds) {
    // Fill the input ring.
    RingPort& in = encap ? b.ports[kAdapterIndex] : b.ports[0];
    RingPort& out = encap ? b.ports[0] : b.ports[kAdapterIndex];
    Bytes frame = encap ? inner_frame(kPeer2AdapterMac, kLocalAdapterMac, size)
                        : tunnel_packet(b.pool, Family::V6, 0, inner_frame(kLocalAdapterMac, kPeer2AdapterMac, size));
    for (unsigned i = 0; i < kInFlight; i++) rte_ring_enqueue(in.rx, to_mbuf(b.pool, frame));
    for (auto& d : b.ctr->drops) (void)d;
    uint64_t drops_before = 0;
    for (auto& d : b.ctr->drops) drops_before += d.get();

    b.stop = false;
    b.measuring = false;
    unsigned lcore = rte_get_next_lcore(-1, 1, 0);
    rte_eal_remote_launch(worker_lcore, &b, lcore);
    const uint16_t hdr = outer_hdr_len(Family::V6);
    const uint64_t hz = rte_get_tsc_hz();
    const uint64_t warm_end = rte_rdtsc() + hz / 2;
    uint64_t measure_end = 0;
    void* burst[64];
    for (;;) {
        // Whole bursts only: moving a packet or two at a time would bounce the
        // rings' head and tail cache lines between the cores on every call.
        unsigned n = rte_ring_sc_dequeue_bulk(out.tx, burst, 32, nullptr);
        // The mbufs were last written by the worker's core: start all the
        // cache-line transfers at once instead of waiting for each in turn.
        for (unsigned i = 0; i < n; i++) rte_prefetch0(burst[i]);
        for (unsigned i = 0; i < n; i++) {
            auto* m = static_cast<rte_mbuf*>(burst[i]);
            // Undo what the worker did; the bytes are still in place.
            if (encap)
                rte_pktmbuf_adj(m, hdr);
            else
                rte_pktmbuf_prepend(m, hdr);
        }
        if (n) rte_ring_sp_enqueue_burst(in.rx, burst, n, nullptr);
        uint64_t now = rte_rdtsc();
        if (!measure_end && now > warm_end) {
            b.measuring = true;
            measure_end = now + static_cast<uint64_t>(seconds * static_cast<double>(hz));
        }
        if (measure_end && now > measure_end) break;
    }
    b.measuring = false;
    b.stop = true;
    rte_eal_wait_lcore(lcore);
    // Drain every ring back into the pool.
    for (auto& p : b.ports)
        for (rte_ring* r : {p.rx, p.tx}) {
            void* m;
            while (rte_ring_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
        }
    uint64_t drops = 0;
    for (auto& d : b.ctr->drops) drops += d.get();
    Result r;
    r.direction = encap ? "encap" : "decap";
    r.size = size;
    r.mpps = static_cast<double>(b.packets) / seconds / 1e6;
    r.cycles_per_packet = b.packets ? static_cast<double>(b.cycles) / static_cast<double>(b.packets) : 0;
    r.busy_cycles_per_packet = b.packets ? static_cast<double>(b.busy_cycles) / static_cast<double>(b.packets) : 0;
    r.gbps = r.mpps * 1e6 * static_cast<double>(size) * 8 / 1e9;
    r.drops = drops - drops_before;
    r.empty_poll_pct = b.polls ? 100.0 * static_cast<double>(b.empty_polls) / static_cast<double>(b.polls) : 0;
    r.pkts_per_poll = b.polls ? static_cast<double>(b.packets) / static_cast<double>(b.polls) : 0;
    return r;
}

}  // namespace
}  // namespace ftnet::test

int main(int argc, char** argv) {
    using namespace ftnet;
    using namespace ftnet::test;
    double seconds = 3;
    std::string out = "bench/results/fastpath.json";
    CLI::App app{"fastpath_bench"};
    app.add_option("--seconds", seconds, "measuring time per run")->check(CLI::PositiveNumber);
    app.add_option("--out", out, "JSON result file");
    CLI11_PARSE(app, argc, argv);
    start_eal("fastpath_bench", "0-1", 512);
    std::vector<Result> results;
    {
        Bench b;
        b.pool = rte_pktmbuf_pool_create("fp_pool", 8191, 256, 0, 4096, SOCKET_ID_ANY);
        b.dp = std::make_unique<Dataplane>();
        const char* names[] = {"fp_cluster", "fp_storage", "fp_ftnet0"};
        for (uint16_t i = 0; i < 3; i++) {
            b.ports[i] = make_ring_port(names[i], b.pool, kRingSize);
            PortInfo& pi = b.dp->ports[i];
            pi.port_id = b.ports[i].port_id;
            pi.role = i == kAdapterIndex ? PortRole::Adapter : PortRole::Physical;
            b.dp->port_index_by_id[pi.port_id] = i;
            b.dp->port_live[i].usable.store(true);
        }
        b.dp->n_ports = 3;
        b.dp->adapter_index = kAdapterIndex;
        b.dp->n_workers = 1;
        b.dp->to_control = rte_ring_create("fp_toctl", 1024, SOCKET_ID_ANY, RING_F_SC_DEQ);
        b.dp->from_control[0] = rte_ring_create("fp_fromctl", 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
        b.ctr = std::make_unique<WorkerCounters>();
        b.dp->counters[0] = b.ctr.get();
        b.rt = make_test_table();
        b.dp->routes.store(b.rt.get());
        // Routes up as if heartbeats answered; no heartbeats in this bench.
        for (auto& r : b.dp->route_live) r.up.store(true);
        b.dp->tsc_hz = rte_get_tsc_hz();
        b.w = new Worker();
        b.w->dp = b.dp.get();
        b.w->ctr = b.ctr.get();
        b.w->pool = b.pool;
        b.w->cfg.burst = 32;
        for (uint16_t i = 0; i < 3; i++) b.w->rxq[b.w->n_rxq++] = RxQueueRef{i, b.ports[i].port_id, 0, b.dp->ports[i].role};

        std::printf("%-6s %6s %8s %14s %14s %9s %6s %12s %10s\n", "dir", "bytes", "Mpps", "cycles/packet", "busy cyc/pkt",
                    "Gbit/s", "drops", "empty polls", "pkts/poll");
        for (bool encap : {true, false})
            for (size_t size : {size_t{64}, size_t{512}, size_t{1400}}) {
                Result r = run_one(b, encap, size, seconds);
                std::printf("%-6s %6zu %8.2f %14.1f %14.1f %9.2f %6llu %11.1f%% %10.1f\n", r.direction.c_str(), r.size,
                            r.mpps, r.cycles_per_packet, r.busy_cycles_per_packet, r.gbps,
                            static_cast<unsigned long long>(r.drops), r.empty_poll_pct, r.pkts_per_poll);
                results.push_back(r);
            }
        delete b.w;
        for (auto& p : b.ports) free_ring_port(p);
    }
    nlohmann::json j;
    j["bench"] = "fastpath";
    j["tsc_hz"] = rte_get_tsc_hz();
    j["seconds"] = seconds;
    j["worker"] = "one lcore, net_ring ports, outer IPv6, software checksums";
    for (auto& r : results)
        j["results"].push_back({{"direction", r.direction}, {"inner_bytes", r.size}, {"mpps", r.mpps},
                                {"cycles_per_packet", r.cycles_per_packet},
                                {"busy_cycles_per_packet", r.busy_cycles_per_packet}, {"gbps", r.gbps}, {"drops", r.drops},
                                {"empty_poll_pct", r.empty_poll_pct}, {"packets_per_poll", r.pkts_per_poll}});
    std::filesystem::create_directories(std::filesystem::path(out).parent_path());
    std::ofstream(out) << j.dump(2) << "\n";
    std::printf("results written to %s\n", out.c_str());
    stop_eal();
    return 0;
}
