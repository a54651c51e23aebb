// The Prometheus endpoint and the DPDK telemetry commands on a real node:
// a scrape (and /ftnet/... on the telemetry socket) shows the routes, ports,
// drops and membership the engine's own commands show; clients that send
// nothing, hold many connections or send garbage are closed or refused
// while scrapes, the management socket and the tunnel go on.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/integration/lab_fixture.h"

namespace ftnet::itest {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const char* kMetrics = "\n[metrics]\nprometheus = \"127.0.0.1:9343\"\nmax_clients = 4\n";

// GET /metrics from inside node n's namespace: the body, "" on failure.
std::string scrape(Lab& lab, int n) {
    CmdResult r = run(lab.node_ns(n), "timeout 10 python3 -c 'import urllib.request,sys\n"
                                      "sys.stdout.write(urllib.request.urlopen(\"http://127.0.0.1:9343/metrics\",timeout=5).read().decode())'");
    return r.ok() ? r.out : std::string();
}

// "name{labels} value" lines into a map (the exposition's samples).
std::map<std::string, double> samples(const std::string& text) {
    std::map<std::string, double> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const size_t sp = line.rfind(' ');
        out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
    }
    return out;
}

TEST(Metrics, AScrapeShowsWhatTheEnginesCommandsShow) {
    Lab lab(2);
    NodeOptions o;
    o.append = kMetrics;
    lab.start_all(o, 30s);
    ASSERT_TRUE(run(lab.node_ns(1), "ping -c 5 -i 0.05 -W 1 169.254.1.2").ok());
    const json counters = lab.ctl(1, "counters");
    const json membership = lab.ctl(1, "membership");
    const json routes = lab.ctl(1, "routes");
    const std::string text = scrape(lab, 1);
    ASSERT_FALSE(text.empty());
    auto s = samples(text);
    EXPECT_EQ(s["ftnet_membership_epoch"], membership["epoch"].get<double>());
    EXPECT_EQ(s["ftnet_membership_quorum"], 1);
    EXPECT_EQ(s["ftnet_membership_members"], 2);
    size_t up = 0;
    for (const json& r : routes) {
        const std::string key = "ftnet_route_up{route=\"" + std::to_string(r["id"].get<int>()) + "\",peer=\"" +
                                r["peer"].get<std::string>() + "\",network=\"" + r["network"].get<std::string>() +
                                "\",family=\"" + r["family"].get<std::string>() + "\"}";
        ASSERT_TRUE(s.count(key)) << key << "\n" << text;
        EXPECT_EQ(s[key], r["state"] == "up" ? 1 : 0) << key;
        up += r["state"] == "up";
    }
    EXPECT_GE(up, 4u);
    // Counters only grow: the scrape came after the command.
    for (const json& p : counters["ports"]) {
        const std::string key = "ftnet_port_tx_packets_total{port=\"" + p["name"].get<std::string>() + "\"}";
        ASSERT_TRUE(s.count(key)) << key;
        EXPECT_GE(s[key], p["tx_packets"].get<double>()) << key;
    }
    for (auto& [reason, n] : counters["drops"].items()) {
        const std::string key = "ftnet_drops_total{reason=\"" + reason + "\"}";
        ASSERT_TRUE(s.count(key)) << key;
        EXPECT_GE(s[key], n.get<double>());
    }
    EXPECT_EQ(lab.ctl(1, "metrics")["scrapes"], 1);
    // The sample Grafana dashboard asks only for metrics a scrape has.
    std::ifstream f(source_root() + "/config/grafana/ftnet-dashboard.json");
    const json dash = json::parse(f);
    ASSERT_FALSE(dash["panels"].empty());
    size_t asked = 0;
    const std::regex metric_name("ftnet_[a-z_]+");
    for (const json& panel : dash["panels"])
        for (const json& t : panel["targets"]) {
            const std::string expr = t["expr"];
            for (std::sregex_iterator m(expr.begin(), expr.end(), metric_name), end; m != end; ++m) {
                asked++;
                EXPECT_NE(text.find("\n" + m->str()), std::string::npos) << panel["title"] << ": " << m->str();
            }
        }
    EXPECT_GT(asked, 15u);
}

TEST(Metrics, HostileClientsAreClosedOrRefusedAndNothingElseStops) {
    Lab lab(2);
    NodeOptions o;
    o.append = kMetrics;
    lab.start_all(o, 30s);
    // Eight connections that send nothing (max_clients 4: four refused),
    // held for 8 s; meanwhile garbage, a wrong path, and then scrapes.
    BgProcess idle(lab.node_ns(1),
                   "python3 -c 'import socket,time\n"
                   "ss=[socket.create_connection((\"127.0.0.1\",9343)) for i in range(8)]\n"
                   "print(\"held\",flush=True)\ntime.sleep(8)'",
                   lab.dir() + "/idle.out");
    ASSERT_TRUE(eventually([&] { return idle.output().find("held") != std::string::npos; }, 5s)) << idle.output();
    CmdResult garbage = run(lab.node_ns(1), "timeout 10 python3 -c 'import socket\n"
                                            "try:\n"
                                            "  s=socket.create_connection((\"127.0.0.1\",9343))\n"
                                            "  s.sendall(b\"\\x00\\xff garbage\\r\\n\\r\\n\")\n  print(s.recv(100))\n"
                                            "except OSError as e: print(\"closed\", e)'");
    // Refused (all slots held) or answered 400: never a hang.
    EXPECT_TRUE(garbage.ok()) << garbage.out;
    EXPECT_TRUE(garbage.out.find("400 Bad Request") != std::string::npos || garbage.out.find("b''") != std::string::npos ||
                garbage.out.find("closed") != std::string::npos)
        << garbage.out;
    EXPECT_TRUE(lab.ctl(1, "status").contains("node")) << "the management socket still answers";
    ASSERT_TRUE(run(lab.node_ns(1), "ping -c 3 -i 0.05 -W 1 169.254.1.2").ok()) << "the tunnel still carries traffic";
    // The idle ones are closed after 5 s: a scrape gets through again.
    ASSERT_TRUE(eventually([&] { return !scrape(lab, 1).empty(); }, 10s));
    const json m = lab.ctl(1, "metrics");
    EXPECT_GE(m["refused"].get<int>(), 4) << m.dump();
    EXPECT_GE(m["timed_out"].get<int>(), 1) << m.dump();
    CmdResult notfound = run(lab.node_ns(1), "python3 -c 'import urllib.request,urllib.error\n"
                                             "try: urllib.request.urlopen(\"http://127.0.0.1:9343/\",timeout=5)\n"
                                             "except urllib.error.HTTPError as e: print(e.code)'");
    EXPECT_NE(notfound.out.find("404"), std::string::npos) << notfound.out;
    idle.stop(SIGTERM);
}

