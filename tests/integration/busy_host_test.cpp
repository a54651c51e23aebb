// Failover one can trust on a busy host: the lab's two nodes on this
// machine's two cores, the fast profile at 1 ms x 3, traffic both ways, and
// nothing failing. No node may be taken for dead, no frame of a 1 ms probe
// stream may be lost (plain kernel addresses on the same veths are the
// yardstick), and real faults must still be seen at once on both sides.

#include <gtest/gtest.h>
#include <signal.h>

#include <regex>
#include <thread>

#include "tests/integration/lab_fixture.h"

namespace ftnet::itest {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// The lab configs, at 1 ms x 3.
NodeOptions fast_1ms() {
    NodeOptions o;
    o.replace = {{"SameSubnetDelay = 20 ", "SameSubnetDelay = 1 "}};
    return o;
}

struct SoakResult {
    ProbeSummary kernel, ftnet12, ftnet21;
    std::vector<json> route_downs, node_unreachable;
    std::string log1, log2;
};

class BusyHost : public testing::Test {
  protected:
    void start(const NodeOptions& o) {
        lab = std::make_unique<Lab>();
        lab->start_node(1, o);
        lab->start_node(2, o);
        lab->wait_ready(1);
        lab->wait_ready(2);
    }
    void TearDown() override { lab.reset(); }

    // A 1 ms probe stream between plain kernel addresses on the nodes'
    // public veths (the engine's ports), for `secs`: what the host itself
    // delivers.
    ProbeSummary kernel_baseline(int secs) {
        // A subnet of their own (the host interfaces hold 198.18.1.0/24), and
        // the kernel lets see what arrives on the veth (the lab keeps it
        // from the kernel, as a NIC that DPDK owns would be).
        for (int n : {1, 2})
            EXPECT_TRUE(run(lab->node_ns(n), "nft delete table netdev engine_owned && ip addr add 198.18.101.1" +
                                                 std::to_string(n) + "/24 dev public")
                            .ok());
        const std::string log = lab->dir() + "/kernel.bin";
        BgProcess recv(lab->node_ns(2), build_root() + "/ftnet-probe recv 7100 " + log, lab->dir() + "/kr.out");
        EXPECT_TRUE(eventually([&] { return recv.output().find("listening") != std::string::npos; }, 5s));
        BgProcess send(lab->node_ns(1), build_root() + "/ftnet-probe send 198.18.101.12 7100 1000 " + std::to_string(secs),
                       lab->dir() + "/ks.out");
        send.wait(std::chrono::seconds(secs + 10));
        std::this_thread::sleep_for(200ms);
        recv.stop(SIGTERM);
        for (int n : {1, 2})
            run(lab->node_ns(n), "ip addr del 198.18.101.1" + std::to_string(n) +
                                     "/24 dev public && nft 'add table netdev engine_owned; add chain netdev engine_owned "
                                     "public { type filter hook ingress device public priority 0; policy drop; }'");
        return summarize_probes(read_probe_log(log));
    }

