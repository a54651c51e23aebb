// Message protection (engine/security/aead.h): round trips for both modes
// and key sizes, the same tags and ciphertext as OpenSSL computes (an
// independent implementation), every single-bit flip of a protected
// message rejected, and nonces distinct for distinct (node, space, sequence).

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <array>
#include <cstring>
#include <set>
#include <vector>

#include "engine/security/aead.h"

namespace ftnet::test {
namespace {

constexpr size_t kHdr = 32;

std::vector<uint8_t> message(size_t payload) {
    std::vector<uint8_t> m(kHdr + payload);
    for (size_t i = 0; i < m.size(); i++) m[i] = static_cast<uint8_t>(i * 7 + 3);
    return m;
}

const uint8_t kKey[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                          17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

class Aead : public testing::TestWithParam<size_t> {  // key length
  protected:
    void SetUp() override {
        ASSERT_TRUE(aead_init()) << "intel-ipsec-mb needs AES-NI";
        aead_expand(key, 1, kKey, GetParam());
        aead_nonce(nonce, 1, 0, 0x0001000000000001ull);
    }
    AeadKey key;
    uint8_t nonce[kAeadNonceLen];
};

TEST_P(Aead, RoundTripsInBothModesForEverySize) {
    for (bool encrypt : {false, true})
        for (size_t len : {size_t{0}, size_t{1}, size_t{63}, size_t{64}, size_t{512}, size_t{1400}}) {
            std::vector<uint8_t> m = message(len);
            const std::vector<uint8_t> orig = m;
            uint8_t tag[kAeadTagLen];
            aead_seal(key, nonce, m.data(), kHdr, len, encrypt, tag);
            EXPECT_TRUE(std::equal(m.begin(), m.begin() + kHdr, orig.begin())) << "the header is never encrypted";
            if (encrypt && len >= 16) {
                EXPECT_NE(m, orig) << "the payload is encrypted";
            }
            if (!encrypt) {
                EXPECT_EQ(m, orig) << "authenticated only: nothing changes";
            }
            ASSERT_TRUE(aead_open(key, nonce, m.data(), kHdr, len, encrypt, tag)) << len;
            EXPECT_EQ(m, orig) << "decrypted back";
        }
}

// The same bytes as OpenSSL's AES-GCM: header as AAD, payload as plaintext
// (encrypt), or header and payload as AAD (authenticated only).
TEST_P(Aead, AgreesWithOpenssl) {
    for (bool encrypt : {false, true}) {
        std::vector<uint8_t> m = message(100), ref = m;
        uint8_t tag[kAeadTagLen], ref_tag[kAeadTagLen];
        aead_seal(key, nonce, m.data(), kHdr, 100, encrypt, tag);
        EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
        EVP_EncryptInit_ex(c, GetParam() == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm(), nullptr, kKey, nonce);
        int n = 0;
        EVP_EncryptUpdate(c, nullptr, &n, ref.data(), static_cast<int>(encrypt ? kHdr : ref.size()));
        if (encrypt) EVP_EncryptUpdate(c, ref.data() + kHdr, &n, ref.data() + kHdr, 100);
        EVP_EncryptFinal_ex(c, nullptr, &n);
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, kAeadTagLen, ref_tag);
        EVP_CIPHER_CTX_free(c);
        EXPECT_EQ(m, ref) << "encrypt " << encrypt;
        EXPECT_EQ(0, std::memcmp(tag, ref_tag, kAeadTagLen)) << "encrypt " << encrypt;
    }
}

TEST_P(Aead, EverySingleBitFlipIsRejected) {
    for (bool encrypt : {false, true}) {
        std::vector<uint8_t> m = message(64);
        uint8_t tag[kAeadTagLen];
        aead_seal(key, nonce, m.data(), kHdr, 64, encrypt, tag);
        const std::vector<uint8_t> sealed = m;
        for (size_t bit = 0; bit < (m.size() + kAeadTagLen) * 8; bit++) {
            std::vector<uint8_t> x = sealed;
            uint8_t t[kAeadTagLen];
            std::memcpy(t, tag, kAeadTagLen);
            uint8_t* byte = bit / 8 < x.size() ? &x[bit / 8] : &t[bit / 8 - x.size()];
            *byte ^= static_cast<uint8_t>(1u << (bit % 8));
            ASSERT_FALSE(aead_open(key, nonce, x.data(), kHdr, 64, encrypt, t)) << "bit " << bit << " encrypt " << encrypt;
        }
        std::vector<uint8_t> x = sealed;
        EXPECT_TRUE(aead_open(key, nonce, x.data(), kHdr, 64, encrypt, tag)) << "unflipped, it opens";
    }
}

TEST_P(Aead, AnotherNonceOrKeyIsRejected) {
    std::vector<uint8_t> m = message(64);
    uint8_t tag[kAeadTagLen];
    aead_seal(key, nonce, m.data(), kHdr, 64, false, tag);
    uint8_t other[kAeadNonceLen];
    aead_nonce(other, 1, 0, 0x0001000000000002ull);
    EXPECT_FALSE(aead_open(key, other, m.data(), kHdr, 64, false, tag)) << "the next sequence";
    aead_nonce(other, 2, 0, 0x0001000000000001ull);
    EXPECT_FALSE(aead_open(key, other, m.data(), kHdr, 64, false, tag)) << "another sender";
    AeadKey k2;
    uint8_t raw[32];
    std::memcpy(raw, kKey, 32);
    raw[0] ^= 1;
    aead_expand(k2, 2, raw, GetParam());
    EXPECT_FALSE(aead_open(k2, nonce, m.data(), kHdr, 64, false, tag)) << "another key";
}

INSTANTIATE_TEST_SUITE_P(KeySizes, Aead, testing::Values(size_t{16}, size_t{32}),
                         [](const testing::TestParamInfo<size_t>& i) { return "AES" + std::to_string(i.param * 8); });

TEST(AeadNonce, DistinctForEveryNodeSpaceAndSequence) {
    std::set<std::array<uint8_t, kAeadNonceLen>> seen;
    for (uint16_t node : {1, 2, 256, 4096})
        for (uint8_t space : {0, 1, 0xff})
            for (uint64_t seq : {uint64_t{1}, uint64_t{2}, uint64_t{1} << 48, (uint64_t{2} << 48) | 1, ~uint64_t{0}}) {
                std::array<uint8_t, kAeadNonceLen> n;
                aead_nonce(n.data(), node, space, seq);
                EXPECT_TRUE(seen.insert(n).second) << node << " " << int(space) << " " << seq;
            }
}

}  // namespace
}  // namespace ftnet::test
