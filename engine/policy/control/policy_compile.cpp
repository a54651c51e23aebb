// compile_policy(): rules -> ACL tries and one Hyperscan database.

#include <fmt/format.h>
#include <rte_errno.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "engine/policy/policy_table.h"

namespace ftnet {

namespace {

// IPv4 trie: protocol, source, destination, ports (13 bytes walked);
// IPv6: protocol, source and destination as four words each, ports.
constexpr unsigned kFields4 = 5;
constexpr unsigned kFields6 = 11;
RTE_ACL_RULE_DEF(Acl4Rule, kFields4);
RTE_ACL_RULE_DEF(Acl6Rule, kFields6);

// The field layout of a family's trie over PolicyKey: addresses of
// `words` 4-byte words; every field after the first byte in 4-byte input
// groups, as rte_acl wants them (the two ports share one, as DPDK's own
// examples do).
rte_acl_config acl_config(unsigned words, uint32_t categories) {
    rte_acl_config c{};
    c.num_categories = categories;
    c.num_fields = 3 + 2 * words;
    auto def = [&](unsigned i, uint8_t type, uint8_t size, unsigned input, uint32_t off) {
        c.defs[i] = rte_acl_field_def{type, size, static_cast<uint8_t>(i), static_cast<uint8_t>(input), off};
    };
    def(0, RTE_ACL_FIELD_TYPE_BITMASK, 1, 0, offsetof(PolicyKey, proto));
    for (unsigned w = 0; w < words; w++) def(1 + w, RTE_ACL_FIELD_TYPE_MASK, 4, 1 + w, offsetof(PolicyKey, src) + 4 * w);
    for (unsigned w = 0; w < words; w++)
        def(1 + words + w, RTE_ACL_FIELD_TYPE_MASK, 4, 1 + words + w, offsetof(PolicyKey, dst) + 4 * w);
    def(1 + 2 * words, RTE_ACL_FIELD_TYPE_RANGE, 2, 1 + 2 * words, offsetof(PolicyKey, sport));
    def(2 + 2 * words, RTE_ACL_FIELD_TYPE_RANGE, 2, 1 + 2 * words, offsetof(PolicyKey, dport));
    return c;
}

uint32_t word(const uint8_t* a, unsigned w) {
    return uint32_t{a[4 * w]} << 24 | uint32_t{a[4 * w + 1]} << 16 | uint32_t{a[4 * w + 2]} << 8 | a[4 * w + 3];
}

void set_prefix(rte_acl_field* f, unsigned words, const std::optional<IpPrefix>& p) {
    if (!p) return;  // value 0, mask 0: any
    for (unsigned w = 0; w < words; w++) {
        const int bits = std::clamp(static_cast<int>(p->len) - 32 * static_cast<int>(w), 0, 32);
        f[w].value.u32 = bits ? word(p->addr.b.data(), w) : 0;
        f[w].mask_range.u32 = static_cast<uint32_t>(bits);
    }
}

template <typename R>
R acl_rule(const PolicyRule& pr, uint32_t index, uint32_t n_rules, uint32_t category, unsigned words) {
    R r{};
    r.data.category_mask = 1u << category;
    r.data.priority = static_cast<int32_t>(n_rules - index);  // the first rule wins
    r.data.userdata = index + 1;
    if (pr.protocol) {
        r.field[0].value.u8 = *pr.protocol;
        r.field[0].mask_range.u8 = 0xff;
    }
    set_prefix(r.field + 1, words, pr.src);
    set_prefix(r.field + 1 + words, words, pr.dst);
    r.field[1 + 2 * words].value.u16 = pr.sport.lo;
    r.field[1 + 2 * words].mask_range.u16 = pr.sport.hi;
    r.field[2 + 2 * words].value.u16 = pr.dport.lo;
    r.field[2 + 2 * words].mask_range.u16 = pr.dport.hi;
    return r;
}

// What one matcher's tries and list are built from.
struct MatcherRules {
    std::vector<Acl4Rule> v4;
    std::vector<Acl6Rule> v6;
    std::vector<PolicyEthertypeRule> other;
};

// A rule goes to the families it can match: the one its Ethernet type or
// addresses name, both IP families when it names a protocol or ports, and
// every frame (non-IP ones too) when it names nothing.
void add_rule(const PolicyRule& pr, uint32_t index, uint32_t n_rules, uint32_t category, MatcherRules& m) {
    bool v4 = false, v6 = false, other = false;
    const std::optional<IpPrefix>& fam = pr.src ? pr.src : pr.dst;
    if (pr.ethertype) {
        v4 = *pr.ethertype == 0x0800;
        v6 = *pr.ethertype == 0x86dd;
        other = !v4 && !v6;
    } else if (fam) {
        v6 = fam->addr.is_v6();
        v4 = !v6;
    } else {
        v4 = v6 = true;
        other = !pr.protocol && !pr.needs_ports();
    }
    if (v4) m.v4.push_back(acl_rule<Acl4Rule>(pr, index, n_rules, category, 1));
    if (v6) m.v6.push_back(acl_rule<Acl6Rule>(pr, index, n_rules, category, 4));
    // Non-IP frames have no payload for a pattern: header-only rules only.
    if (other && category == kAclHeaderCategory) m.other.push_back({pr.ethertype.value_or(0), index});
}

template <typename R>
rte_acl_ctx* build_acl(const std::vector<R>& rules, unsigned words, uint32_t categories, int socket, const std::string& tag,
                       std::string* error) {
    if (rules.empty()) return nullptr;
    static std::atomic<uint32_t> serial{0};
    const std::string name = fmt::format("ftpol{}{}", serial++, tag);
    rte_acl_param p{};
    p.name = name.c_str();
    p.socket_id = socket;
    p.rule_size = sizeof(R);
    p.max_rule_num = static_cast<uint32_t>(rules.size());
    rte_acl_ctx* ctx = rte_acl_create(&p);
    if (!ctx) {
        *error = fmt::format("cannot create an ACL context: {}", rte_strerror(rte_errno));
        return nullptr;
    }
    int rc = rte_acl_add_rules(ctx, reinterpret_cast<const rte_acl_rule*>(rules.data()), static_cast<uint32_t>(rules.size()));
    rte_acl_config cfg = acl_config(words, categories);
    if (rc == 0) rc = rte_acl_build(ctx, &cfg);
    if (rc != 0) {
        *error = fmt::format("cannot build the ACL trie of {} rules: {}", rules.size(), rte_strerror(-rc));
        rte_acl_free(ctx);
        return nullptr;
    }
    return ctx;
}

// Builds matcher m's tries from its rules.
bool build_matcher(PolicyMatcher& m, MatcherRules& r, int socket, const char* tag, std::string* error) {
    // One category costs least; payload rules need a second one, and
    // rte_acl takes 1 or a multiple of RTE_ACL_RESULTS_MULTIPLIER.
    m.categories = m.payload.empty() ? 1 : RTE_ACL_RESULTS_MULTIPLIER;
    m.other = std::move(r.other);
    m.acl4 = build_acl(r.v4, 1, m.categories, socket, std::string(tag) + "4", error);
    if (!r.v4.empty() && !m.acl4) return false;
    m.acl6 = build_acl(r.v6, 4, m.categories, socket, std::string(tag) + "6", error);
    return r.v6.empty() || m.acl6;
}

void free_matcher(PolicyMatcher& m) {
    if (m.acl4) rte_acl_free(m.acl4);
    if (m.acl6) rte_acl_free(m.acl6);
}

// A literal as a Hyperscan expression: every byte escaped.
std::string literal_regex(const std::string& s) {
    std::string r;
    for (unsigned char c : s) r += fmt::format("\\x{:02x}", c);
    return r;
}

uint64_t fnv1a(const std::string& s, uint64_t h = 1469598103934665603ull) {
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

constexpr char kCacheMagic[8] = {'F', 'T', 'N', 'E', 'T', 'H', 'S', '1'};

hs_database_t* load_cache(const std::string& path, uint64_t key) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return nullptr;
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string b = ss.str();
    if (b.size() < 16 || b.compare(0, 8, kCacheMagic, 8) != 0) return nullptr;
    uint64_t k;
    std::memcpy(&k, b.data() + 8, 8);
    if (k != key) return nullptr;
    hs_database_t* db = nullptr;
    if (hs_deserialize_database(b.data() + 16, b.size() - 16, &db) != HS_SUCCESS) return nullptr;
    return db;
}

void save_cache(const std::string& path, uint64_t key, const hs_database_t* db) {
    char* bytes = nullptr;
    size_t len = 0;
    if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS) return;
    const std::string tmp = path + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f.write(kCacheMagic, 8);
        f.write(reinterpret_cast<const char*>(&key), 8);
        f.write(bytes, static_cast<std::streamsize>(len));
    }
    free(bytes);
    std::rename(tmp.c_str(), path.c_str());
}

}  // namespace

