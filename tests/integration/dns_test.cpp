// Network Names registered in a real BIND9 (named, in the probe namespace,
// a zone that takes TSIG-signed updates): the owner registers A, AAAA and
// PTR records with the configured TTL; after a kill -9 of the owner the new
// owner registers them; a group taken offline removes them; an update
// signed with a wrong key is refused by named and reported, and not
// retried in a loop; the partition without quorum sends no update.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "tests/integration/lab_fixture.h"
#include "tests/integration/servers.h"

namespace ftnet::itest {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using ::testing::ElementsAre;

const char* kWeb = R"(
[[resource]]
name = "ipA"
type = "ip_address"
network = "public"
address = "198.18.1.50/24"

[[resource]]
name = "ip6A"
type = "ip_address"
network = "public"
address = "fd00:1::50/64"

[[resource]]
name = "web"
type = "network_name"
dns_name = "web.ftlab.example"
depends = "ipA or ip6A"
HostRecordTTL = 120
PublishPTRRecords = true

[[group]]
name = "web"
resources = ["ipA", "ip6A", "web"]
)";

class Dns : public testing::Test {
  protected:
    void start(int nodes, const std::string& owners, const std::string& secret = kTsigSecret) {
        lab = std::make_unique<Lab>(nodes);
        named = std::make_unique<NamedServer>(*lab, lab->ns("probe"), "198.18.1.99");
        opts.append = std::string(kWeb) + "preferred_owners = " + owners + "\n" + named->node_config(secret);
        lab->start_all(opts, 30s);
    }
    void TearDown() override {
        named.reset();
        lab.reset();
    }
    bool online_on(int asked, const std::string& owner, std::chrono::milliseconds timeout = 15s) {
        return eventually(
            [&] {
                json g = lab->ctl(asked, "group", {{"action", "show"}, {"name", "web"}});
                return g["owner"] == owner && g["state"] == "online";
            },
            timeout);
    }
    json web(int asked) { return lab->ctl(asked, "resource", {{"action", "show"}, {"name", "web"}}); }

    std::unique_ptr<Lab> lab;
    std::unique_ptr<NamedServer> named;
    NodeOptions opts;
};

TEST_F(Dns, TheOwnerRegistersTheNameAndTheNewOwnerAfterAKill) {
    start(3, R"(["node2", "node3"])");
    ASSERT_TRUE(online_on(1, "node2"));
    ASSERT_TRUE(eventually([&] { return named->records("web.ftlab.example", "A") == std::vector<std::string>{"198.18.1.50"}; }, 10s))
        << named->log();
    EXPECT_THAT(named->answers("web.ftlab.example", "A"), ElementsAre("web.ftlab.example. 120 IN A 198.18.1.50"))
        << "HostRecordTTL";
    EXPECT_THAT(named->records("web.ftlab.example", "AAAA"), ElementsAre("fd00:1::50"));
    EXPECT_TRUE(eventually([&] { return named->records("50.1.18.198.in-addr.arpa", "PTR") == std::vector<std::string>{"web.ftlab.example."}; }, 5s));
    EXPECT_TRUE(eventually(
        [&] {
            return named->records("0.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa", "PTR") ==
                   std::vector<std::string>{"web.ftlab.example."};
        },
        5s));
    EXPECT_GE(named->updates_from("198.18.1.2"), 1u) << named->log();
    EXPECT_EQ(named->updates_from("198.18.1.1") + named->updates_from("198.18.1.3"), 0u) << "only the owner registers";
    // Every node shows the owner's registration.
    EXPECT_TRUE(eventually([&] { return web(1)["status"]["dns"]["state"] == "registered"; }, 5s)) << web(1).dump(2);

    // kill -9 of the owner: the new owner registers (its updates in named's log).
    lab->daemon(2).stop(SIGKILL);
    ASSERT_TRUE(online_on(1, "node3", 30s));
    EXPECT_TRUE(eventually([&] { return named->updates_from("198.18.1.3") >= 1; }, 10s)) << named->log();
    EXPECT_THAT(named->records("web.ftlab.example", "A"), ElementsAre("198.18.1.50"));

    // Offline for good: the records go.
    ASSERT_TRUE(lab->ctl(1, "group", {{"action", "offline"}, {"name", "web"}})["accepted"].get<bool>());
    EXPECT_TRUE(eventually([&] { return named->records("web.ftlab.example", "A").empty(); }, 10s)) << named->log();
    EXPECT_TRUE(named->records("web.ftlab.example", "AAAA").empty());
    EXPECT_TRUE(eventually([&] { return named->records("50.1.18.198.in-addr.arpa", "PTR").empty(); }, 5s));
}

TEST_F(Dns, AnUpdateSignedWithAWrongKeyIsRefusedReportedAndNotRetriedInALoop) {
    start(2, R"(["node1"])", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    ASSERT_TRUE(online_on(2, "node1"));
    ASSERT_TRUE(eventually([&] { return web(1)["status"]["dns"]["state"] == "refused"; }, 10s)) << web(1).dump(2);
    const json dns = web(1)["status"]["dns"];
    EXPECT_NE(dns["last_error"].get<std::string>().find("NOTAUTH"), std::string::npos) << dns.dump();
    EXPECT_NE(named->log().find("request has invalid signature"), std::string::npos) << named->log();
    EXPECT_TRUE(named->records("web.ftlab.example", "A").empty());
    const size_t refused = named->refusals();
    std::this_thread::sleep_for(5s);
    EXPECT_EQ(named->refusals(), refused) << "retried within 5 s of a refusal";
    EXPECT_NE(lab->node_log(1).find("refused"), std::string::npos);
}

TEST_F(Dns, ThePartitionWithoutQuorumSendsNoUpdate) {
    start(3, R"(["node1", "node2"])");
    ASSERT_TRUE(online_on(3, "node1"));
    ASSERT_TRUE(eventually([&] { return web(1)["status"]["dns"]["state"] == "registered"; }, 10s));
    const size_t from1 = named->updates_from("198.18.1.1");
    lab->split({{1}, {2, 3}});
    ASSERT_TRUE(online_on(2, "node2", 20s));
    EXPECT_TRUE(eventually([&] { return named->updates_from("198.18.1.2") >= 1; }, 10s)) << named->log();
    std::this_thread::sleep_for(2s);
    EXPECT_EQ(named->updates_from("198.18.1.1"), from1) << "node 1 updated DNS without quorum:\n" << named->log();
    EXPECT_THAT(named->records("web.ftlab.example", "A"), ElementsAre("198.18.1.50"));
    lab->heal();
}

}  // namespace
}  // namespace ftnet::itest
