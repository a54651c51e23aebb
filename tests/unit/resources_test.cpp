// Resources (engine/resources): dependency expressions, the group owner
// decisions over membership views, the replicated messages, and the
// [[resource]] / [[group]] config sections.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>

#include "engine/config/config_loader.h"
#include "engine/membership/control/config_digest.h"
#include "engine/resources/control/local_resources.h"
#include "engine/resources/control/resources_config.h"
#include "engine/resources/dependency_expr.h"
#include "engine/resources/group_manager.h"
#include "engine/resources/resources_wire.h"

namespace ftnet {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using resources::GroupManager;
using resources::GroupRecord;
using resources::GroupSpec;
using resources::Holdings;

// ---------------------------------------------------------------------------
// Dependency expressions.

bool holds(const std::string& expr, std::set<std::string> online) {
    return DependencyExpr::parse(expr).holds([&](const std::string& n) { return online.count(n) > 0; });
}

TEST(DependencyExpr, OrAndParenthesesAsTheSeedWritesThem) {
    EXPECT_TRUE(holds("ipA or ipB", {"ipB"}));
    EXPECT_FALSE(holds("ipA or ipB", {}));
    EXPECT_TRUE(holds("ipA OR ipB", {"ipA"}));  // Windows prints OR
    EXPECT_FALSE(holds("ipA and ipB", {"ipA"}));
    EXPECT_TRUE(holds("ipA and ipB", {"ipA", "ipB"}));
    // and binds tighter than or
    EXPECT_TRUE(holds("ipA or ipB and ipC", {"ipA"}));
    EXPECT_FALSE(holds("(ipA or ipB) and ipC", {"ipA"}));
    EXPECT_TRUE(holds("(ipA or ipB) and ipC", {"ipB", "ipC"}));
    EXPECT_TRUE(holds("ip-1.v4", {"ip-1.v4"}));
}

TEST(DependencyExpr, NamesAndCanonicalText) {
    auto e = DependencyExpr::parse("  ipA AND (ipB Or ipA)  ");
    EXPECT_THAT(e.names(), ElementsAre("ipA", "ipB"));
    EXPECT_EQ(e.str(), "ipA and (ipB or ipA)");
    EXPECT_EQ(DependencyExpr::parse("a or b and c").str(), "a or b and c");
    EXPECT_EQ(DependencyExpr::parse("(a or b) and c").str(), "(a or b) and c");
    // The canonical text parses to the same expression.
    EXPECT_EQ(DependencyExpr::parse(e.str()).str(), e.str());
}

struct BadExpr {
    const char* text;
    size_t position;
    const char* message;
};

class DependencyExprRejects : public ::testing::TestWithParam<BadExpr> {};

TEST_P(DependencyExprRejects, NamingThePosition) {
    const BadExpr& b = GetParam();
    try {
        DependencyExpr::parse(b.text);
        FAIL() << "\"" << b.text << "\" parsed";
    } catch (const DependencyError& e) {
        EXPECT_EQ(e.position(), b.position) << e.what();
        EXPECT_THAT(e.what(), HasSubstr(b.message));
        EXPECT_THAT(e.what(), HasSubstr("at character " + std::to_string(b.position)));
    }
}

INSTANTIATE_TEST_SUITE_P(Cases, DependencyExprRejects,
                         ::testing::Values(BadExpr{"", 1, "empty"}, BadExpr{"   ", 4, "empty"},
                                           BadExpr{"ipA or", 7, "found the end"},
                                           BadExpr{"ipA ipB", 5, "expected \"and\", \"or\" or the end, found \"ipB\""},
                                           BadExpr{"(ipA or ipB", 12, "expected \")\""},
                                           BadExpr{"ipA or )", 8, "found \")\""},
                                           BadExpr{"or ipA", 1, "keyword \"or\""},
                                           BadExpr{"ipA and and ipB", 9, "keyword \"and\""},
                                           BadExpr{"ipA & ipB", 5, "found \"&\""}));

TEST(DependencyExpr, DeepNestingIsRefusedNotACrash) {
    std::string s(100, '(');
    s += "a";
    s += std::string(100, ')');
    EXPECT_THROW(DependencyExpr::parse(s), DependencyError);
    std::string ok(60, '(');
    ok += "a" + std::string(60, ')');
    EXPECT_TRUE(DependencyExpr::parse(ok).holds([](const std::string&) { return true; }));
}

// ---------------------------------------------------------------------------
// Owner decisions over views.

constexpr uint64_t kStart = 1000000;

GroupManager three_node_manager() {
    return GroupManager({GroupSpec{"web", {2, 3}}, GroupSpec{"db", {}}});
}

// A manager (node 1) that heard every member's report.
void view(GroupManager& m, uint64_t epoch, std::vector<uint16_t> members, std::map<uint16_t, Holdings> holds = {}) {
    m.set_view(epoch, members, true, kStart);
    for (uint16_t n : members) m.on_report(n, epoch, 0, holds[n]);
}

TEST(GroupManager, FirstPreferredOwnerInTheViewElseTheLowestMember) {
    GroupManager m = three_node_manager();
    view(m, 10, {1, 2, 3});
    ASSERT_TRUE(m.decide(kStart));
    EXPECT_EQ(m.table().groups.at("web").owner, 2);
    EXPECT_EQ(m.table().groups.at("db").owner, 1);  // no preferred owners
    EXPECT_EQ(m.table().epoch, 10u);
    EXPECT_EQ(m.table().seq, 1u);
    EXPECT_FALSE(m.decide(kStart)) << "nothing changed: nothing to send";
}

TEST(GroupManager, NothingIsDecidedUntilEveryMemberReported) {
    GroupManager m = three_node_manager();
    m.set_view(10, {1, 2, 3}, true, kStart);
    m.on_report(1, 10, 0, {});
    m.on_report(2, 10, 0, {});
    EXPECT_FALSE(m.decide(kStart + 1000)) << "node 3 may still hold a group";
    m.on_report(3, 9, 0, {"web"});  // for an older view: ignored
    EXPECT_FALSE(m.decide(kStart + 1000));
    // The wait is bounded: a member that never reports does not stop it.
    EXPECT_TRUE(m.decide(kStart + resources::kReportWaitUs));
}

TEST(GroupManager, AnOwnerThatLeftTheViewIsReplacedByTheNextPreferred) {
    GroupManager m = three_node_manager();
    view(m, 10, {1, 2, 3});
    m.decide(kStart);
    view(m, 11, {1, 3}, {{3, {}}});  // node 2 killed
    ASSERT_TRUE(m.decide(kStart));
    EXPECT_EQ(m.table().groups.at("web").owner, 3);
    EXPECT_EQ(m.table().groups.at("db").owner, 1);
    // It comes back: the group stays where it is (no failback).
    view(m, 12, {1, 2, 3}, {{3, {"web"}}, {1, {"db"}}});
    m.decide(kStart);
    EXPECT_EQ(m.table().groups.at("web").owner, 3);
}

TEST(GroupManager, AMemberThatStillHoldsTheGroupKeepsIt) {
    // A new manager (node 1) whose table is stale: node 3 reports it holds
    // web, so web is not given to node 2 as well.
    GroupManager m = three_node_manager();
    view(m, 20, {1, 2, 3}, {{3, {"web"}}});
    m.decide(kStart);
    EXPECT_EQ(m.table().groups.at("web").owner, 3);
}

TEST(GroupManager, AHealedPartitionKeepsTheGroupWhereItIsHeld) {
    // Node 1 managed and owned web, was cut off without quorum and let go;
    // nodes 2 and 3 gave it to 2. Healed, node 1 manages again with its
    // old table (owner 1): the holder keeps it, nothing is brought online
    // on node 1 while node 2 holds it.
    GroupManager m({GroupSpec{"web", {1, 2}}});
    view(m, 10, {1, 2, 3});
    m.decide(kStart);
    ASSERT_EQ(m.table().groups.at("web").owner, 1);
    view(m, 30, {1, 2, 3}, {{2, {"web"}}});
    m.decide(kStart);
    EXPECT_EQ(m.table().groups.at("web").owner, 2);
    EXPECT_FALSE(resources::wants_online(m.table(), "web", 1));
}

TEST(GroupManager, AMoveWaitsForTheOldOwnerToGoOffline) {
    GroupManager m = three_node_manager();
    view(m, 10, {1, 2, 3});
    m.decide(kStart);
    std::string why;
    // Asked before node 2's report on the first table: it may be bringing
    // web online right now, so the move must still wait for it.
    ASSERT_TRUE(m.request_move("web", 3, &why)) << why;
    ASSERT_TRUE(m.decide(kStart));
    GroupRecord r = m.table().groups.at("web");
    EXPECT_EQ(r.owner, 2);
    EXPECT_EQ(r.moving_to, 3);
    EXPECT_FALSE(resources::wants_online(m.table(), "web", 2)) << "the old owner goes offline first";
    EXPECT_FALSE(resources::wants_online(m.table(), "web", 3)) << "the new one waits";
    m.on_report(2, 10, 1, {"web"});  // on the first table: online
    EXPECT_FALSE(m.decide(kStart));
    m.on_report(2, 10, 1, {});  // late, and not yet on the move's table
    EXPECT_FALSE(m.decide(kStart));
    m.on_report(2, 10, 2, {});  // let go, on the move's table
    ASSERT_TRUE(m.decide(kStart));
    r = m.table().groups.at("web");
    EXPECT_EQ(r.owner, 3);
    EXPECT_EQ(r.moving_to, 0);
    EXPECT_TRUE(resources::wants_online(m.table(), "web", 3));
}

TEST(GroupManager, AMoveToANodeThatLeavesIsCalledOff) {
    GroupManager m = three_node_manager();
    view(m, 10, {1, 2, 3});
    m.decide(kStart);
    std::string why;
    ASSERT_TRUE(m.request_move("web", 3, &why));
    m.decide(kStart);
    view(m, 11, {1, 2}, {{2, {"web"}}});
    m.decide(kStart);
    EXPECT_EQ(m.table().groups.at("web").owner, 2);
    EXPECT_EQ(m.table().groups.at("web").moving_to, 0);
    EXPECT_TRUE(resources::wants_online(m.table(), "web", 2));
}

TEST(GroupManager, RefusedRequests) {
    GroupManager m = three_node_manager();
    view(m, 10, {1, 2});
    m.decide(kStart);
    std::string why;
    EXPECT_FALSE(m.request_move("nope", 2, &why));
    EXPECT_THAT(why, HasSubstr("no group"));
    EXPECT_FALSE(m.request_move("web", 3, &why));
    EXPECT_THAT(why, HasSubstr("not a member"));
    EXPECT_FALSE(m.request_move("web", 2, &why));
    EXPECT_THAT(why, HasSubstr("already owned"));
    EXPECT_FALSE(m.request_admin("nope", false, &why));
}

TEST(GroupManager, OfflineByTheOperatorKeepsTheOwnerButWantsNothingOnline) {
    GroupManager m = three_node_manager();
    view(m, 10, {1, 2, 3});
    m.decide(kStart);
    std::string why;
    ASSERT_TRUE(m.request_admin("web", false, &why));
    ASSERT_TRUE(m.decide(kStart));
    EXPECT_EQ(m.table().seq, 2u);
    EXPECT_FALSE(resources::wants_online(m.table(), "web", 2));
    ASSERT_TRUE(m.request_admin("web", true, &why));
    ASSERT_TRUE(m.decide(kStart));
    EXPECT_TRUE(resources::wants_online(m.table(), "web", 2));
}

TEST(GroupManager, AFollowerDecidesNothingButCarriesTheTableOn) {
    GroupManager leader = three_node_manager();
    view(leader, 10, {1, 2, 3});
    std::string why;
    leader.decide(kStart);
    ASSERT_TRUE(leader.request_move("web", 3, &why));
    leader.decide(kStart);
    leader.on_report(2, 10, 2, {});
    leader.decide(kStart);  // web now on 3

    GroupManager follower = three_node_manager();
    follower.set_view(10, {1, 2, 3}, false, kStart);
    follower.adopt(leader.table());
    EXPECT_FALSE(follower.decide(kStart + resources::kReportWaitUs));
    // Node 1 dies; node 2 is the new manager and starts from what it was sent.
    follower.set_view(11, {2, 3}, true, kStart);
    follower.on_report(2, 11, 0, {});
    follower.on_report(3, 11, 0, {"web"});
    ASSERT_TRUE(follower.decide(kStart));
    EXPECT_EQ(follower.table().groups.at("web").owner, 3);
    EXPECT_EQ(follower.table().groups.at("db").owner, 2);
    EXPECT_EQ(follower.table().epoch, 11u);
}

// Over random sequences of views, reports that follow the table, moves and
// kills: at no point do two members of a view hold one group, once every
// member acted on the table of its view; and every group has an owner in
// the view.
TEST(GroupManager, RandomSchedulesNeverGiveAGroupTwoOwners) {
    for (unsigned seed = 1; seed <= 200; seed++) {
        std::mt19937 rng(seed);
        GroupManager m({GroupSpec{"g1", {3, 2}}, GroupSpec{"g2", {1}}, GroupSpec{"g3", {}}});
        std::map<uint16_t, Holdings> held;
        uint64_t epoch = 1;
        std::vector<uint16_t> members = {1, 2, 3, 4};
        for (int step = 0; step < 60; step++) {
            const int what = static_cast<int>(rng() % 4);
            if (what == 0) {  // a node leaves or comes back
                std::vector<uint16_t> next;
                for (uint16_t n = 1; n <= 4; n++)
                    if (rng() % 4 != 0) next.push_back(n);
                if (next.empty()) next.push_back(1);
                for (uint16_t n = 1; n <= 4; n++)
                    if (!std::binary_search(next.begin(), next.end(), n)) held.erase(n);  // a dead node holds nothing
                members = next;
                epoch++;
            } else if (what == 1) {
                std::string why;
                const char* g[] = {"g1", "g2", "g3"};
                m.request_move(g[rng() % 3], members[rng() % members.size()], &why);
            }
            m.set_view(epoch, members, true, kStart);
            for (uint16_t n : members) m.on_report(n, epoch, m.table().epoch == epoch ? m.table().seq : 0, held[n]);
            // Members act on the table: first those that go offline, then
            // the owner (its report reaches the manager before it decides again).
            for (int round = 0; round < 3; round++) {
                m.decide(kStart);
                std::map<std::string, int> holders;
                for (uint16_t n : members) {
                    Holdings h;
                    for (auto& [g, r] : m.table().groups)
                        if (resources::wants_online(m.table(), g, n)) h.insert(g);
                    held[n] = h;
                    for (auto& g : h) holders[g]++;
                    m.on_report(n, epoch, m.table().seq, h);
                }
                for (auto& [g, count] : holders) ASSERT_LE(count, 1) << "seed " << seed << " step " << step << " " << g;
            }
            for (auto& [g, r] : m.table().groups)
                ASSERT_TRUE(std::binary_search(members.begin(), members.end(), r.owner)) << "seed " << seed << " " << g;
        }
    }
}

// ---------------------------------------------------------------------------
// Messages.

TEST(ResourcesWire, EveryMessageRoundTrips) {
    resources::Msg t;
    t.kind = resources::Msg::Kind::Table;
    t.table.table.epoch = 77;
    t.table.table.seq = 3;
    t.table.table.groups["web"] = {2, 3, true};
    t.table.table.groups["db"] = {1, 0, false};
    t.table.table.settings["ipA"] = "dhcp";
    t.table.status["web"] = {{"state", "online"}};
    auto bytes = resources::encode(t);
    auto back = resources::decode(bytes.data(), bytes.size());
    ASSERT_TRUE(back);
    EXPECT_EQ(back->kind, resources::Msg::Kind::Table);
    EXPECT_EQ(back->table.table.epoch, 77u);
    EXPECT_EQ(back->table.table.seq, 3u);
    EXPECT_EQ(back->table.table.groups.at("web"), (GroupRecord{2, 3, true}));
    EXPECT_EQ(back->table.table.groups.at("db"), (GroupRecord{1, 0, false}));
    EXPECT_EQ(back->table.table.settings.at("ipA"), "dhcp");
    EXPECT_EQ(back->table.status["web"]["state"], "online");

    resources::Msg r;
    r.kind = resources::Msg::Kind::Report;
    r.report.epoch = 9;
    r.report.holds = {"web"};
    bytes = resources::encode(r);
    back = resources::decode(bytes.data(), bytes.size());
    ASSERT_TRUE(back);
    EXPECT_EQ(back->report.epoch, 9u);
    EXPECT_EQ(back->report.holds, Holdings{"web"});

    resources::Msg q;
    q.kind = resources::Msg::Kind::Request;
    q.request = {resources::RequestMsg::Op::Setting, "ipA", 0, "198.18.1.60/24"};
    bytes = resources::encode(q);
    back = resources::decode(bytes.data(), bytes.size());
    ASSERT_TRUE(back);
    EXPECT_EQ(back->request.op, resources::RequestMsg::Op::Setting);
    EXPECT_EQ(back->request.value, "198.18.1.60/24");
}

TEST(ResourcesWire, MalformedInputIsRefusedNotACrash) {
    resources::Msg t;
    t.kind = resources::Msg::Kind::Table;
    t.table.table.groups["web"] = {2, 0, true};
    auto bytes = resources::encode(t);
    for (size_t n = 0; n < bytes.size(); n++) EXPECT_FALSE(resources::decode(bytes.data(), n)) << n;
    std::mt19937 rng(5);
    for (int i = 0; i < 2000; i++) {
        auto b = bytes;
        b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
        resources::decode(b.data(), b.size());  // anything but a crash
    }
    const uint8_t junk[] = {0xa1, 0x61, 0x6b, 0x09};  // {"k": 9}
    EXPECT_FALSE(resources::decode(junk, sizeof junk));
}

// ---------------------------------------------------------------------------
// Config.

const std::string kBase = R"([node]
id = 1
name = "node1"
[cluster]
key = "00112233445566778899aabbccddeeff"
[[network]]
name = "public"
role = 3
subnets = ["198.18.1.0/24", "fd00:1::/64", "198.19.1.0/24"]
[[network]]
name = "cluster"
role = 1
subnets = ["198.18.2.0/24"]
[[port]]
name = "public"
driver = "af_packet"
iface = "public"
host_interface = "public-host"
network = "public"
ipv4 = "198.18.1.1/24"
[[port]]
name = "cluster"
driver = "af_packet"
iface = "cluster"
network = "cluster"
ipv4 = "198.18.2.1/24"
[[peer]]
id = 2
name = "node2"
  [[peer.endpoint]]
  network = "public"
  ipv4 = "198.18.1.2"
)";

