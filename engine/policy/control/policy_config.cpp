#include "engine/policy/control/policy_config.h"

#include <fmt/format.h>
#include <hs/hs.h>

#include <charconv>

#include "engine/config/config_loader.h"
#include "engine/config/config_sections.h"
#include "engine/config/reader.h"
#include "engine/policy/policy_table.h"

namespace ftnet {

namespace {

std::optional<uint8_t> parse_protocol(const std::string& s) {
    if (s == "tcp") return 6;
    if (s == "udp") return 17;
    if (s == "icmp") return 1;
    if (s == "icmpv6") return 58;
    if (s == "sctp") return 132;
    return std::nullopt;
}

std::optional<uint16_t> parse_ethertype(const std::string& s) {
    if (s == "ipv4") return 0x0800;
    if (s == "ipv6") return 0x86dd;
    if (s == "arp") return 0x0806;
    return std::nullopt;
}

// 80, "80" or "1000-2000".
bool parse_ports(const toml::node& n, PortRange& out) {
    if (auto v = n.value_exact<int64_t>()) {
        if (*v < 0 || *v > 65535) return false;
        out.lo = out.hi = static_cast<uint16_t>(*v);
        return true;
    }
    auto s = n.value<std::string>();
    if (!s) return false;
    unsigned lo = 0, hi = 0;
    const char* b = s->data();
    const char* e = b + s->size();
    auto r = std::from_chars(b, e, lo);
    if (r.ec != std::errc() || lo > 65535) return false;
    if (r.ptr == e) hi = lo;
    else if (*r.ptr == '-') {
        auto r2 = std::from_chars(r.ptr + 1, e, hi);
        if (r2.ec != std::errc() || r2.ptr != e || hi > 65535 || hi < lo) return false;
    } else {
        return false;
    }
    out.lo = static_cast<uint16_t>(lo);
    out.hi = static_cast<uint16_t>(hi);
    return true;
}

// A string or an array of strings.
void read_strings(Reader& r, const toml::table& t, const std::string& path, const char* key, std::vector<std::string>& out) {
    const toml::node* n = t.get(key);
    if (!n) return;
    if (auto s = n->value<std::string>()) {
        out.push_back(*s);
        return;
    }
    r.get_string_array(t, path, key, out);
}

void read_policy(Reader& r, const toml::table& root, Config& c) {
    const toml::table* t = r.section(root, kPolicySection);
    if (!t) return;
    PolicySettings& s = c.section<PolicySettings>(kPolicySection);
    r.check_known(*t, kPolicySection, {"cache_file", "rule", "class"});
    if (r.get_string(*t, kPolicySection, "cache_file", s.cache_file, false, 4096) && !s.cache_file.empty() &&
        s.cache_file[0] != '/')
        r.error(t->get("cache_file"), "policy.cache_file", "must be an absolute path");
    auto list = r.tables(*t, kPolicySection, "rule");
    if (list.size() > kMaxPolicyRules)
        r.error(t->get("rule"), "policy.rule", fmt::format("{} rules, at most {}", list.size(), kMaxPolicyRules));
    for (size_t i = 0; i < list.size() && i < kMaxPolicyRules; i++) {
        const toml::table& rt = *list[i];
        const std::string path = fmt::format("policy.rule[{}]", i);
        PolicyRule pr;
        pr.line = static_cast<int>(rt.source().begin.line);
        pr.priority = static_cast<uint32_t>(i) * 10;  // file order, unless given
        r.check_known(rt, path, {"name", "priority", "ethertype", "protocol", "src", "dst", "sport", "dport", "regex", "literal",
                                 "caseless", "dotall", "multiline", "action", "networks", "class"});
        if (r.get_string(rt, path, "name", pr.name, true, 63) && pr.name.empty()) r.error(rt.get("name"), path + ".name", "is empty");
        for (auto& o : s.rules)
            if (!pr.name.empty() && o.name == pr.name)
                r.error(rt.get("name"), path + ".name", fmt::format("\"{}\" is already a rule (line {})", pr.name, o.line));
        r.get_int(rt, path, "priority", pr.priority, 0, 1000000);
        if (const toml::node* n = rt.get("ethertype")) {
            if (auto v = n->value_exact<int64_t>(); v && *v >= 0x600 && *v <= 0xffff) pr.ethertype = static_cast<uint16_t>(*v);
            else if (auto sv = n->value<std::string>(); sv && parse_ethertype(*sv)) pr.ethertype = parse_ethertype(*sv);
            else r.error(n, path + ".ethertype", fmt::format("{} is not an Ethernet type (ipv4, ipv6, arp, or 0x0600..0xffff)", r.shown(*n)));
        }
        if (const toml::node* n = rt.get("protocol")) {
            if (auto v = n->value_exact<int64_t>(); v && *v >= 0 && *v <= 255) pr.protocol = static_cast<uint8_t>(*v);
            else if (auto sv = n->value<std::string>(); sv && parse_protocol(*sv)) pr.protocol = parse_protocol(*sv);
            else r.error(n, path + ".protocol", fmt::format("{} is not an IP protocol (tcp, udp, icmp, icmpv6, sctp, or 0..255)", r.shown(*n)));
        }
        for (auto [key, out] : {std::pair{"src", &pr.src}, std::pair{"dst", &pr.dst}}) {
            std::string text;
            if (!r.get_string(rt, path, key, text)) continue;
            auto p = IpPrefix::parse(text);
            if (!p) r.error(rt.get(key), path + "." + key, fmt::format("\"{}\" is not a prefix like 169.254.0.0/16 or fe80::/64", text));
            else *out = *p;
        }
        if (pr.src && pr.dst && pr.src->addr.family != pr.dst->addr.family)
            r.error(rt.get("dst"), path + ".dst", "src and dst are of different families: the rule could never match");
        for (auto [key, out] : {std::pair{"sport", &pr.sport}, std::pair{"dport", &pr.dport}}) {
            const toml::node* n = rt.get(key);
            if (n && !parse_ports(*n, *out))
                r.error(n, path + "." + key, fmt::format("{} is not a port or a range like \"5000-5100\"", r.shown(*n)));
        }
        if (pr.ethertype && (pr.src || pr.dst || pr.protocol || pr.needs_ports())) {
            const std::optional<IpPrefix>& fam = pr.src ? pr.src : pr.dst;
            const uint16_t ip_type = fam ? (fam->addr.is_v6() ? 0x86dd : 0x0800) : 0;
            if (ip_type ? *pr.ethertype != ip_type : *pr.ethertype != 0x0800 && *pr.ethertype != 0x86dd)
                r.error(rt.get("ethertype"), path + ".ethertype",
                        fmt::format("0x{:04x} does not carry the {} the rule asks for: the rule could never match", *pr.ethertype,
                                    ip_type == 0x86dd ? "IPv6 addresses" : ip_type ? "IPv4 addresses" : "IP protocol or ports"));
        }
        if (pr.needs_ports() && pr.protocol && *pr.protocol != 6 && *pr.protocol != 17)
            r.error(rt.get("protocol"), path + ".protocol", "ports need tcp or udp");
        read_strings(r, rt, path, "regex", pr.regexes);
        read_strings(r, rt, path, "literal", pr.literals);
        for (auto& l : pr.literals)
            if (l.empty()) r.error(rt.get("literal"), path + ".literal", "an empty literal matches everything: leave it out");
        r.get_bool(rt, path, "caseless", pr.caseless);
        r.get_bool(rt, path, "dotall", pr.dotall);
        r.get_bool(rt, path, "multiline", pr.multiline);
        std::string action;
        if (r.get_string(rt, path, "action", action, true)) {
            if (action == "deny") pr.action = PolicyAction::Deny;
            else if (action == "steer") pr.action = PolicyAction::Steer;
            else if (action == "class") pr.action = PolicyAction::Class;
            else r.error(rt.get("action"), path + ".action", fmt::format("\"{}\" is not an action (steer, deny, class)", action));
        }
        r.get_string_array(rt, path, "networks", pr.networks);
        r.get_string(rt, path, "class", pr.traffic_class, false, 31);
        if (pr.action == PolicyAction::Steer && pr.networks.empty() && rt.get("action"))
            r.error(rt.get("action"), path + ".networks", "a steer rule needs networks (its preferred networks, best first)");
        if (pr.action != PolicyAction::Steer && !pr.networks.empty())
            r.error(rt.get("networks"), path + ".networks", "only steer rules take networks");
        if (pr.action == PolicyAction::Class && pr.traffic_class.empty() && rt.get("action"))
            r.error(rt.get("action"), path + ".class", "a class rule needs class (its traffic class's name)");
        s.rules.push_back(std::move(pr));
    }
    auto classes = r.tables(*t, kPolicySection, "class");
    for (size_t i = 0; i < classes.size() && i < kMaxTrafficClasses; i++) {
        const toml::table& ct = *classes[i];
        const std::string path = fmt::format("policy.class[{}]", i);
        PolicyClass pc;
        pc.line = static_cast<int>(ct.source().begin.line);
        r.check_known(ct, path, {"name", "dscp", "priority"});
        r.get_string(ct, path, "name", pc.name, true, 31);
        for (auto& o : s.classes)
            if (!pc.name.empty() && o.name == pc.name)
                r.error(ct.get("name"), path + ".name", fmt::format("class \"{}\" is described twice (line {})", pc.name, o.line));
        int64_t dscp = -1;
        r.get_int(ct, path, "dscp", dscp, 0, 63);
        if (dscp >= 0) pc.dscp = static_cast<uint8_t>(dscp);
        r.get_int(ct, path, "priority", pc.priority, 0, kMaxClassPriority);
        s.classes.push_back(std::move(pc));
    }
    if (classes.size() > kMaxTrafficClasses)
        r.error(t->get("class"), "policy.class", fmt::format("{} classes, at most {}", classes.size(), kMaxTrafficClasses));
}

// Networks named by steer rules, and every pattern through Hyperscan.
void check_policy(Reader& r, const toml::table&, Config& c) {
    const PolicySettings* s = c.find_section<PolicySettings>(kPolicySection);
    if (!s) return;
    for (size_t i = 0; i < s->rules.size(); i++) {
        const PolicyRule& pr = s->rules[i];
        const std::string path = fmt::format("policy.rule[{}]", i);
        for (auto& n : pr.networks) {
            const NetworkConfig* net = c.find_network(n);
            if (!net) r.error_at(pr.line, path + ".networks", fmt::format("\"{}\" is not a [[network]]", n));
            else if (net->role == NetworkRole::None)
                r.error_at(pr.line, path + ".networks", fmt::format("network \"{}\" has role 0: the cluster does not use it", n));
        }
        const unsigned flags = HS_FLAG_SINGLEMATCH | (pr.caseless ? HS_FLAG_CASELESS : 0) | (pr.dotall ? HS_FLAG_DOTALL : 0) |
                               (pr.multiline ? HS_FLAG_MULTILINE : 0);
        for (auto& re : pr.regexes) {
            hs_database_t* db = nullptr;
            hs_compile_error_t* err = nullptr;
            if (hs_compile(re.c_str(), flags, HS_MODE_BLOCK, nullptr, &db, &err) != HS_SUCCESS) {
                r.error_at(pr.line, path + ".regex",
                           fmt::format("rule \"{}\": pattern \"{}\": {}", pr.name, re, err && err->message ? err->message : "refused"));
                hs_free_compile_error(err);
            }
            if (db) hs_free_database(db);
        }
    }
}

}  // namespace

void register_policy_config(ConfigSections& s) { s.add({kPolicySection, "policy", read_policy, check_policy}); }

bool read_policy_file(const std::string& path, PolicySettings& out, std::string* errors) {
    ConfigResult r = load_config_file(path);
    if (!r.config) {
        for (auto& e : r.errors) *errors += e.str() + "\n";
        return false;
    }
    const PolicySettings* s = r.config->find_section<PolicySettings>(kPolicySection);
    out = s ? *s : PolicySettings{};
    return true;
}

}  // namespace ftnet
