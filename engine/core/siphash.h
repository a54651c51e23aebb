// SipHash-2-4 with a 128-bit output (Aumasson and Bernstein, "SipHash: a
// fast short-input PRF", and the reference implementation's 128-bit
// variant): the authentication tag of heartbeats and HELLOs.
//
// Why not HMAC through OpenSSL: at 64 peers x 4 routes x 1 ms a worker tags
// and checks ~770k messages a second; on a 40-byte heartbeat HMAC-SHA256
// costs 995 ns, this 27 ns (bench/README.md, micro_bench). OpenSSL's own
// SIPHASH (EVP_MAC) computes the same function; the unit tests check that
// they agree.
//
// Pure and inline; any thread. The key is 16 bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ftnet {

struct SipKey {
    uint64_t k0 = 0, k1 = 0;
    static SipKey from_bytes(const uint8_t key[16]) {
        SipKey k;
        std::memcpy(&k.k0, key, 8);
        std::memcpy(&k.k1, key + 8, 8);
        return k;
    }
};

namespace detail {
inline uint64_t rotl64(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }
inline void sipround(uint64_t& v0, uint64_t& v1, uint64_t& v2, uint64_t& v3) {
    v0 += v1;
    v1 = rotl64(v1, 13);
    v1 ^= v0;
    v0 = rotl64(v0, 32);
    v2 += v3;
    v3 = rotl64(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl64(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl64(v1, 17);
    v1 ^= v2;
    v2 = rotl64(v2, 32);
}
}  // namespace detail

// Writes the 16-byte tag of msg[0..len) into out. Little-endian words, as
// the reference implementation (x86 only here).
inline void siphash128(const SipKey& key, const void* msg, size_t len, uint8_t out[16]) {
    using detail::sipround;
    uint64_t v0 = 0x736f6d6570736575ULL ^ key.k0;
    uint64_t v1 = 0x646f72616e646f6dULL ^ key.k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ key.k0;
    uint64_t v3 = 0x7465646279746573ULL ^ key.k1;
    v1 ^= 0xee;  // 128-bit output variant
    const auto* p = static_cast<const uint8_t*>(msg);
    const size_t whole = len & ~size_t{7};
    for (size_t i = 0; i < whole; i += 8) {
        uint64_t m;
        std::memcpy(&m, p + i, 8);
        v3 ^= m;
        sipround(v0, v1, v2, v3);
        sipround(v0, v1, v2, v3);
        v0 ^= m;
    }
    uint64_t b = static_cast<uint64_t>(len) << 56;
    for (size_t i = 0; i < (len & 7); i++) b |= static_cast<uint64_t>(p[whole + i]) << (8 * i);
    v3 ^= b;
    sipround(v0, v1, v2, v3);
    sipround(v0, v1, v2, v3);
    v0 ^= b;
    v2 ^= 0xee;
    for (int i = 0; i < 4; i++) sipround(v0, v1, v2, v3);
    uint64_t h0 = v0 ^ v1 ^ v2 ^ v3;
    v1 ^= 0xdd;
    for (int i = 0; i < 4; i++) sipround(v0, v1, v2, v3);
    uint64_t h1 = v0 ^ v1 ^ v2 ^ v3;
    std::memcpy(out, &h0, 8);
    std::memcpy(out + 8, &h1, 8);
}

// Constant-time comparison of two tags.
inline bool tag_equal(const uint8_t* a, const uint8_t* b, size_t n = 16) {
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++) d |= static_cast<uint8_t>(a[i] ^ b[i]);
    return d == 0;
}

}  // namespace ftnet
