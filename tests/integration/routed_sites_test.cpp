// Two sites whose networks are routed (scripts/topology.sh with two sites:
// every network is two subnets, the switch namespace forwards between
// them): the routes between the sites go through each port's gateway, whose
// MAC the engine resolves, are cross-subnet and heartbeat at the
// CrossSubnet properties; ftnet0 carries traffic across the router; a
// router that stops forwarding one network is failed over like any silent
// loss.

#include <gtest/gtest.h>

#include <thread>

#include "tests/integration/lab_fixture.h"

namespace ftnet::itest {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

json in_use(Lab& lab, int n) {
    for (auto& r : lab.ctl(n, "routes"))
        if (r["in_use"].get<bool>()) return r;
    return json();
}

// The MAC of the router's interface on node 1's site of a network.
std::string router_mac(Lab& lab, const std::string& net) {
    CmdResult r = run(lab.ns("sw"), "cat /sys/class/net/br-" + net + "/address");
    std::string mac = r.out;
    while (!mac.empty() && (mac.back() == '\n' || mac.back() == ' ')) mac.pop_back();
    return mac;
}

TEST(RoutedSites, TrafficCrossesTheRouterOnCrossSubnetRoutes) {
    Lab lab(2, 2);
    lab.start_all();
    const json routes = lab.ctl(1, "routes");
    ASSERT_EQ(routes.size(), 6u) << routes.dump(2);
    for (auto& r : routes) {
        const std::string net = r["network"];
        const bool v6 = r["family"] == "IPv6";
        EXPECT_TRUE(r["cross_subnet"].get<bool>()) << r.dump();
        const int i = net == "public" ? 1 : net == "cluster" ? 2 : 3;
        EXPECT_EQ(r["next_hop"], v6 ? "fd00:" + std::to_string(i) + "::fe" : "198.18." + std::to_string(i) + ".254") << r.dump();
        EXPECT_EQ(r["next_hop_mac"], router_mac(lab, net)) << "the gateway's MAC, resolved by ARP/ND: " << r.dump();
        EXPECT_EQ(r["heartbeat"]["delay_ms"], 50) << "CrossSubnetDelay (fast default)";
        EXPECT_EQ(r["state"], "up");
    }
    // The heartbeat rate on a routed route is CrossSubnetDelay's.
    const auto t0 = Clock::now();
    const uint64_t sent0 = lab.ctl(1, "routes")[0]["heartbeat"]["requests_sent"];
    std::this_thread::sleep_for(2s);
    const uint64_t sent1 = lab.ctl(1, "routes")[0]["heartbeat"]["requests_sent"];
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    EXPECT_NEAR(static_cast<double>(sent1 - sent0) / secs, 20.0, 4.0) << "one request every 50 ms";

    // ftnet0 across the router, both families, and a TCP transfer with a checksum.
    EXPECT_TRUE(run(lab.node_ns(1), "ping -c 3 -i 0.2 -W 2 169.254.1.2").ok());
    EXPECT_TRUE(run(lab.node_ns(2), "ping -c 3 -i 0.2 -W 2 fe80::a9fe:1:1%ftnet0").ok());
    BgProcess recv(lab.node_ns(2), build_root() + "/ftnet-xfer recv 5001", lab.dir() + "/recv.out");
    ASSERT_TRUE(eventually([&] { return recv.output().find("listening") != std::string::npos; }, 5s));
    CmdResult send = run(lab.node_ns(1), build_root() + "/ftnet-xfer send 169.254.1.2 5001 32M 5");
    ASSERT_TRUE(send.ok()) << send.out;
    ASSERT_EQ(recv.wait(30s), 0) << recv.output();
    EXPECT_EQ(expect_transfer_intact(send.out, recv.output()), 32ull << 20);
    // It went through the router: its forwarding counters moved.
    CmdResult fwd = run(lab.ns("sw"), "cat /sys/class/net/br-cluster-b/statistics/tx_packets");
    EXPECT_GT(std::stoull(fwd.out), 20000u) << "the frames were routed onto site B's subnet";
}

TEST(RoutedSites, ARouterThatStopsForwardingANetworkIsFailedOver) {
    Lab lab(2, 2);
    lab.start_all();
    json r = in_use(lab, 1);
    ASSERT_EQ(r["network"], "cluster") << r.dump();
    EventStream ev1(lab.socket(1));
    // The router drops what it would forward on the cluster network (both
    // ways, both families); the links stay up, only heartbeats can tell.
    const auto cut = Clock::now();
    const CmdResult drop = run(lab.ns("sw"), "nft add table inet ftrouter && "
                                             "nft 'add chain inet ftrouter cut { type filter hook forward priority 0; }' && "
                                             "nft add rule inet ftrouter cut iifname '{ br-cluster, br-cluster-b }' drop");
    ASSERT_TRUE(drop.ok()) << drop.out;
    auto down = ev1.wait_for(
        [](const json& e) {
            return e.value("type", "") == "route" && e.value("network", "") == "cluster" && e.value("state", "") == "down";
        },
        5s);
    ASSERT_TRUE(down) << "the cluster routes went down";
    EXPECT_EQ(down->ev.value("cause", ""), "heartbeats missed") << down->ev.dump();
    // CrossSubnetDelay x CrossSubnetThreshold + CrossSubnetDelay = 200 ms; generous here.
    EXPECT_LT(down->received - cut, 2s) << "switched within 2 s";
    EXPECT_TRUE(eventually([&] { return in_use(lab, 1).value("network", "") == "storage"; }, 2s)) << in_use(lab, 1).dump();
    EXPECT_TRUE(run(lab.node_ns(1), "ping -c 3 -i 0.2 -W 2 169.254.1.2").ok()) << "ftnet0 over the next network";
    // The router forwards again: the cluster network comes back into use.
    ASSERT_TRUE(run(lab.ns("sw"), "nft delete table inet ftrouter").ok());
    EXPECT_TRUE(eventually([&] { return in_use(lab, 1).value("network", "") == "cluster"; }, 5s)) << in_use(lab, 1).dump();
}

json route_on(Lab& lab, int n, const std::string& net, const std::string& family) {
    for (auto& r : lab.ctl(n, "routes"))
        if (r["network"] == net && r["family"] == family) return r;
    return json();
}

// Router failover as VRRP does it: the gateway keeps its addresses, its MAC
// changes and it announces the new one (gratuitous ARP, unsolicited NA). The
// routes follow the new MAC before the heartbeats could notice the old one
// is gone: no route goes down.
TEST(RoutedSites, AGatewayWhoseMacChangesIsFollowedWithoutARouteOutage) {
    Lab lab(2, 2);
    lab.start_all();
    ASSERT_EQ(in_use(lab, 1)["network"], "cluster");
    const std::string old_mac = router_mac(lab, "cluster");
    for (const char* fam : {"IPv4", "IPv6"})
        ASSERT_EQ(route_on(lab, 1, "cluster", fam)["next_hop_mac"], old_mac) << fam;
    EventStream ev1(lab.socket(1));
    BgProcess ping(lab.node_ns(1), "ping -i 0.02 -w 4 169.254.1.2", lab.dir() + "/ping.out");
    std::this_thread::sleep_for(500ms);
    const CmdResult change = run(lab.ns("sw"), "sysctl -qw net.ipv4.conf.br-cluster.arp_notify=1 && "
                                               "sysctl -qw net.ipv6.conf.br-cluster.ndisc_notify=1 && "
                                               "ip link set br-cluster address 02:00:5e:77:00:02");
    ASSERT_TRUE(change.ok()) << change.out;
    const std::string new_mac = router_mac(lab, "cluster");
    ASSERT_EQ(new_mac, "02:00:5e:77:00:02");
    for (const char* fam : {"IPv4", "IPv6"})
        EXPECT_TRUE(eventually([&] { return route_on(lab, 1, "cluster", fam)["next_hop_mac"] == new_mac; }, 2s))
            << fam << ": " << route_on(lab, 1, "cluster", fam).dump();
    auto down = ev1.wait_for([](const json& e) { return e.value("type", "") == "route" && e.value("state", "") == "down"; }, 3s);
    EXPECT_FALSE(down) << "no route went down: " << down->ev.dump();
    EXPECT_EQ(in_use(lab, 1)["network"], "cluster");
    ASSERT_EQ(ping.wait(5s), 0) << ping.output();
    // Frames already on their way to the old MAC are lost; a few at most.
    const std::string out = ping.output();
    const auto pct = out.find("% packet loss");
    ASSERT_NE(pct, std::string::npos) << out;
    const double loss = std::stod(out.substr(out.rfind(' ', pct) + 1));
    EXPECT_LE(loss, 10.0) << out;
    EXPECT_TRUE(run(lab.node_ns(1), "ping -c 3 -i 0.2 -W 2 169.254.1.2").ok()) << "through the new MAC";
}

// The only surviving path crosses an inter-site link of 1280 bytes (the
// router's interfaces on the storage network, both ways): ftnet0 keeps its
// MTU of 1400, each route measures its path MTU, and what does not fit goes
// as ftnet fragments, so a TCP transfer still completes intact. A too-big
// report that does not quote our own packet changes nothing.
TEST(RoutedSites, ATcpTransferCompletesWhenTheOnlyPathHasA1280ByteMtu) {
    Lab lab(2, 2);
    lab.start_all();
    for (auto& r : lab.ctl(1, "routes")) {
        ASSERT_TRUE(r.contains("path_mtu")) << r.dump();
        EXPECT_TRUE(eventually([&] { return route_on(lab, 1, r["network"], r["family"])["path_mtu"]["state"] == "done"; }, 5s))
            << r.dump();
        EXPECT_EQ(route_on(lab, 1, r["network"], r["family"])["path_mtu"]["pmtu"], 1500) << "measured: the whole port MTU";
    }
    // A forged report quoting a packet that is not ours (right addresses and
    // port, made-up ftnet header): ignored.
    const CmdResult forged = run(lab.ns("sw"), R"(python3 -c '
import socket, struct
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return (~s) & 0xffff
inner = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 1500, 1, 0x4000, 64, 17, 0,
                    socket.inet_aton("198.18.3.1"), socket.inet_aton("198.19.3.2"))
inner += struct.pack("!HHHH", 49152, 3343, 1480, 0) + bytes([2, 1, 0, 1, 0, 1, 0, 2]) + bytes(14)
msg = struct.pack("!BBHHH", 3, 4, 0, 0, 1300) + inner
msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.sendto(msg, ("198.18.3.1", 0))
')");
    ASSERT_TRUE(forged.ok()) << forged.out;
    EXPECT_TRUE(eventually([&] { return route_on(lab, 1, "storage", "IPv4")["path_mtu"]["too_big_ignored"] == 1; }, 3s))
        << route_on(lab, 1, "storage", "IPv4").dump();
    EXPECT_EQ(route_on(lab, 1, "storage", "IPv4")["path_mtu"]["pmtu"], 1500) << "a report not quoting our packet is ignored";

    // Only the storage network forwards, through a 1280-byte link.
    const CmdResult cut = run(lab.ns("sw"), "ip link set br-storage mtu 1280 && ip link set br-storage-b mtu 1280 && "
                                            "nft add table inet ftrouter && "
                                            "nft 'add chain inet ftrouter cut { type filter hook forward priority 0; }' && "
                                            "nft add rule inet ftrouter cut iifname '{ br-cluster, br-cluster-b, br-public, br-public-b }' drop");
    ASSERT_TRUE(cut.ok()) << cut.out;
    EXPECT_TRUE(eventually([&] { return in_use(lab, 1).value("network", "") == "storage"; }, 5s)) << in_use(lab, 1).dump();
    EXPECT_TRUE(eventually([&] { return in_use(lab, 2).value("network", "") == "storage"; }, 5s)) << in_use(lab, 2).dump();
    BgProcess recv(lab.node_ns(2), build_root() + "/ftnet-xfer recv 5001", lab.dir() + "/recv.out");
    ASSERT_TRUE(eventually([&] { return recv.output().find("listening") != std::string::npos; }, 5s));
    CmdResult send = run(lab.node_ns(1), build_root() + "/ftnet-xfer send 169.254.1.2 5001 16M 30");
    ASSERT_TRUE(send.ok()) << send.out;
    ASSERT_EQ(recv.wait(60s), 0) << recv.output();
    EXPECT_EQ(expect_transfer_intact(send.out, recv.output()), 16ull << 20);
    for (int n : {1, 2}) {
        const json r = in_use(lab, n);
        EXPECT_LE(r["path_mtu"]["pmtu"].get<int>(), 1280) << "node " << n << ": " << r.dump();
        EXPECT_GE(r["path_mtu"]["pmtu"].get<int>(), 1280 - 8) << r.dump();
    }
    const json r1 = in_use(lab, 1), r2 = in_use(lab, 2);
    EXPECT_GT(r1["tx_fragmented"].get<uint64_t>(), 1000u) << "full frames went as fragments: " << r1.dump();
    EXPECT_GT(r2["rx_reassembled"].get<uint64_t>(), 1000u) << r2.dump();
    const json drops = lab.ctl(2, "counters")["drops"];
    for (const char* d : {"rx-frag-bad", "rx-frag-duplicate", "rx-frag-too-big"})
        EXPECT_EQ(drops.value(d, uint64_t{0}), 0u) << d << ": " << drops.dump();
}

}  // namespace
}  // namespace ftnet::itest
