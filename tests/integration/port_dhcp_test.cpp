// A port whose own address comes from DHCP (`ipv4 = "dhcp"`), against a
// real dnsmasq on the public network: node 1 leases its public IPv4 address
// through its engine, its peers learn it over the reliable session (their
// endpoint for node 1 there says `ipv4 = "dhcp"`), the routes between the
// leased address and the peers come up on both sides and carry ftnet0's
// traffic alone when every other path is cut, and when the server hands
// out another address (a NAK at renewal, a new lease) the routes follow. A
// resource without an address follows its port: leased too.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "tests/integration/lab_fixture.h"
#include "tests/integration/servers.h"

namespace ftnet::itest {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const char* kFollowing = R"(
[dhcp]
retransmit_initial_ms = 1000

[[resource]]
name = "ipF"
type = "ip_address"
network = "public"

[[group]]
name = "f"
resources = ["ipF"]
preferred_owners = ["node1"]
)";

// Node `n`'s public IPv4 route to `peer`: its local and remote address and
// whether it is up ({"", "", false} when there is none).
struct V4Route {
    std::string local, remote;
    bool up = false;
};
V4Route public_v4_route(Lab& lab, int n, int peer) {
    for (auto& r : lab.ctl(n, "routes"))
        if (r["peer_id"] == peer && r["network"] == "public" && r["family"] == "IPv4")
            return {r["local"].get<std::string>(), r["remote"].get<std::string>(), r["state"] == "up"};
    return {};
}

// Only IPv4 on the public network is left between the nodes.
void only_public_ipv4(Lab& lab) {
    lab.block("cluster");
    lab.block("storage");
    std::string script = "add table netdev ftv6\n";
    for (int n = 1; n <= lab.nodes(); n++) {
        script += fmt::format("add chain netdev ftv6 p{0} {{ type filter hook ingress device n{0}-public priority 0; }}\n"
                              "add rule netdev ftv6 p{0} meta protocol ip6 drop\n",
                              n);
    }
    std::ofstream(lab.dir() + "/v6.nft") << script;
    ASSERT_TRUE(run(lab.ns("sw"), "nft -f " + lab.dir() + "/v6.nft").ok());
}

void every_path_again(Lab& lab) {
    lab.unblock("cluster");
    lab.unblock("storage");
    run(lab.ns("sw"), "nft delete table netdev ftv6");
}

TEST(PortDhcp, ALeasedPortAddressCarriesTheTunnelAndTheRoutesFollowANewLease) {
    Lab lab(3);
    auto server = std::make_unique<DhcpServer>(lab, lab.ns("probe"), "public", "198.18.1.100,198.18.1.150", 4, 7);
    NodeOptions n1;
    n1.replace = {{"ipv4 = \"198.18.1.1/24\"", "ipv4 = \"dhcp\""}};
    n1.append = kFollowing;
    NodeOptions others;
    others.replace = {{"ipv4 = \"198.18.1.1\"", "ipv4 = \"dhcp\""}};  // their endpoint for node 1 on public
    others.append = kFollowing;
    lab.start_node(1, n1);
    lab.start_node(2, others);
    lab.start_node(3, others);
    for (int n = 1; n <= 3; n++) lab.wait_ready(n, 30s);

    // Node 1 leases an address; both sides plan the route and it answers.
    std::string leased;
    ASSERT_TRUE(eventually(
        [&] {
            V4Route on1 = public_v4_route(lab, 1, 2), on2 = public_v4_route(lab, 2, 1);
            leased = on1.local;
            return on1.up && on2.up && !leased.empty() && on2.remote == leased;
        },
        30s))
        << lab.ctl(1, "dhcp").dump(2) << "\n" << lab.ctl(2, "routes").dump(2) << "\n" << server->log();
    EXPECT_EQ(leased.rfind("198.18.1.", 0), 0u);
    EXPECT_NE(run(lab.node_ns(1), "ip -br addr show dev public-host").out.find(leased + "/24"), std::string::npos)
        << "the host interface carries the port's lease";
    EXPECT_TRUE(public_v4_route(lab, 3, 1).up);
    EXPECT_NE(lab.ctl(1, "dhcp").dump().find("ftnet/ftlab/node1/public"), std::string::npos);

    // With every other path cut, ftnet0 runs over the leased address.
    only_public_ipv4(lab);
    {
        BgProcess recv(lab.node_ns(1), build_root() + "/ftnet-xfer recv 7201", lab.dir() + "/recv.out");
        ASSERT_TRUE(eventually([&] { return recv.output().find("listening") != std::string::npos; }, 5s));
        CmdResult send = run(lab.node_ns(2), "timeout 30 " + build_root() + "/ftnet-xfer send 169.254.1.1 7201 8M 5");
        ASSERT_TRUE(send.ok()) << send.out;
        ASSERT_EQ(recv.wait(10s), 0) << recv.output();
        EXPECT_EQ(expect_transfer_intact(send.out, recv.output()), 8ull << 20);
    }
    every_path_again(lab);

    // The resource that follows its port is leased too (node 1's port leases).
    ASSERT_TRUE(eventually(
        [&] {
            json r = lab.ctl(2, "resource", {{"action", "show"}, {"name", "ipF"}});
            return r["state"] == "online" && r.value("address", std::string()).rfind("198.18.1.", 0) == 0;
        },
        20s))
        << lab.ctl(2, "resource", {{"action", "show"}, {"name", "ipF"}}).dump(2);

    // The server is replaced by one with another pool: node 1's renewal is
    // refused, it leases anew, and every node's routes follow.
    server.reset();
    server = std::make_unique<DhcpServer>(lab, lab.ns("probe"), "public", "198.18.1.200,198.18.1.210", 4, 7);
    std::string second;
    ASSERT_TRUE(eventually(
        [&] {
            V4Route on1 = public_v4_route(lab, 1, 2), on2 = public_v4_route(lab, 2, 1), on3 = public_v4_route(lab, 3, 1);
            second = on1.local;
            return on1.up && on2.up && on3.up && second.rfind("198.18.1.2", 0) == 0 && on2.remote == second &&
                   on3.remote == second;
        },
        40s))
        << lab.ctl(1, "dhcp").dump(2) << "\n" << lab.ctl(2, "routes").dump(2) << "\n" << server->log();
    EXPECT_NE(second, leased);
    EXPECT_NE(run(lab.node_ns(1), "ip -br addr show dev public-host").out.find(second + "/24"), std::string::npos);
    EXPECT_EQ(run(lab.node_ns(1), "ip -br addr show dev public-host").out.find(leased + "/"), std::string::npos);
    only_public_ipv4(lab);
    EXPECT_TRUE(eventually([&] { return run(lab.node_ns(2), "ping -c 1 -W 1 169.254.1.1").ok(); }, 10s))
        << "ftnet0 over the new lease";
    every_path_again(lab);
}

}  // namespace
}  // namespace ftnet::itest