// DPDK's telemetry socket of node n: each command's JSON answer.
json telemetry(Lab& lab, int n, const std::vector<std::string>& cmds) {
    const std::string path = "/var/run/dpdk/" + lab.prefix() + "-n" + std::to_string(n) + "/dpdk_telemetry.v2";
    std::string args;
    for (auto& c : cmds) args += " '" + c + "'";
    CmdResult r = run("", "timeout 20 python3 -c 'import socket,sys,json\n"
                          "s=socket.socket(socket.AF_UNIX,socket.SOCK_SEQPACKET)\n"
                          "s.connect(sys.argv[1])\njson.loads(s.recv(4096))\nout={}\n"
                          "for c in sys.argv[2:]:\n  s.send(c.encode())\n  out[c]=list(json.loads(s.recv(1<<20)).values())[0]\n"
                          "print(json.dumps(out))' " + path + args);
    EXPECT_TRUE(r.ok()) << r.out;
    return r.ok() ? json::parse(r.out, nullptr, false) : json();
}

TEST(Metrics, DpdkTelemetryShowsTheEnginesCommands) {
    Lab lab(2);
    NodeOptions o;
    o.append = "\n[[policy.rule]]\nname = \"pings\"\nprotocol = \"icmp\"\naction = \"class\"\nclass = \"echo\"\n";
    lab.start_all(o, 30s);
    const json membership = lab.ctl(1, "membership");
    const json routes = lab.ctl(1, "routes");
    const int first = routes[0]["id"].get<int>();
    json t = telemetry(lab, 1, {"/ftnet/membership", "/ftnet/routes", "/ftnet/routes,node2", "/ftnet/routes,nobody",
                                "/ftnet/route," + std::to_string(first), "/ftnet/counters", "/ftnet/status", "/ftnet/nodes",
                                "/ftnet/policy", "/ethdev/list"});
    ASSERT_TRUE(t.is_object()) << t.dump();
    const json& m = t["/ftnet/membership"];
    EXPECT_EQ(m["epoch"], membership["epoch"]) << m.dump();
    EXPECT_EQ(m["quorum_has"], 1) << m.dump();
    EXPECT_EQ(m["quorum_votes"], 2) << m.dump();
    ASSERT_EQ(t["/ftnet/routes"].size(), routes.size()) << t.dump();
    for (const json& r : routes) {
        const std::string line = t["/ftnet/routes"][std::to_string(r["id"].get<int>())].get<std::string>();
        EXPECT_EQ(line.rfind(r["peer"].get<std::string>() + " " + r["network"].get<std::string>() + " " +
                                 r["family"].get<std::string>() + " " + r["state"].get<std::string>(),
                             0),
                  0u)
            << line;
    }
    EXPECT_EQ(t["/ftnet/routes,node2"].size(), routes.size()) << "every route of node 1 is to node 2";
    EXPECT_TRUE(t["/ftnet/routes,nobody"].empty());
    const json& one = t["/ftnet/route," + std::to_string(first)];
    EXPECT_EQ(one["network"], routes[0]["network"]) << one.dump();
    EXPECT_GE(one["heartbeat_requests_sent"].get<uint64_t>(), routes[0]["heartbeat"]["requests_sent"].get<uint64_t>());
    EXPECT_TRUE(t["/ftnet/counters"].contains("drops_rx_bad_auth")) << t["/ftnet/counters"].dump();
    EXPECT_EQ(t["/ftnet/status"]["node_name"], "node1") << t["/ftnet/status"].dump();
    EXPECT_EQ(t["/ftnet/nodes"]["node2"].get<std::string>().rfind("reachable", 0), 0u) << t["/ftnet/nodes"].dump();
    EXPECT_TRUE(t["/ftnet/policy"].contains("rule_pings_hits")) << t["/ftnet/policy"].dump();
    EXPECT_TRUE(t["/ftnet/policy"].contains("class_echo_pkts")) << t["/ftnet/policy"].dump();
    EXPECT_FALSE(t["/ethdev/list"].empty()) << "beside DPDK's own";
    // The daemon is still fine after answering.
    EXPECT_TRUE(lab.ctl(1, "status").contains("node"));
}

}  // namespace
}  // namespace ftnet::itest
