// The route binding of a message (docs/wire-format.md 10.2): a CRC32C of
// the route's family and its two ends, sender first. It is in the
// authenticated header, and the receiver requires it to match the outer
// addresses the message arrived with, so a message captured on one route
// and rewritten onto another (a heartbeat reply moved from a live network
// to a dead one) is refused. Not a secret and not a MAC: the AEAD tag is
// what makes it unforgeable; the CRC only folds 33 bytes into 4.
//
// Pure; computed by the control thread when it builds a route's template
// and its receive binding, never per packet.
#pragma once

#include <rte_hash_crc.h>

#include <cstdint>
#include <cstring>

#include "engine/core/net_addr.h"

namespace ftnet {

inline uint32_t route_binding(Family f, const IpAddr& sender, const IpAddr& receiver) {
    uint8_t b[33] = {};
    b[0] = f == Family::V6 ? 6 : 4;
    const size_t n = f == Family::V6 ? 16 : 4;
    std::memcpy(b + 1, sender.b.data(), n);
    std::memcpy(b + 17, receiver.b.data(), n);
    return rte_hash_crc(b, sizeof b, 0xf7e7a1u);
}

}  // namespace ftnet
