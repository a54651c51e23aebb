// libFuzzer target: an inner frame through the traffic policy's stage
// (engine/policy/datapath/policy_classify.h). The parse never reads past
// the frame and keeps the payload inside it, and the rule the compiled
// matchers pick (the ACL tries, the payload candidates, Hyperscan) is the
// one a plain first-match scan of the configured rules picks, for the
// sending side (every rule) and the receiving side (deny rules only). The
// payload rules use literals so that the reference can search for them
// itself.

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "engine/policy/datapath/policy_classify.h"
#include "engine/policy/policy_table.h"
#include "tests/unit/test_eal.h"

using namespace ftnet;

namespace {

PolicyTable* g_policy = nullptr;
std::vector<PolicyRule> g_rules;  // in priority order, as compiled

PolicyRule rule(const char* name, PolicyAction action) {
    PolicyRule r;
    r.name = name;
    r.action = action;
    if (action == PolicyAction::Class) r.traffic_class = "c";
    if (action == PolicyAction::Steer) r.networks = {"storage"};
    return r;
}

std::vector<PolicyRule> fuzz_rules() {
    std::vector<PolicyRule> v;
    PolicyRule r = rule("http-get", PolicyAction::Deny);
    r.protocol = 6, r.dport = {80, 80}, r.literals = {"GET /"};
    v.push_back(r);
    r = rule("secret-any", PolicyAction::Deny);
    r.literals = {"SECRET", "tok\x01"}, r.caseless = true;
    v.push_back(r);
    r = rule("telnet", PolicyAction::Deny);
    r.protocol = 6, r.dport = {23, 23};
    v.push_back(r);
    r = rule("v4-net", PolicyAction::Steer);
    r.src = IpPrefix{IpAddr::v4(169, 254, 0, 0), 16}, r.sport = {1000, 2000};
    v.push_back(r);
    r = rule("v6-udp-x", PolicyAction::Class);
    r.dst = IpPrefix{*IpAddr::parse("fd00::"), 8}, r.protocol = 17, r.literals = {"xx"};
    v.push_back(r);
    r = rule("v6-net", PolicyAction::Deny);
    r.dst = IpPrefix{*IpAddr::parse("fe80::"), 10};
    v.push_back(r);
    r = rule("arp", PolicyAction::Class);
    r.ethertype = 0x0806;
    v.push_back(r);
    r = rule("udp-ab", PolicyAction::Deny);
    r.protocol = 17, r.literals = {"ab"};
    v.push_back(r);
    r = rule("any-ipv4", PolicyAction::Class);
    r.ethertype = 0x0800;
    v.push_back(r);
    r = rule("icmp6", PolicyAction::Deny);
    r.protocol = 58;
    v.push_back(r);
    return v;
}

bool prefix_has(const uint8_t* a, const IpPrefix& p) {
    const unsigned full = p.len / 8, rest = p.len % 8;
    if (std::memcmp(a, p.addr.b.data(), full) != 0) return false;
    return !rest || ((a[full] ^ p.addr.b[full]) & static_cast<uint8_t>(0xff << (8 - rest))) == 0;
}

bool contains(const uint8_t* p, uint32_t n, const std::string& lit, bool caseless) {
    auto eq = [&](uint8_t a, char b) {
        return caseless ? std::tolower(a) == std::tolower(static_cast<unsigned char>(b)) : a == static_cast<uint8_t>(b);
    };
    return std::search(p, p + n, lit.begin(), lit.end(), eq) != p + n;
}

// First-match over the rules, from their configured fields.
uint32_t reference(const PolicyFrame& f, bool deny_only) {
    const PolicyKey& k = f.key;
    const uint16_t et = static_cast<uint16_t>(k.ethertype[0] << 8 | k.ethertype[1]);
    const uint16_t sp = static_cast<uint16_t>(k.sport[0] << 8 | k.sport[1]), dp = static_cast<uint16_t>(k.dport[0] << 8 | k.dport[1]);
    for (uint32_t i = 0; i < g_rules.size(); i++) {
        const PolicyRule& r = g_rules[i];
        if (deny_only && r.action != PolicyAction::Deny) continue;
        const std::optional<IpPrefix>& fam = r.src ? r.src : r.dst;
        if (r.ethertype && et != *r.ethertype) continue;
        if (!r.ethertype && fam && et != (fam->addr.is_v6() ? 0x86dd : 0x0800)) continue;
        if (!r.ethertype && !fam && (r.protocol || r.needs_ports()) && et != 0x0800 && et != 0x86dd) continue;
        if (r.protocol && k.proto != *r.protocol) continue;
        if (r.src && !prefix_has(k.src, *r.src)) continue;
        if (r.dst && !prefix_has(k.dst, *r.dst)) continue;
        if (sp < r.sport.lo || sp > r.sport.hi || dp < r.dport.lo || dp > r.dport.hi) continue;
        if (r.has_payload() &&
            std::none_of(r.literals.begin(), r.literals.end(), [&](const std::string& l) { return contains(f.payload, f.payload_len, l, r.caseless); }))
            continue;
        return i;
    }
    return kNoRule;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    ftnet::test::start_eal("fuzz_policy", "0", 256);
    g_rules = fuzz_rules();
    PolicyCompileOptions o;
    o.networks = {"cluster", "storage"};
    std::string error;
    g_policy = compile_policy(g_rules, o, &error);
    if (!g_policy) std::abort();
    g_rules = g_policy->source;  // priority order
    return 0;
}

// The input is a burst: its first byte says how many frames (1..8), the
// rest is cut into that many equal frames (of different families, sizes and
// truncations, classified together as a worker does).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const size_t n = 1 + data[0] % 8, each = (size - 1) / n;
    // Copies with 64 bytes after each frame, as an mbuf's tailroom gives in
    // the engine: Hyperscan's AVX-512 scan may load a vector that runs past
    // the end of the payload (a layout-dependent SEGV at a page boundary was
    // seen once with exact-size copies). Our own parser's bounds are checked
    // explicitly below.
    std::vector<std::vector<uint8_t>> frames;
    for (size_t i = 0; i < n; i++) {
        frames.emplace_back(data + 1 + i * each, data + 1 + (i + 1) * each);
        frames.back().reserve(each + 64);
    }
    PolicyFrame p[8];
    for (size_t i = 0; i < n; i++) {
        const std::vector<uint8_t>& f = frames[i];
        policy_parse(f.data(), static_cast<uint32_t>(f.size()), p[i]);
        if (p[i].payload_len && (p[i].payload < f.data() || p[i].payload + p[i].payload_len > f.data() + f.size())) std::abort();
    }
    for (bool receiving : {false, true}) {
        const PolicyMatcher& m = receiving ? g_policy->in : g_policy->out;
        uint32_t got[8];
        policy_classify_burst(*g_policy, m, p, static_cast<uint32_t>(n), got, g_policy->scratch[0]);
        for (size_t i = 0; i < n; i++)
            if (got[i] != reference(p[i], receiving)) std::abort();
    }
    return 0;
}
