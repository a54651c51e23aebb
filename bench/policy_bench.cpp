// Policy bench: what the traffic policy's stage costs a worker, per frame,
// for 0, 10, 100 and 1,000 rules, header-only or with payload patterns, on
// 64- and 1400-byte inner frames, next to Hyperscan's own scan of the same
// payloads with the same database, all measured in one run on one core.
//
// The stage is what a worker runs per burst (engine/policy/datapath/
// policy_classify.h): parse 32 inner frames into keys, then classify the
// burst. The frames are IPv4 TCP to port 443 with random payload bytes (as
// compressed or encrypted data would be: Hyperscan's worst ordinary case)
// and no rule hits them, so every rule is considered:
//   header  rules on TCP port ranges and /24 source prefixes (the ACL trie)
//   literal deny rules on TCP, an 8-letter literal each: the headers match,
//           so Hyperscan scans every payload in full
//   literal+regex  the same, every other rule a caseless regex instead
//           (word[0-9]+word)
// "0 rules" is the parse alone (no policy): the added cost of a policy is
// its figure minus that one. Cycles are TSC cycles per frame over bursts,
// measured in 5 rounds over every row in turn: p50 of all the bursts, p99
// the median of the rounds' p99s (a target counts at p99; a stretch of host
// noise moves one round's tail only).
//
//   build/bench/policy_bench [--bursts 20000] [--lcore 1] [--out bench/results/policy.json]

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <rte_cycles.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "engine/policy/datapath/policy_classify.h"
#include "bench/bench_policies.h"
#include "engine/policy/policy_table.h"
#include "tests/unit/packet_fixtures.h"
#include "tests/unit/test_eal.h"

