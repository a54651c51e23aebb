// System bench: what an application gets from ftnet0, next to the kernel's
// own VXLAN and plain kernel addresses over the same veths, in one run.
//
// Every path runs in a fresh lab topology (scripts/topology.sh: two nodes
// joined by three veth networks through a bridge namespace):
//
//   ftnet0 paths  ftnetd on both nodes (config/lab/nodeN.toml: af_packet
//                 ports, the lab's idle back-off), adapter.driver = tap,
//                 af_packet or af_xdp; traffic between 169.254.1.1 and .2.
//                 A ":timed" suffix turns dataplane.idle_wakeup off (the
//                 fixed back-off sleeps of before), ":busy" busy-polls,
//                 ":polls=N" sets dataplane.idle_polls (the lab's is 64),
//                 ":xdp-ports" drives the cluster ports with af_xdp too.
//   vxlan         no ftnetd: the kernel's VXLAN device (VNI 42, port 4789,
//                 MTU 1400 like ftnet0) over the cluster network's veths.
//   kernel        no ftnetd: plain kernel addresses on the cluster veths.
//   host          the exception path: ftnetd on both nodes, traffic from a
//                 plain host (the probe namespace) to node 1's host address
//                 on the cluster network (198.18.2.1, its host interface
//                 cluster-host), through node 1's engine.
//
// For each path: a UDP burst (ftnet-udp-bench: sendmmsg of 64 datagrams as
// fast as the socket takes them) of 64, 512 and 1400 bytes: delivered
// msgs/s, delivered / sent, and delivered msgs/s per busy core, where busy
// cores is the whole machine's non-idle CPU time (/proc/stat: processes,
// softirqs and kernel threads alike, since the kernel paths do their work in
// softirq context) over the burst's wall time; then TCP (iperf3, one stream)
// Gbit/s and its busy cores; then a UDP ping-pong at low load (one
// datagram per INTERVAL) RTT p50 / p99. For ftnet paths, the frames the
// engines counted as dropped during each burst are reported too.
//
// virtio_user (the vhost-net backend) is measured where /dev/vhost-net
// exists, and skipped with that reason elsewhere.
//
//   sudo build/bench/system_bench [--paths tap,af_packet,af_xdp,virtio_user,vxlan,kernel]
//        [--seconds 3] [--pings 2000] [--interval-us 1000]
//        [--out bench/results/system.json]

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/lab_fixture.h"

using namespace ftnet::itest;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// Non-idle and total CPU time of the whole machine, in clock ticks.
struct CpuTicks {
    uint64_t busy = 0, total = 0;
};

CpuTicks cpu_ticks() {
    std::ifstream f("/proc/stat");
    std::string cpu;
    uint64_t v[10] = {};
    f >> cpu;
    for (auto& x : v) f >> x;
    CpuTicks t;
    for (int i = 0; i < 8; i++) t.total += v[i];  // guest time is inside user already
    t.busy = t.total - v[3] - v[4];                // minus idle and iowait
    return t;
}

double busy_cores(const CpuTicks& a, const CpuTicks& b, double seconds) {
    const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
    return static_cast<double>(b.busy - a.busy) / hz / seconds;
}

struct PathSpec {
    std::string name;    // as given
    std::string driver;  // tap, af_packet, af_xdp; empty for kernel paths
    std::string mode;    // "", "timed", "busy"
    bool vxlan = false;
    bool host = false;   // the exception path: a plain host to node 1's host address
};

PathSpec parse_path(const std::string& s) {
    PathSpec p;
    p.name = s;
    const auto colon = s.find(':');
    const std::string base = s.substr(0, colon);
    if (colon != std::string::npos) p.mode = s.substr(colon + 1);
    if (base == "vxlan") {
        p.vxlan = true;
    } else if (base == "host") {
        p.host = true;
        p.driver = "af_xdp";  // ftnet0's driver: not on this path, but the lab's default
    } else if (base != "kernel") {
        p.driver = base;
    }
    return p;
}