const std::string kGood = kBase + R"(
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
name = "ip6"
type = "ip_address"
network = "public"
address = "fd00:1::50/64"
[[resource]]
name = "ipD"
type = "ip_address"
network = "public"
address = "dhcp"
[[resource]]
name = "web"
type = "network_name"
dns_name = "web.ftlab.example"
depends = "ipA or ipB"
RegisterAllProvidersIP = 1
HostRecordTTL = 300
PublishPTRRecords = true
[[group]]
name = "web-group"
resources = ["ipA", "ipB", "ip6", "ipD", "web"]
preferred_owners = ["node2", "node1"]
)";

TEST(ResourcesConfig, AGoodFileLoads) {
    ConfigResult r = load_config_string(kGood, "good.toml");
    std::string errs;
    for (auto& e : r.errors) errs += e.str() + "\n";
    ASSERT_TRUE(r.config.has_value()) << errs;
    const auto* s = r.config->find_section<ResourcesSettings>(kResourcesSection);
    ASSERT_NE(s, nullptr);
    ASSERT_EQ(s->resources.size(), 5u);
    EXPECT_EQ(s->find_resource("ipA")->ip.address->str(), "198.18.1.50/24");
    EXPECT_TRUE(s->find_resource("ipD")->ip.dhcp);
    const ResourceConfig* web = s->find_resource("web");
    EXPECT_EQ(web->type, ResourceType::NetworkName);
    EXPECT_TRUE(web->dns.register_all_providers_ip);
    EXPECT_EQ(web->dns.host_record_ttl, 300u);
    EXPECT_TRUE(web->dns.publish_ptr);
    EXPECT_THAT(web->dns.depends.names(), ElementsAre("ipA", "ipB"));
    EXPECT_THAT(s->find_group("web-group")->preferred_owners, ElementsAre("node2", "node1"));
}

