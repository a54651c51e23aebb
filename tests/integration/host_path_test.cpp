// The host's own traffic on DPDK-owned ports (engine/host_path/): each lab
// port has a host interface (<network>-host) with the port's addresses. A
// plain host (the probe namespace) reaches the node's host addresses over
// TCP on every network, both families, while the tunnel carries a transfer
// of its own; neither disturbs the other, and the engine's own answers
// (ping) are not doubled by the host's.

#include <gtest/gtest.h>

#include <signal.h>

#include <thread>

#include "tests/integration/lab_fixture.h"

namespace ftnet::itest {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

TEST(HostPath, APlainHostReachesTheNodesHostAddressesWhileTheTunnelCarriesTraffic) {
    Lab lab(2);
    lab.start_all();
    const json hosts = lab.ctl(1, "hosts");
    ASSERT_EQ(hosts.size(), 3u) << hosts.dump(2);
    for (auto& h : hosts) {
        const std::string ifname = h["interface"];
        EXPECT_EQ(ifname, h["port"].get<std::string>() + "-host");
        const CmdResult addr = run(lab.node_ns(1), "ip -br addr show dev " + ifname);
        EXPECT_NE(addr.out.find(h["addresses"][0].get<std::string>()), std::string::npos) << addr.out;
    }

    // The tunnel busy with its own transfer meanwhile.
    BgProcess tunnel_recv(lab.node_ns(2), build_root() + "/ftnet-xfer recv 5001", lab.dir() + "/tunnel-recv.out");
    ASSERT_TRUE(eventually([&] { return tunnel_recv.output().find("listening") != std::string::npos; }, 5s));
    BgProcess tunnel_send(lab.node_ns(1), build_root() + "/ftnet-xfer send 169.254.1.2 5001 48M 7", lab.dir() + "/tunnel-send.out");

    // TCP from the plain host to node 1's address on each network, IPv4
    // and IPv6 (ssh-like: a connection to the host, data both ways).
    const char* nets[] = {"public", "cluster", "storage"};
    for (int i = 1; i <= 3; i++) {
        for (const std::string& addr : {"198.18." + std::to_string(i) + ".1", "fd00:" + std::to_string(i) + "::1"}) {
            const std::string port = std::to_string(6000 + i);
            BgProcess recv(lab.node_ns(1), build_root() + "/ftnet-xfer recv " + port, lab.dir() + "/host-recv.out");
            ASSERT_TRUE(eventually([&] { return recv.output().find("listening") != std::string::npos; }, 5s));
            CmdResult send = run(lab.ns("probe"), "timeout 20 " + build_root() + "/ftnet-xfer send " + addr + " " + port + " 4M " + std::to_string(i));
            ASSERT_TRUE(send.ok()) << nets[i - 1] << " " << addr << ": " << send.out;
            ASSERT_EQ(recv.wait(10s), 0) << recv.output();
            EXPECT_EQ(expect_transfer_intact(send.out, recv.output()), 4ull << 20) << addr;
        }
    }
    ASSERT_EQ(tunnel_send.wait(60s), 0) << tunnel_send.output();
    ASSERT_EQ(tunnel_recv.wait(10s), 0) << tunnel_recv.output();
    EXPECT_EQ(expect_transfer_intact(tunnel_send.output(), tunnel_recv.output()), 48ull << 20) << "the tunnel's transfer, intact";

    for (auto& h : lab.ctl(1, "hosts")) {
        EXPECT_GT(h["to_host"]["bytes"].get<uint64_t>(), 8ull << 20) << "both families' 4 MiB went to the host: " << h.dump();
        EXPECT_GT(h["from_host"]["pkts"].get<uint64_t>(), 100u) << "the host's acknowledgements went out: " << h.dump();
    }
    // The engine answers echo requests for the port's address itself; the
    // host does not answer them as well.
    const CmdResult ping = run(lab.ns("probe"), "ping -c 3 -i 0.2 -W 2 198.18.2.1");
    EXPECT_TRUE(ping.ok()) << ping.out;
    EXPECT_EQ(ping.out.find("DUP"), std::string::npos) << ping.out;
    const CmdResult ping6 = run(lab.ns("probe"), "ping -c 3 -i 0.2 -W 2 fd00:2::1");
    EXPECT_TRUE(ping6.ok()) << ping6.out;
    EXPECT_EQ(ping6.out.find("DUP"), std::string::npos) << ping6.out;
    const json drops = lab.ctl(1, "counters")["drops"];
    EXPECT_EQ(drops.value("host-if-full", uint64_t{0}), 0u) << drops.dump();
}

// Node 1's host interfaces die with ftnetd, even with kill -9 (a TAP goes
// with the process), so a restart finds the names free.
TEST(HostPath, HostInterfacesGoWithTheEngineEvenWhenKilled) {
    Lab lab(2);
    lab.start_all();
    ASSERT_TRUE(run(lab.node_ns(1), "ip link show cluster-host").ok());
    EXPECT_EQ(lab.daemon(1).stop(SIGKILL), 128 + SIGKILL);
    EXPECT_TRUE(eventually([&] { return !run(lab.node_ns(1), "ip link show cluster-host").ok(); }, 5s));
    lab.start_node(1);
    lab.wait_ready(1);
    EXPECT_TRUE(run(lab.node_ns(1), "ip link show cluster-host").ok());
    BgProcess recv(lab.node_ns(1), build_root() + "/ftnet-xfer recv 6002", lab.dir() + "/host-recv.out");
    ASSERT_TRUE(eventually([&] { return recv.output().find("listening") != std::string::npos; }, 5s));
    CmdResult send = run(lab.ns("probe"), "timeout 20 " + build_root() + "/ftnet-xfer send 198.18.2.1 6002 1M 1");
    ASSERT_TRUE(send.ok()) << send.out;
    ASSERT_EQ(recv.wait(10s), 0) << recv.output();
}

}  // namespace
}  // namespace ftnet::itest
