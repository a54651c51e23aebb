#include "engine/security/aead.h"

#include <cstring>

namespace ftnet {

namespace {

IMB_MGR* g_mgr = nullptr;
IMB_ARCH g_arch = IMB_ARCH_NONE;

bool tags_equal(const uint8_t* a, const uint8_t* b) {
    uint8_t d = 0;
    for (size_t i = 0; i < kAeadTagLen; i++) d |= static_cast<uint8_t>(a[i] ^ b[i]);
    return d == 0;
}

// GCM over (aad, data), in place; with no data it is GMAC over the aad.
// Decryption computes the tag of the ciphertext it reads.
void gcm(const AeadKey& k, bool decrypt, const uint8_t* nonce, const uint8_t* aad, size_t aad_len, uint8_t* data,
         size_t len, uint8_t* tag) {
    alignas(64) gcm_context_data ctx;
    if (decrypt) {
        if (k.aes256)
            IMB_AES256_GCM_DEC(g_mgr, &k.expanded, &ctx, data, data, len, nonce, aad, aad_len, tag, kAeadTagLen);
        else
            IMB_AES128_GCM_DEC(g_mgr, &k.expanded, &ctx, data, data, len, nonce, aad, aad_len, tag, kAeadTagLen);
    } else if (k.aes256) {
        IMB_AES256_GCM_ENC(g_mgr, &k.expanded, &ctx, data, data, len, nonce, aad, aad_len, tag, kAeadTagLen);
    } else {
        IMB_AES128_GCM_ENC(g_mgr, &k.expanded, &ctx, data, data, len, nonce, aad, aad_len, tag, kAeadTagLen);
    }
}

}  // namespace

bool aead_init() {
    if (g_mgr) return true;
    IMB_MGR* m = alloc_mb_mgr(0);
    if (!m) return false;
    IMB_ARCH arch = IMB_ARCH_NONE;
    init_mb_mgr_auto(m, &arch);
    if (imb_get_errno(m) != 0 || arch == IMB_ARCH_NONE || arch == IMB_ARCH_NOAESNI) {
        free_mb_mgr(m);
        return false;
    }
    g_mgr = m;
    g_arch = arch;
    return true;
}

const char* aead_arch() {
    switch (g_arch) {
    case IMB_ARCH_SSE: return "SSE";
    case IMB_ARCH_AVX: return "AVX";
    case IMB_ARCH_AVX2: return "AVX2";
    case IMB_ARCH_AVX512: return "AVX512";
    default: return "none";
    }
}

void aead_expand(AeadKey& k, uint8_t id, const uint8_t* key, size_t key_len) {
    k.id = id;
    k.aes256 = key_len == 32;
    if (k.aes256)
        IMB_AES256_GCM_PRE(g_mgr, key, &k.expanded);
    else
        IMB_AES128_GCM_PRE(g_mgr, key, &k.expanded);
}

void aead_seal(const AeadKey& k, const uint8_t nonce[kAeadNonceLen], uint8_t* msg, size_t hdr_len, size_t len,
               bool encrypt, uint8_t tag[kAeadTagLen]) {
    // Authenticated only: the payload joins the additional data (GMAC,
    // cheapest as one GCM call with nothing to encrypt).
    if (encrypt)
        gcm(k, false, nonce, msg, hdr_len, msg + hdr_len, len, tag);
    else
        gcm(k, false, nonce, msg, hdr_len + len, nullptr, 0, tag);
}

bool aead_open(const AeadKey& k, const uint8_t nonce[kAeadNonceLen], uint8_t* msg, size_t hdr_len, size_t len,
               bool encrypted, const uint8_t tag[kAeadTagLen]) {
    uint8_t want[kAeadTagLen];
    if (encrypted)
        gcm(k, true, nonce, msg, hdr_len, msg + hdr_len, len, want);
    else
        gcm(k, false, nonce, msg, hdr_len + len, nullptr, 0, want);
    return tags_equal(want, tag);
}

}  // namespace ftnet