const char* policy_action_name(PolicyAction a) {
    switch (a) {
    case PolicyAction::Deny: return "deny";
    case PolicyAction::Steer: return "steer";
    case PolicyAction::Class: return "class";
    }
    return "?";
}

void destroy_policy(PolicyTable* t) {
    if (!t) return;
    free_matcher(t->out);
    free_matcher(t->in);
    for (auto* s : t->scratch)
        if (s) hs_free_scratch(s);
    if (t->control_scratch) hs_free_scratch(t->control_scratch);
    if (t->db) hs_free_database(t->db);
    delete t;
}

PolicyTable* compile_policy(std::vector<PolicyRule> rules, const PolicyCompileOptions& o, std::string* error) {
    if (rules.size() > kMaxPolicyRules) {
        *error = fmt::format("{} rules, at most {}", rules.size(), kMaxPolicyRules);
        return nullptr;
    }
    std::stable_sort(rules.begin(), rules.end(), [](const PolicyRule& a, const PolicyRule& b) { return a.priority < b.priority; });
    std::unique_ptr<PolicyTable, void (*)(PolicyTable*)> t(new PolicyTable(), destroy_policy);
    t->in.deny_only = true;
    const uint32_t n = static_cast<uint32_t>(rules.size());
    MatcherRules acl_out, acl_in;
    std::vector<const char*> exprs;
    std::vector<std::string> expr_text;
    std::vector<unsigned> flags, ids;
    std::vector<uint32_t> expr_rule;
    for (uint32_t i = 0; i < n; i++) {
        const PolicyRule& pr = rules[i];
        CompiledRule c{};
        c.action = pr.action;
        c.payload = pr.has_payload();
        const std::string cls = pr.traffic_class.empty() ? std::string(policy_action_name(pr.action)) : pr.traffic_class;
        auto it = std::find(t->classes.begin(), t->classes.end(), cls);
        if (it == t->classes.end()) {
            if (t->classes.size() >= kMaxTrafficClasses) {
                *error = fmt::format("rule \"{}\": more than {} traffic classes", pr.name, kMaxTrafficClasses);
                return nullptr;
            }
            t->classes.push_back(cls);
            it = t->classes.end() - 1;
        }
        c.class_id = static_cast<uint8_t>(it - t->classes.begin());
        c.dscp = kNoDscp;
        c.queue_priority = 0;
        for (const PolicyClass& pc : o.classes)
            if (pc.name == cls) {
                c.dscp = pc.dscp.value_or(kNoDscp);
                c.queue_priority = std::min<uint8_t>(pc.priority, kMaxClassPriority);
            }
        t->has_priorities = t->has_priorities || (c.queue_priority > 0 && pr.action != PolicyAction::Deny);
        for (auto& net : pr.networks) {
            auto ni = std::find(o.networks.begin(), o.networks.end(), net);
            if (ni == o.networks.end()) {
                *error = fmt::format("rule \"{}\": \"{}\" is not a [[network]]", pr.name, net);
                return nullptr;
            }
            if (c.n_steer < kMaxNetworks) c.steer[c.n_steer++] = static_cast<uint8_t>(ni - o.networks.begin());
        }
        if (c.payload) {
            c.has_ethertype = pr.ethertype.has_value();
            c.ethertype = pr.ethertype.value_or(0);
            if (!c.has_ethertype && (pr.src || pr.dst)) {
                c.has_ethertype = true;
                c.ethertype = (pr.src ? pr.src : pr.dst)->addr.is_v6() ? 0x86dd : 0x0800;
            }
            c.has_proto = pr.protocol.has_value();
            c.proto = pr.protocol.value_or(0);
            if (pr.src) {
                c.src_len = pr.src->len;
                std::memcpy(c.src, pr.src->addr.b.data(), 16);
            }
            if (pr.dst) {
                c.dst_len = pr.dst->len;
                std::memcpy(c.dst, pr.dst->addr.b.data(), 16);
            }
            c.sport_lo = pr.sport.lo, c.sport_hi = pr.sport.hi, c.dport_lo = pr.dport.lo, c.dport_hi = pr.dport.hi;
            t->out.payload.push_back(i);
            add_rule(pr, i, n, kAclPayloadCategory, acl_out);
            if (pr.action == PolicyAction::Deny) {
                t->in.payload.push_back(i);
                add_rule(pr, i, n, kAclPayloadCategory, acl_in);
            }
            const unsigned f = HS_FLAG_SINGLEMATCH | (pr.caseless ? HS_FLAG_CASELESS : 0) | (pr.dotall ? HS_FLAG_DOTALL : 0) |
                               (pr.multiline ? HS_FLAG_MULTILINE : 0);
            for (auto& re : pr.regexes) {
                expr_text.push_back(re);
                flags.push_back(f);
                ids.push_back(i);
            }
            for (auto& lit : pr.literals) {
                expr_text.push_back(literal_regex(lit));
                flags.push_back(f);
                ids.push_back(i);
            }
        } else {
            add_rule(pr, i, n, kAclHeaderCategory, acl_out);
            if (pr.action == PolicyAction::Deny) add_rule(pr, i, n, kAclHeaderCategory, acl_in);
        }
        t->has_deny = t->has_deny || pr.action == PolicyAction::Deny;
        t->rules.push_back(c);
    }
    if (!build_matcher(t->out, acl_out, o.socket, "o", error) || !build_matcher(t->in, acl_in, o.socket, "i", error))
        return nullptr;

    if (!expr_text.empty()) {
        uint64_t key = fnv1a(hs_version());
        for (size_t k = 0; k < expr_text.size(); k++) key = fnv1a(fmt::format("{}|{}|{}\n", expr_text[k], flags[k], ids[k]), key);
        if (!o.cache_file.empty()) t->db = load_cache(o.cache_file, key);
        t->db_from_cache = t->db != nullptr;
        if (!t->db) {
            for (auto& s : expr_text) exprs.push_back(s.c_str());
            hs_compile_error_t* err = nullptr;
            if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK,
                                 nullptr, &t->db, &err) != HS_SUCCESS) {
                const int e = err ? err->expression : -1;
                const std::string what = err && err->message ? err->message : "unknown error";
                *error = e >= 0 ? fmt::format("rule \"{}\": pattern \"{}\": {}", rules[ids[static_cast<size_t>(e)]].name,
                                              expr_text[static_cast<size_t>(e)], what)
                                : "Hyperscan: " + what;
                hs_free_compile_error(err);
                return nullptr;
            }
            if (!o.cache_file.empty()) save_cache(o.cache_file, key, t->db);
        }
        if (hs_alloc_scratch(t->db, &t->scratch[0]) != HS_SUCCESS) {
            *error = "cannot allocate Hyperscan scratch space";
            return nullptr;
        }
        if (hs_clone_scratch(t->scratch[0], &t->control_scratch) != HS_SUCCESS) {
            *error = "cannot allocate Hyperscan scratch space";
            return nullptr;
        }
        for (uint16_t w = 1; w < o.n_workers && w < kMaxWorkers; w++)
            if (hs_clone_scratch(t->scratch[0], &t->scratch[w]) != HS_SUCCESS) {
                *error = "cannot allocate Hyperscan scratch space";
                return nullptr;
            }
    }
    const size_t workers = std::max<uint16_t>(o.n_workers, 1);
    t->hits.assign(workers * n, 0);
    t->bytes.assign(workers * n, 0);
    for (size_t w = 0; w < workers && w < kMaxWorkers; w++) {
        t->rows[w].hits = t->hits.data() + w * n;
        t->rows[w].bytes = t->bytes.data() + w * n;
    }
    t->source = std::move(rules);
    return t.release();
}

}  // namespace ftnet
