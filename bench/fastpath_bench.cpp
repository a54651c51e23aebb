// Fast-path bench: one real worker poll loop (worker_poll_once) on its own
// lcore, driven over net_ring ports: two cluster ports and ftnet0. The main
// lcore recycles packets: what the worker transmits is turned back into
// input (undoing encapsulation or decapsulation in place: no allocation, no
// copy), so the worker never waits for input and the figures are the
// worker's own.
//
//   encap: ftnet0 rx -> route select -> encap + seal -> cluster tx      (node 1 sending)
//   decap: cluster rx -> classify -> admit (AEAD open) -> ftnet0 tx    (node 1 receiving)
//
// Every frame is sealed (wire format v2): with payloads authenticated only
// (AES-128-GMAC) and encrypted (AES-128-GCM), both reported, next to the
// library's bare cost of sealing and opening the same record measured in
// the same run (the ratio is what the tunnel adds to the cryptography). The
// recycler re-seals every frame it feeds back for decap with a new
// sequence (the replay window would refuse it otherwise), on its own core.
//
// Traffic, in three modes, all reported:
//   one-flow:   one peer, one flow: the peer cache always hits, the frame
//               bytes stay in the worker's cache (the flattering case);
//   many-flows: 16 peers, 1,000 flows, destinations in random order, so the
//               one-entry peer cache misses as in real traffic;
//   many+dma:   many-flows, and the recycler rewrites every frame's bytes
//               before handing it back, as a NIC's DMA would leave them:
//               the worker's reads come from another core's cache.
//
// Reports, per mode, direction and inner frame size, packets per second and
// TSC cycles per packet on the worker core: all its cycles (empty polls
// included, so it also reflects how fast the recycler feeds it) and its busy
// cycles (polls that moved packets: the worker's own cost). Before that, in
// the same run, dpdk-testpmd forwards (io, then macswap) on the same kind of
// ports (net_ring) on the same lcores, and each figure is also given as a
// ratio to testpmd's cycles per packet: CPUs differ between machines, the
// ratio much less. Writes JSON.
//
//   sudo build/bench/fastpath_bench [--seconds 3] [--modes one-flow,many-flows,many+dma]
//                                   [--policy none,hdr1000,pay100,lit100] [--random-payload]
//                                   [--out bench/results/fastpath.json]
//
// --policy runs each traffic policy in turn (bench_policy() below says what
// they are); with payload policies, Hyperscan's own scan of the same payload
// is reported next to each encap figure.

#include <rte_cycles.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_prefetch.h>
#include <unistd.h>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <regex>
#include <sstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <rte_ip.h>
#include <rte_udp.h>

#include "engine/core/dataplane.h"
#include "engine/policy/policy_table.h"
#include "bench/bench_policies.h"
#include "engine/security/aead.h"
#include "engine/security/seal.h"
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

    // The frames the recycler writes back in DMA mode (any of them: the
    // next frame is just another flow).
    std::vector<Bytes> frames;
    bool dma = false;
    const KeyRing* kr = nullptr;
    uint64_t reseal_counter = 0;
    std::unique_ptr<PeerReplayWindows[]> windows;
    uint64_t drops_seen[kNumDropReasons] = {};

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
    std::string mode;
    std::string direction;
    std::string crypto;  // "auth" or "encrypt"
    size_t size;
    double mpps, cycles_per_packet, busy_cycles_per_packet, gbps, empty_poll_pct, pkts_per_poll;
    double bare_cycles = 0;  // the library alone: seal (encap) or open (decap) of the same record
    std::string policy = "none";
    double bare_scan = 0;  // Hyperscan alone on the same payload (payload policies)
    uint64_t drops;
    nlohmann::json drop_reasons = nlohmann::json::object();
};

