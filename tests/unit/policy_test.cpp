// The traffic policy (engine/policy): table-driven fixtures of inner frames
// and the rule each must hit (header-only rules through the ACL trie,
// payload literals and regexes through Hyperscan, priorities, IPv4 and
// IPv6, truncated frames), the receive side's deny-only matcher, 1,000
// rules, and the errors of invalid patterns. Needs the EAL (rte_acl
// allocates with rte_malloc): the unit-dpdk suite.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/config/config_loader.h"
#include "engine/policy/control/policy_config.h"
#include "engine/policy/datapath/policy_classify.h"
#include "engine/policy/policy_table.h"
#include "tests/unit/minimal_config.h"

namespace ftnet {
namespace {

using ::testing::HasSubstr;
using Bytes = std::vector<uint8_t>;

// An inner frame: Ethernet, IPv4 or IPv6 (by the addresses), TCP or UDP
// (or another protocol with the payload right after the IP header).
Bytes frame(const std::string& src, const std::string& dst, uint8_t proto, uint16_t sport, uint16_t dport,
            const std::string& payload, uint16_t ethertype = 0) {
    const IpAddr s = *IpAddr::parse(src), d = *IpAddr::parse(dst);
    Bytes f(14, 0);
    f[0] = 0x02;
    f[6] = 0x02;
    const uint16_t et = ethertype ? ethertype : s.is_v6() ? 0x86dd : 0x0800;
    f[12] = static_cast<uint8_t>(et >> 8);
    f[13] = static_cast<uint8_t>(et);
    Bytes l4;
    if (proto == 6) {
        l4.assign(20, 0);
        l4[12] = 5 << 4;
    } else if (proto == 17) {
        l4.assign(8, 0);
    }
    if (proto == 6 || proto == 17) {
        l4[0] = static_cast<uint8_t>(sport >> 8), l4[1] = static_cast<uint8_t>(sport);
        l4[2] = static_cast<uint8_t>(dport >> 8), l4[3] = static_cast<uint8_t>(dport);
    }
    l4.insert(l4.end(), payload.begin(), payload.end());
    if (s.is_v6()) {
        Bytes ip(40, 0);
        ip[0] = 0x60;
        ip[4] = static_cast<uint8_t>(l4.size() >> 8), ip[5] = static_cast<uint8_t>(l4.size());
        ip[6] = proto;
        ip[7] = 64;
        std::memcpy(ip.data() + 8, s.b.data(), 16);
        std::memcpy(ip.data() + 24, d.b.data(), 16);
        f.insert(f.end(), ip.begin(), ip.end());
    } else {
        Bytes ip(20, 0);
        ip[0] = 0x45;
        const size_t tot = 20 + l4.size();
        ip[2] = static_cast<uint8_t>(tot >> 8), ip[3] = static_cast<uint8_t>(tot);
        ip[8] = 64;
        ip[9] = proto;
        std::memcpy(ip.data() + 12, s.b.data(), 4);
        std::memcpy(ip.data() + 16, d.b.data(), 4);
        f.insert(f.end(), ip.begin(), ip.end());
    }
    f.insert(f.end(), l4.begin(), l4.end());
    return f;
}

Bytes truncated(Bytes f, size_t len) {
    f.resize(len);
    return f;
}

Bytes arp() {
    Bytes f(42, 0);
    std::memset(f.data(), 0xff, 6);
    f[12] = 0x08, f[13] = 0x06;
    return f;
}

const char* kPolicy = R"(
[[policy.rule]]
name = "no-telnet"
protocol = "tcp"
dport = 23
action = "deny"

[[policy.rule]]
name = "secret"
literal = "SECRET-TOKEN"
action = "deny"

[[policy.rule]]
name = "admin"
protocol = "tcp"
dport = 80
regex = "^get /admin"
caseless = true
action = "deny"

[[policy.rule]]
name = "replication"
protocol = "tcp"
dport = "5000-5100"
action = "steer"
networks = ["storage", "cluster"]
class = "replication"

[[policy.rule]]
name = "v6-backup"
dst = "fd00:99::/64"
action = "steer"
networks = ["storage"]

[[policy.rule]]
name = "from-b"
src = "169.254.1.2/32"
protocol = "udp"
action = "class"
class = "from-b"

[[policy.rule]]
name = "arp"
ethertype = "arp"
action = "class"
class = "arp"

[[policy.rule]]
name = "late-catch-all"
priority = 100000
action = "class"
class = "rest"
)";

std::string with_base(const std::string& policy) { return std::string(test::kMinimalConfig) + policy; }

PolicyTable* compile(const std::string& policy, std::string* error) {
    ConfigResult r = load_config_string(with_base(policy), "policy.toml");
    if (!r.config) {
        for (auto& e : r.errors) *error += e.str() + "\n";
        return nullptr;
    }
    PolicyCompileOptions o;
    o.networks = {"cluster", "storage"};
    o.n_workers = 1;
    return compile_policy(r.config->find_section<PolicySettings>(kPolicySection)->rules, o, error);
}

struct Case {
    const char* name;
    Bytes f;
    const char* rule;  // nullptr: none
};

std::string hit(const PolicyTable& t, const PolicyMatcher& m, const Bytes& f) {
    PolicyFrame p;
    policy_parse(f.data(), static_cast<uint32_t>(f.size()), p);
    uint32_t r;
    policy_classify_burst(t, m, &p, 1, &r, t.scratch[0]);
    return r == kNoRule ? "(none)" : t.source[r].name;
}

TEST(Policy, EachFrameHitsTheFirstRuleThatMatchesIt) {
    std::string error;
    std::unique_ptr<PolicyTable, void (*)(PolicyTable*)> t(compile(kPolicy, &error), destroy_policy);
    ASSERT_TRUE(t) << error;
    const char* a = "169.254.1.1";
    const char* b = "169.254.1.2";
    const Case cases[] = {
        {"telnet", frame(a, b, 6, 40000, 23, "login:"), "no-telnet"},
        {"telnet over IPv6", frame("fe80::1", "fe80::2", 6, 40000, 23, ""), "no-telnet"},
        {"a literal anywhere in TCP data", frame(a, b, 6, 40000, 443, "xxSECRET-TOKENxx"), "secret"},
        {"a literal in UDP data", frame(a, b, 17, 1, 2, "SECRET-TOKEN"), "secret"},
        {"the literal is case-sensitive", frame(a, b, 6, 40000, 443, "secret-token"), "late-catch-all"},
        {"a caseless regex on port 80", frame(a, b, 6, 40000, 80, "GET /admin HTTP/1.1"), "admin"},
        {"the regex is anchored", frame(a, b, 6, 40000, 80, "x GET /admin"), "late-catch-all"},
        {"the regex needs port 80", frame(a, b, 6, 40000, 8080, "GET /admin"), "late-catch-all"},
        {"a port range", frame(a, b, 6, 40000, 5050, "data"), "replication"},
        {"the range's edge", frame(a, b, 6, 40000, 5100, "data"), "replication"},
        {"past the range", frame(a, b, 6, 40000, 5101, "data"), "late-catch-all"},
        {"the literal wins over the steer rule after it", frame(a, b, 6, 40000, 5050, "SECRET-TOKEN"), "secret"},
        {"an IPv6 destination prefix", frame("fd00:1::1", "fd00:99::5", 17, 1, 2, ""), "v6-backup"},
        {"outside the prefix", frame("fd00:1::1", "fd00:98::5", 17, 1, 2, ""), "late-catch-all"},
        {"a /32 source and UDP", frame(b, a, 17, 7, 9, "x"), "from-b"},
        {"the same source with TCP", frame(b, a, 6, 7, 9, "x"), "late-catch-all"},
        {"ARP by its Ethernet type", arp(), "arp"},
        {"truncated: no TCP header, no ports", truncated(frame(a, b, 6, 40000, 23, ""), 40), "late-catch-all"},
        {"runt", Bytes(10, 0), "late-catch-all"},
    };
    for (const Case& c : cases) EXPECT_EQ(hit(*t, t->out, c.f), c.rule) << c.name;
    // The receive side sees only the deny rules.
    EXPECT_EQ(hit(*t, t->in, frame(a, b, 6, 40000, 23, "")), "no-telnet");
    EXPECT_EQ(hit(*t, t->in, frame(a, b, 6, 40000, 5050, "data")), "(none)");
    EXPECT_EQ(hit(*t, t->in, frame(a, b, 6, 40000, 5050, "SECRET-TOKEN")), "secret");
    EXPECT_EQ(hit(*t, t->in, arp()), "(none)");
    // Steer rules carry their networks, best first.
    const CompiledRule& rep = t->rules[3];
    ASSERT_EQ(rep.n_steer, 2);
    EXPECT_EQ(rep.steer[0], 1);  // storage
    EXPECT_EQ(rep.steer[1], 0);  // cluster
    EXPECT_EQ(t->classes[rep.class_id], "replication");
}

TEST(Policy, ExplicitPrioritiesReorderTheRules) {
    std::string error;
    std::unique_ptr<PolicyTable, void (*)(PolicyTable*)> t(compile(R"(
[[policy.rule]]
name = "broad"
protocol = "tcp"
action = "class"
class = "tcp"
priority = 50
[[policy.rule]]
name = "narrow"
protocol = "tcp"
dport = 22
action = "deny"
priority = 10
)", &error), destroy_policy);
    ASSERT_TRUE(t) << error;
    EXPECT_EQ(hit(*t, t->out, frame("169.254.1.1", "169.254.1.2", 6, 1, 22, "")), "narrow");
    EXPECT_EQ(hit(*t, t->out, frame("169.254.1.1", "169.254.1.2", 6, 1, 23, "")), "broad");
}

TEST(Policy, AThousandHeaderRulesStillFindTheFirstMatch) {
    std::string policy;
    for (int i = 0; i < 1000; i++)
        policy += fmt::format("[[policy.rule]]\nname = \"r{}\"\nprotocol = \"udp\"\ndport = {}\nsrc = \"10.{}.{}.0/24\"\n"
                              "action = \"class\"\nclass = \"c{}\"\n",
                              i, 1000 + i, i / 256, i % 256, i % 20);
    std::string error;
    std::unique_ptr<PolicyTable, void (*)(PolicyTable*)> t(compile(policy, &error), destroy_policy);
    ASSERT_TRUE(t) << error;
    EXPECT_EQ(hit(*t, t->out, frame("10.3.7.9", "10.0.0.1", 17, 1, 1000 + 3 * 256 + 7, "")), "r775");
    EXPECT_EQ(hit(*t, t->out, frame("10.3.7.9", "10.0.0.1", 17, 1, 1000, "")), "(none)");
    EXPECT_EQ(hit(*t, t->out, frame("10.0.0.9", "10.0.0.1", 17, 1, 1000, "")), "r0");
}

// The ACL finds the first payload rule whose headers match; a later one
// is hit only when its own pattern and headers both match.
TEST(Policy, APayloadRuleNeedsBothItsHeadersAndItsPattern) {
    std::string policy = R"(
[[policy.rule]]
name = "udp-a"
protocol = "udp"
literal = "AAA"
action = "class"
class = "a"
[[policy.rule]]
name = "udp-b"
protocol = "udp"
literal = "BBB"
action = "deny"
)";
    for (int i = 0; i < 100; i++)
        policy += fmt::format("[[policy.rule]]\nname = \"p{}\"\nprotocol = \"tcp\"\ndport = {}\nliteral = \"tok{};\"\n"
                              "action = \"class\"\nclass = \"p\"\n",
                              i, 2000 + i, i);
    std::string error;
    std::unique_ptr<PolicyTable, void (*)(PolicyTable*)> t(compile(policy, &error), destroy_policy);
    ASSERT_TRUE(t) << error;
    const char* a = "169.254.1.1";
    const char* b = "169.254.1.2";
    EXPECT_EQ(hit(*t, t->out, frame(a, b, 17, 1, 2, "xxBBBxx")), "udp-b");
    EXPECT_EQ(hit(*t, t->out, frame(a, b, 17, 1, 2, "BBB AAA")), "udp-a");
    EXPECT_EQ(hit(*t, t->out, frame(a, b, 6, 1, 2005, "tok5;")), "p5");
    EXPECT_EQ(hit(*t, t->out, frame(a, b, 6, 1, 2005, "tok7;")), "(none)");  // p7's pattern, p5's port
    EXPECT_EQ(hit(*t, t->out, frame(a, b, 6, 1, 2005, "tok7; tok5;")), "p5");
    EXPECT_EQ(hit(*t, t->out, frame(a, b, 6, 1, 2005, "BBB")), "(none)");    // udp-b's pattern over TCP
    EXPECT_EQ(hit(*t, t->out, frame("fe80::1", "fe80::2", 6, 1, 2099, "..tok99;")), "p99");
    // Receiving: only udp-b is a deny rule.
    EXPECT_EQ(hit(*t, t->in, frame(a, b, 17, 1, 2, "AAA BBB")), "udp-b");
    EXPECT_EQ(hit(*t, t->in, frame(a, b, 17, 1, 2, "AAA")), "(none)");
    EXPECT_EQ(hit(*t, t->in, frame(a, b, 6, 1, 2005, "tok5;")), "(none)");
}

TEST(Policy, ABadPatternIsRefusedWithTheRuleAndHyperscansMessage) {
    ConfigResult r = load_config_string(with_base(R"(
[[policy.rule]]
name = "broken"
regex = "(unclosed"
action = "deny"
)"),
                                        "bad.toml");
    ASSERT_FALSE(r.config);
    std::string all;
    for (auto& e : r.errors) all += e.str() + "\n";
    EXPECT_THAT(all, HasSubstr("policy.rule[0].regex: rule \"broken\": pattern \"(unclosed\": Missing close parenthesis"));
    EXPECT_THAT(all, HasSubstr("bad.toml:"));
}

TEST(Policy, ConfigMistakesNameTheKey) {
    struct Bad {
        const char* toml;
        const char* error;
    } cases[] = {
        {"[[policy.rule]]\nname = \"x\"\naction = \"steer\"\n", "policy.rule[0].networks: a steer rule needs networks"},
        {"[[policy.rule]]\nname = \"x\"\naction = \"steer\"\nnetworks = [\"nope\"]\n", "\"nope\" is not a [[network]]"},
        {"[[policy.rule]]\nname = \"x\"\naction = \"drop\"\n", "\"drop\" is not an action"},
        {"[[policy.rule]]\nname = \"x\"\naction = \"class\"\n", "a class rule needs class"},
        {"[[policy.rule]]\nname = \"x\"\naction = \"deny\"\ndport = \"90-80\"\n", "policy.rule[0].dport"},
        {"[[policy.rule]]\nname = \"x\"\naction = \"deny\"\nprotocol = \"icmp\"\ndport = 80\n", "ports need tcp or udp"},
        {"[[policy.rule]]\nname = \"x\"\naction = \"deny\"\nsrc = \"10.0.0.0/8\"\ndst = \"fd00::/8\"\n", "different families"},
        {"[[policy.rule]]\nname = \"x\"\naction = \"deny\"\nethertype = \"ipv4\"\ndst = \"fd00::/8\"\n", "does not carry the IPv6 addresses"},
        {"[[policy.rule]]\nname = \"x\"\naction = \"deny\"\nethertype = \"arp\"\nprotocol = \"tcp\"\n", "does not carry the IP protocol or ports"},
        {"[[policy.rule]]\nname = \"x\"\naction = \"deny\"\nethertype = 5\n", "is not an Ethernet type"},
        {"[[policy.rule]]\nname = \"x\"\naction = \"deny\"\nliteral = \"\"\n", "an empty literal"},
        {"[[policy.rule]]\nname = \"x\"\naction = \"deny\"\n[[policy.rule]]\nname = \"x\"\naction = \"deny\"\n", "is already a rule"},
        {"[policy]\ncache_file = \"relative\"\n", "policy.cache_file: must be an absolute path"},
        {"[[policy.class]]\nname = \"c\"\ndscp = 64\n", "policy.class[0].dscp: value 64 is out of range (allowed 0..63)"},
        {"[[policy.class]]\nname = \"c\"\npriority = 8\n", "policy.class[0].priority: value 8 is out of range (allowed 0..7)"},
        {"[[policy.class]]\ndscp = 1\n", "policy.class[0].name"},
        {"[[policy.class]]\nname = \"c\"\nqueue = 1\n", "policy.class[0].queue: unknown key"},
        {"[[policy.class]]\nname = \"c\"\n[[policy.class]]\nname = \"c\"\n", "class \"c\" is described twice"},
    };
    for (auto& c : cases) {
        ConfigResult r = load_config_string(with_base(c.toml), "bad.toml");
        std::string all;
        for (auto& e : r.errors) all += e.str() + "\n";
        EXPECT_FALSE(r.config) << c.toml;
        EXPECT_THAT(all, HasSubstr(c.error)) << c.toml;
    }
}

TEST(Policy, ClassesGiveTheirRulesADscpAndAPriority) {
    ConfigResult r = load_config_string(with_base(R"(
[[policy.class]]
name = "urgent"
dscp = 46
priority = 6
[[policy.class]]
name = "bulk"
dscp = 8
[[policy.rule]]
name = "a"
protocol = "udp"
action = "class"
class = "urgent"
[[policy.rule]]
name = "b"
protocol = "tcp"
action = "class"
class = "bulk"
[[policy.rule]]
name = "c"
action = "class"
class = "other"
)"), "classes.toml");
    ASSERT_TRUE(r.config);
    const PolicySettings& s = *r.config->find_section<PolicySettings>(kPolicySection);
    ASSERT_EQ(s.classes.size(), 2u);
    PolicyCompileOptions o;
    o.networks = {"cluster", "storage"};
    o.classes = s.classes;
    std::string error;
    std::unique_ptr<PolicyTable, void (*)(PolicyTable*)> t(compile_policy(s.rules, o, &error), destroy_policy);
    ASSERT_TRUE(t) << error;
    EXPECT_EQ(t->rules[0].dscp, 46);
    EXPECT_EQ(t->rules[0].queue_priority, 6);
    EXPECT_EQ(t->rules[1].dscp, 8);
    EXPECT_EQ(t->rules[1].queue_priority, 0);
    EXPECT_EQ(t->rules[2].dscp, kNoDscp) << "a class no table describes keeps the tunnel's DSCP";
    EXPECT_TRUE(t->has_priorities);
}

TEST(Policy, TheCompiledDatabaseIsCachedAndLoadedWhenThePatternsAreTheSame) {
    char dir[] = "/tmp/ftnet-policy-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    const std::string cache = std::string(dir) + "/policy.hsdb";
    const std::string policy = "[policy]\ncache_file = \"" + cache + "\"\n" + kPolicy;
    std::string error;
    ConfigResult r = load_config_string(with_base(policy), "p.toml");
    ASSERT_TRUE(r.config);
    const auto& settings = *r.config->find_section<PolicySettings>(kPolicySection);
    PolicyCompileOptions o;
    o.networks = {"cluster", "storage"};
    o.cache_file = settings.cache_file;
    std::unique_ptr<PolicyTable, void (*)(PolicyTable*)> first(compile_policy(settings.rules, o, &error), destroy_policy);
    ASSERT_TRUE(first) << error;
    EXPECT_FALSE(first->db_from_cache);
    std::unique_ptr<PolicyTable, void (*)(PolicyTable*)> second(compile_policy(settings.rules, o, &error), destroy_policy);
    ASSERT_TRUE(second) << error;
    EXPECT_TRUE(second->db_from_cache);
    EXPECT_EQ(hit(*second, second->out, frame("169.254.1.1", "169.254.1.2", 6, 1, 443, "SECRET-TOKEN")), "secret");
    // Other patterns: the cache is not used.
    auto changed = settings.rules;
    changed[1].literals = {"OTHER"};
    std::unique_ptr<PolicyTable, void (*)(PolicyTable*)> third(compile_policy(changed, o, &error), destroy_policy);
    ASSERT_TRUE(third) << error;
    EXPECT_FALSE(third->db_from_cache);
    EXPECT_EQ(hit(*third, third->out, frame("169.254.1.1", "169.254.1.2", 6, 1, 443, "SECRET-TOKEN")), "late-catch-all");
    std::remove(cache.c_str());
    rmdir(dir);
}

}  // namespace
}  // namespace ftnet
