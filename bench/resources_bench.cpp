// Resources bench: how long a client waits after the owner of a group dies.
//
// Two routed sites, four nodes and a file-share witness (the integration
// harness's lab), named (BIND9) on the plain host of site A, and a group
// with ipA (site A), ipB (site B) and a Network Name "ipA or ipB" with
// RegisterAllProvidersIP=0, preferred owners node1 (site A), node3 (site B):
// a kill -9 of node1 moves the group to node3, so the name's A record
// changes from ipA to ipB. From the kill (CLOCK_MONOTONIC, taken just before
// it), a child in the plain host's namespace measures:
//   address: the first TCP connection accepted on ipB (a listener on node3),
//            tried every 5 ms (each attempt waits at most 20 ms);
//   dns:     the first `A web0.ftlab.example` answer from named that is ipB,
//            asked every 10 ms.
// Then node1 restarts and the group is moved back, for the next run.
// p50 / max over --runs, for the classic and the lab's fast heartbeat
// profiles; each next to the heartbeat's own detection time (Delay x
// Threshold) and, measured in the same run, the time to node3's new view
// without node1 (the membership's share: what resources add comes after).
//
//   sudo build/bench/resources_bench [--runs 10] [--profile classic|fast]
//                                    [--out bench/results/resources.json]

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/lab_fixture.h"
#include "tests/integration/servers.h"

// Last: ldns's C headers may define `bool`.
#include <ldns/ldns.h>

using namespace ftnet::itest;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

const char* kGroup = R"(
[[resource]]
name = "ipA"
type = "ip_address"
network = "public"
address = "198.18.1.50/24"

[[resource]]
name = "ipB"
type = "ip_address"
network = "public"
address = "198.19.1.50/24"

[[resource]]
name = "web0"
type = "network_name"
dns_name = "web0.ftlab.example"
depends = "ipA or ipB"
HostRecordTTL = 60

[[group]]
name = "web"
resources = ["ipA", "ipB", "web0"]
preferred_owners = ["node1", "node3", "node2", "node4"]
)";

uint64_t mono_us() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

sockaddr_in addr4(const char* ip, uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

// A TCP connection to ip:port accepted within timeout_ms.
bool tcp_accepts(const char* ip, uint16_t port, int timeout_ms) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in a = addr4(ip, port);
    bool ok = false;
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        ok = true;
    } else if (errno == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        if (poll(&p, 1, timeout_ms) == 1) {
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
            ok = err == 0;
        }
    }
    close(fd);
    return ok;
}

// named's A records for `name` (asked once, 20 ms at most).
std::vector<std::string> query_a(const char* server, const char* name) {
    std::vector<std::string> out;
    ldns_pkt* q = ldns_pkt_query_new(ldns_dname_new_frm_str(name), LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0);
    ldns_pkt_set_id(q, static_cast<uint16_t>(mono_us()));
    uint8_t* wire = nullptr;
    size_t len = 0;
    ldns_pkt2wire(&wire, q, &len);
    ldns_pkt_free(q);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = addr4(server, 53);
    sendto(fd, wire, len, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    free(wire);
    pollfd p{fd, POLLIN, 0};
    uint8_t buf[2048];
    if (poll(&p, 1, 20) == 1) {
        const ssize_t n = recv(fd, buf, sizeof buf, 0);
        ldns_pkt* r = nullptr;
        if (n > 0 && ldns_wire2pkt(&r, buf, static_cast<size_t>(n)) == LDNS_STATUS_OK) {
            const ldns_rr_list* ans = ldns_pkt_answer(r);
            for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
                const ldns_rr* rr = ldns_rr_list_rr(ans, i);
                if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_A) continue;
                char* s = ldns_rdf2str(ldns_rr_rdf(rr, 0));
                out.emplace_back(s);
                free(s);
            }
            ldns_pkt_free(r);
        }
    }
    close(fd);
    return out;
}

struct Profile {
    std::string name;
    NodeOptions opts;
    double detection_ms;
};