uint64_t total_drops(Lab& lab, int n) {
    const json c = lab.ctl(n, "counters");
    uint64_t d = 0;
    for (auto& [k, v] : c["drops"].items()) d += v.get<uint64_t>();
    return d;
}

// One path: its topology, engines or kernel devices, and every measurement.
json run_path(const PathSpec& p, double seconds, unsigned pings, unsigned interval_us) {
    Lab lab;
    std::string dst;
    const bool ftnet = !p.driver.empty();
    if (ftnet) {
        NodeOptions o;
        o.replace = {{"[adapter]\n", "[adapter]\ndriver = \"" + p.driver + "\"\n"}};
        if (p.mode == "timed") o.replace.push_back({"idle_polls = 64", "idle_polls = 64\nidle_wakeup = false"});
        if (p.mode == "busy") o.replace.push_back({"idle_sleep_max_us = 200", "idle_sleep_max_us = 0"});
        if (p.mode == "xdp-ports") o.replace.push_back({"driver = \"af_packet\"", "driver = \"af_xdp\""});
        if (p.mode.rfind("polls=", 0) == 0) o.replace.push_back({"idle_polls = 64", "idle_polls = " + p.mode.substr(6)});
        if (p.mode == "enc") o.append = "\n[security]\nencrypt = true\n";  // payloads encrypted, not only authenticated
        lab.start_node(1, o);
        lab.start_node(2, o);
        lab.wait_ready(1);
        lab.wait_ready(2);
        dst = p.host ? "198.18.2.1" : "169.254.1.2";
    } else {
        for (int n : {1, 2}) {
            // The kernel sees the veth's frames (the lab keeps them from it
            // when an engine owns the port).
            std::string cmd = "nft delete table netdev engine_owned && ip addr add 198.18.2." + std::to_string(n) + "/24 dev cluster";
            if (p.vxlan)
                cmd += " && ip link add vx0 type vxlan id 42 dstport 4789 local 198.18.2." + std::to_string(n) +
                       " remote 198.18.2." + std::to_string(3 - n) + " dev cluster && ip link set vx0 mtu 1400 up" +
                       " && ip addr add 10.42.0." + std::to_string(n) + "/24 dev vx0";
            CmdResult r = run(lab.node_ns(n), cmd);
            if (!r.ok()) throw std::runtime_error("cannot set up " + p.name + ": " + r.out);
        }
        dst = p.vxlan ? "10.42.0.2" : "198.18.2.2";
        // First contact resolves ARP (and the VXLAN's underlay) outside the measurement.
        run(lab.node_ns(1), "ping -c 2 -i 0.2 -W 1 " + dst);
    }
    const std::string bench = build_root() + "/ftnet-udp-bench";
    // Who sends and who receives: node 1 to node 2, or for the host path a
    // plain host (the probe namespace) to node 1's host interface.
    const std::string tx_ns = p.host ? lab.ns("probe") : lab.node_ns(1);
    const std::string rx_ns = p.host ? lab.node_ns(1) : lab.node_ns(2);
    if (p.host) run(tx_ns, "ping -c 2 -i 0.2 -W 1 " + dst);  // ARP outside the measurement
    json res = {{"path", p.name}};
    json bursts = json::array();
    for (int size : {64, 512, 1400}) {
        BgProcess recv(rx_ns, bench + " recv 9000 " + std::to_string(seconds + 2), lab.dir() + "/recv.out");
        std::this_thread::sleep_for(300ms);
        const uint64_t d0 = ftnet ? total_drops(lab, 1) + total_drops(lab, 2) : 0;
        const CpuTicks c0 = cpu_ticks();
        const auto t0 = std::chrono::steady_clock::now();
        CmdResult s = run(tx_ns, bench + " send " + dst + " 9000 " + std::to_string(size) + " " + std::to_string(seconds));
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const CpuTicks c1 = cpu_ticks();
        recv.wait(std::chrono::milliseconds(static_cast<int>((seconds + 5) * 1000)));
        if (!s.ok()) throw std::runtime_error("udp send failed on " + p.name + ": " + s.out);
        const json sj = json::parse(s.out), rj = json::parse(recv.output());
        const uint64_t sent = sj["sent"], got = rj["received"];
        const double rate = static_cast<double>(got) / sj["seconds"].get<double>();
        const double cores = busy_cores(c0, c1, wall);
        json b = {{"size", size},
                  {"sent", sent},
                  {"delivered", got},
                  {"msgs_per_s", rate},
                  {"delivered_fraction", sent ? static_cast<double>(got) / static_cast<double>(sent) : 0.0},
                  {"busy_cores", cores},
                  {"msgs_per_s_per_busy_core", cores > 0 ? rate / cores : 0.0}};
        if (ftnet) b["engine_drops"] = total_drops(lab, 1) + total_drops(lab, 2) - d0;
        std::printf("  %-14s UDP %4d B: %9.0f msgs/s delivered (%5.1f %% of %llu sent), %.2f busy cores, %8.0f per busy core\n",
                    p.name.c_str(), size, rate, 100.0 * b["delivered_fraction"].get<double>(),
                    static_cast<unsigned long long>(sent), cores, b["msgs_per_s_per_busy_core"].get<double>());
        std::fflush(stdout);
        bursts.push_back(b);
        std::this_thread::sleep_for(500ms);  // queues drain before the next size
    }
    res["udp"] = bursts;

    {
        BgProcess srv(rx_ns, "iperf3 -s -1 -p 5201", lab.dir() + "/iperf-s.out");
        std::this_thread::sleep_for(500ms);
        const CpuTicks c0 = cpu_ticks();
        const auto t0 = std::chrono::steady_clock::now();
        CmdResult c = run(tx_ns, "iperf3 -J -c " + dst + " -p 5201 -t " + std::to_string(static_cast<int>(seconds)));
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const CpuTicks c1 = cpu_ticks();
        double gbps = 0;
        if (c.ok()) {
            const json j = json::parse(c.out.substr(c.out.find('{')));
            gbps = j["end"]["sum_received"]["bits_per_second"].get<double>() / 1e9;
        }
        res["tcp"] = {{"gbit_per_s", gbps}, {"busy_cores", busy_cores(c0, c1, wall)}, {"ok", c.ok()}};
        std::printf("  %-14s TCP: %.3f Gbit/s, %.2f busy cores%s\n", p.name.c_str(), gbps, busy_cores(c0, c1, wall),
                    c.ok() ? "" : " (iperf3 failed)");
    }

    {
        BgProcess pong(rx_ns, bench + " pong 9001", lab.dir() + "/pong.out");
        std::this_thread::sleep_for(300ms);
        CmdResult r = run(tx_ns, bench + " ping " + dst + " 9001 " + std::to_string(pings) + " " +
                                              std::to_string(interval_us));
        if (!r.ok()) throw std::runtime_error("udp ping failed on " + p.name + ": " + r.out);
        const json j = json::parse(r.out);
        res["rtt"] = {{"p50_us", j["p50_us"]}, {"p99_us", j["p99_us"]}, {"max_us", j["max_us"]}, {"lost", j["lost"]},
                      {"pings", pings}, {"interval_us", interval_us}};
        std::printf("  %-14s UDP ping-pong every %u us: RTT p50 %.0f us, p99 %.0f us (%u lost)\n", p.name.c_str(),
                    interval_us, j["p50_us"].get<double>(), j["p99_us"].get<double>(), j["lost"].get<unsigned>());
        std::fflush(stdout);
    }
    if (ftnet) {
        for (int n : {1, 2}) {
            const json c = lab.ctl(n, "counters");
            json drops = json::object();
            for (auto& [k, v] : c["drops"].items())
                if (v.get<uint64_t>()) drops[k] = v;
            res["node" + std::to_string(n) + "_drops"] = drops;
            res["node" + std::to_string(n) + "_idle"] = c["workers"][0].value("idle", "");
        }
    }
    return res;
}

