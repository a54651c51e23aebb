// DHCP IP Address resources against a real DHCP server (dnsmasq, in the
// probe namespace on the public network, T1 4 s / T2 7 s): the owner
// obtains a lease through the engine's port, renews it, the same resource
// gets the same address on the next owner after a kill -9 (its client
// identifier is the resource's, not the node's), a switch to static and
// back works at run time, the lease is released when the group goes
// offline, and an address another host already uses is declined.

#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "tests/integration/lab_fixture.h"
#include "tests/integration/servers.h"

namespace ftnet::itest {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const char* kDhcpGroup = R"(
[dhcp]
retransmit_initial_ms = 1000

[[resource]]
name = "ipD"
type = "ip_address"
network = "public"
address = "dhcp"

[[group]]
name = "dh"
resources = ["ipD"]
preferred_owners = ["node1", "node2"]
)";

class Dhcp : public testing::Test {
  protected:
    // Three nodes: two survive a kill -9 with quorum.
    void start(const std::string& range, const std::string& extra = "") {
        lab = std::make_unique<Lab>(3);
        server = std::make_unique<DhcpServer>(*lab, lab->ns("probe"), "public", range, 4, 7, extra);
        opts.append = kDhcpGroup;
        lab->start_all(opts, 30s);
    }
    void TearDown() override {
        server.reset();
        lab.reset();
    }
    json ipd(int n) { return lab->ctl(n, "resource", {{"action", "show"}, {"name", "ipD"}}); }
    // The leased address once ipD is online on `owner` ("" on timeout).
    std::string leased_on(const std::string& owner, std::chrono::milliseconds timeout = 20s) {
        std::string addr;
        eventually(
            [&] {
                json r = ipd(2);  // node 2 lives throughout; the owner's status is replicated to it
                if (r["owner"] != owner || r["setting"] != "dhcp" || r["state"] != "online" || !r.contains("address"))
                    return false;
                addr = r["address"];
                return true;
            },
            timeout);
        return addr.substr(0, addr.find('/'));
    }
    bool has_address(int n, const std::string& a) {
        return run(lab->node_ns(n), "ip -br addr show dev public-host").out.find(a + "/") != std::string::npos;
    }

    std::unique_ptr<Lab> lab;
    std::unique_ptr<DhcpServer> server;
    NodeOptions opts;
};

TEST_F(Dhcp, AResourceLeasesRenewsKeepsItsAddressOnFailoverAndReleases) {
    start("198.18.1.100,198.18.1.150");
    const std::string addr = leased_on("node1");
    ASSERT_FALSE(addr.empty()) << ipd(1).dump(2) << "\n" << server->log();
    EXPECT_EQ(addr.rfind("198.18.1.", 0), 0u);
    EXPECT_TRUE(has_address(1, addr));
    EXPECT_TRUE(eventually([&] { return run(lab->ns("probe"), "ping -c 1 -W 1 " + addr).ok(); }, 5s));
    for (const char* m : {"DHCPDISCOVER", "DHCPOFFER", "DHCPREQUEST", "DHCPACK"}) EXPECT_GE(server->count(m), 1u) << m;
    const json status = ipd(1)["status"]["dhcp"];
    EXPECT_EQ(status["state"], "bound") << status.dump();
    EXPECT_EQ(status["client_id"], "ftnet/ftlab/ipD");

    // Renewal at T1 (4 s): another REQUEST/ACK for the same address.
    const size_t acks = server->count("DHCPACK");
    EXPECT_TRUE(eventually([&] { return server->count("DHCPACK") > acks; }, 10s)) << server->log();
    EXPECT_EQ(leased_on("node1"), addr) << "renewed, not replaced";

    // kill -9 of the owner: node 2 asks with the resource's client id and
    // gets the same address.
    lab->daemon(1).stop(SIGKILL);
    EXPECT_EQ(leased_on("node2", 30s), addr) << ipd(2).dump(2) << "\n" << server->log();
    EXPECT_TRUE(has_address(2, addr));
    EXPECT_TRUE(eventually([&] { return run(lab->ns("probe"), "ping -c 1 -W 1 " + addr).ok(); }, 5s));

    // Static at run time: the lease is released, the static address online.
    const size_t releases = server->count("DHCPRELEASE");
    json set = lab->ctl(2, "resource", {{"action", "set"}, {"name", "ipD"}, {"mode", "static"}, {"address", "198.18.1.77/24"}});
    ASSERT_TRUE(eventually([&] { return has_address(2, "198.18.1.77") && !has_address(2, addr); }, 10s));
    EXPECT_TRUE(eventually([&] { return server->count("DHCPRELEASE") > releases; }, 5s)) << server->log();
    // And back to DHCP.
    lab->ctl(2, "resource", {{"action", "set"}, {"name", "ipD"}, {"mode", "dhcp"}});
    const std::string again = leased_on("node2");
    ASSERT_FALSE(again.empty()) << ipd(2).dump(2);
    EXPECT_FALSE(has_address(2, "198.18.1.77"));

    // Offline: released.
    const size_t before = server->count("DHCPRELEASE");
    lab->ctl(2, "group", {{"action", "offline"}, {"name", "dh"}});
    EXPECT_TRUE(eventually([&] { return server->count("DHCPRELEASE") > before; }, 10s)) << server->log();
    EXPECT_FALSE(has_address(2, again));
}

TEST_F(Dhcp, AnAddressAnotherHostUsesIsDeclined) {
    // One address in the pool, and the plain host already has it; dnsmasq
    // does not ping it first, so only the client's ARP probe can tell.
    lab = std::make_unique<Lab>(2);
    ASSERT_TRUE(run(lab->ns("probe"), "ip addr add 198.18.1.120/24 dev public").ok());
    server = std::make_unique<DhcpServer>(*lab, lab->ns("probe"), "public", "198.18.1.120,198.18.1.120", 4, 7, "--no-ping");
    opts.append = kDhcpGroup;
    lab->start_all(opts, 30s);
    EXPECT_TRUE(eventually([&] { return server->count("DHCPDECLINE") >= 1; }, 20s)) << server->log();
    EXPECT_TRUE(eventually(
        [&] {
            json r = ipd(1);
            return r["state"] == "pending" && r.value("reason", std::string()).find("in use by another host") != std::string::npos;
        },
        5s))
        << ipd(1).dump(2);
    EXPECT_FALSE(has_address(1, "198.18.1.120"));
}

}  // namespace
}  // namespace ftnet::itest
