// The compiled traffic policy the workers read: every rule in priority
// order, a DPDK ACL trie over the rules that only look at headers, the
// header part of the rules that also look at the payload, and one
// Hyperscan database with every payload pattern (id = rule index).
//
// Immutable once published (Dataplane::policy, RCU like the route table:
// engine/core/rcu_publish.h) but for its counters, which each worker
// writes in its own row. Built by compile_policy() on the control thread;
// destroy_policy() frees it after the grace period.
//
// Two matchers: "out" over every rule (frames from ftnet0: steer, class,
// deny) and "in" over the deny rules only (frames decapsulated for
// ftnet0). Each has an ACL context per IP family with two categories: the
// header-only rules (the answer) and the header part of the payload rules
// (the first one whose pattern is worth scanning for).
#pragma once

#include <hs/hs.h>
#include <rte_acl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/limits.h"
#include "engine/policy/policy_rule.h"

namespace ftnet {

inline constexpr uint32_t kMaxPolicyRules = 4096;
inline constexpr uint32_t kMaxTrafficClasses = 32;
inline constexpr uint32_t kNoRule = 0xffffffff;
inline constexpr uint8_t kNoDscp = 0xff;  // keep the tunnel's DSCP
inline constexpr uint8_t kMaxClassPriority = 7;

// The ACL key the workers build for each frame (network byte order): the
// fields below at these offsets, 4-byte groups after the first byte, as
// rte_acl wants them.
struct alignas(4) PolicyKey {
    uint8_t proto;        // 0: IP protocol (0 for non-IP frames)
    uint8_t pad0[3];
    uint8_t ethertype[2];  // 4: inner Ethernet type
    uint8_t pad1[2];
    uint8_t src[16];      // 8: IPv4 in the first 4 bytes, the rest zero
    uint8_t dst[16];      // 24
    uint8_t sport[2];     // 40 (0 for non-TCP/UDP)
    uint8_t dport[2];     // 42
};
static_assert(sizeof(PolicyKey) == 44);

// A rule as the workers need it.
struct CompiledRule {
    PolicyAction action;
    uint8_t class_id;         // index into the table's classes
    uint8_t dscp;             // its class's outer DSCP, or kNoDscp
    uint8_t queue_priority;   // its class's priority (0..kMaxClassPriority)
    uint8_t n_steer;
    uint8_t steer[kMaxNetworks];  // Steer: preferred network indexes, best first
    bool payload;             // also needs a payload pattern
    // The header part of a payload rule (header-only rules live in the ACL).
    bool has_ethertype, has_proto;
    uint16_t ethertype;
    uint8_t proto;
    uint8_t src_len, dst_len;  // prefix lengths (0: any); family from ethertype
    uint8_t src[16], dst[16];
    uint16_t sport_lo, sport_hi, dport_lo, dport_hi;
};

// ACL categories: a frame gets the first header-only rule it matches and,
// separately, the first payload rule whose headers it matches.
inline constexpr uint32_t kAclHeaderCategory = 0;
inline constexpr uint32_t kAclPayloadCategory = 1;

// A header-only rule that non-IP frames can hit: by Ethernet type, or any
// frame at all (ethertype 0).
struct PolicyEthertypeRule {
    uint16_t ethertype;
    uint32_t rule;
};

// One trie per IP family, so that an IPv4 frame walks 13 key bytes, not
// the 41 of an IPv6 one; non-IP frames (rare: ARP, LLDP) a short list.
struct PolicyMatcher {
    rte_acl_ctx* acl4 = nullptr;            // nullptr: no rule for IPv4 frames
    rte_acl_ctx* acl6 = nullptr;            // nullptr: no rule for IPv6 frames
    uint32_t categories = 1;                // 1, or RTE_ACL_RESULTS_MULTIPLIER with payload rules
    std::vector<PolicyEthertypeRule> other; // ascending rule index
    std::vector<uint32_t> payload;          // payload rules' indexes, ascending
    bool deny_only = false;                 // the receive side's: deny rules only
};

// Per worker, per rule: frames and bytes it decided.
struct alignas(64) PolicyCounterRow {
    uint64_t* hits;
    uint64_t* bytes;
    uint64_t class_pkts[kMaxTrafficClasses];
    uint64_t class_bytes[kMaxTrafficClasses];
};

struct PolicyTable {
    uint64_t generation = 0;
    std::vector<PolicyRule> source;       // as configured, in priority order (names, for counters)
    std::vector<CompiledRule> rules;      // same order: index = first-match order
    std::vector<std::string> classes;     // class names by id
    PolicyMatcher out, in;
    hs_database_t* db = nullptr;          // nullptr: no payload pattern
    hs_scratch_t* scratch[kMaxWorkers] = {};
    hs_scratch_t* control_scratch = nullptr;  // the control thread's (`policy test`)
    std::vector<uint64_t> hits, bytes;    // [worker * rules.size() + rule]
    mutable PolicyCounterRow rows[kMaxWorkers];  // written by each worker in its row
    bool has_deny = false;                // anything for the receive side
    bool has_priorities = false;          // a class with priority > 0: bursts are reordered
    bool db_from_cache = false;           // the database was loaded, not compiled
};

struct PolicyCompileOptions {
    std::vector<std::string> networks;  // network names by index (Config::networks)
    std::vector<PolicyClass> classes;   // [[policy.class]]: DSCP and priority by class name
    uint16_t n_workers = 1;
    int socket = 0;                      // NUMA socket for the ACL tries
    std::string cache_file;              // serialized Hyperscan database ("" none)
};

// Compiles `rules` (sorted here by priority, then file order). Returns
// nullptr and why (naming the rule and Hyperscan's or the ACL's message)
// when it cannot. Control thread (or a test with an EAL: rte_acl allocates
// with rte_malloc).
PolicyTable* compile_policy(std::vector<PolicyRule> rules, const PolicyCompileOptions& o, std::string* error);
void destroy_policy(PolicyTable* t);

}  // namespace ftnet
