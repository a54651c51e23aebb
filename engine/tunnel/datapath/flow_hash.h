// Flow hash of an inner frame, for the outer UDP source port and IPv6 flow
// label, so that ECMP in the network spreads ftnet0 flows over its paths
// while keeping each flow on one path (in order).
//
// Pure and inline; any thread. About 10-20 cycles with SSE4.2 CRC32.
#pragma once

#include <rte_hash_crc.h>

#include <cstdint>
#include <cstring>

namespace ftnet {

// rte_hash_crc() of a multiple of 4 bytes at any alignment: the same value,
// but loaded with memcpy (rte_hash_crc dereferences them as uint64_t,
// undefined behaviour on a frame's unaligned addresses; UBSan reports it).
inline uint32_t crc_unaligned(const uint8_t* p, uint32_t len, uint32_t h) {
    for (; len >= 8; len -= 8, p += 8) {
        uint64_t v;
        std::memcpy(&v, p, 8);
        h = rte_hash_crc_8byte(v, h);
    }
    if (len == 4) {
        uint32_t v;
        std::memcpy(&v, p, 4);
        h = rte_hash_crc_4byte(v, h);
    }
    return h;
}

inline uint32_t inner_flow_hash(const uint8_t* f, uint32_t len) {
    uint16_t type = static_cast<uint16_t>(f[12] << 8 | f[13]);
    if (type == 0x0800 && len >= 14 + 20) {
        uint32_t ihl = (f[14] & 0x0f) * 4u;
        uint64_t addrs;
        std::memcpy(&addrs, f + 26, 8);
        uint32_t h = rte_hash_crc_8byte(addrs, f[23]);
        bool first_fragment_only = (f[20] & 0x1f) == 0 && f[21] == 0 && !(f[20] & 0x20);
        if ((f[23] == 6 || f[23] == 17) && first_fragment_only && len >= 14 + ihl + 4) {
            uint32_t ports;
            std::memcpy(&ports, f + 14 + ihl, 4);
            h = rte_hash_crc_4byte(ports, h);
        }
        return h;
    }
    if (type == 0x86dd && len >= 14 + 40) {
        uint32_t h = crc_unaligned(f + 22, 32, f[20]);
        if ((f[20] == 6 || f[20] == 17) && len >= 14 + 40 + 4) {
            uint32_t ports;
            std::memcpy(&ports, f + 54, 4);
            h = rte_hash_crc_4byte(ports, h);
        }
        return h;
    }
    return crc_unaligned(f, 12, type);
}

}  // namespace ftnet