// What a peer's NIC would hand us next: the recycled frame sealed again
// under a new sequence of the sending peer's space 0 (outer IPv6).
void reseal(Bench& b, rte_mbuf* m) {
    uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
    const size_t plen = m->pkt_len - outer_hdr_len(Family::V6) - wire::kAuthTagLen;
    // Epoch 2: above the fixtures' own sequences (epoch 1).
    seal_message(reinterpret_cast<wire::Header*>(f + 62), plen, *b.kr, 0, uint64_t{2} << 48 | ++b.reseal_counter);
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(f + 14);
    auto* udp = reinterpret_cast<rte_udp_hdr*>(f + 54);
    udp->dgram_cksum = 0;
    udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip, udp);
}

// The library's bare cost of one record (22-byte header + `size` bytes):
// median cycles over batches of 1,000, sealing or opening.
double bare_cycles(const KeyRing& kr, size_t size, bool open) {
    std::vector<uint8_t> rec(sizeof(wire::Header) + size + wire::kAuthTagLen, 0x5a);
    uint8_t nonce[kAeadNonceLen] = {1};
    const AeadKey& k = kr.sealing();
    std::vector<double> batch;
    for (int r = 0; r < 201; r++) {
        const uint64_t t0 = rte_rdtsc();
        for (int i = 0; i < 1000; i++) {
            nonce[11] = static_cast<uint8_t>(i);
            if (open)
                (void)aead_open(k, nonce, rec.data(), sizeof(wire::Header), size, kr.encrypt, rec.data() + rec.size() - 16);
            else
                aead_seal(k, nonce, rec.data(), sizeof(wire::Header), size, kr.encrypt, rec.data() + rec.size() - 16);
        }
        batch.push_back(static_cast<double>(rte_rdtsc() - t0) / 1000);
    }
    std::sort(batch.begin(), batch.end());
    return batch[batch.size() / 2];
}