TEST(ResourcesConfig, HostRecordTtlDefaultsTo1200Seconds) {
    std::string f = kBase + R"(
[[resource]]
name = "ipA"
type = "ip_address"
network = "public"
address = "198.18.1.50/24"
[[resource]]
name = "web"
type = "network_name"
dns_name = "web.ftlab.example"
depends = "ipA"
[[group]]
name = "g"
resources = ["ipA", "web"]
)";
    ConfigResult r = load_config_string(f, "ok.toml");
    ASSERT_TRUE(r.config.has_value());
    const auto* s = r.config->find_section<ResourcesSettings>(kResourcesSection);
    EXPECT_EQ(s->find_resource("web")->dns.host_record_ttl, 1200u);
    EXPECT_FALSE(s->find_resource("web")->dns.register_all_providers_ip);
}

struct BadResources {
    const char* name;
    std::string from;  // replaced in kGood
    std::string to;
    const char* key;
    const char* message;
};

void PrintTo(const BadResources& b, std::ostream* os) { *os << b.name; }

class ResourcesConfigRejects : public ::testing::TestWithParam<BadResources> {};

TEST_P(ResourcesConfigRejects, NamingTheKey) {
    const BadResources& b = GetParam();
    std::string f = kGood;
    const size_t at = f.find(b.from);
    ASSERT_NE(at, std::string::npos) << b.from;
    f.replace(at, b.from.size(), b.to);
    ConfigResult r = load_config_string(f, "bad.toml");
    std::string errs;
    for (auto& e : r.errors) errs += e.str() + "\n";
    EXPECT_FALSE(r.config.has_value());
    bool found = false;
    for (auto& e : r.errors) found = found || (e.key == b.key && e.message.find(b.message) != std::string::npos);
    EXPECT_TRUE(found) << "wanted " << b.key << ": " << b.message << "\ngot:\n" << errs;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ResourcesConfigRejects,
    ::testing::Values(
        BadResources{"UnknownType", "type = \"network_name\"", "type = \"disk\"", "resource[4].type", "is not a resource type"},
        BadResources{"NoPrefix", "198.18.1.50/24", "198.18.1.50", "resource[0].address", "has no prefix length"},
        BadResources{"NotInSubnets", "198.18.1.50/24", "198.20.1.50/24", "resource[0].address", "in none of network"},
        BadResources{"RoleOneNetwork", "network = \"public\"\naddress = \"198.18.1.50/24\"",
                     "network = \"cluster\"\naddress = \"198.18.2.50/24\"", "resource[0].network", "role 3"},
        BadResources{"UnknownNetwork", "network = \"public\"\naddress = \"198.18.1.50/24\"",
                     "network = \"nope\"\naddress = \"198.18.1.50/24\"", "resource[0].network", "is not a [[network]]"},
        BadResources{"BadDependency", "depends = \"ipA or ipB\"", "depends = \"ipA or\"", "resource[4].depends",
                     "at character 7"},
        BadResources{"DependencyOnAName", "depends = \"ipA or ipB\"", "depends = \"ipA or web\"", "resource[4].depends",
                     "not an ip_address"},
        BadResources{"DependencyUnknown", "depends = \"ipA or ipB\"", "depends = \"ipA or ipZ\"", "resource[4].depends",
                     "is not a [[resource]]"},
        BadResources{"BadDnsName", "web.ftlab.example", "web..example", "resource[4].dns_name", "is not a DNS name"},
        BadResources{"TtlZero", "HostRecordTTL = 300", "HostRecordTTL = 0", "resource[4].HostRecordTTL", ""},
        BadResources{"RegisterAllTwo", "RegisterAllProvidersIP = 1", "RegisterAllProvidersIP = 2",
                     "resource[4].RegisterAllProvidersIP", ""},
        BadResources{"IpKeyOnAName", "RegisterAllProvidersIP = 1", "RegisterAllProvidersIP = 1\nnetwork = \"public\"",
                     "resource[4].network", "is not a key of a network_name"},
        BadResources{"DuplicateName", "name = \"ipB\"", "name = \"ipA\"", "resource[1].name", "defined twice"},
        BadResources{"GroupUnknownResource", "resources = [\"ipA\", \"ipB\", \"ip6\", \"ipD\", \"web\"]",
                     "resources = [\"ipA\", \"ipB\", \"ip6\", \"ipD\", \"web\", \"ipX\"]", "group[0].resources[5]",
                     "is not a [[resource]]"},
        BadResources{"ResourceInNoGroup", "resources = [\"ipA\", \"ipB\", \"ip6\", \"ipD\", \"web\"]",
                     "resources = [\"ipA\", \"ipB\", \"ip6\", \"web\"]", "resource[3]", "is in no [[group]]"},
        BadResources{"UnknownOwner", "preferred_owners = [\"node2\", \"node1\"]", "preferred_owners = [\"node9\"]",
                     "group[0].preferred_owners[0]", "is not a node of this cluster"},
        BadResources{"UnknownKey", "PublishPTRRecords = true", "PublishPTRRecords = true\nttl = 5", "resource[4].ttl",
                     "unknown key"}),
    [](const ::testing::TestParamInfo<BadResources>& i) { return std::string(i.param.name); });