    // A 1 ms probe stream across ftnet0 each way and a paced TCP transfer
    // each way (with checksums), for `secs`; fault() runs meanwhile.
    SoakResult soak(int secs, const std::function<void()>& fault = {}) {
        SoakResult res;
        EventStream ev1(lab->socket(1)), ev2(lab->socket(2));
        const std::string b = build_root();
        const std::string l12 = lab->dir() + "/p12.bin", l21 = lab->dir() + "/p21.bin";
        BgProcess r12(lab->node_ns(2), b + "/ftnet-probe recv 7001 " + l12, lab->dir() + "/r12.out");
        BgProcess r21(lab->node_ns(1), b + "/ftnet-probe recv 7001 " + l21, lab->dir() + "/r21.out");
        BgProcess x1r(lab->node_ns(2), b + "/ftnet-xfer recv 5001", lab->dir() + "/x1r.out");
        BgProcess x2r(lab->node_ns(1), b + "/ftnet-xfer recv 5002", lab->dir() + "/x2r.out");
        for (auto* p : {&r12, &r21, &x1r, &x2r})
            EXPECT_TRUE(eventually([&] { return p->output().find("listening") != std::string::npos; }, 5s));
        const std::string s = std::to_string(secs);
        // 10 Mbit/s each way for the whole run.
        const std::string bytes = std::to_string(secs * 10 / 8) + "M";
        BgProcess p12(lab->node_ns(1), b + "/ftnet-probe send 169.254.1.2 7001 1000 " + s, lab->dir() + "/p12.out");
        BgProcess p21(lab->node_ns(2), b + "/ftnet-probe send 169.254.1.1 7001 1000 " + s, lab->dir() + "/p21.out");
        BgProcess x1s(lab->node_ns(1), b + "/ftnet-xfer send 169.254.1.2 5001 " + bytes + " 1 10", lab->dir() + "/x1s.out");
        BgProcess x2s(lab->node_ns(2), b + "/ftnet-xfer send 169.254.1.1 5002 " + bytes + " 2 10", lab->dir() + "/x2s.out");
        if (fault) fault();
        for (auto* p : {&p12, &p21}) EXPECT_EQ(p->wait(std::chrono::seconds(secs + 20)), 0) << p->output();
        for (auto* p : {&x1s, &x2s, &x1r, &x2r}) EXPECT_EQ(p->wait(std::chrono::seconds(secs + 30)), 0) << p->output();
        expect_transfer_intact(x1s.output(), x1r.output());
        expect_transfer_intact(x2s.output(), x2r.output());
        std::this_thread::sleep_for(200ms);
        r12.stop(SIGTERM);
        r21.stop(SIGTERM);
        res.ftnet12 = summarize_probes(read_probe_log(l12));
        res.ftnet21 = summarize_probes(read_probe_log(l21));
        for (auto* ev : {&ev1, &ev2})
            for (auto& e : ev->events()) {
                if (e.ev.value("type", "") == "route" && e.ev.value("state", "") == "down") res.route_downs.push_back(e.ev);
                if (e.ev.value("type", "") == "node" && e.ev.value("state", "") == "unreachable") res.node_unreachable.push_back(e.ev);
            }
        res.log1 = lab->node_log(1);
        res.log2 = lab->node_log(2);
        return res;
    }

    void report(const char* what, const SoakResult& r, const ProbeSummary& k) {
        std::printf("%s: kernel probes %llu/%llu (longest gap %.1f ms); ftnet0 1->2 %llu/%llu (%.1f ms), 2->1 %llu/%llu "
                    "(%.1f ms); %zu route downs\n",
                    what, static_cast<unsigned long long>(k.received), static_cast<unsigned long long>(k.expected), k.max_gap_ms,
                    static_cast<unsigned long long>(r.ftnet12.received), static_cast<unsigned long long>(r.ftnet12.expected),
                    r.ftnet12.max_gap_ms, static_cast<unsigned long long>(r.ftnet21.received),
                    static_cast<unsigned long long>(r.ftnet21.expected), r.ftnet21.max_gap_ms, r.route_downs.size());
        for (auto& d : r.route_downs) std::printf("   route down: %s\n", d.dump().c_str());
    }

    // What a trustworthy failover gives on a host with no fault.
    // max_episodes: route-down episodes (100 ms buckets) a 60 s run may have.
    void expect_no_false_failover(const SoakResult& r, const ProbeSummary& kernel, int secs, size_t max_episodes = 5) {
        ASSERT_GE(kernel.expected, static_cast<uint64_t>(secs) * 900) << "the kernel probe ran";
        ASSERT_GE(r.ftnet12.expected, static_cast<uint64_t>(secs) * 900);
        ASSERT_GE(r.ftnet21.expected, static_cast<uint64_t>(secs) * 900);
        // Not one probe lost across ftnet0: no more than the kernel lost.
        EXPECT_LE(r.ftnet12.lost(), kernel.lost());
        EXPECT_LE(r.ftnet21.lost(), kernel.lost());
        EXPECT_TRUE(r.node_unreachable.empty()) << "a node was taken for dead: " << r.node_unreachable.front().dump();
        // No run of route downs: the host's hiccups are not network
        // failures. On this kind of host (2 vCPUs running both nodes, their
        // traffic and the kernel's softirqs) a sender's frames on one network
        // can trail its frames on another by 10-20 ms now and then, which at
        // 1 ms x 3 no detector can tell from that network failing: the rate
        // is measured by failover_bench (bench/README.md, false alarms), not
        // asserted here. What is asserted is that such an episode stays rare
        // and harmless (no probe lost, no node taken for dead); before
        // issue 6 there were thousands a minute.
        std::set<std::string> episodes;
        for (auto& d : r.route_downs) episodes.insert(d.value("time", "").substr(0, 21));  // 100 ms buckets
        EXPECT_LE(episodes.size(), max_episodes) << "route downs without any fault";
        for (const std::string* log : {&r.log1, &r.log2}) {
            EXPECT_EQ(log->find("is unreachable"), std::string::npos) << *log;
            EXPECT_EQ(log->find("flapping"), std::string::npos) << *log;
        }
    }