Result run_one(Bench& b, bool encap, size_t size, double seconds) {
    size_t next_frame = 0;
    // Fill the input ring.
    RingPort& in = encap ? b.ports[kAdapterIndex] : b.ports[0];
    RingPort& out = encap ? b.ports[0] : b.ports[kAdapterIndex];
    for (unsigned i = 0; i < kInFlight; i++) {
        rte_mbuf* m = to_mbuf(b.pool, b.frames[i % b.frames.size()]);
        if (!encap) reseal(b, m);  // each in-flight frame its own sequence
        rte_ring_enqueue(in.rx, m);
    }
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
            if (encap) {
                rte_pktmbuf_adj(m, hdr);
                rte_pktmbuf_trim(m, wire::kAuthTagLen);
            } else {
                rte_pktmbuf_prepend(m, hdr);
                rte_pktmbuf_append(m, wire::kAuthTagLen);
            }
            // Encryption left ciphertext in place of the inner frame: put a
            // frame back (as DMA mode does anyway).
            if (b.dma || (encap && b.kr->encrypt)) {
                // As a NIC would: new bytes in the buffer, written by
                // another agent than the worker.
                const Bytes& f = b.frames[next_frame];
                if (++next_frame == b.frames.size()) next_frame = 0;
                std::memcpy(rte_pktmbuf_mtod(m, void*), f.data(), f.size());
            }
            if (!encap) reseal(b, m);
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
    for (size_t i = 0; i < kNumDropReasons; i++) {
        const uint64_t d = b.ctr->drops[i].get() - b.drops_seen[i];
        b.drops_seen[i] = b.ctr->drops[i].get();
        if (d) r.drop_reasons[drop_reason_name(static_cast<DropReason>(i))] = d;
    }
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

constexpr unsigned kManyPeers = 16, kManyFlows = 1000;

MacAddr many_peer_adapter_mac(unsigned peer) { return MacAddr{{0x02, 0, 0, 0, 0x77, static_cast<uint8_t>(peer)}}; }

// 16 peers (node ids 2..17), each with a route on both cluster ports.
std::unique_ptr<RouteTable> make_many_peers_table() {
    auto t = make_test_table();
    std::fill(std::begin(t->peer_by_node), std::end(t->peer_by_node), kNoPeer);
    uint16_t id = 0;
    for (unsigned p = 0; p < kManyPeers; p++) {
        PeerEntry& pe = t->peers[p];
        pe = PeerEntry{};
        pe.node_id = static_cast<uint16_t>(2 + p);
        pe.adapter_known = true;
        std::memcpy(pe.adapter_mac, many_peer_adapter_mac(p).b.data(), 6);
        for (uint16_t port : {0, 1})
            fill_route(pe.routes[pe.n_routes++], id++, Family::V6, port, pe.node_id,
                       MacAddr{{0x02, 0, 0, 0, static_cast<uint8_t>(port), static_cast<uint8_t>(p)}});
        t->peer_by_node[pe.node_id] = static_cast<uint16_t>(p);
    }
    t->n_peers = kManyPeers;
    return t;
}

// A UDP flow inside an inner IPv4 frame: flow i to peer `peer`.
Bytes flow_frame(const MacAddr& dst, const MacAddr& src, size_t size, unsigned flow) {
    Bytes f = inner_frame(dst, src, size);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(f.data() + 14);
    ip->next_proto_id = IPPROTO_UDP;
    ip->src_addr = rte_cpu_to_be_32(0xa9fe0000 | (flow & 0xffff));
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    f[34] = static_cast<uint8_t>(flow >> 8);
    f[35] = static_cast<uint8_t>(flow);
    f[36] = 0x0d;
    f[37] = 0x0f;
    return f;
}

// The frames a run starts with (and DMA mode writes back), in a random order.
// With `random`, payloads (after the 42 header bytes) are random bytes, as
// compressed or encrypted application data would be: what a payload
// policy's Hyperscan scan costs most on; otherwise one constant byte.
std::vector<Bytes> make_frames(Bench& b, bool many, bool encap, size_t size, bool random) {
    std::vector<Bytes> v;
    std::mt19937 rng(42);
    std::mt19937 payload_rng(43);
    auto random_payload = [&](Bytes f) {
        if (random)
            for (size_t i = 42; i < f.size(); i++) f[i] = static_cast<uint8_t>(payload_rng());
        return f;
    };
    if (!many) {
        v.push_back(encap ? random_payload(inner_frame(kPeer2AdapterMac, kLocalAdapterMac, size))
                          : tunnel_packet(b.pool, Family::V6, 0, random_payload(inner_frame(kLocalAdapterMac, kPeer2AdapterMac, size))));
        return v;
    }
    std::vector<unsigned> peer_of_flow(kManyFlows);
    for (auto& p : peer_of_flow) p = rng() % kManyPeers;
    for (unsigned i = 0; i < kInFlight; i++) {
        const unsigned flow = static_cast<unsigned>(rng() % kManyFlows), peer = peer_of_flow[flow];
        if (encap) {
            v.push_back(random_payload(flow_frame(many_peer_adapter_mac(peer), kLocalAdapterMac, size, flow)));
        } else {
            // All on the cluster port (the recycler feeds that one), from
            // 16 peers.
            v.push_back(tunnel_packet(b.pool, Family::V6, 0,
                                      random_payload(flow_frame(kLocalAdapterMac, many_peer_adapter_mac(peer), size, flow)),
                                      wire::MsgType::Data, static_cast<uint16_t>(2 + peer)));
        }
    }
    return v;
}

// dpdk-testpmd forwarding on two net_ring ports (each a loop ring) with
// one forwarding lcore, as a baseline measured in the same run: its own
// report of CPU cycles per packet and the forwarded packet rate.
struct Baseline {
    std::string mode;
    double cycles_per_packet = 0, mpps = 0;
    bool ok = false;
    std::string error;
};

Baseline run_testpmd(const std::string& mode, double seconds) {
    Baseline r;
    r.mode = mode;
    const std::string log = "/tmp/ftnet-fastpath-testpmd-" + std::to_string(getpid()) + ".log";
    const std::string prefix = "ftnet-fp-testpmd-" + std::to_string(getpid());
    std::fflush(stdout);  // or the child would flush our buffered lines again
    pid_t pid = fork();
    if (pid == 0) {
        FILE* f = freopen(log.c_str(), "w", stdout);
        (void)f;
        dup2(fileno(stdout), 2);
        execlp("dpdk-testpmd", "dpdk-testpmd", "-l", "0-1", "--no-huge", "-m", "1024", "--no-pci", "--no-shconf",
               ("--file-prefix=" + prefix).c_str(), "--vdev=net_ring0", "--vdev=net_ring1", "--log-level=lib.eal:warning",
               "--", ("--forward-mode=" + mode).c_str(), "--tx-first", "--record-core-cycles", "--total-num-mbufs=8192",
               "--stats-period=1", static_cast<char*>(nullptr));
        _exit(127);
    }
    if (pid < 0) {
        r.error = "fork failed";
        return r;
    }
    sleep(static_cast<unsigned>(seconds + 2.5));
    kill(pid, SIGINT);
    int status = 0;
    for (int i = 0; i < 50 && waitpid(pid, &status, WNOHANG) == 0; i++) usleep(100000);
    if (waitpid(pid, &status, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    std::remove(log.c_str());
    std::smatch m;
    if (std::regex_search(text, m, std::regex(R"(CPU cycles/packet=([0-9.]+))"))) r.cycles_per_packet = std::stod(m[1]);
    // The rate: the last per-second report of each port (Rx-pps), summed.
    std::vector<double> pps;
    const std::regex rx_pps(R"(Rx-pps:\s+([0-9]+))");
    for (std::sregex_iterator it(text.begin(), text.end(), rx_pps), end; it != end; ++it)
        pps.push_back(std::stod((*it)[1]));
    if (pps.size() >= 2) r.mpps = (pps[pps.size() - 1] + pps[pps.size() - 2]) / 1e6;
    r.ok = r.cycles_per_packet > 0;
    if (!r.ok) r.error = WIFEXITED(status) && WEXITSTATUS(status) == 127 ? "dpdk-testpmd not found" : "no cycles/packet in testpmd's output";
    return r;
}

// A policy for the bench: "none", "hdrN" (N header-only rules: UDP port
// ranges and /24 prefixes, none of which the bench's ICMP frames hit, so
// the trie is walked in full every time), "payN" (N deny rules, each a
// literal or a caseless regex over the payload of any IPv4 frame, none of
// which matches, so Hyperscan scans every frame's payload in full) or
// "litN" (the same with literals only).
PolicyTable* bench_policy(const std::string& spec, std::string* error) {
    if (spec == "none") return nullptr;
    const bool literals_only = spec.rfind("lit", 0) == 0;
    const bool payload = literals_only || spec.rfind("pay", 0) == 0;
    if (!payload && spec.rfind("hdr", 0) != 0) {
        *error = "not a policy: none, hdrN, payN or litN";
        return nullptr;
    }
    const int n = std::stoi(spec.substr(3));
    // Header rules on UDP (the frames are ICMP); payload rules on any IPv4 frame.
    PolicyRule base;
    if (payload) base.ethertype = 0x0800;
    else base.protocol = 17;
    const auto rules = bench_rules(n, payload ? (literals_only ? BenchRuleKind::Literal : BenchRuleKind::Mixed) : BenchRuleKind::Header,
                                   base, 42);
    PolicyCompileOptions o;
    o.networks = {"cluster", "storage"};
    return compile_policy(rules, o, error);
}

// Hyperscan alone: one scan of each frame's payload (after its Ethernet
// and IPv4 headers) with the policy's database, cycles per frame.
double bare_scan_cycles(const PolicyTable& t, const std::vector<Bytes>& frames) {
    if (!t.db) return 0;
    auto no_match = [](unsigned, unsigned long long, unsigned long long, unsigned, void*) -> int { return 0; };
    std::vector<double> batch;
    for (int r = 0; r < 101; r++) {
        const uint64_t t0 = rte_rdtsc();
        for (int i = 0; i < 1000; i++) {
            const Bytes& f = frames[static_cast<size_t>(i) % frames.size()];
            hs_scan(t.db, reinterpret_cast<const char*>(f.data() + 34), static_cast<unsigned>(f.size() - 34), 0, t.scratch[0],
                    no_match, nullptr);
        }
        batch.push_back(static_cast<double>(rte_rdtsc() - t0) / 1000.0);
    }
    std::sort(batch.begin(), batch.end());
    return batch[batch.size() / 2];
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
    std::vector<std::string> modes = {"one-flow", "many-flows", "many+dma"};
    app.add_option("--modes", modes, "traffic modes to run")->delimiter(',')->check(CLI::IsMember({"one-flow", "many-flows", "many+dma"}));
    bool no_testpmd = false;
    app.add_flag("--no-testpmd", no_testpmd, "skip the dpdk-testpmd baseline");
    std::vector<std::string> cryptos = {"auth", "encrypt"};
    app.add_option("--crypto", cryptos, "payload protection to run")->delimiter(',')->check(CLI::IsMember({"auth", "encrypt"}));
    bool random_payload = false;
    app.add_flag("--random-payload", random_payload, "random payload bytes (what payload policies scan worst) instead of a constant byte");
    std::vector<std::string> policies = {"none"};
    app.add_option("--policy", policies, "traffic policies to run: none, hdrN (N header-only rules), payN (N payload rules: literals and regexes), "
                   "litN (N literal rules)")
        ->delimiter(',');
    CLI11_PARSE(app, argc, argv);
    // The baseline first, in its own process on the same lcores, before
    // this process's EAL takes them.
    std::vector<Baseline> baselines;
    if (!no_testpmd)
        for (const char* m : {"io", "macswap"}) {
            Baseline bl = run_testpmd(m, seconds);
            if (bl.ok)
                std::printf("baseline: dpdk-testpmd %-8s %8.2f Mpps %8.2f cycles/packet (net_ring, one forwarding lcore)\n",
                            m, bl.mpps, bl.cycles_per_packet);
            else
                std::printf("baseline: dpdk-testpmd %s: %s\n", m, bl.error.c_str());
            baselines.push_back(bl);
        }
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
        auto many_rt = make_many_peers_table();
        b.dp->routes.store(b.rt.get());
        // Routes up as if heartbeats answered; no heartbeats in this bench.
        for (auto& r : b.dp->route_live) r.up.store(true);
        b.dp->tsc_hz = rte_get_tsc_hz();
        b.dp->epoch = 1;
        b.windows = make_replay_windows(kManyPeers + 2);
        b.dp->replay = b.windows.get();
        b.w = new Worker();
        b.w->dp = b.dp.get();
        b.w->ctr = b.ctr.get();
        b.w->pool = b.pool;
        b.w->cfg.burst = 32;
        for (uint16_t i = 0; i < 3; i++) b.w->rxq[b.w->n_rxq++] = RxQueueRef{i, b.ports[i].port_id, 0, b.dp->ports[i].role};

        const double macswap = baselines.size() == 2 && baselines[1].ok ? baselines[1].cycles_per_packet : 0;
        std::printf("%-10s %-7s %-6s %6s %8s %14s %14s %9s %6s %12s %10s %12s %10s %8s\n", "mode", "crypto", "dir", "bytes",
                    "Mpps", "cycles/packet", "busy cyc/pkt", "Gbit/s", "drops", "empty polls", "pkts/poll", "x macswap",
                    "bare cyc", "x bare");
        for (const std::string& policy : policies) {
          std::string perr;
          PolicyTable* pt = bench_policy(policy, &perr);
          if (policy != "none" && !pt) {
              std::fprintf(stderr, "policy %s: %s\n", policy.c_str(), perr.c_str());
              return 1;
          }
          b.dp->policy.store(pt);
          if (policy != "none") std::printf("policy %s: %zu rules\n", policy.c_str(), pt->rules.size());
        for (const std::string& crypto : cryptos) {
          b.kr = &test_keys(crypto == "encrypt");
          b.dp->keys.store(const_cast<KeyRing*>(b.kr));
          for (const std::string& mode : modes) {
            const bool many = mode != "one-flow";
            b.dma = mode == "many+dma";
            b.dp->routes.store(many ? many_rt.get() : b.rt.get());
            b.w->cache_gen = ~0ull;  // a new table: forget the peer cache
            for (bool encap : {true, false})
                for (size_t size : {size_t{64}, size_t{512}, size_t{1400}}) {
                    b.frames = make_frames(b, many, encap, size, random_payload);
                    Result r = run_one(b, encap, size, seconds);
                    r.mode = mode;
                    r.crypto = crypto;
                    r.policy = policy;
                    if (pt && encap) r.bare_scan = bare_scan_cycles(*pt, b.frames);
                    r.bare_cycles = bare_cycles(*b.kr, size, !encap);
                    std::printf("%-10s %-7s %-6s %6zu %8.2f %14.1f %14.1f %9.2f %6llu %11.1f%% %10.1f %12.1f %10.1f %8.2f\n",
                                r.mode.c_str(), r.crypto.c_str(), r.direction.c_str(), r.size, r.mpps, r.cycles_per_packet,
                                r.busy_cycles_per_packet, r.gbps, static_cast<unsigned long long>(r.drops), r.empty_poll_pct,
                                r.pkts_per_poll, macswap > 0 ? r.busy_cycles_per_packet / macswap : 0.0, r.bare_cycles,
                                r.bare_cycles > 0 ? r.busy_cycles_per_packet / r.bare_cycles : 0.0);
                    if (r.drops) std::printf("           drops: %s\n", r.drop_reasons.dump().c_str());
                    if (r.bare_scan > 0) std::printf("           Hyperscan alone, one scan of this payload: %.1f cycles\n", r.bare_scan);
                    results.push_back(r);
                }
          }
        }
          b.dp->policy.store(nullptr);
          destroy_policy(pt);
        }
        delete b.w;
        for (auto& p : b.ports) free_ring_port(p);
    }
    nlohmann::json j;
    j["bench"] = "fastpath";
    j["tsc_hz"] = rte_get_tsc_hz();
    j["seconds"] = seconds;
    j["worker"] = "one lcore, net_ring ports, outer IPv6, software checksums";
    j["payload"] = random_payload ? "random bytes" : "one constant byte";
    for (auto& bl : baselines)
        j["baselines"].push_back({{"tool", "dpdk-testpmd"}, {"forward_mode", bl.mode}, {"ok", bl.ok}, {"error", bl.error},
                                  {"cycles_per_packet", bl.cycles_per_packet}, {"mpps", bl.mpps}});
    double macswap_cyc = 0, io_cyc = 0;
    for (auto& bl : baselines) (bl.mode == "io" ? io_cyc : macswap_cyc) = bl.ok ? bl.cycles_per_packet : 0;
    for (auto& r : results)
        j["results"].push_back({{"mode", r.mode}, {"direction", r.direction}, {"crypto", r.crypto}, {"policy", r.policy},
                                {"hyperscan_scan_cycles", r.bare_scan},
                                {"bare_crypto_cycles", r.bare_cycles},
                                {"ratio_to_bare_crypto", r.bare_cycles > 0 ? r.busy_cycles_per_packet / r.bare_cycles : 0.0},
                                {"ratio_to_testpmd_io", io_cyc > 0 ? r.busy_cycles_per_packet / io_cyc : 0.0},
                                {"ratio_to_testpmd_macswap", macswap_cyc > 0 ? r.busy_cycles_per_packet / macswap_cyc : 0.0}, {"inner_bytes", r.size}, {"mpps", r.mpps},
                                {"cycles_per_packet", r.cycles_per_packet},
                                {"busy_cycles_per_packet", r.busy_cycles_per_packet}, {"gbps", r.gbps}, {"drops", r.drops},
                                {"empty_poll_pct", r.empty_poll_pct}, {"packets_per_poll", r.pkts_per_poll},
                                {"drop_reasons", r.drop_reasons}});
    std::filesystem::create_directories(std::filesystem::path(out).parent_path());
    std::ofstream(out) << j.dump(2) << "\n";
    std::printf("results written to %s\n", out.c_str());
    stop_eal();
    return 0;
}
