// Failover bench: two ftnetd nodes in network namespaces (the lab), a probe
// stream across ftnet0 from node 1 to node 2, and repeated cuts of the
// network in use:
//
//   (a) link-down     node 1's cluster port loses its link (ip link set down)
//   (b) silent-classic the cluster network drops everything, links up;
//                     classic heartbeats (1000 ms x 5)
//   (c) silent-fast   the same with the fast profile at 1 ms x 3
//
// For each cut: the time from the cut to the first probe sent after it that
// arrives (it can only have taken the new route), and the longest gap a
// receiver of a 1 ms probe stream sees around the cut. The stream runs at
// 100 us; every tenth probe is exactly what a 1 ms stream would carry. The
// same gap is measured without any fault first (the machine's own noise).
//
//   sudo build/bench/failover_bench [--cuts 20] [--only a|b|c] [--out bench/results/failover.json]

#include <signal.h>

#include <CLI/CLI.hpp>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/lab_fixture.h"

using namespace ftnet::itest;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

uint64_t mono_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

struct Probe {
    uint64_t seq, sent, recv;
};

struct Scenario {
    std::string id, name;
    NodeOptions opts;
    bool link_down;
    std::chrono::milliseconds hold;
};

struct Stats {
    double p50, p99, max;
};

Stats stats(std::vector<double> v) {
    if (v.empty()) return {0, 0, 0};
    std::sort(v.begin(), v.end());
    auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5))]; };
    return {at(0.5), at(0.99), v.back()};
}

bool in_use_is_cluster6(Lab& lab, int n) {
    try {
        for (auto& r : lab.ctl(n, "routes"))
            if (r["in_use"].get<bool>()) return r["network"] == "cluster" && r["family"] == "IPv6";
    } catch (...) {
    }
    return false;
}

// Longest gap between consecutive arrivals of the probes with seq % step ==
// 0 whose arrival lies in [from, to] (or that span into it).
double longest_gap_ms(const std::vector<Probe>& byrecv, uint64_t from, uint64_t to, unsigned step) {
    uint64_t prev = 0, worst = 0;
    for (auto& p : byrecv) {
        if (p.seq % step) continue;
        if (p.recv < from) {
            prev = p.recv;
            continue;
        }
        if (prev) worst = std::max(worst, p.recv - prev);
        prev = p.recv;
        if (p.recv > to) break;
    }
    return static_cast<double>(worst) / 1e6;
}

