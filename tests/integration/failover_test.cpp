// Heartbeats, failure detection and switchover end to end: two ftnetd nodes
// in namespaces (lab configs: fast profile, 20 ms x 3, recovery 3), a TCP
// transfer with a checksum across ftnet0 while the active network is cut
// (link down, or silent loss in the switch), loss and delay below the
// threshold, kill -9 of a peer, replayed and forged heartbeats, and live
// property changes.

#include <gtest/gtest.h>
#include <signal.h>

#include <regex>
#include <thread>

#include "tests/integration/lab_fixture.h"

namespace ftnet::itest {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

bool is_route(const json& e, const std::string& network, const std::string& family, const std::string& state) {
    return e.value("type", "") == "route" && e.value("network", "") == network && e.value("family", "") == family &&
           e.value("state", "") == state;
}

class Failover : public testing::Test {
  protected:
    void start(const NodeOptions& o = {}) {
        lab = std::make_unique<Lab>();
        lab->start_node(1, o);
        lab->start_node(2, o);
        lab->wait_ready(1);
        lab->wait_ready(2);
    }
    void TearDown() override { lab.reset(); }

    json in_use(int n) {
        for (auto& r : lab->ctl(n, "routes"))
            if (r["in_use"].get<bool>()) return r;
        return json();
    }

    // A paced TCP transfer node1 -> node2 across ftnet0, with `fault` run
    // meanwhile; checks the checksums at both ends.
    void transfer_through(const std::function<void()>& fault) {
        BgProcess recv(lab->node_ns(2), build_root() + "/ftnet-xfer recv 5001", lab->dir() + "/recv.out");
        ASSERT_TRUE(eventually([&] { return recv.output().find("listening") != std::string::npos; }, 5s));
        BgProcess send(lab->node_ns(1), build_root() + "/ftnet-xfer send 169.254.1.2 5001 80M 11 200", lab->dir() + "/send.out");
        fault();
        ASSERT_EQ(send.wait(60s), 0) << send.output();
        ASSERT_EQ(recv.wait(30s), 0) << recv.output();
        EXPECT_EQ(expect_transfer_intact(send.output(), recv.output()), 80ull << 20) << "all 80 MiB, intact";
    }

