// Google Benchmark micro-benchmarks of the per-packet stages, one core, no
// I/O: encapsulation, classification + decapsulation, route selection,
// peer lookup and the flow hash. Reports ns per packet (Time / items).
//
//   build/bench/micro_bench [--benchmark_format=json --benchmark_out=FILE]
//
// Needs root for nothing; starts DPDK's EAL without hugepages for mbufs.

#include <benchmark/benchmark.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/dataplane.h"
#include "engine/security/seal.h"
#include "engine/tunnel/encap_template.h"
#include "engine/tunnel/datapath/classify.h"
#include "engine/tunnel/datapath/decap.h"
#include "engine/tunnel/datapath/encap.h"
#include "engine/tunnel/datapath/flow_hash.h"
#include "engine/tunnel/datapath/fragment.h"
#include "engine/tunnel/datapath/route_select.h"
#include "tests/unit/packet_fixtures.h"
#include "tests/unit/test_eal.h"

namespace ftnet::test {
namespace {

constexpr int kBurst = 32;

// Sending a 1400-byte ftnet0 frame (authenticated, IPv6 route) when the
// route's path MTU carries it whole (arg 0 = 1500) and when it does not
// (1280: two DATA_FRAGMENTs, split, sealed each). Both take a fresh mbuf
// with the frame's bytes per frame and free what they sent, so the
// difference between them is what fragmentation costs.
void BM_SendWithPathMtu(benchmark::State& state) {
    auto rt = make_test_table();
    RouteEntry r = rt->peers[0].routes[0];
    const size_t whole = static_cast<size_t>(state.range(0)) - wire::ip_packet_len(true, 0);
    r.max_whole = static_cast<uint16_t>(whole);
    r.frag_piece = static_cast<uint16_t>((whole - sizeof(wire::FragmentHeader)) & ~size_t{7});
    const Bytes frame = inner_frame(kPeer2AdapterMac, kLocalAdapterMac, 1400);
    const KeyRing& kr = test_keys(false);
    uint64_t counter = 0;
    uint32_t frame_id = 0;
    size_t pieces = 0;
    DropReason why;
    for (auto _ : state) {
        for (int i = 0; i < kBurst; i++) {
            rte_mbuf* m = to_mbuf(test_pool(), frame);
            const uint32_t h = inner_flow_hash(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len);
            if (m->pkt_len <= r.max_whole) {
                benchmark::DoNotOptimize(encap_frame(m, r, h, kr, 0, next_sequence(1, counter), &why));
                rte_pktmbuf_free(m);
                pieces++;
                continue;
            }
            rte_mbuf* parts[wire::kMaxFragments];
            const unsigned n = split_frame(m, r, test_pool(), ++frame_id, r.hdr_len, parts, &why);
            for (unsigned k = 0; k < n; k++) {
                benchmark::DoNotOptimize(encap_frame(parts[k], r, h, kr, 0, next_sequence(1, counter), &why, wire::MsgType::DataFragment));
                rte_pktmbuf_free(parts[k]);
            }
            pieces += n;
        }
    }
    state.SetItemsProcessed(state.iterations() * kBurst);
    state.counters["packets_per_frame"] = static_cast<double>(pieces) / static_cast<double>(state.iterations() * kBurst);
}
BENCHMARK(BM_SendWithPathMtu)->Arg(1500)->Arg(1280)->ArgName("path_mtu");

// Encapsulate a burst of frames of state.range(0) bytes on an IPv6 (arg 1
// = 1) or IPv4 route, then undo it so the same mbufs serve every iteration.
void BM_Encap(benchmark::State& state) {
    auto rt = make_test_table();
    const RouteEntry& r = rt->peers[0].routes[state.range(1) ? 0 : 1];
    std::vector<rte_mbuf*> ms;
    for (int i = 0; i < kBurst; i++)
        ms.push_back(to_mbuf(test_pool(), inner_frame(kPeer2AdapterMac, kLocalAdapterMac, static_cast<size_t>(state.range(0)))));
    const KeyRing& kr = test_keys(state.range(2) != 0);
    uint64_t counter = 0;
    DropReason why;
    for (auto _ : state) {
        for (rte_mbuf* m : ms) {
            uint32_t h = inner_flow_hash(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len);
            benchmark::DoNotOptimize(encap_frame(m, r, h, kr, 0, next_sequence(1, counter), &why));
        }
        benchmark::ClobberMemory();
        for (rte_mbuf* m : ms) {
            rte_pktmbuf_adj(m, r.hdr_len);
            rte_pktmbuf_trim(m, wire::kAuthTagLen);
        }
    }
    state.SetItemsProcessed(state.iterations() * kBurst);
    for (rte_mbuf* m : ms) rte_pktmbuf_free(m);
}
BENCHMARK(BM_Encap)->ArgsProduct({{64, 512, 1400}, {1, 0}, {0, 1}})->ArgNames({"bytes", "ipv6", "encrypt"});

// Classify and decapsulate a burst of tunnel packets (software checksum
// verification, as on af_packet/af_xdp ports), then restore them.
void BM_ClassifyDecap(benchmark::State& state) {
    auto rt = make_test_table();
    Family f = state.range(1) ? Family::V6 : Family::V4;
    Bytes pkt = tunnel_packet(test_pool(), f, 0, inner_frame(kLocalAdapterMac, kPeer2AdapterMac, static_cast<size_t>(state.range(0))));
    std::vector<rte_mbuf*> ms;
    for (int i = 0; i < kBurst; i++) ms.push_back(to_mbuf(test_pool(), pkt));
    const uint16_t hdr = outer_hdr_len(f);
    for (auto _ : state) {
        for (rte_mbuf* m : ms) {
            RxResult c = classify_frame(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len, *rt, 0);
            DropReason why;
            benchmark::DoNotOptimize(decap_frame(m, c, *rt, &why));
        }
        benchmark::ClobberMemory();
        for (rte_mbuf* m : ms) rte_pktmbuf_prepend(m, hdr);
    }
    state.SetItemsProcessed(state.iterations() * kBurst);
    for (rte_mbuf* m : ms) rte_pktmbuf_free(m);
}
BENCHMARK(BM_ClassifyDecap)->ArgsProduct({{64, 512, 1400}, {1, 0}})->ArgNames({"bytes", "ipv6"});

// Best usable route of a peer when the first state.range(0) routes are down.
void BM_RouteSelect(benchmark::State& state) {
    auto rt = make_test_table();
    auto dp = std::make_unique<Dataplane>();
    for (auto& p : dp->port_live) p.usable.store(true);
    for (auto& r : dp->route_live) r.up.store(true);
    for (int i = 0; i < state.range(0); i++) dp->route_live[rt->peers[0].routes[i].route_id].up.store(false);
    const PeerEntry& peer = rt->peers[0];
    for (auto _ : state) benchmark::DoNotOptimize(select_route(*dp, peer));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouteSelect)->DenseRange(0, 3)->ArgName("routes_down");

// Peer lookup by destination MAC among 63 peers: hit in the one-entry cache
// (a flow's frames come in runs) and the worst-case miss (last peer).
void BM_PeerByMac(benchmark::State& state) {
    auto rt = make_test_table();
    rt->n_peers = kMaxPeers;
    for (unsigned i = 0; i < kMaxPeers; i++) {
        rt->peers[i] = rt->peers[0];
        rt->peers[i].node_id = static_cast<uint16_t>(10 + i);
        rt->peers[i].adapter_mac[5] = static_cast<uint8_t>(i);
    }
    auto dp = std::make_unique<Dataplane>();
    auto w = std::make_unique<Worker>();
    w->dp = dp.get();
    w->rt = rt.get();
    uint8_t last[6];
    std::memcpy(last, rt->peers[kMaxPeers - 1].adapter_mac, 6);
    uint8_t other[6];
    std::memcpy(other, rt->peers[0].adapter_mac, 6);
    const bool cached = state.range(0);
    for (auto _ : state) {
        if (!cached) benchmark::DoNotOptimize(peer_by_adapter_mac(*w, other));  // evict
        benchmark::DoNotOptimize(peer_by_adapter_mac(*w, last));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PeerByMac)->Arg(1)->Arg(0)->ArgName("cached");

void BM_FlowHash(benchmark::State& state) {
    Bytes f = inner_frame(kPeer2AdapterMac, kLocalAdapterMac, 64);
    f[23] = 17;  // UDP, so ports are hashed too
    for (auto _ : state) benchmark::DoNotOptimize(inner_flow_hash(f.data(), static_cast<uint32_t>(f.size())));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FlowHash);

// Sealing one heartbeat (22-byte header + 32-byte payload, AES-128-GCM
// authentication) with the engine's seal; bench/aead_bench compares the
// libraries themselves.
void BM_SealHeartbeat(benchmark::State& state) {
    const KeyRing& kr = test_keys();
    wire::Header h{};
    uint8_t msg[sizeof h + 32 + 16] = {};
    std::memcpy(msg, &h, sizeof h);
    uint64_t counter = 0;
    for (auto _ : state) {
        seal_message(reinterpret_cast<wire::Header*>(msg), 32, kr, 0, next_sequence(1, counter));
        benchmark::DoNotOptimize(msg);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SealHeartbeat);

}  // namespace
}  // namespace ftnet::test

int main(int argc, char** argv) {
    ftnet::test::start_eal("micro_bench", "0", 256);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    ftnet::test::stop_eal();
    return 0;
}
