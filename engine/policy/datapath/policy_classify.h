// Stage: which policy rule an inner frame hits (the first by priority), on
// the workers: between ftnet0's input and route selection for frames the
// host sends (every rule), and between decapsulation and ftnet0 for frames
// from peers (deny rules only).
//
// A burst at a time: each frame's headers are parsed once into a PolicyKey,
// the rules that look only at headers are one rte_acl_classify() call per
// IP family for the whole burst (a compiled trie: its cost does not grow
// with the rule count; IPv4 frames walk 13 key bytes) that also finds the
// first payload rule whose headers match, and
// Hyperscan scans a frame's payload only when that rule comes before the
// header-only answer. A frame no rule hits costs the parse and the trie
// walk.
//
// Worker-only (and tests, benches); each worker passes its own scratch.
#pragma once

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "engine/policy/policy_table.h"

namespace ftnet {

struct PolicyFrame {
    PolicyKey key;
    const uint8_t* payload = nullptr;  // the L4 payload (TCP/UDP data, else the IP payload)
    uint32_t payload_len = 0;
};

// Fills p from the inner frame f (len bytes, contiguous). Never reads past
// len; a truncated header leaves the fields it could not read zero.
inline void policy_parse(const uint8_t* f, uint32_t len, PolicyFrame& p) {
    std::memset(&p.key, 0, sizeof p.key);
    p.payload = nullptr;
    p.payload_len = 0;
    if (len < RTE_ETHER_HDR_LEN) return;
    uint32_t off = 12;
    uint16_t et = static_cast<uint16_t>(f[off] << 8 | f[off + 1]);
    if (et == RTE_ETHER_TYPE_VLAN && len >= off + 6) {  // one 802.1Q tag
        off += 4;
        et = static_cast<uint16_t>(f[off] << 8 | f[off + 1]);
    }
    p.key.ethertype[0] = static_cast<uint8_t>(et >> 8);
    p.key.ethertype[1] = static_cast<uint8_t>(et);
    off += 2;
    uint32_t l4 = 0, end = len;
    uint8_t proto = 0;
    if (et == RTE_ETHER_TYPE_IPV4) {
        if (len < off + 20) return;
        const uint8_t* ip = f + off;
        const uint32_t ihl = (ip[0] & 0x0f) * 4u, tot = static_cast<uint32_t>(ip[2] << 8 | ip[3]);
        if (ihl < 20 || len < off + ihl) return;
        proto = ip[9];
        std::memcpy(p.key.src, ip + 12, 4);
        std::memcpy(p.key.dst, ip + 16, 4);
        // A later fragment carries no L4 header: the protocol only.
        if ((ip[6] & 0x1f) != 0 || ip[7] != 0) {
            p.key.proto = proto;
            return;
        }
        l4 = off + ihl;
        end = std::min(len, off + std::max(tot, ihl));
    } else if (et == RTE_ETHER_TYPE_IPV6) {
        if (len < off + 40) return;
        const uint8_t* ip = f + off;
        proto = ip[6];
        std::memcpy(p.key.src, ip + 8, 16);
        std::memcpy(p.key.dst, ip + 24, 16);
        l4 = off + 40;
        end = std::min(len, l4 + static_cast<uint32_t>(ip[4] << 8 | ip[5]));
    } else {
        return;
    }
    p.key.proto = proto;
    uint32_t data = l4;
    if (proto == IPPROTO_TCP && end >= l4 + 20) {
        std::memcpy(p.key.sport, f + l4, 4);  // both ports
        data = l4 + (f[l4 + 12] >> 4) * 4u;
    } else if (proto == IPPROTO_UDP && end >= l4 + 8) {
        std::memcpy(p.key.sport, f + l4, 4);
        data = l4 + 8;
    } else if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
        return;  // truncated L4 header: no ports, no payload
    }
    if (data < end) {
        p.payload = f + data;
        p.payload_len = end - data;
    }
}

