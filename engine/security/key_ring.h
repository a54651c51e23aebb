// The cluster keys a node seals and opens messages with (docs/wire-format.md
// 10.5): every key it accepts, by wire key id, and the one it seals with.
//
// Immutable once published. The security module's control side builds a
// new KeyRing for every change (start, `ftnetctl key add|use|retire`),
// publishes it into Dataplane::keys with RcuPublisher and frees the old one
// after a grace period. Workers load the pointer once per poll loop; the
// control thread reads the current one.
#pragma once

#include <cstdint>
#include <cstring>

#include "engine/security/aead.h"

namespace ftnet {

inline constexpr unsigned kMaxKeys = 8;       // keys held at once (a rotation needs 2)
inline constexpr uint8_t kNoKey = 0xff;       // KeyRing::slot_by_id: not held

struct KeyRing {
    AeadKey keys[kMaxKeys];
    uint8_t n_keys = 0;
    uint8_t slot_by_id[256];  // key id -> index into keys, or kNoKey
    uint8_t primary = 0;      // index into keys of the key that seals
    bool encrypt = false;     // seal with encryption (else authenticate only)

    KeyRing() { std::memset(slot_by_id, kNoKey, sizeof slot_by_id); }
    // Holds key `id` (16 or 32 bytes; aead_init() first); it seals when
    // `sealing` is set. Builders only (fewer than kMaxKeys held).
    void add(uint8_t id, const uint8_t* key, size_t len, bool sealing) {
        aead_expand(keys[n_keys], id, key, len);
        slot_by_id[id] = n_keys;
        if (sealing) primary = n_keys;
        n_keys++;
    }

    const AeadKey* find(uint8_t id) const {
        const uint8_t s = slot_by_id[id];
        return s == kNoKey ? nullptr : &keys[s];
    }
    const AeadKey& sealing() const { return keys[primary]; }
};

}  // namespace ftnet