std::string cpu_model() {
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown";
}

}  // namespace

int main(int argc, char** argv) {
    std::string paths = "tap,af_packet,af_xdp,virtio_user,vxlan,kernel", out = "bench/results/system.json";
    double seconds = 3;
    unsigned pings = 2000, interval_us = 1000;
    CLI::App app{"system_bench"};
    app.add_option("--paths", paths, "comma-separated: tap, af_packet, af_xdp (optionally :timed, :busy or :enc), vxlan, kernel, host (:busy)");
    app.add_option("--seconds", seconds, "seconds per UDP burst and TCP run")->check(CLI::Range(1.0, 60.0));
    app.add_option("--pings", pings, "UDP ping-pong round trips")->check(CLI::PositiveNumber);
    app.add_option("--interval-us", interval_us, "microseconds between pings (low load)")->check(CLI::PositiveNumber);
    app.add_option("--out", out, "JSON result file");
    CLI11_PARSE(app, argc, argv);
    if (geteuid() != 0) {
        std::fprintf(stderr, "system_bench: needs root (network namespaces)\n");
        return 2;
    }
    std::vector<PathSpec> specs;
    std::stringstream ss(paths);
    for (std::string s; std::getline(ss, s, ',');) {
        PathSpec p = parse_path(s);
        const bool known = p.vxlan || p.name == "kernel" ||
                           ((p.driver == "tap" || p.driver == "af_packet" || p.driver == "af_xdp" || p.driver == "virtio_user") &&
                            (p.mode.empty() || p.mode == "timed" || p.mode == "busy" || p.mode == "xdp-ports" || p.mode == "enc" ||
                             (p.mode.rfind("polls=", 0) == 0 && p.mode.size() > 6 &&
                              p.mode.find_first_not_of("0123456789", 6) == std::string::npos)));
        if (!known) {
            std::fprintf(stderr, "system_bench: unknown path \"%s\"\n", s.c_str());
            return 2;
        }
        specs.push_back(p);
    }
    std::printf("CPU: %s, %ld online\n", cpu_model().c_str(), sysconf(_SC_NPROCESSORS_ONLN));
    const bool vhost_net = access("/dev/vhost-net", R_OK | W_OK) == 0;
    if (!vhost_net) std::printf("virtio_user (vhost-net backend): not measured, this kernel has no /dev/vhost-net\n");
    json results = json::array();
    for (const PathSpec& p : specs) {
        if (p.driver == "virtio_user" && !vhost_net) continue;
        std::printf("%s\n", p.name.c_str());
        std::fflush(stdout);
        try {
            results.push_back(run_path(p, seconds, pings, interval_us));
        } catch (const std::exception& e) {
            std::printf("  %s: FAILED: %s\n", p.name.c_str(), e.what());
            results.push_back({{"path", p.name}, {"error", e.what()}});
        }
    }
    std::printf("\n| path | 64 B msgs/s | per busy core | delivered | 512 B msgs/s | 1400 B msgs/s | TCP Gbit/s | RTT p50 / p99 us |\n"
                "|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const json& r : results) {
        if (r.contains("error")) {
            std::printf("| %s | failed | | | | | | |\n", r["path"].get<std::string>().c_str());
            continue;
        }
        const json& u = r["udp"];
        std::printf("| %s | %.0f k | %.0f k | %.0f %% | %.0f k | %.0f k | %.2f | %.0f / %.0f |\n",
                    r["path"].get<std::string>().c_str(), u[0]["msgs_per_s"].get<double>() / 1e3,
                    u[0]["msgs_per_s_per_busy_core"].get<double>() / 1e3,
                    100.0 * u[0]["delivered_fraction"].get<double>(), u[1]["msgs_per_s"].get<double>() / 1e3,
                    u[2]["msgs_per_s"].get<double>() / 1e3, r["tcp"]["gbit_per_s"].get<double>(),
                    r["rtt"]["p50_us"].get<double>(), r["rtt"]["p99_us"].get<double>());
    }
    std::ofstream(out) << json{{"bench", "system"}, {"cpu", cpu_model()}, {"seconds", seconds}, {"results", results}}.dump(2)
                       << "\n";
    std::printf("\nresults written to %s\n", out.c_str());
    return 0;
}
