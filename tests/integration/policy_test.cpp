// The traffic policy on two real nodes: TCP to one port is steered to the
// storage network while other traffic takes the best route (cluster), and
// falls back to the normal ranking when storage fails; a deny rule on a
// payload literal drops the matching datagrams (from ftnet0 on the sender,
// and on the receiver before its ftnet0) while the rest of the flow and all
// other traffic pass; a reload under a TCP transfer loses nothing, and a
// reload with a bad pattern is refused and changes nothing; `policy test`
// on a capture of ftnet0 names each frame's rule.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/lab_fixture.h"

namespace ftnet::itest {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const char* kSteer = R"(
[[policy.rule]]
name = "replication"
protocol = "tcp"
dport = 5201
action = "steer"
networks = ["storage"]
class = "replication"

[[policy.class]]
name = "replication"
dscp = 10
)";

const char* kDeny = R"(
[[policy.rule]]
name = "no-forbidden"
protocol = "udp"
literal = "FORBIDDEN"
action = "deny"
)";

// Node n's transmitted frames on its route to the peer on `network`, IPv6 (the preferred family).
uint64_t tx_on(Lab& lab, int n, const std::string& network) {
    uint64_t sum = 0;
    for (auto& r : lab.ctl(n, "routes"))
        if (r["network"] == network) sum += r.value("tx_packets", uint64_t{0});
    return sum;
}

// A transfer node1 -> node2 across ftnet0 to `port`: intact.
void transfer(Lab& lab, int port, const std::string& size) {
    BgProcess recv(lab.node_ns(2), build_root() + "/ftnet-xfer recv " + std::to_string(port), lab.dir() + "/recv.out");
    ASSERT_TRUE(eventually([&] { return recv.output().find("listening") != std::string::npos; }, 5s));
    CmdResult send = run(lab.node_ns(1), "timeout 60 " + build_root() + "/ftnet-xfer send 169.254.1.2 " + std::to_string(port) +
                                             " " + size + " 3");
    ASSERT_TRUE(send.ok()) << send.out;
    ASSERT_EQ(recv.wait(20s), 0) << recv.output();
    expect_transfer_intact(send.out, recv.output());
}

TEST(Policy, SteeredTrafficTakesTheStorageNetworkAndFallsBackWhenItFails) {
    Lab lab(2);
    NodeOptions o;
    o.append = kSteer;
    lab.start_all(o, 30s);
    uint64_t storage0 = tx_on(lab, 1, "storage"), cluster0 = tx_on(lab, 1, "cluster");
    const std::string pcap = lab.dir() + "/storage.pcap";
    BgProcess cap(lab.ns("sw"), "tcpdump -Z root -U --immediate-mode -n -i n1-storage -w " + pcap + " udp port 3343",
                  lab.dir() + "/tcpdump-storage.out");
    ASSERT_TRUE(eventually([&] { return cap.output().find("listening on") != std::string::npos; }, 5s)) << cap.output();
    transfer(lab, 5201, "8M");
    std::this_thread::sleep_for(200ms);
    cap.stop(SIGINT);
    uint64_t storage1 = tx_on(lab, 1, "storage"), cluster1 = tx_on(lab, 1, "cluster");
    EXPECT_GT(storage1 - storage0, 5000u) << "the steered transfer's ~5,800 segments go on storage";
    EXPECT_LT(cluster1 - cluster0, 1000u) << "not on the best route (cluster)";
    // The capture on storage: node 1's DATA messages carry the class's DSCP.
    size_t data = 0, marked = 0;
    for (auto& f : read_pcap(pcap)) {
        const bool v6 = f.size() > 14 && f[12] == 0x86 && f[13] == 0xdd;
        const size_t h = v6 ? 14 + 40 + 8 : 14 + 20 + 8;
        if (f.size() < h + 8 || f[h + 1] != 1 || f[h + 4] != 0 || f[h + 5] != 1) continue;  // DATA from node 1
        data++;
        const int dscp = v6 ? (f[14] & 0x0f) << 2 | f[15] >> 6 : f[15] >> 2;
        marked += dscp == 10;
    }
    EXPECT_GT(data, 1000u) << "the capture saw the transfer on storage (tcpdump may miss some at this rate)";
    EXPECT_EQ(marked, data) << "every steered DATA message is marked with class replication's DSCP 10";
    // Another port: the best route, cluster.
    transfer(lab, 5301, "8M");
    uint64_t storage2 = tx_on(lab, 1, "storage"), cluster2 = tx_on(lab, 1, "cluster");
    EXPECT_GT(cluster2 - cluster1, 5000u);
    EXPECT_LT(storage2 - storage1, 1000u);
    json p = lab.ctl(1, "policy");
    EXPECT_GT(p["rules"][0]["hits"].get<uint64_t>(), 5000u) << p.dump(2);
    EXPECT_EQ(p["classes"][0]["name"], "replication");
    EXPECT_EQ(p["classes"][0]["dscp"], 10);
    // Storage fails silently: the steered transfer falls back to the
    // normal ranking and completes.
    lab.block("storage");
    ASSERT_TRUE(eventually(
        [&] {
            for (auto& r : lab.ctl(1, "routes"))
                if (r["network"] == "storage" && r["state"] == "up") return false;
            return true;
        },
        10s));
    const uint64_t cluster3 = tx_on(lab, 1, "cluster");
    transfer(lab, 5201, "8M");
    EXPECT_GT(tx_on(lab, 1, "cluster") - cluster3, 5000u);
    lab.unblock("storage");
}

