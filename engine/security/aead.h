// AES-GCM for one ftnet message (wire format v2, docs/wire-format.md
// section 10): seal() computes the tag over the header and the payload
// (authenticated only) or encrypts the payload and authenticates both;
// open() checks and, if encrypted, decrypts in place. intel-ipsec-mb's
// direct API: the cheaper of the two libraries measured (bench/aead_bench).
//
// aead_init() once, on the main thread, before any worker starts; after
// that seal/open are called from any thread (workers, the control thread)
// with keys that do not change while in use (a key is replaced by
// publishing a new AeadKey, never rewritten). No allocation, no syscall:
// per-packet path.
#pragma once

#include <cstddef>
#include <cstdint>

#include <intel-ipsec-mb.h>

namespace ftnet {

inline constexpr size_t kAeadTagLen = 16;
inline constexpr size_t kAeadNonceLen = 12;

struct AeadKey {
    alignas(64) gcm_key_data expanded;
    uint8_t id = 0;  // the wire's key id (1..255)
    bool aes256 = false;
};

// Picks the code for this CPU. Returns false when intel-ipsec-mb cannot run
// here (no AES-NI): the engine then refuses to start, saying so.
bool aead_init();
// What aead_init() chose ("AVX2", "AVX512", ...), for the start-up log.
const char* aead_arch();

// key: 16 or 32 bytes.
void aead_expand(AeadKey& k, uint8_t id, const uint8_t* key, size_t key_len);

// The nonce of a message (section 10.3): sender node, sequence space, and
// the space's 64-bit sequence (epoch and counter).
inline void aead_nonce(uint8_t out[kAeadNonceLen], uint16_t src_node, uint8_t space, uint64_t seq) {
    out[0] = static_cast<uint8_t>(src_node >> 8);
    out[1] = static_cast<uint8_t>(src_node);
    out[2] = space;
    out[3] = 0;
    for (int i = 0; i < 8; i++) out[4 + i] = static_cast<uint8_t>(seq >> (56 - 8 * i));
}

// `msg` is the header (hdr_len bytes) followed by the payload (len bytes),
// contiguous, as in the packet; the tag is written to `tag`.
void aead_seal(const AeadKey& k, const uint8_t nonce[kAeadNonceLen], uint8_t* msg, size_t hdr_len, size_t len,
               bool encrypt, uint8_t tag[kAeadTagLen]);

// True when the tag is right (compared in constant time); an encrypted
// payload is then decrypted in place. On false the payload may have been
// overwritten with garbage: drop the message.
bool aead_open(const AeadKey& k, const uint8_t nonce[kAeadNonceLen], uint8_t* msg, size_t hdr_len, size_t len,
               bool encrypted, const uint8_t tag[kAeadTagLen]);

}  // namespace ftnet