namespace ftnet::test {
namespace {

constexpr int kBurst = 32;
using PolicyPtr = std::unique_ptr<PolicyTable, void (*)(PolicyTable*)>;

using Kind = BenchRuleKind;
const char* kind_name(Kind k) { return k == Kind::Header ? "header" : k == Kind::Literal ? "literal" : "literal+regex"; }

PolicyPtr make_policy(int n, Kind kind) {
    if (n == 0) return {nullptr, destroy_policy};
    PolicyRule base;
    base.protocol = 6;  // the frames are TCP
    const auto rules = bench_rules(n, kind, base, 7);
    PolicyCompileOptions o;
    o.networks = {"cluster", "storage"};
    std::string error;
    PolicyPtr t(compile_policy(rules, o, &error), destroy_policy);
    if (!t) throw std::runtime_error("policy: " + error);
    return t;
}

constexpr size_t kPayloadOffset = 14 + 20 + 20;  // Ethernet, IPv4, TCP

// Many bursts' worth of frames, so that the payloads are not all in L1.
std::vector<Bytes> make_frames(size_t size) {
    std::vector<Bytes> frames;
    std::mt19937 rng(3);
    for (int i = 0; i < 16 * kBurst; i++) {
        Bytes f = inner_frame(kPeer2AdapterMac, kLocalAdapterMac, size);
        f[14 + 9] = 6;  // TCP
        f[34] = 0xc0, f[35] = static_cast<uint8_t>(i);  // sport
        f[36] = 0x01, f[37] = 0xbb;                     // dport 443
        f[34 + 12] = 5 << 4;
        for (size_t k = kPayloadOffset; k < f.size(); k++) f[k] = static_cast<uint8_t>(rng());
        frames.push_back(f);
    }
    return frames;
}

struct Cycles {
    double p50, p99;
};

constexpr int kRounds = 5;

double percentile(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

// Samples of one measured thing (cycles per frame, one per burst), kept per
// round: p50 over all of them, p99 the median of the rounds' p99s (a
// stretch of host noise, such as a few milliseconds of steal on a VM,
// falls in one round and moves that round's tail only).
struct Samples {
    std::vector<double> round[kRounds];
    Cycles stats() const {
        std::vector<double> all, p99s;
        for (auto& r : round) {
            all.insert(all.end(), r.begin(), r.end());
            p99s.push_back(percentile(r, 0.99));
        }
        return {percentile(all, 0.5), percentile(p99s, 0.5)};
    }
};

// Runs `burst(first frame index)` `bursts` times into `out`: cycles per frame.
template <typename F>
void measure(int bursts, size_t n_frames, std::vector<double>& out, F&& burst) {
    for (int i = 0; i < 200; i++) burst((static_cast<size_t>(i) * kBurst) % n_frames);  // warm caches
    out.reserve(out.size() + static_cast<size_t>(bursts));
    for (int i = 0; i < bursts; i++) {
        const uint64_t t0 = rte_rdtsc_precise();
        burst((static_cast<size_t>(i) * kBurst) % n_frames);
        out.push_back(static_cast<double>(rte_rdtsc_precise() - t0) / kBurst);
    }
}

struct Row {
    size_t bytes;
    Kind kind;
    int rules;
    PolicyPtr t{nullptr, destroy_policy};
    std::vector<Bytes> frames;
    Samples stage_samples, scan_samples;
    Cycles stage{0, 0}, scan{0, 0};
};

}  // namespace
}  // namespace ftnet::test

int main(int argc, char** argv) {
    using namespace ftnet;
    using namespace ftnet::test;
    CLI::App app{"The traffic policy stage's cost per frame, next to Hyperscan's own scan"};
    int bursts = 20000;
    std::string out = "bench/results/policy.json";
    app.add_option("--bursts", bursts, "bursts of 32 frames measured per row")->check(CLI::Range(1000, 10000000));
    app.add_option("--out", out, "JSON results");
    std::string lcore = "0";
    app.add_option("--lcore", lcore, "the core to run on (the system's own work tends to run on 0)");
    CLI11_PARSE(app, argc, argv);
    start_eal("policy_bench", lcore, 256);
    const double hz = static_cast<double>(rte_get_tsc_hz());
    std::vector<Row> rows;
    for (size_t bytes : {size_t{64}, size_t{1400}})
        for (Kind kind : {Kind::Header, Kind::Literal, Kind::Mixed})
            for (int n : {0, 10, 100, 1000}) {
                if (n == 0 && kind != Kind::Header) continue;  // one no-policy row per size
                Row& r = rows.emplace_back();
                r.bytes = bytes, r.kind = kind, r.rules = n;
                r.t = make_policy(n, kind);
                r.frames = make_frames(bytes);
            }
    // Rounds over every row in turn, so that a noisy stretch of the host
    // is shared out between the rows instead of landing on one of them.
    auto none = [](unsigned, unsigned long long, unsigned long long, unsigned, void*) -> int { return 0; };
    for (int round = 0; round < kRounds; round++)
        for (Row& r : rows) {
            const PolicyTable* t = r.t.get();
            const std::vector<Bytes>& frames = r.frames;
            PolicyFrame parsed[kBurst];
            uint32_t rule[kBurst];
            measure(bursts / kRounds, frames.size(), r.stage_samples.round[round], [&](size_t first) {
                for (int i = 0; i < kBurst; i++) {
                    const Bytes& f = frames[first + static_cast<size_t>(i)];
                    policy_parse(f.data(), static_cast<uint32_t>(f.size()), parsed[i]);
                }
                if (t) policy_classify_burst(*t, t->out, parsed, kBurst, rule, t->scratch[0]);
                asm volatile("" : : "r"(rule) : "memory");
            });
            if (t && t->db)
                measure(bursts / kRounds, frames.size(), r.scan_samples.round[round], [&](size_t first) {
                    for (int i = 0; i < kBurst; i++) {
                        const Bytes& f = frames[first + static_cast<size_t>(i)];
                        hs_scan(t->db, reinterpret_cast<const char*>(f.data() + kPayloadOffset),
                                static_cast<unsigned>(f.size() - kPayloadOffset), 0, t->scratch[0], none, nullptr);
                    }
                });
        }
    for (Row& r : rows) {
        r.stage = r.stage_samples.stats();
        if (r.t && r.t->db) r.scan = r.scan_samples.stats();
        r.t.reset();
    }
    stop_eal();

    std::printf("TSC %.3f GHz; cycles per frame (bursts of %d; %d bursts per row in %d rounds: p50 of all, p99 the rounds' median)\n\n",
                hz / 1e9, kBurst, bursts, kRounds);
    std::printf("| bytes | rules | kind | stage cyc p50 / p99 | added to no policy, p99 | Mpps/core (p99) | Hyperscan alone p50 / p99 | stage - Hyperscan, p50 |\n"
                "|---|---|---|---|---|---|---|---|\n");
    nlohmann::json js = nlohmann::json::array();
    for (const Row& r : rows) {
        const Row* base = nullptr;
        for (const Row& b : rows)
            if (b.bytes == r.bytes && b.rules == 0) base = &b;
        const double added = r.stage.p99 - base->stage.p99;
        const char* kind = r.rules == 0 ? "none" : kind_name(r.kind);
        std::string scan = "-", over = "-";
        if (r.scan.p50 > 0) {
            scan = fmt::format("{:.0f} / {:.0f}", r.scan.p50, r.scan.p99);
            // At p50: the two tails are different bursts' (host noise).
            over = fmt::format("{:.0f}", r.stage.p50 - r.scan.p50);
        }
        std::printf("| %zu | %d | %s | %.1f / %.1f | %.1f | %.1f | %s | %s |\n", r.bytes, r.rules, kind, r.stage.p50, r.stage.p99,
                    added, hz / r.stage.p99 / 1e6, scan.c_str(), over.c_str());
        js.push_back({{"bytes", r.bytes},
                      {"rules", r.rules},
                      {"kind", kind},
                      {"stage_cycles_p50", r.stage.p50},
                      {"stage_cycles_p99", r.stage.p99},
                      {"added_cycles_p99", added},
                      {"mpps_per_core_p99", hz / r.stage.p99 / 1e6},
                      {"hyperscan_cycles_p50", r.scan.p50},
                      {"hyperscan_cycles_p99", r.scan.p99}});
    }
    std::ofstream(out) << nlohmann::json{{"bench", "policy"}, {"tsc_hz", hz}, {"bursts", bursts}, {"rounds", kRounds}, {"results", js}}.dump(2) << "\n";
    std::printf("\nwrote %s\n", out.c_str());
    return 0;
}
