// Sealing one ftnet message (docs/wire-format.md 10.2, 10.3): the sender
// fills in the key id, the flags, its sequence space and sequence, then
// AES-GCM authenticates the header and the payload (encrypting the payload
// when the key ring says so) and writes the tag after the payload.
//
// Any sender: workers (DATA, heartbeats, replies), each in its own space;
// the control thread (HELLO, link notices) in wire::kControlSpace. A space
// has one writer, so a sequence is never used twice within a life, and the
// epoch differs between lives: the nonce never repeats for a key. Inline,
// no allocation, no syscall.
#pragma once

#include <rte_byteorder.h>

#include <cstdint>

#include "engine/security/aead.h"
#include "engine/security/key_ring.h"
#include "engine/tunnel/ftnet_wire.h"

namespace ftnet {

// The next sequence of a space: its epoch in the upper 16 bits, the
// space's counter (advanced here) in the lower 48. 0 once the counter is
// exhausted (2^48 - 1 messages in one life): the caller drops the message
// (tx-seq-exhausted) rather than repeat a nonce.
inline uint64_t next_sequence(uint16_t epoch, uint64_t& counter) {
    if (counter >= wire::kSeqCounterMask) return 0;
    return uint64_t{epoch} << 48 | ++counter;
}

// h: the message's ftnet header, followed by plen payload bytes and room for
// the tag, contiguous. src_node, dst_node and route_binding are already in h.
inline void seal_message(wire::Header* h, size_t plen, const KeyRing& kr, uint8_t space, uint64_t seq) {
    const AeadKey& k = kr.sealing();
    h->version = wire::kVersion;
    h->flags = kr.encrypt ? wire::kFlagEncrypted : 0;
    h->key_id = k.id;
    h->space = space;
    h->reserved = 0;
    h->seq = rte_cpu_to_be_64(seq);
    uint8_t nonce[kAeadNonceLen];
    aead_nonce(nonce, rte_be_to_cpu_16(h->src_node), space, seq);
    auto* msg = reinterpret_cast<uint8_t*>(h);
    aead_seal(k, nonce, msg, sizeof(wire::Header), plen, kr.encrypt, msg + sizeof(wire::Header) + plen);
}

}  // namespace ftnet
