// One's-complement checksum helpers (RFC 1071) on top of DPDK's raw sums.
// Inline and pure; any thread.
#pragma once

#include <cstdint>

namespace ftnet {

// Folds a 32-bit one's-complement accumulator to 16 bits.
inline uint16_t csum_fold(uint32_t s) {
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(s);
}

}  // namespace ftnet
