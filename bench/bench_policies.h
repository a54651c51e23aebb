// Traffic policies for the benches (fastpath_bench --policy, policy_bench):
// N rules of one kind that the benches' frames never hit, so that every
// rule is considered for every frame. Each rule starts from `base` (the
// header keys the bench's frames match: a protocol, an Ethernet type).
//   Header   destination port ranges 1000+i .. 1040+i and /24 source
//            prefixes 10.x.y.0/24 (the ACL trie), class rules
//   Literal  deny rules with an 8-letter literal each (Hyperscan)
//   Mixed    the same, every other one a caseless regex word[0-9]+word
// Bench-only.
#pragma once

#include <fmt/format.h>

#include <random>
#include <string>
#include <vector>

#include "engine/policy/policy_rule.h"

namespace ftnet::test {

enum class BenchRuleKind { Header, Literal, Mixed };

inline std::vector<PolicyRule> bench_rules(int n, BenchRuleKind kind, const PolicyRule& base, unsigned seed) {
    std::vector<PolicyRule> rules;
    std::mt19937 rng(seed);
    auto word = [&] {
        std::string w;
        for (int i = 0; i < 8; i++) w += static_cast<char>('a' + rng() % 26);
        return w;
    };
    for (int i = 0; i < n; i++) {
        PolicyRule r = base;
        r.name = fmt::format("r{}", i);
        if (kind == BenchRuleKind::Header) {
            r.dport = {static_cast<uint16_t>(1000 + i), static_cast<uint16_t>(1040 + i)};
            r.src = IpPrefix{IpAddr::v4(10, static_cast<uint8_t>(i / 256), static_cast<uint8_t>(i % 256), 0), 24};
            r.action = PolicyAction::Class;
            r.traffic_class = fmt::format("c{}", i % 8);
        } else {
            if (i % 2 || kind == BenchRuleKind::Literal) {
                r.literals = {word()};
            } else {
                r.regexes = {word() + "[0-9]+" + word()};
                r.caseless = true;
            }
            r.action = PolicyAction::Deny;
        }
        rules.push_back(r);
    }
    return rules;
}

}  // namespace ftnet::test