    std::unique_ptr<Lab> lab;
};

TEST_F(Failover, TcpTransferSurvivesALinkCutAndFailsBack) {
    start();
    EventStream ev1(lab->socket(1)), ev2(lab->socket(2));
    Clock::time_point cut;
    transfer_through([&] {
        std::this_thread::sleep_for(1s);
        cut = Clock::now();
        ASSERT_TRUE(run(lab->node_ns(1), "ip link set cluster down").ok());
        std::this_thread::sleep_for(1500ms);
        ASSERT_TRUE(run(lab->node_ns(1), "ip link set cluster up").ok());
    });
    // Node 1 saw its link go: at once. Node 2's link stayed up: node 1 told
    // it over a surviving route (a link notice), before its heartbeats could.
    auto d1 = ev1.wait_for([](const json& e) { return is_route(e, "cluster", "IPv6", "down"); }, 1s);
    ASSERT_TRUE(d1);
    EXPECT_EQ(d1->ev["cause"], "link down");
    EXPECT_LT(d1->received - cut, 500ms);
    auto d2 = ev2.wait_for([](const json& e) { return is_route(e, "cluster", "IPv6", "down"); }, 1s);
    ASSERT_TRUE(d2);
    EXPECT_EQ(d2->ev["cause"], "peer reports its link down");
    EXPECT_LT(d2->received - cut, 2s) << "switched within 2 s";
    EXPECT_NE(lab->node_log(2).find("(cluster, IPv6) to node1 is down (peer reports its link down)"), std::string::npos)
        << lab->node_log(2);
    // Traffic moved to the next best route (storage, IPv6) meanwhile...
    auto n1 = ev1.wait_for([](const json& e) { return e.value("type", "") == "node" && e.value("active_route", "").find("storage, IPv6") != std::string::npos; }, 1s);
    EXPECT_TRUE(n1);
    // ...and came back when the link returned (after the hysteresis).
    for (auto* ev : {&ev1, &ev2})
        EXPECT_TRUE(ev->wait_for([](const json& e) { return is_route(e, "cluster", "IPv6", "up") && e["cause"] == "heartbeats answered again"; }, 5s));
    EXPECT_TRUE(eventually([&] { return in_use(1)["network"] == "cluster" && in_use(2)["network"] == "cluster"; }, 5s));
}

TEST_F(Failover, TcpTransferSurvivesSilentLossAndFailsBack) {
    start();
    EventStream ev1(lab->socket(1)), ev2(lab->socket(2));
    Clock::time_point cut;
    transfer_through([&] {
        std::this_thread::sleep_for(1s);
        cut = Clock::now();
        lab->block("cluster");  // no link goes down: only heartbeats can tell
        std::this_thread::sleep_for(1500ms);
        lab->unblock("cluster");
    });
    for (auto* ev : {&ev1, &ev2}) {
        auto d = ev->wait_for([](const json& e) { return is_route(e, "cluster", "IPv6", "down"); }, 1s);
        ASSERT_TRUE(d);
        EXPECT_EQ(d->ev["cause"], "heartbeats missed");
        EXPECT_LT(d->received - cut, 2s);
        EXPECT_TRUE(ev->wait_for([](const json& e) { return is_route(e, "cluster", "IPv4", "down"); }, 1s));
        EXPECT_TRUE(ev->wait_for([](const json& e) { return is_route(e, "cluster", "IPv6", "up"); }, 5s, d->received));
    }
    EXPECT_TRUE(eventually([&] { return in_use(1)["network"] == "cluster"; }, 5s));
    for (auto& r : lab->ctl(1, "routes")) EXPECT_EQ(r["state"], "up") << r["title"];
}

TEST_F(Failover, LossAndDelayBelowTheThresholdCauseNoSwitch) {
    start();
    // Threshold 10 (live change): 20 ms x 10 = 200 ms of silence before a
    // switch. 20 % loss then takes ten lost replies in a row (1e-7) to trip.
    for (int n : {1, 2}) lab->ctl(n, "cluster", {{"action", "set"}, {"name", "SameSubnetThreshold"}, {"value", 10}});
    EventStream ev1(lab->socket(1)), ev2(lab->socket(2));

    // 20 % loss of what node 2 sends into the cluster network, for 3 s.
    lab->block("cluster", 20, "n2");
    BgProcess pinger(lab->node_ns(1), "ping -i 0.05 -c 60 169.254.1.2", lab->dir() + "/ping.out");
    std::this_thread::sleep_for(3s);
    lab->unblock("cluster");
    pinger.wait(10s);

    // 50 ms each way (RTT 100 ms, half of Delay x Threshold) for 2 s: a relay
    // takes the bridge's place between the two nodes on the cluster network.
    // It is armed first, then the ports leave the bridge and it starts, so
    // the swap itself is not an outage.
    const std::string sw = lab->ns("sw");
    BgProcess relay(sw, build_root() + "/ftnet-delay-relay n1-cluster n2-cluster 50 --armed", lab->dir() + "/relay.out");
    ASSERT_TRUE(eventually([&] { return relay.output().find("ready") != std::string::npos; }, 2s)) << relay.output();
    ASSERT_TRUE(run(sw, "ip link set n1-cluster nomaster && ip link set n2-cluster nomaster").ok());
    kill(relay.pid(), SIGUSR1);
    std::this_thread::sleep_for(2s);
    double rtt_ms = 0;
    for (auto& r : lab->ctl(1, "routes"))
        if (r["network"] == "cluster" && r["family"] == "IPv6") rtt_ms = r["heartbeat"]["rtt_last_us"].get<double>() / 1000;
    relay.stop(SIGKILL);
    ASSERT_TRUE(run(sw, "ip link set n1-cluster master br-cluster && ip link set n2-cluster master br-cluster").ok());

    EXPECT_GE(rtt_ms, 95.0) << "the relay's delay shows in the heartbeat RTT";
    EXPECT_LT(rtt_ms, 150.0);
    for (auto* ev : {&ev1, &ev2})
        for (auto& e : ev->events()) EXPECT_NE(e.ev.value("state", ""), "down") << "no switch: " << e.ev.dump();
    EXPECT_EQ(in_use(1)["network"], "cluster");
    // The pings stayed on the lossy route (no switch), so about a fifth of
    // the replies were lost with it, but far from all.
    std::smatch m;
    std::string out = pinger.output();
    ASSERT_TRUE(std::regex_search(out, m, std::regex("(\\d+) received"))) << out;
    EXPECT_GE(std::stoi(m[1]), 30) << out;
}

TEST_F(Failover, KillDashNineOfThePeerWithClassicHeartbeats) {
    // Classic profile: 1000 ms x 5. Unreachable within Delay x Threshold
    // plus one Delay (6 s) after the peer dies.
    NodeOptions classic;
    classic.replace = {{"profile = \"fast\"", "profile = \"classic\""},
                       {"SameSubnetDelay = 20", "# SameSubnetDelay: classic default"},
                       {"SameSubnetThreshold = 3", "# SameSubnetThreshold: classic default"}};
    start(classic);
    EventStream ev1(lab->socket(1));
    const auto killed = Clock::now();
    kill(lab->daemon(2).pid(), SIGKILL);
    auto e = ev1.wait_for([](const json& x) { return x.value("type", "") == "node" && x.value("state", "") == "unreachable"; }, 10s);
    ASSERT_TRUE(e) << "node 2 never became unreachable";
    const auto took = e->received - killed;
    EXPECT_LE(took, 6500ms) << "Delay x Threshold + Delay, with 0.5 s for scheduling";
    EXPECT_GE(took, 3500ms) << "not before Threshold periods went unanswered";
    std::printf("classic: unreachable %lld ms after kill -9\n",
                static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
    EXPECT_NE(lab->node_log(1).find("node node2 (2) is unreachable: all its routes are down"), std::string::npos);
    // It comes back when the peer restarts.
    lab->start_node(2, classic);
    EXPECT_TRUE(ev1.wait_for([](const json& x) { return x.value("type", "") == "node" && x.value("state", "") == "reachable"; }, 10s, e->received));
}

TEST_F(Failover, KillDashNineOfThePeerWithFastHeartbeats) {
    start();
    EventStream ev1(lab->socket(1));
    const auto killed = Clock::now();
    kill(lab->daemon(2).pid(), SIGKILL);
    auto e = ev1.wait_for([](const json& x) { return x.value("type", "") == "node" && x.value("state", "") == "unreachable"; }, 5s);
    ASSERT_TRUE(e);
    const auto took = e->received - killed;
    EXPECT_LT(took, 1s) << "20 ms x 3 + 20 ms, generously";
    std::printf("fast: unreachable %lld ms after kill -9\n",
                static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
    json nodes = lab->ctl(1, "nodes");
    EXPECT_EQ(nodes[1]["state"], "unreachable");
    EXPECT_EQ(nodes[1]["routes_up"], 0);
}

// Tunnel frames with ftnet type `type` sent by node `from` on the cluster
// network, from a capture in the switch while `meanwhile` runs (500 ms).
std::vector<std::vector<uint8_t>> capture_on_cluster(Lab& lab, uint8_t type, int from = 2,
                                                     const std::function<void()>& meanwhile = {}) {
    std::string pcap = lab.dir() + "/hb.pcap";
    BgProcess cap(lab.ns("sw"), "tcpdump -Z root -U --immediate-mode -n -i n" + std::to_string(3 - from) + "-cluster -w " + pcap +
                                    " udp port 3343",
                  lab.dir() + "/tcpdump.out");
    EXPECT_TRUE(eventually([&] { return cap.output().find("listening on") != std::string::npos; }, 5s));
    if (meanwhile) meanwhile();
    std::this_thread::sleep_for(500ms);
    cap.stop(SIGINT);
    std::vector<std::vector<uint8_t>> out;
    auto frames = read_pcap(pcap);
    for (auto& f : frames) {
        bool v6 = f.size() > 14 && f[12] == 0x86;
        size_t h = v6 ? 62 : 42;
        // Sent by the node (source MAC ...:N2) with the wanted type.
        if (f.size() > h + 2 && f[11] == 0x02 + 0x10 * from && f[h + 1] == type) out.push_back(f);
    }
    return out;
}
std::vector<std::vector<uint8_t>> capture_heartbeats(Lab& lab, uint8_t type) { return capture_on_cluster(lab, type); }

TEST_F(Failover, ReplayedAndForgedHeartbeatsNeverKeepADeadRouteAlive) {
    start();
    auto replies = capture_heartbeats(*lab, 4);
    auto requests = capture_heartbeats(*lab, 3);
    ASSERT_GE(replies.size(), 10u);
    ASSERT_GE(requests.size(), 10u);
    // Forgeries: a payload byte changed, and the sequence moved far ahead so
    // that the replay window lets them through to the tag check.
    std::vector<std::vector<uint8_t>> forged = replies;
    for (auto& f : forged) {
        f[f.size() - 20] ^= 0x40;
        f[(f[12] == 0x86 ? 62 : 42) + 14] ^= 0x10;
    }

    EventStream ev1(lab->socket(1));
    auto replayed = [&] { return lab->counter(1, "rx-seq-replay") + lab->counter(1, "rx-too-old"); };
    auto forgery = [&] { return lab->counter(1, "rx-bad-auth") + lab->counter(1, "rx-bad-checksum"); };
    const uint64_t replay0 = replayed(), auth0 = forgery();
    lab->block("cluster", 100, "n2");  // node 2's frames no longer reach node 1 on this network
    // Meanwhile an attacker on the wire plays node 1 old replies, old
    // requests and forged replies, every 10 ms.
    const auto until = Clock::now() + 1s;
    while (Clock::now() < until) {
        send_raw_frames(lab->ns("sw"), "n1-cluster", replies);
        send_raw_frames(lab->ns("sw"), "n1-cluster", requests);
        send_raw_frames(lab->ns("sw"), "n1-cluster", forged);
        std::this_thread::sleep_for(10ms);
    }
    for (const char* fam : {"IPv6", "IPv4"})
        EXPECT_TRUE(ev1.wait_for([&](const json& e) { return is_route(e, "cluster", fam, "down"); }, 1s))
            << "the cluster " << fam << " route died despite the replays";
    // Refused by the replay window (seen, or older than it by now); the
    // forgeries by their tag (IPv4) or already their UDP checksum (IPv6).
    EXPECT_GT(replayed(), replay0 + replies.size() + requests.size());
    EXPECT_GT(forgery(), auth0 + forged.size());
    for (auto& r : lab->ctl(1, "routes"))
        if (r["network"] == "cluster") {
            EXPECT_EQ(r["state"], "down") << r["title"];
        }
    lab->unblock("cluster");
}

// Link notices are authenticated and replay-protected: node 1's notices,
// captured when its storage link went down and played to node 2 again once
// the link is back, change nothing; a forged one neither.
TEST_F(Failover, ReplayedAndForgedLinkNoticesChangeNothing) {
    start();
    auto notices = capture_on_cluster(*lab, 6, 1, [&] {
        ASSERT_TRUE(run(lab->node_ns(1), "ip link set storage down").ok());
        std::this_thread::sleep_for(300ms);
        ASSERT_TRUE(run(lab->node_ns(1), "ip link set storage up").ok());
    });
    ASSERT_GE(notices.size(), 2u) << "a down and an up notice, over the cluster routes";
    EXPECT_NE(lab->node_log(2).find("(storage, IPv6) to node1 is down (peer reports its link down)"), std::string::npos)
        << lab->node_log(2);
    lab->wait_ready(2);
    std::vector<std::vector<uint8_t>> forged = notices;
    for (auto& f : forged) {
        f[f.size() - 20] ^= 0x40;                       // a payload byte: the tag no longer matches
        f[(f[12] == 0x86 ? 62 : 42) + 14] ^= 0x10;      // a fresh sequence: the window lets it reach the tag check
    }
    EventStream ev2(lab->socket(2));
    auto replayed = [&] { return lab->counter(2, "rx-seq-replay") + lab->counter(2, "rx-too-old"); };
    const uint64_t replay0 = replayed(), auth0 = lab->counter(2, "rx-bad-auth"),
                   csum0 = lab->counter(2, "rx-bad-checksum");
    for (int i = 0; i < 5; i++) {
        send_raw_frames(lab->ns("sw"), "n2-cluster", notices);
        send_raw_frames(lab->ns("sw"), "n2-cluster", forged);
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(eventually([&] { return replayed() >= replay0 + 5 * notices.size(); }, 2s)) << replayed();
    // A forged IPv4 notice fails its tag; a forged IPv6 one already its UDP
    // checksum (mandatory over IPv6).
    EXPECT_GT(lab->counter(2, "rx-bad-auth"), auth0);
    EXPECT_GE(lab->counter(2, "rx-bad-auth") - auth0 + lab->counter(2, "rx-bad-checksum") - csum0, 5 * forged.size());
    std::this_thread::sleep_for(200ms);
    for (auto& e : ev2.events()) EXPECT_NE(e.ev.value("state", ""), "down") << "no route went down: " << e.ev.dump();
    for (auto& r : lab->ctl(2, "routes")) EXPECT_EQ(r["state"], "up") << r["title"];
}

TEST_F(Failover, PropertiesChangeLiveWithinTheProfileLimits) {
    start();
    const std::string ctl = build_root() + "/ftnetctl -s " + lab->socket(1);
    CmdResult r = run("", ctl + " cluster get");
    ASSERT_TRUE(r.ok()) << r.out;
    EXPECT_NE(r.out.find("heartbeat profile: fast"), std::string::npos) << r.out;
    EXPECT_TRUE(std::regex_search(r.out, std::regex("SameSubnetDelay +20 ms +\\(allowed 1\\.\\.2000, default 10\\)"))) << r.out;
    r = run("", ctl + " cluster set SameSubnetDelay 0");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("SameSubnetDelay: value 0 is out of range for the fast profile (allowed 1..2000 ms)"), std::string::npos) << r.out;
    r = run("", ctl + " cluster set NoSuchThing 3");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("no such cluster property \"NoSuchThing\""), std::string::npos) << r.out;

    auto sent = [&] {
        for (auto& x : lab->ctl(1, "routes"))
            if (x["network"] == "cluster" && x["family"] == "IPv6") return x["heartbeat"]["requests_sent"].get<uint64_t>();
        return uint64_t{0};
    };
    auto rate = [&] {
        uint64_t a = sent();
        std::this_thread::sleep_for(1s);
        return sent() - a;
    };
    const uint64_t at_20ms = rate();
    r = run("", ctl + " cluster set SameSubnetDelay 200");
    ASSERT_TRUE(r.ok()) << r.out;
    std::this_thread::sleep_for(300ms);
    const uint64_t at_200ms = rate();
    EXPECT_GE(at_20ms, 35u) << "about 50 a second at 20 ms";
    EXPECT_LE(at_200ms, 7u) << "about 5 a second at 200 ms";
    EXPECT_GE(at_200ms, 3u);
    EXPECT_NE(lab->node_log(1).find("cluster property SameSubnetDelay changed from 20 to 200 by the operator"), std::string::npos);
    for (auto& x : lab->ctl(1, "routes")) EXPECT_EQ(x["state"], "up") << "a slower heartbeat keeps the routes up";
}

TEST_F(Failover, RoutesAndNodesShowHeartbeatState) {
    start();
    json routes = lab->ctl(1, "routes");
    ASSERT_EQ(routes.size(), 6u);
    for (auto& r : routes) {
        const json& h = r["heartbeat"];
        EXPECT_EQ(r["health"], "up");
        EXPECT_GT(h["requests_sent"].get<uint64_t>(), 0u);
        EXPECT_GT(h["replies_received"].get<uint64_t>(), 0u);
        EXPECT_GT(h["rtt_last_us"].get<double>(), 0.0);
        EXPECT_LT(h["rtt_smoothed_us"].get<double>(), 20000.0);
        EXPECT_LT(h["loss_pct"].get<double>(), 5.0);
        EXPECT_FALSE(r["last_change"].get<std::string>().empty());
    }
    CmdResult text = run("", build_root() + "/ftnetctl -s " + lab->socket(1) + " routes");
    EXPECT_TRUE(std::regex_search(text.out, std::regex("heartbeat every 20 ms, down after 3: RTT [0-9.]+ ms"))) << text.out;
    text = run("", build_root() + "/ftnetctl -s " + lab->socket(1) + " nodes");
    EXPECT_NE(text.out.find("node2 (node 2): reachable, 6 of 6 routes up, using Route between fd00:2::1 and fd00:2::2 (cluster, IPv6)"),
              std::string::npos)
        << text.out;
}

}  // namespace
}  // namespace ftnet::itest