// Sends 10 datagrams "hello-N" and 10 "FORBIDDEN-N" from node 1's ftnet0 to
// node 2's, and returns what node 2's listener received.
std::string udp_exchange(Lab& lab, int port) {
    const std::string out = lab.dir() + "/udp-" + std::to_string(port) + ".out";
    BgProcess recv(lab.node_ns(2),
                   "python3 -c 'import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                   "s.bind((\"169.254.1.2\"," + std::to_string(port) + "))\ns.settimeout(3)\nprint(\"ready\",flush=True)\n"
                   "try:\n  while True: print(s.recv(100).decode(),flush=True)\nexcept Exception: pass'",
                   out);
    EXPECT_TRUE(eventually([&] { return recv.output().find("ready") != std::string::npos; }, 5s));
    run(lab.node_ns(1), "python3 -c 'import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                        "for i in range(10):\n  s.sendto((\"hello-%d\"%i).encode(),(\"169.254.1.2\"," + std::to_string(port) + "))\n"
                        "  s.sendto((\"FORBIDDEN-%d\"%i).encode(),(\"169.254.1.2\"," + std::to_string(port) + "))\n  time.sleep(0.01)'");
    recv.wait(10s);
    return recv.output();
}

TEST(Policy, ADenyRuleOnAPayloadDropsOnlyTheMatchingDatagramsBothWays) {
    Lab lab(2);
    // Node 1 denies what it sends; node 2 has no policy.
    lab.start_node(1, NodeOptions{{}, kDeny});
    lab.start_node(2);
    lab.wait_ready(1, 30s);
    lab.wait_ready(2, 30s);
    std::string got = udp_exchange(lab, 7001);
    for (int i = 0; i < 10; i++) EXPECT_NE(got.find("hello-" + std::to_string(i)), std::string::npos) << got;
    EXPECT_EQ(got.find("FORBIDDEN"), std::string::npos) << got;
    EXPECT_EQ(lab.ctl(1, "policy")["rules"][0]["hits"], 10);
    EXPECT_EQ(lab.counter(1, "policy-deny-tx"), 10u);
    EXPECT_TRUE(run(lab.node_ns(1), "ping -c 2 -i 0.2 169.254.1.2").ok()) << "other traffic passes";

    // The receiving side: node 2 denies, node 1 lets everything out.
    lab.start_node(1);
    lab.start_node(2, NodeOptions{{}, kDeny});
    lab.wait_ready(1, 30s);
    lab.wait_ready(2, 30s);
    got = udp_exchange(lab, 7002);
    for (int i = 0; i < 10; i++) EXPECT_NE(got.find("hello-" + std::to_string(i)), std::string::npos) << got;
    EXPECT_EQ(got.find("FORBIDDEN"), std::string::npos) << got;
    EXPECT_EQ(lab.counter(2, "policy-deny-rx"), 10u);
}

TEST(Policy, AReloadUnderTrafficLosesNothingAndABadOneChangesNothing) {
    Lab lab(2);
    NodeOptions o;
    o.append = kSteer;
    lab.start_all(o, 30s);
    const std::string cfg = lab.config_path(1);
    std::string original;
    {
        std::ifstream f(cfg);
        std::stringstream ss;
        ss << f.rdbuf();
        original = ss.str();
    }
    BgProcess recv(lab.node_ns(2), build_root() + "/ftnet-xfer recv 5201", lab.dir() + "/recv.out");
    ASSERT_TRUE(eventually([&] { return recv.output().find("listening") != std::string::npos; }, 5s));
    BgProcess send(lab.node_ns(1), build_root() + "/ftnet-xfer send 169.254.1.2 5201 64M 5 100", lab.dir() + "/send.out");
    // Reloads while it runs: the rule goes away, comes back, moves to cluster.
    for (int i = 0; i < 6; i++) {
        std::string next = original;
        if (i % 3 == 1) next.replace(next.find("networks = [\"storage\"]"), 22, "networks = [\"cluster\"]");
        if (i % 3 == 2) next = original.substr(0, original.find("[[policy.rule]]"));
        std::ofstream(cfg) << next;
        json r = lab.request(1, {{"cmd", "policy"}, {"args", {{"action", "reload"}}}});
        EXPECT_TRUE(r.value("ok", false)) << r.dump();
        std::this_thread::sleep_for(200ms);
    }
    ASSERT_EQ(send.wait(60s), 0) << send.output();
    ASSERT_EQ(recv.wait(20s), 0) << recv.output();
    EXPECT_EQ(expect_transfer_intact(send.output(), recv.output()), 64ull << 20);
    const uint64_t generation = lab.ctl(1, "policy")["generation"];
    EXPECT_GE(generation, 7u);
    // A bad pattern: refused with the rule and Hyperscan's message; the
    // policy in force stays.
    std::ofstream(cfg) << original << "\n[[policy.rule]]\nname = \"broken\"\nregex = \"(\"\naction = \"deny\"\n";
    json r = lab.request(1, {{"cmd", "policy"}, {"args", {{"action", "reload"}}}});
    EXPECT_FALSE(r.value("ok", true));
    EXPECT_NE(r.value("error", std::string()).find("rule \"broken\": pattern \"(\""), std::string::npos) << r.dump();
    json p = lab.ctl(1, "policy");
    EXPECT_EQ(p["generation"], generation);
    EXPECT_EQ(p["reloads_refused"], 1);
}

TEST(Policy, TestingACaptureNamesEachFramesRule) {
    Lab lab(2);
    NodeOptions o;
    o.append = std::string(kSteer) + kDeny;
    lab.start_all(o, 30s);
    const std::string pcap = lab.dir() + "/ftnet0.pcap";
    BgProcess cap(lab.node_ns(1), "tcpdump -i ftnet0 -w " + pcap + " -U 'udp port 7003 or tcp port 5201'", lab.dir() + "/tcpdump.out");
    std::this_thread::sleep_for(1s);
    udp_exchange(lab, 7003);
    transfer(lab, 5201, "1M");
    std::this_thread::sleep_for(300ms);
    cap.stop(SIGINT);
    CmdResult t = run("", build_root() + "/ftnetctl -s " + lab.socket(1) + " -o json policy test " + pcap);
    ASSERT_TRUE(t.ok()) << t.out;
    json frames = json::parse(t.out);
    size_t forbidden = 0, steered = 0, none = 0;
    for (auto& f : frames) {
        if (f["rule"] == "no-forbidden") forbidden++;
        else if (f["rule"] == "replication") steered++;
        else none++;
    }
    EXPECT_EQ(forbidden, 10u) << "the denied datagrams are seen on ftnet0 before the engine drops them";
    EXPECT_GT(steered, 100u);
    EXPECT_GT(none, 10u) << "hello-N, and the transfer's acknowledgements from node 2";
    CmdResult bad = run("", build_root() + "/ftnetctl -s " + lab.socket(1) + " policy test /nonexistent.pcap");
    EXPECT_EQ(bad.status, 1);
    EXPECT_NE(bad.out.find("cannot read"), std::string::npos) << bad.out;
}

}  // namespace
}  // namespace ftnet::itest
