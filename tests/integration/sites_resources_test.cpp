// A group across two routed sites (the seed's Figures 10-12): a Network
// Name "ipA or ipB" where ipA is on site A's public subnet and ipB on site
// B's. Four nodes (two per site) and a file-share witness, so that the
// site-B pair keeps quorum when both site-A nodes are killed. On a site-A
// owner ipA is online and ipB stays offline without failing the name; DNS
// has ipA for RegisterAllProvidersIP=0 and both for =1. After the kill the
// group comes online on site B with ipB, DNS follows, and a client on a
// plain host reaches a TCP service on the name's address before and after.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include "tests/integration/lab_fixture.h"
#include "tests/integration/servers.h"

namespace ftnet::itest {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using ::testing::ElementsAre;

const char* kSitesGroup = R"(
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
RegisterAllProvidersIP = 0
HostRecordTTL = 60

[[resource]]
name = "web1"
type = "network_name"
dns_name = "web1.ftlab.example"
depends = "ipA or ipB"
RegisterAllProvidersIP = 1
HostRecordTTL = 60

[[group]]
name = "web"
resources = ["ipA", "ipB", "web0", "web1"]
preferred_owners = ["node1", "node2", "node3", "node4"]
)";

// A 2 MiB TCP transfer from the probe to `addr`, received in node n's
// namespace: intact.
void transfer(Lab& lab, int n, const std::string& addr, int port) {
    BgProcess recv(lab.node_ns(n), build_root() + "/ftnet-xfer recv " + std::to_string(port), lab.dir() + "/recv.out");
    ASSERT_TRUE(eventually([&] { return recv.output().find("listening") != std::string::npos; }, 5s));
    CmdResult send = run(lab.ns("probe"), "timeout 20 " + build_root() + "/ftnet-xfer send " + addr + " " +
                                              std::to_string(port) + " 2M " + std::to_string(port));
    ASSERT_TRUE(send.ok()) << addr << ": " << send.out;
    ASSERT_EQ(recv.wait(10s), 0) << recv.output();
    EXPECT_EQ(expect_transfer_intact(send.out, recv.output()), 2ull << 20);
}

TEST(SitesResources, ANameWithAnAddressPerSiteFollowsItsNodesToTheOtherSite) {
    Lab lab(4, 2);  // nodes 1, 2 on site A (198.18.x), 3, 4 on site B (198.19.x)
    NamedServer named(lab, lab.ns("probe"), "198.18.1.99");
    // The plain host (site A) reaches site B through the router.
    ASSERT_TRUE(run(lab.ns("probe"), "ip route add 198.19.1.0/24 via 198.18.1.254 dev public").ok());
    NodeOptions o;
    o.append = std::string(kSitesGroup) + named.node_config() + "\n[membership]\nwitness_file = \"" + lab.dir() +
               "/witness\"\nwitness_lease_ms = 1500\n";
    lab.start_all(o, 40s);
    auto group = [&](int n) { return lab.ctl(n, "group", {{"action", "show"}, {"name", "web"}}); };
    ASSERT_TRUE(eventually([&] { return group(4)["owner"] == "node1" && group(4)["state"] == "online"; }, 20s))
        << group(4).dump(2);
    const json st = group(1)["status"]["resources"];
    EXPECT_EQ(st["ipA"]["state"], "online");
    EXPECT_EQ(st["ipB"]["state"], "unavailable") << "site A has no port on ipB's subnet";
    EXPECT_NE(st["ipB"]["reason"].get<std::string>().find("another site"), std::string::npos) << st.dump();
    EXPECT_EQ(st["web0"]["state"], "online") << "ipA alone makes \"ipA or ipB\" hold";
    EXPECT_TRUE(eventually([&] { return named.records("web0.ftlab.example", "A") == std::vector<std::string>{"198.18.1.50"}; }, 10s))
        << named.log();
    EXPECT_TRUE(eventually(
        [&] { return named.records("web1.ftlab.example", "A") == std::vector<std::string>{"198.18.1.50", "198.19.1.50"}; }, 10s))
        << "RegisterAllProvidersIP=1 registers every address the name depends on";
    transfer(lab, 1, "198.18.1.50", 7101);

    // Site A is lost: both its nodes killed. Site B has 2 of 4 nodes and
    // the witness: quorum, and the group comes online there with ipB.
    lab.daemon(1).stop(SIGKILL);
    lab.daemon(2).stop(SIGKILL);
    ASSERT_TRUE(eventually([&] { return group(4)["owner"] == "node3" && group(4)["state"] == "online"; }, 40s))
        << group(4).dump(2) << lab.ctl(4, "membership").dump(2);
    const json st3 = group(3)["status"]["resources"];
    EXPECT_EQ(st3["ipB"]["state"], "online");
    EXPECT_EQ(st3["ipA"]["state"], "unavailable");
    EXPECT_TRUE(eventually([&] { return named.records("web0.ftlab.example", "A") == std::vector<std::string>{"198.19.1.50"}; }, 15s))
        << named.log();
    EXPECT_THAT(named.records("web1.ftlab.example", "A"), ElementsAre("198.18.1.50", "198.19.1.50"));
    EXPECT_GE(named.updates_from("198.19.1.3"), 1u) << "the site-B owner registered, through its gateway";
    transfer(lab, 3, "198.19.1.50", 7102);
}

}  // namespace
}  // namespace ftnet::itest
