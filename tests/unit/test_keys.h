// The cluster keys and sequences of the tests, fuzz targets and benches:
// what a test sender seals with. No EAL needed (aead_init() only).
#pragma once

#include <cstdint>

#include "engine/security/key_ring.h"

namespace ftnet::test {

// Key id 1 (AES-128) and id 2 (AES-256), sealing with `primary` (1 or 2),
// authenticate-only or encrypting.
const KeyRing& test_keys(bool encrypt = false, uint8_t primary = 1);
// Another cluster's key with the same id (1): what it seals fails the tag.
const KeyRing& other_cluster_keys();
// A fresh sequence (epoch 1) for test senders: never the same twice in a
// process, so that test packets are never each other's replays.
uint64_t next_test_seq();

}  // namespace ftnet::test
