// One's-complement checksums (RFC 1071) for the per-packet path.
//
// DPDK 22.11's rte_raw_cksum() adds 16 bits at a time; summing 32-bit words
// into a 64-bit accumulator gives the same result (RFC 1071, 2(B): the sum
// is independent of the word size) in half the additions, and the compiler
// vectorises the loop. Inline and pure; any thread. Little-endian loads, as
// rte_raw_cksum() uses, so the two can be mixed.
#pragma once

#include <rte_ip.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ftnet {

// Folds a 32-bit one's-complement accumulator to 16 bits.
inline uint16_t csum_fold(uint32_t s) {
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(s);
}

// The folded (not inverted) one's-complement sum of len bytes.
inline uint16_t csum_raw(const void* buf, size_t len) {
    const auto* p = static_cast<const uint8_t*>(buf);
    uint64_t sum = 0;
    const size_t words = len / 4;
    for (size_t i = 0; i < words; i++) {
        uint32_t v;
        std::memcpy(&v, p + 4 * i, 4);
        sum += v;
    }
    size_t off = words * 4;
    if (len & 2) {
        uint16_t v;
        std::memcpy(&v, p + off, 2);
        sum += v;
        off += 2;
    }
    if (len & 1) sum += p[off];  // the low byte of a 16-bit word, as rte_raw_cksum() does
    sum = (sum & 0xffffffff) + (sum >> 32);
    sum = (sum & 0xffffffff) + (sum >> 32);
    return csum_fold(static_cast<uint32_t>(sum));
}

// Whether the UDP (or any upper-layer) checksum of an IPv6 packet is right:
// pseudo-header (RFC 8200 8.1) plus the upper-layer data sums to 0xffff.
inline bool ipv6_l4_csum_ok(const rte_ipv6_hdr* ip, const void* l4, uint32_t l4_len) {
    uint32_t sum = csum_raw(ip->src_addr, 32);
    sum += rte_cpu_to_be_16(static_cast<uint16_t>(l4_len));  // < 64 KiB: the upper 16 bits are zero
    sum += rte_cpu_to_be_16(ip->proto);
    sum += csum_raw(l4, l4_len);
    return csum_fold(sum) == 0xffff;
}

}  // namespace ftnet