namespace detail {

inline constexpr uint32_t kMaxBurstFrames = 64;  // classified together

inline bool prefix_matches(const uint8_t* a, const uint8_t* want, uint8_t len) {
    const unsigned full = len / 8, rest = len % 8;
    if (std::memcmp(a, want, full) != 0) return false;
    if (!rest) return true;
    const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
    return (a[full] & mask) == (want[full] & mask);
}

// The header part of a payload rule.
inline bool header_matches(const CompiledRule& r, const PolicyKey& k) {
    const uint16_t et = static_cast<uint16_t>(k.ethertype[0] << 8 | k.ethertype[1]);
    if (r.has_ethertype && et != r.ethertype) return false;
    if (r.has_proto && k.proto != r.proto) return false;
    if (r.src_len && !prefix_matches(k.src, r.src, r.src_len)) return false;
    if (r.dst_len && !prefix_matches(k.dst, r.dst, r.dst_len)) return false;
    const uint16_t sp = static_cast<uint16_t>(k.sport[0] << 8 | k.sport[1]), dp = static_cast<uint16_t>(k.dport[0] << 8 | k.dport[1]);
    return sp >= r.sport_lo && sp <= r.sport_hi && dp >= r.dport_lo && dp <= r.dport_hi;
}

struct ScanState {
    const PolicyTable* t;
    const PolicyMatcher* m;
    const PolicyKey* key;
    uint32_t first;  // the first payload rule whose headers the frame matches
    uint32_t best;   // the first rule hit so far (the header-only answer to begin with)
};

// A pattern matched: its rule is hit if it belongs to this matcher, comes
// before the best so far and its header part matches the frame (known for
// the first candidate, checked for the others: matches are rare).
inline int on_payload_match(unsigned id, unsigned long long, unsigned long long, unsigned, void* ctx) {
    auto* s = static_cast<ScanState*>(ctx);
    if (id >= s->best || id < s->first) return 0;
    if (id != s->first) {
        const CompiledRule& r = s->t->rules[id];
        if (s->m->deny_only && r.action != PolicyAction::Deny) return 0;
        if (!header_matches(r, *s->key)) return 0;
    }
    s->best = id;
    // Nothing can come before the first candidate: stop scanning.
    return id == s->first ? 1 : 0;
}

}  // namespace detail

// The first rule of matcher m that frame p hits, given the ACL's answers
// for its headers (rule index + 1, 0 for none): the first header-only rule
// and the first payload rule whose headers match. Hyperscan scans the
// payload only when that payload rule comes first.
inline uint32_t policy_resolve(const PolicyTable& t, const PolicyMatcher& m, const PolicyFrame& p, uint32_t header_rule,
                               uint32_t payload_rule, hs_scratch_t* scratch) {
    const uint32_t best = header_rule ? header_rule - 1 : kNoRule;
    if (!payload_rule || payload_rule - 1 >= best || p.payload_len == 0 || !t.db) return best;
    detail::ScanState s{&t, &m, &p.key, payload_rule - 1, best};
    hs_scan(t.db, reinterpret_cast<const char*>(p.payload), p.payload_len, 0, scratch, detail::on_payload_match, &s);
    return s.best;
}

namespace detail {

// The first header-only rule a non-IP frame hits.
inline uint32_t other_rule(const PolicyMatcher& m, const PolicyKey& k) {
    const uint16_t et = static_cast<uint16_t>(k.ethertype[0] << 8 | k.ethertype[1]);
    for (const PolicyEthertypeRule& r : m.other)
        if (r.ethertype == 0 || r.ethertype == et) return r.rule;
    return kNoRule;
}

// One family's frames (idx[0..n) of frames) through its trie.
inline void classify_family(const PolicyTable& t, const PolicyMatcher& m, rte_acl_ctx* acl, const PolicyFrame* frames,
                            const uint32_t* idx, uint32_t n, uint32_t* out, hs_scratch_t* scratch) {
    if (n == 0) return;
    if (!acl) {
        for (uint32_t i = 0; i < n; i++) out[idx[i]] = kNoRule;
        return;
    }
    const uint8_t* keys[kMaxBurstFrames];
    uint32_t res[kMaxBurstFrames * RTE_ACL_RESULTS_MULTIPLIER];
    for (uint32_t i = 0; i < n; i++) keys[i] = reinterpret_cast<const uint8_t*>(&frames[idx[i]].key);
    const uint32_t c = m.categories;
    rte_acl_classify(acl, keys, res, n, c);
    if (c == 1) {
        for (uint32_t i = 0; i < n; i++) out[idx[i]] = res[i] ? res[i] - 1 : kNoRule;
        return;
    }
    for (uint32_t i = 0; i < n; i++)
        out[idx[i]] = policy_resolve(t, m, frames[idx[i]], res[i * c + kAclHeaderCategory], res[i * c + kAclPayloadCategory], scratch);
}

}  // namespace detail

// Every frame of a burst: out[i] is the rule index, or kNoRule.
inline void policy_classify_burst(const PolicyTable& t, const PolicyMatcher& m, const PolicyFrame* frames, uint32_t n,
                                  uint32_t* out, hs_scratch_t* scratch) {
    uint32_t v4[detail::kMaxBurstFrames], v6[detail::kMaxBurstFrames];
    for (uint32_t base = 0; base < n; base += detail::kMaxBurstFrames) {
        const uint32_t k = std::min(detail::kMaxBurstFrames, n - base);
        uint32_t n4 = 0, n6 = 0;
        for (uint32_t i = base; i < base + k; i++) {
            const uint8_t* et = frames[i].key.ethertype;
            if (et[0] == 0x08 && et[1] == 0x00) v4[n4++] = i;
            else if (et[0] == 0x86 && et[1] == 0xdd) v6[n6++] = i;
            else out[i] = detail::other_rule(m, frames[i].key);
        }
        detail::classify_family(t, m, m.acl4, frames, v4, n4, out, scratch);
        detail::classify_family(t, m, m.acl6, frames, v6, n6, out, scratch);
    }
}

}  // namespace ftnet