json run_scenario(const Scenario& s, int cuts) {
    std::printf("== (%s) %s: %d cuts\n", s.id.c_str(), s.name.c_str(), cuts);
    std::fflush(stdout);
    Lab lab;
    lab.start_node(1, s.opts);
    lab.start_node(2, s.opts);
    lab.wait_ready(1);
    lab.wait_ready(2);
    eventually([&] { return in_use_is_cluster6(lab, 1) && in_use_is_cluster6(lab, 2); }, 10s);

    const std::string log = lab.dir() + "/probes.bin";
    BgProcess recv(lab.node_ns(2), build_root() + "/ftnet-probe recv 6000 " + log, lab.dir() + "/probe-recv.out");
    eventually([&] { return recv.output().find("listening") != std::string::npos; }, 5s);
    BgProcess send(lab.node_ns(1), build_root() + "/ftnet-probe send 169.254.1.2 6000 100 100000", lab.dir() + "/probe-send.out");

    std::this_thread::sleep_for(1s);
    const uint64_t base_from = mono_ns();
    std::this_thread::sleep_for(5s);
    const uint64_t base_to = mono_ns();

    std::vector<uint64_t> cut_at;
    for (int i = 0; i < cuts; i++) {
        // Steady state first: both nodes back on the best route.
        if (!eventually([&] { return in_use_is_cluster6(lab, 1) && in_use_is_cluster6(lab, 2); }, 30s))
            std::printf("   cut %d: failback incomplete before the cut\n", i + 1);
        std::this_thread::sleep_for(300ms);
        const uint64_t t = mono_ns();
        if (s.link_down)
            run(lab.node_ns(1), "ip link set cluster down");
        else
            lab.block("cluster");
        cut_at.push_back(t);
        std::this_thread::sleep_for(s.hold);
        if (s.link_down)
            run(lab.node_ns(1), "ip link set cluster up");
        else
            lab.unblock("cluster");
        std::printf("   cut %d done\n", i + 1);
        std::fflush(stdout);
    }
    eventually([&] { return in_use_is_cluster6(lab, 1); }, 30s);
    std::this_thread::sleep_for(300ms);
    send.stop(SIGTERM);
    std::this_thread::sleep_for(300ms);
    recv.stop(SIGTERM);

    std::vector<Probe> probes;
    {
        std::ifstream f(log, std::ios::binary);
        Probe p;
        while (f.read(reinterpret_cast<char*>(&p), sizeof p)) probes.push_back(p);
    }
    std::vector<Probe> byrecv = probes;
    std::sort(byrecv.begin(), byrecv.end(), [](auto& a, auto& b) { return a.recv < b.recv; });

    // The moment a cut takes effect is not when the bench started the
    // command that makes it (spawning `ip` or `nft` alone takes a
    // millisecond or two here): it is when the first probe was lost, or held
    // back (af_packet keeps frames sent to a downed interface and sends them
    // when it comes back up, half a second later). With probes every 100 us
    // that is known to 0.1 ms.
    std::vector<Probe> byseq = probes;
    std::sort(byseq.begin(), byseq.end(), [](auto& a, auto& b) { return a.seq < b.seq; });
    std::vector<double> to_delivery, gap_1ms, gap_100us;
    for (uint64_t nominal : cut_at) {
        size_t i = 0;
        while (i < byseq.size() && byseq[i].sent + 5000000 < nominal) i++;
        uint64_t t = 0, lost_seq = 0;
        auto held = [](const Probe& p) { return p.recv - p.sent > 20000000; };
        for (; i + 1 < byseq.size() && byseq[i].sent < nominal + 100000000; i++) {
            if (held(byseq[i])) {
                lost_seq = byseq[i].seq;
                t = byseq[i].sent;
                break;
            }
            if (byseq[i + 1].seq != byseq[i].seq + 1) {
                lost_seq = byseq[i].seq + 1;
                t = byseq[i].sent + (byseq[i + 1].sent - byseq[i].sent) / (byseq[i + 1].seq - byseq[i].seq);
                break;
            }
        }
        if (!t) {  // nothing lost: the switch was seamless
            to_delivery.push_back(0);
            t = nominal;
        } else {
            uint64_t first = UINT64_MAX;
            for (auto& p : byseq)
                if (p.seq > lost_seq && !held(p)) {
                    first = p.recv;
                    break;
                }
            if (first == UINT64_MAX) continue;
            to_delivery.push_back(static_cast<double>(first - t) / 1e6);
        }
        const uint64_t from = t - 50000000, to = t + static_cast<uint64_t>(s.hold.count()) * 1000000;
        gap_1ms.push_back(longest_gap_ms(byrecv, from, to, 10));
        gap_100us.push_back(longest_gap_ms(byrecv, from, to, 1));
    }
    const double base_gap = longest_gap_ms(byrecv, base_from, base_to, 10);
    Stats d = stats(to_delivery), g = stats(gap_1ms), g100 = stats(gap_100us);
    std::printf("   cut -> first delivery on the new route: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%zu cuts)\n", d.p50, d.p99,
                d.max, to_delivery.size());
    std::printf("   longest gap, 1 ms stream:               p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", g.p50, g.p99, g.max);
    std::printf("   longest gap, 100 us stream:             p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", g100.p50, g100.p99,
                g100.max);
    std::printf("   no fault: longest gap of the 1 ms stream over 5 s: %.2f ms (%zu probes received)\n", base_gap,
                probes.size());
    std::fflush(stdout);
    auto js = [](const Stats& x) { return json{{"p50_ms", x.p50}, {"p99_ms", x.p99}, {"max_ms", x.max}}; };
    return {{"scenario", s.id},
            {"name", s.name},
            {"cuts", to_delivery.size()},
            {"cut_to_first_delivery", js(d)},
            {"longest_gap_1ms_stream", js(g)},
            {"longest_gap_100us_stream", js(g100)},
            {"no_fault_longest_gap_1ms_stream_ms", base_gap},
            {"per_cut_to_first_delivery_ms", to_delivery},
            {"per_cut_gap_1ms_stream_ms", gap_1ms}};
}

}  // namespace

int main(int argc, char** argv) {
    int cuts = 20;
    std::string only, out = "bench/results/failover.json";
    CLI::App app{"failover_bench"};
    app.add_option("--cuts", cuts, "cuts per scenario")->check(CLI::PositiveNumber);
    app.add_option("--only", only, "one scenario")->check(CLI::IsMember({"a", "b", "c"}));
    app.add_option("--out", out, "JSON result file");
    CLI11_PARSE(app, argc, argv);
    NodeOptions classic;
    classic.replace = {{"profile = \"fast\"", "profile = \"classic\""},
                       {"SameSubnetDelay = 20", "# SameSubnetDelay: classic default (1000)"},
                       {"SameSubnetThreshold = 3", "# SameSubnetThreshold: classic default (5)"}};
    NodeOptions fast1ms;
    fast1ms.replace = {{"SameSubnetDelay = 20", "SameSubnetDelay = 1"}};
    std::vector<Scenario> all = {
        {"a", "link-down (node 1's port loses its link)", {}, true, 500ms},
        {"b", "silent loss, classic heartbeats 1000 ms x 5", classic, false, 7000ms},
        {"c", "silent loss, fast heartbeats 1 ms x 3", fast1ms, false, 300ms},
    };
    json results = json::array();
    for (auto& s : all)
        if (only.empty() || only == s.id) results.push_back(run_scenario(s, cuts));
    std::ofstream(out) << json{{"bench", "failover"}, {"results", results}}.dump(2) << "\n";
    std::printf("results written to %s\n", out.c_str());
    return 0;
}