    std::unique_ptr<Lab> lab;
};

TEST_F(BusyHost, NoFalseFailoverWithTrafficBothWays) {
    start(fast_1ms());
    const ProbeSummary kernel = kernel_baseline(20);
    const SoakResult r = soak(60);
    report("no fault", r, kernel);
    expect_no_false_failover(r, kernel, 20);
}

TEST_F(BusyHost, NoFalseFailoverWithACpuHogOnBothCores) {
    start(fast_1ms());
    BgProcess hog0("", "taskset -c 0 sh -c 'while :; do :; done'", lab->dir() + "/hog0.out");
    BgProcess hog1("", "taskset -c 1 sh -c 'while :; do :; done'", lab->dir() + "/hog1.out");
    const ProbeSummary kernel = kernel_baseline(20);
    const SoakResult r = soak(60);
    hog0.stop(SIGKILL);
    hog1.stop(SIGKILL);
    report("CPU hog", r, kernel);
    // With both cores of the only two saturated, this VM delays one
    // network's frames behind another's by 20-70 ms now and then: the
    // residual measured is 0-3 route-down episodes a minute (bench/README.md,
    // false alarms), none losing a probe (the other routes, or the last
    // resort, carry the traffic) and none taking the node for dead.
    expect_no_false_failover(r, kernel, 20);
}

// During the same traffic, a real cut of the active network (node 1's
// cluster port loses its link) is seen on both sides at once: node 1 by the
// link, node 2 (whose link stayed up) by node 1's link notice, not by the
// heartbeats. The bound is generous (this host's scheduling noise alone
// reaches 20 ms); failover_bench reports the real figure (a few ms).
TEST_F(BusyHost, ACutIsSeenOnBothSidesFromTheLinkNotice) {
    start(fast_1ms());
    EventStream ev1(lab->socket(1)), ev2(lab->socket(2));
    soak(8, [&] {
        std::this_thread::sleep_for(3s);
        ASSERT_TRUE(run(lab->node_ns(1), "ip link set cluster down").ok());
        std::this_thread::sleep_for(2s);
        ASSERT_TRUE(run(lab->node_ns(1), "ip link set cluster up").ok());
    });
    auto link = ev1.wait_for([](const json& e) { return e.value("type", "") == "link" && e.value("state", "") == "down"; }, 1s);
    ASSERT_TRUE(link);
    auto down = [](const json& e) {
        return e.value("type", "") == "route" && e.value("network", "") == "cluster" && e.value("state", "") == "down";
    };
    auto d1 = ev1.wait_for(down, 1s), d2 = ev2.wait_for(down, 1s);
    ASSERT_TRUE(d1);
    ASSERT_TRUE(d2);
    EXPECT_EQ(d1->ev["cause"], "link down");
    EXPECT_EQ(d2->ev["cause"], "peer reports its link down");
    // The events carry the engines' own timestamps (one host, one clock).
    auto ms = [](const json& a, const json& b) {
        auto t = [](const std::string& s) {
            std::tm tm{};
            strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
            return static_cast<double>(timegm(&tm)) + std::stod(s.substr(19, 7));
        };
        return (t(b.value("time", "")) - t(a.value("time", ""))) * 1000;
    };
    const double near = ms(link->ev, d1->ev), far = ms(link->ev, d2->ev);
    std::printf("cut seen by node 1 after %.2f ms, by node 2 after %.2f ms\n", near, far);
    EXPECT_LT(near, 250.0);
    EXPECT_LT(far, 250.0) << "the far side learns within about one RTT";
}

// A peer paused for 3 s (kill -STOP) answers the requests queued meanwhile
// when it resumes: the routes do not claim 0 % loss afterwards, and the RTT
// is not distorted by the backlog.
TEST_F(BusyHost, APausedPeerIsAccountedHonestly) {
    start(fast_1ms());
    EventStream ev1(lab->socket(1));
    auto route = [&](int n) {
        for (auto& r : lab->ctl(n, "routes"))
            if (r["network"] == "cluster" && r["family"] == "IPv6") return r;
        return json();
    };
    const json before = route(1)["heartbeat"];
    kill(lab->daemon(2).pid(), SIGSTOP);
    std::this_thread::sleep_for(1500ms);
    // Meanwhile node 1 takes node 2 for unreachable, and says what it does
    // with traffic for it.
    const json nodes = lab->ctl(1, "nodes");
    EXPECT_EQ(nodes[1]["state"], "unreachable");
    EXPECT_FALSE(nodes[1]["last_resort_route"].get<std::string>().empty()) << nodes.dump();
    const CmdResult text = run("", build_root() + "/ftnetctl -s " + lab->socket(1) + " nodes");
    EXPECT_NE(text.out.find("no route answering; sending on Route between fd00:2::1 and fd00:2::2 (cluster, IPv6) as last resort"),
              std::string::npos)
        << text.out;
    std::this_thread::sleep_for(1500ms);
    kill(lab->daemon(2).pid(), SIGCONT);
    ASSERT_TRUE(ev1.wait_for([](const json& e) { return e.value("type", "") == "node" && e.value("state", "") == "reachable"; }, 10s));
    std::this_thread::sleep_for(500ms);
    const json after = route(1)["heartbeat"];
    const uint64_t sent = after["requests_sent"].get<uint64_t>() - before["requests_sent"].get<uint64_t>();
    const uint64_t answered = after["replies_received"].get<uint64_t>() - before["replies_received"].get<uint64_t>();
    std::printf("3 s pause: %llu requests, %llu answered in time, %llu answered late, loss %.1f%%\n",
                static_cast<unsigned long long>(sent), static_cast<unsigned long long>(answered),
                static_cast<unsigned long long>(after["replies_late"].get<uint64_t>()), after["loss_pct"].get<double>());
    EXPECT_GE(sent, 2500u) << "1 ms heartbeats for about 3.5 s";
    EXPECT_LE(answered, sent - 2500) << "the 3 s outage shows as unanswered requests";
    EXPECT_GT(after["loss_pct"].get<double>(), before["loss_pct"].get<double>());
    EXPECT_LT(after["rtt_smoothed_us"].get<double>(), 20000.0) << "the backlog's answers did not enter the RTT";
}

// A flapping link: FlapThreshold 3 downs in FlapWindow are tolerated, the
// fourth holds the route down; the cluster log says so once, with the
// hold-down, and `ftnetctl routes` shows it.
TEST_F(BusyHost, AFlappingLinkIsHeldDown) {
    NodeOptions o;
    o.append = "";
    o.replace = {{"RouteRecoveryThreshold = 3 ", "FlapHoldDown = 3000\nRouteRecoveryThreshold = 3 "}};
    start(o);
    EventStream ev1(lab->socket(1));
    for (int i = 0; i < 4; i++) {
        ASSERT_TRUE(run(lab->node_ns(1), "ip link set storage down").ok());
        std::this_thread::sleep_for(200ms);
        ASSERT_TRUE(run(lab->node_ns(1), "ip link set storage up").ok());
        std::this_thread::sleep_for(500ms);
    }
    auto held = ev1.wait_for([](const json& e) { return e.value("type", "") == "route" && e.contains("held_down_ms"); }, 2s);
    ASSERT_TRUE(held) << "the fourth down started a hold-down";
    EXPECT_EQ(held->ev["network"], "storage");
    EXPECT_EQ(held->ev["held_down_ms"], 3000);
    bool shown = false;
    for (auto& r : lab->ctl(1, "routes"))
        if (r["network"] == "storage") {
            EXPECT_EQ(r["state"], "down");
            EXPECT_EQ(r["reason"], "held down: flapping");
            EXPECT_GT(r["held_down_s"].get<double>(), 0.5);
            shown = true;
        }
    EXPECT_TRUE(shown);
    const CmdResult text = run("", build_root() + "/ftnetctl -s " + lab->socket(1) + " routes");
    EXPECT_TRUE(std::regex_search(text.out, std::regex("held down for another [0-9.]+ s after 4 downs"))) << text.out;
    const std::string log = lab->node_log(1);
    size_t lines = 0;
    for (size_t pos = 0; (pos = log.find("route flapping (4 downs within 10 s), held down for 3.0 s", pos)) != std::string::npos; pos++)
        lines++;
    EXPECT_EQ(lines, 2u) << "once per route (IPv6, IPv4), not once per flap\n" << log;
    // It comes back when the hold-down ends.
    EXPECT_TRUE(ev1.wait_for([](const json& e) {
        return e.value("type", "") == "route" && e.value("network", "") == "storage" && e.value("state", "") == "up" &&
               e.value("cause", "") == "flap hold-down ended, heartbeats answered";
    }, 5s, held->received));
}

}  // namespace
}  // namespace ftnet::itest