TEST(ResourcesConfig, TheClusterWideDigestTellsWhichNodeHasOtherResources) {
    ConfigResult a = load_config_string(kGood, "a.toml");
    std::string other = kGood;
    other.replace(other.find("198.18.1.50/24"), 14, "198.18.1.51/24");
    ConfigResult b = load_config_string(other, "b.toml");
    ASSERT_TRUE(a.config && b.config);
    EXPECT_THAT(membership::digest_differences(config_digest(*a.config), config_digest(*b.config)), ElementsAre("resources"));
    std::string owners = kGood;
    owners.replace(owners.find("[\"node2\", \"node1\"]"), 18, "[\"node1\", \"node2\"]");
    ConfigResult c = load_config_string(owners, "c.toml");
    ASSERT_TRUE(c.config);
    EXPECT_THAT(membership::digest_differences(config_digest(*a.config), config_digest(*c.config)), ElementsAre("resources"));
}

TEST(ResourcesConfig, APortAndAPeerEndpointMayLeaseTheirAddressAndAResourceMayFollowItsPort) {
    std::string f = kGood;
    auto replace = [&](const std::string& from, const std::string& to) { f.replace(f.find(from), from.size(), to); };
    replace("ipv4 = \"198.18.1.1/24\"", "ipv4 = \"dhcp\"");
    replace("  ipv4 = \"198.18.1.2\"", "  ipv4 = \"dhcp\"");
    f += "[[resource]]\nname = \"ipF\"\ntype = \"ip_address\"\nnetwork = \"public\"\n"
         "[[group]]\nname = \"g2\"\nresources = [\"ipF\"]\n";
    ConfigResult r = load_config_string(f, "dhcp.toml");
    std::string errs;
    for (auto& e : r.errors) errs += e.str() + "\n";
    ASSERT_TRUE(r.config.has_value()) << errs;
    EXPECT_TRUE(r.config->ports[0].ipv4_dhcp);
    EXPECT_FALSE(r.config->ports[0].ipv4) << "no address until a lease";
    EXPECT_TRUE(r.config->peers[0].endpoints[0].ipv4_dhcp);
    EXPECT_FALSE(r.config->peers[0].endpoints[0].ipv4);
    const auto* s = r.config->find_section<ResourcesSettings>(kResourcesSection);
    EXPECT_TRUE(s->find_resource("ipF")->ip.follow_port);
    EXPECT_EQ(setting_text(s->find_resource("ipF")->ip), "as the port");
    // Anything else where an address goes is still refused.
    replace("ipv4 = \"dhcp\"", "ipv4 = \"dhcpx\"");
    EXPECT_FALSE(load_config_string(f, "bad.toml").config);
}

