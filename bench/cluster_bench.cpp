// Cluster bench: real engines in the lab topology (the integration tests'
// harness).
//
//   throughput  two nodes: the reliable session's throughput for 64 B and
//               16 KiB messages (`session-probe`, timed from the request to
//               the receiver's last message), next to a TCP transfer across
//               ftnet0 in the same run (the data path's baseline).
//   regroup     three nodes: kill -9 of node 3, timed from the kill to the
//               new view on both survivors (their "membership" events),
//               then node 3 restarts and rejoins; per heartbeat profile,
//               p50 / max over --runs, against the goal
//               Delay x Threshold + 2 x RTT + 10 ms.
//
//   sudo build/bench/cluster_bench [--runs 10] [--only throughput|regroup]
//                                  [--profile TEXT] [--out bench/results/cluster.json]

#include <signal.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/lab_fixture.h"

using namespace ftnet::itest;
using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0, Clock::time_point t1) {
    return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

json peer_session(Lab& lab, int n, int peer) {
    for (auto& s : lab.ctl(n, "session"))
        if (s["peer"] == peer) return s;
    return json::object();
}

// One session-probe burst 1 -> 2; seconds until node 2 has them all.
double probe_burst(Lab& lab, uint64_t count, uint64_t size) {
    const uint64_t before = peer_session(lab, 2, 1)["probe_received"].get<uint64_t>();
    const auto t0 = Clock::now();
    json r = lab.ctl(1, "session-probe", {{"peer", 2}, {"count", count}, {"size", size}});
    if (r["queued"] != count) {
        std::fprintf(stderr, "session-probe queued %s\n", r.dump().c_str());
        return -1;
    }
    const bool ok = eventually(
        [&] { return peer_session(lab, 2, 1)["probe_received"].get<uint64_t>() >= before + count; }, 120s);
    const auto t1 = Clock::now();
    if (!ok) return -1;
    const json rx = peer_session(lab, 2, 1);
    if (rx["probe_out_of_order"] != 0 || rx["probe_bad"] != 0) std::fprintf(stderr, "probe errors: %s\n", rx.dump().c_str());
    return ms_since(t0, t1) / 1000.0;
}

json throughput(int runs) {
    Lab lab;
    lab.start_all();
    if (!eventually([&] { return peer_session(lab, 1, 2)["state"] == "established"; }, 10s)) return {{"error", "no session"}};
    json out = json::array();
    struct Case {
        uint64_t size, count;
    };
    for (Case c : {Case{64, 200000}, Case{16384, 900}}) {
        std::vector<double> rates;
        for (int i = 0; i < runs; i++) {
            const double s = probe_burst(lab, c.count, c.size);
            if (s > 0) rates.push_back(static_cast<double>(c.count) / s);
        }
        std::sort(rates.begin(), rates.end());
        if (rates.empty()) continue;
        const double med = rates[rates.size() / 2], lo = rates.front();
        std::printf("session %6llu B messages: median %.0f msgs/s (%.1f MB/s), lowest %.0f msgs/s (%.1f MB/s), %zu runs\n",
                    static_cast<unsigned long long>(c.size), med, med * static_cast<double>(c.size) / 1e6, lo,
                    lo * static_cast<double>(c.size) / 1e6, rates.size());
        out.push_back({{"size", c.size}, {"count", c.count}, {"median_msgs_s", med}, {"lowest_msgs_s", lo},
                       {"median_mb_s", med * static_cast<double>(c.size) / 1e6}, {"lowest_mb_s", lo * static_cast<double>(c.size) / 1e6}});
    }
    const json tx = peer_session(lab, 1, 2);
    std::printf("   sender: %llu segments, %llu retransmitted, %llu timeouts, %llu not taken by the tunnel (tried again)\n",
                static_cast<unsigned long long>(tx["segs_sent"].get<uint64_t>()),
                static_cast<unsigned long long>(tx["segs_retransmitted"].get<uint64_t>()),
                static_cast<unsigned long long>(tx["timeouts"].get<uint64_t>()),
                static_cast<unsigned long long>(tx["tx_unsent"].get<uint64_t>()));
    // The baseline in the same run: TCP across ftnet0.
    BgProcess recv(lab.node_ns(2), build_root() + "/ftnet-xfer recv 5001", lab.dir() + "/recv.out");
    eventually([&] { return recv.output().find("listening") != std::string::npos; }, 5s);
    const auto t0 = Clock::now();
    CmdResult send = run(lab.node_ns(1), build_root() + "/ftnet-xfer send 169.254.1.2 5001 128M 3");
    recv.wait(60s);
    const double secs = ms_since(t0, Clock::now()) / 1000.0;
    const double tcp_mb_s = 128.0 * 1048576.0 / secs / 1e6;
    std::printf("baseline: TCP across ftnet0, 128 MiB: %.1f MB/s\n", tcp_mb_s);
    return {{"session", out}, {"tcp_ftnet0_mb_s", tcp_mb_s}, {"sender", tx}};
}

struct Profile {
    std::string name;
    NodeOptions opts;
    double delay_ms, threshold;
};

json regroup(int runs, const std::string& profile_filter) {
    json out = json::array();
    // Repeated kills are the point here: no flap damping of the routes to
    // the node that keeps dying.
    const auto no_damping = no_flap_damping();
    const NodeOptions classic = classic_heartbeats();
    const NodeOptions lab20 = lab_fast_heartbeats();  // 20 ms x 3, StallGrace 100
    NodeOptions fast1;
    fast1.replace = {{"SameSubnetDelay = 20", "SameSubnetDelay = 1"}, no_damping};
    // The fast profile's own defaults (10 ms x 3, StallGrace per profile).
    NodeOptions fast_defaults;
    fast_defaults.replace = {{"SameSubnetDelay = 20", "# SameSubnetDelay: fast default"},
                             {"StallGrace = 100", "# StallGrace: fast default"},
                             no_damping};
    NodeOptions fast1_default_grace;
    fast1_default_grace.replace = {{"SameSubnetDelay = 20", "SameSubnetDelay = 1"}, {"StallGrace = 100", "# StallGrace: fast default"}, no_damping};
    NodeOptions fast1_nograce;
    fast1_nograce.replace = {{"SameSubnetDelay = 20", "SameSubnetDelay = 1"}, {"StallGrace = 100", "StallGrace = 0"}, no_damping};
    for (const Profile& p : {Profile{"classic 1000 ms x 5 (StallGrace 500)", classic, 1000, 5},
                             Profile{"lab fast 20 ms x 3 (StallGrace 100)", lab20, 20, 3},
                             Profile{"fast defaults 10 ms x 3 (StallGrace fast default)", fast_defaults, 10, 3},
                             Profile{"fast 1 ms x 3 (StallGrace 100)", fast1, 1, 3},
                             Profile{"fast 1 ms x 3 (StallGrace fast default)", fast1_default_grace, 1, 3},
                             Profile{"fast 1 ms x 3, StallGrace 0", fast1_nograce, 1, 3}}) {
        if (!profile_filter.empty() && p.name.find(profile_filter) == std::string::npos) continue;
        Lab lab(3);
        lab.start_all(p.opts, 30s);
        std::vector<double> took;
        double rtt_ms = 0;
        for (int i = 0; i < runs; i++) {
            auto full = [&] {
                for (int n = 1; n <= 3; n++)
                    if (lab.ctl(n, "membership")["members"].size() != 3) return false;
                return true;
            };
            if (!eventually(full, 30s)) {
                std::fprintf(stderr, "%s: no three-node view after run %d\n", p.name.c_str(), i);
                for (int n = 1; n <= 3; n++)
                    std::fprintf(stderr, "  node%d: %s\n", n, lab.ctl(n, "membership").dump().c_str());
                for (int n = 1; n <= 3; n++)
                    std::fprintf(stderr, "  node%d session: %s\n", n, lab.ctl(n, "session").dump().c_str());
                break;
            }
            for (auto& r : lab.ctl(1, "routes"))
                if (r.value("in_use", false)) rtt_ms = r["heartbeat"].value("rtt_smoothed_us", 0.0) / 1000.0;
            EventStream ev1(lab.socket(1)), ev2(lab.socket(2));
            std::this_thread::sleep_for(300ms);
            const auto killed = Clock::now();
            kill(lab.daemon(3).pid(), SIGKILL);
            auto without3 = [](const json& e) {
                if (e.value("type", "") != "membership" || !e.contains("members")) return false;
                for (auto& m : e["members"])
                    if (m.get<int>() == 3) return false;
                return true;
            };
            auto a = ev1.wait_for(without3, 20s, killed), b = ev2.wait_for(without3, 20s, killed);
            if (a && b) took.push_back(ms_since(killed, std::max(a->received, b->received)));
            lab.daemon(3).wait(5s);
            lab.start_node(3, p.opts);
            lab.wait_ready(3, 30s);
        }
        std::sort(took.begin(), took.end());
        if (took.empty()) continue;
        const double goal = p.delay_ms * p.threshold + 2 * rtt_ms + 10;
        const double p50 = took[took.size() / 2], mx = took.back();
        std::printf("regroup after kill -9, %s: p50 %.1f ms, max %.1f ms over %zu runs (goal %.1f ms: %s)\n", p.name.c_str(), p50,
                    mx, took.size(), goal, mx <= goal ? "met at the max" : "not met");
        out.push_back({{"profile", p.name}, {"p50_ms", p50}, {"max_ms", mx}, {"runs", took.size()}, {"goal_ms", goal},
                       {"all_ms", took}});
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    int runs = 10;
    std::string only, out = "bench/results/cluster.json";
    CLI::App app{"cluster_bench"};
    app.add_option("--runs", runs, "runs per case")->check(CLI::PositiveNumber);
    app.add_option("--only", only, "throughput or regroup")->check(CLI::IsMember({"throughput", "regroup"}));
    app.add_option("--out", out, "JSON result file");
    std::string profile;
    app.add_option("--profile", profile, "regroup: only the profiles whose name contains this");
    CLI11_PARSE(app, argc, argv);
    json results;
    if (only.empty() || only == "throughput") results["throughput"] = throughput(std::min(runs, 5));
    if (only.empty() || only == "regroup") results["regroup"] = regroup(runs, profile);
    std::ofstream(out) << results.dump(2) << "\n";
    return 0;
}