json run_profile(const Profile& p, int runs) {
    Lab lab(4, 2);
    NamedServer named(lab, lab.ns("probe"), "198.18.1.99");
    run(lab.ns("probe"), "ip route add 198.19.1.0/24 via 198.18.1.254 dev public");
    NodeOptions o = p.opts;
    o.append = std::string(kGroup) + named.node_config() + "\n[membership]\nwitness_file = \"" + lab.dir() +
               "/witness\"\nwitness_lease_ms = 1500\n";
    lab.start_all(o, 60s);
    // A TCP listener on node3 (the next owner), any address.
    const std::string listener =
        "python3 -c 'import socket\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
        "s.bind((\"0.0.0.0\",7300))\ns.listen(128)\nwhile True:\n  c,_=s.accept()\n  c.close()'";
    BgProcess server(lab.node_ns(3), listener, lab.dir() + "/listener.out");
    auto group = [&](int n) { return lab.ctl(n, "group", {{"action", "show"}, {"name", "web"}}); };
    std::vector<double> address_ms, dns_ms, regroup_ms;
    for (int i = 0; i < runs; i++) {
        const bool ready = eventually(
            [&] {
                json g = group(4);
                return g["owner"] == "node1" && g["state"] == "online" &&
                       named.records("web0.ftlab.example", "A") == std::vector<std::string>{"198.18.1.50"};
            },
            60s);
        if (!ready) {
            std::fprintf(stderr, "%s: run %d: the group is not back on node1: %s\n", p.name.c_str(), i, group(4).dump().c_str());
            break;
        }
        std::this_thread::sleep_for(500ms);
        EventStream ev3(lab.socket(3));  // the baseline: node3's new view without node1
        const std::string result = lab.dir() + "/measure.json";
        std::remove(result.c_str());
        const uint64_t killed_at_us_guess = mono_us() + 200000;
        std::thread measure([&] {
            in_netns(lab.ns("probe"), [&] {
                uint64_t addr_at = 0, dns_at = 0, next_dns = 0;
                const uint64_t until = mono_us() + 60000000;
                while ((addr_at == 0 || dns_at == 0) && mono_us() < until) {
                    const uint64_t t = mono_us();
                    if (addr_at == 0 && t >= killed_at_us_guess && tcp_accepts("198.19.1.50", 7300, 20)) addr_at = mono_us();
                    if (dns_at == 0 && t >= next_dns) {
                        next_dns = t + 10000;
                        auto a = query_a("198.18.1.99", "web0.ftlab.example.");
                        if (a == std::vector<std::string>{"198.19.1.50"}) dns_at = mono_us();
                    }
                    usleep(5000);
                }
                std::ofstream(result) << json{{"address_us", addr_at}, {"dns_us", dns_at}}.dump();
                return 0;
            });
        });
        while (mono_us() < killed_at_us_guess) usleep(1000);
        const uint64_t killed = mono_us();
        kill(lab.daemon(1).pid(), SIGKILL);
        measure.join();
        json m = json::parse(std::ifstream(result), nullptr, false);
        if (m.is_object() && m["address_us"].get<uint64_t>() > 0 && m["dns_us"].get<uint64_t>() > 0) {
            address_ms.push_back(static_cast<double>(m["address_us"].get<uint64_t>() - killed) / 1000.0);
            dns_ms.push_back(static_cast<double>(m["dns_us"].get<uint64_t>() - killed) / 1000.0);
            auto view = ev3.wait_for(
                [](const json& e) {
                    if (e.value("type", "") != "membership" || !e.contains("members")) return false;
                    for (auto& m : e["members"])
                        if (m.get<int>() == 1) return false;
                    return true;
                },
                1s);
            if (view) {
                const uint64_t at = static_cast<uint64_t>(
                    std::chrono::duration_cast<std::chrono::microseconds>(view->received.time_since_epoch()).count());
                regroup_ms.push_back(static_cast<double>(at - killed) / 1000.0);
            }
            std::printf("  %s run %d: new view after %.0f ms, address answers after %.0f ms, DNS after %.0f ms\n", p.name.c_str(),
                        i, view ? regroup_ms.back() : -1.0, address_ms.back(), dns_ms.back());
        } else {
            std::fprintf(stderr, "%s: run %d: no result (%s)\n", p.name.c_str(), i, m.dump().c_str());
        }
        lab.daemon(1).wait(5s);
        lab.start_node(1, o);
        lab.wait_ready(1, 60s);
        // Back to node1 once it is a member again (classic heartbeats take
        // RouteRecoveryThreshold seconds to trust its routes, and a view may
        // come and go meanwhile): asked again every 3 s until it is there.
        eventually(
            [&] {
                static uint64_t asked_us = 0;
                json g = group(4);
                if (g["owner"] == "node1" && g["state"] == "online") return true;
                if (mono_us() - asked_us > 3000000 && lab.ctl(4, "membership")["members"].size() == 4) {
                    asked_us = mono_us();
                    lab.request(4, {{"cmd", "group"}, {"args", {{"action", "move"}, {"name", "web"}, {"node", "node1"}}}});
                }
                return false;
            },
            90s);
    }
    auto summary = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        if (v.empty()) return json{{"runs", 0}};
        return json{{"runs", v.size()}, {"p50_ms", v[v.size() / 2]}, {"max_ms", v.back()}, {"min_ms", v.front()}, {"all_ms", v}};
    };
    json out = {{"profile", p.name},           {"detection_ms", p.detection_ms}, {"new_view", summary(regroup_ms)},
                {"address", summary(address_ms)}, {"dns", summary(dns_ms)}};
    if (!address_ms.empty() && !regroup_ms.empty())
        std::printf("%s (detection %.0f ms): new view p50 %.0f / max %.0f ms; address p50 %.0f / max %.0f ms; DNS p50 %.0f / "
                    "max %.0f ms over %zu runs\n",
                    p.name.c_str(), p.detection_ms, out["new_view"]["p50_ms"].get<double>(),
                    out["new_view"]["max_ms"].get<double>(), out["address"]["p50_ms"].get<double>(),
                    out["address"]["max_ms"].get<double>(), out["dns"]["p50_ms"].get<double>(), out["dns"]["max_ms"].get<double>(),
                    address_ms.size());
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    int runs = 10;
    std::string only, out = "bench/results/resources.json";
    CLI::App app{"resources_bench"};
    app.add_option("--runs", runs, "kills per profile")->check(CLI::PositiveNumber);
    app.add_option("--profile", only, "classic or fast")->check(CLI::IsMember({"classic", "fast"}));
    app.add_option("--out", out, "JSON result file");
    CLI11_PARSE(app, argc, argv);
    // Repeated kills are the point: no flap damping of the routes to the
    // node that keeps dying.
    const NodeOptions classic = classic_heartbeats(), fast = lab_fast_heartbeats();
    json results = json::array();
    for (const Profile& p : {Profile{"classic 1000 ms x 5", classic, 5000}, Profile{"fast 20 ms x 3", fast, 60}}) {
        if (!only.empty() && p.name.rfind(only, 0) != 0) continue;
        results.push_back(run_profile(p, runs));
    }
    std::ofstream(out) << results.dump(2) << "\n";
    return 0;
}