TEST(ResourcesConfig, RunTimeSettingsGoThroughTheSameChecks) {
    ConfigResult r = load_config_string(kGood, "good.toml");
    ASSERT_TRUE(r.config.has_value());
    IpAddressSpec spec = r.config->find_section<ResourcesSettings>(kResourcesSection)->find_resource("ipA")->ip;
    EXPECT_FALSE(check_ip_setting(*r.config, "dhcp", spec));
    EXPECT_TRUE(spec.dhcp);
    EXPECT_FALSE(check_ip_setting(*r.config, "198.18.1.77/24", spec));
    EXPECT_FALSE(spec.dhcp);
    EXPECT_EQ(spec.address->str(), "198.18.1.77/24");
    auto why = check_ip_setting(*r.config, "10.0.0.1/8", spec);
    ASSERT_TRUE(why);
    EXPECT_THAT(*why, HasSubstr("in none of network \"public\"'s subnets"));
    EXPECT_EQ(spec.address->str(), "198.18.1.77/24") << "a refused setting changes nothing";
    EXPECT_TRUE(check_ip_setting(*r.config, "198.18.1.77", spec));
    EXPECT_TRUE(check_ip_setting(*r.config, "224.0.0.1/4", spec));
}

}  // namespace
}  // namespace ftnet
