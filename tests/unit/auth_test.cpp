// Authentication of heartbeats and HELLOs: SipHash-2-4-128 (checked against
// OpenSSL's own SIPHASH) and the signed-message builder and checker.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <random>

#include "engine/tunnel/signed_message.h"
#include "engine/core/siphash.h"

namespace ftnet {
namespace {

std::array<uint8_t, 16> openssl_siphash128(const uint8_t key[16], const uint8_t* msg, size_t len) {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "SIPHASH", nullptr);
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
    size_t size = 16;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size), OSSL_PARAM_construct_end()};
    std::array<uint8_t, 16> out{};
    size_t outl = 0;
    EXPECT_EQ(EVP_MAC_init(ctx, key, 16, params), 1);
    EXPECT_EQ(EVP_MAC_update(ctx, msg, len), 1);
    EXPECT_EQ(EVP_MAC_final(ctx, out.data(), &outl, out.size()), 1);
    EXPECT_EQ(outl, 16u);
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return out;
}

TEST(SipHash, AgreesWithOpenSslForEveryLength) {
    std::mt19937 rng(7);
    uint8_t key[16];
    for (auto& b : key) b = static_cast<uint8_t>(rng());
    std::vector<uint8_t> msg(200);
    for (auto& b : msg) b = static_cast<uint8_t>(rng());
    SipKey k = SipKey::from_bytes(key);
    for (size_t len = 0; len <= msg.size(); len++) {
        uint8_t ours[16];
        siphash128(k, msg.data(), len, ours);
        auto theirs = openssl_siphash128(key, msg.data(), len);
        ASSERT_TRUE(std::equal(ours, ours + 16, theirs.begin())) << "length " << len;
    }
}

TEST(SipHash, ReferenceVector) {
    // Key 00..0f, empty message: the first SipHash-2-4-128 vector of the
    // reference implementation (vectors.h, vectors_sip128[0]).
    uint8_t key[16];
    for (int i = 0; i < 16; i++) key[i] = static_cast<uint8_t>(i);
    const uint8_t want[16] = {0xa3, 0x81, 0x7f, 0x04, 0xba, 0x25, 0xa8, 0xe6,
                              0x6d, 0xf6, 0x72, 0x14, 0xc7, 0x55, 0x02, 0x93};
    uint8_t out[16];
    siphash128(SipKey::from_bytes(key), nullptr, 0, out);
    EXPECT_TRUE(std::equal(out, out + 16, want));
}

class SignedMessage : public testing::TestWithParam<Family> {
  protected:
    RouteEntry route() {
        RouteEntry r{};
        TemplateSpec s;
        s.family = GetParam();
        s.src_mac = *MacAddr::parse("00:00:5e:00:53:12");
        s.dst_mac = *MacAddr::parse("00:00:5e:00:53:22");
        s.src_ip = *IpAddr::parse(GetParam() == Family::V6 ? "fd00:2::1" : "198.18.2.1");
        s.dst_ip = *IpAddr::parse(GetParam() == Family::V6 ? "fd00:2::2" : "198.18.2.2");
        s.src_node = 1;
        s.dst_node = 2;
        s.route_id = 5;
        build_encap_template(r, s);
        r.route_id = 5;
        return r;
    }
    const SipKey key = SipKey::from_bytes(reinterpret_cast<const uint8_t*>("0123456789abcdef"));
    const SipKey other = SipKey::from_bytes(reinterpret_cast<const uint8_t*>("0123456789abcdeX"));
};

TEST_P(SignedMessage, TagVerifiesOnlyWithTheKeyAndTheExactBytes) {
    RouteEntry r = route();
    wire::HeartbeatPayload p{};
    p.boot_id = 0x01020304;
    p.tx_time = 0x1122334455667788;
    uint8_t buf[256];
    size_t len = build_signed_message(buf, r, wire::MsgType::HeartbeatReq, 42, &p, sizeof p, key);
    ASSERT_EQ(len, signed_message_len(GetParam(), sizeof p));
    const size_t hdr_off = outer_l4_off(GetParam()) + 8;
    auto* h = reinterpret_cast<wire::Header*>(buf + hdr_off);
    EXPECT_EQ(h->type, static_cast<uint8_t>(wire::MsgType::HeartbeatReq));
    EXPECT_EQ(rte_be_to_cpu_16(h->flags), wire::kFlagAuth);
    EXPECT_EQ(rte_be_to_cpu_16(h->payload_len), sizeof p);
    EXPECT_EQ(rte_be_to_cpu_32(h->seq), 42u);
    EXPECT_TRUE(signed_message_ok(h, sizeof p, key));
    EXPECT_FALSE(signed_message_ok(h, sizeof p, other)) << "wrong key";
    // Every byte of the header and payload is covered, and so is the tag.
    for (size_t i = hdr_off; i < len; i++) {
        buf[i] ^= 0x01;
        EXPECT_FALSE(signed_message_ok(h, sizeof p, key)) << "flipped byte " << i;
        buf[i] ^= 0x01;
    }
    h->flags = 0;
    EXPECT_FALSE(signed_message_ok(h, sizeof p, key)) << "a message without the flag is not signed";
}

TEST_P(SignedMessage, OuterHeadersAreCompleteAndMarkedAsNetworkControl) {
    RouteEntry r = route();
    uint8_t payload[24] = {};
    uint8_t buf[256];
    size_t len = build_signed_message(buf, r, wire::MsgType::Hello, 1, payload, sizeof payload, key);
    if (GetParam() == Family::V6) {
        auto* ip = reinterpret_cast<rte_ipv6_hdr*>(buf + 14);
        EXPECT_EQ((rte_be_to_cpu_32(ip->vtc_flow) >> 22) & 0x3f, 48u) << "CS6";
        EXPECT_EQ(rte_be_to_cpu_16(ip->payload_len), len - 54);
        EXPECT_EQ(rte_ipv6_udptcp_cksum_verify(ip, buf + 54), 0);
    } else {
        auto* ip = reinterpret_cast<rte_ipv4_hdr*>(buf + 14);
        EXPECT_EQ(ip->type_of_service >> 2, 48);
        EXPECT_EQ(rte_be_to_cpu_16(ip->total_length), len - 14);
        EXPECT_EQ(rte_raw_cksum(ip, 20), 0xffff);
    }
}

INSTANTIATE_TEST_SUITE_P(Families, SignedMessage, testing::Values(Family::V4, Family::V6));

}  // namespace
}  // namespace ftnet

namespace ftnet {
namespace {

// Whatever the payload, a signed message's IPv6 UDP checksum is right by
// DPDK's reckoning and by the engine's own receive check.
TEST(SignedMessageChecksum, RightForRandomPayloads) {
    RouteEntry r{};
    TemplateSpec s;
    s.family = Family::V6;
    s.src_ip = *IpAddr::parse("fd00:1::2");
    s.dst_ip = *IpAddr::parse("fd00:1::1");
    s.src_node = 2;
    s.dst_node = 1;
    build_encap_template(r, s);
    const SipKey key = SipKey::from_bytes(reinterpret_cast<const uint8_t*>("0123456789abcdef"));
    std::mt19937_64 rng(99);
    int dpdk_bad = 0, ours_bad = 0;
    for (int i = 0; i < 20000; i++) {
        r.route_id = static_cast<uint16_t>(rng());
        wire::HeartbeatPayload p;
        auto* b = reinterpret_cast<uint8_t*>(&p);
        for (size_t k = 0; k < sizeof p; k++) b[k] = static_cast<uint8_t>(rng());
        uint8_t buf[256];
        size_t len = build_signed_message(buf, r, wire::MsgType::HeartbeatRep, static_cast<uint32_t>(rng()), &p, sizeof p, key);
        auto* ip = reinterpret_cast<rte_ipv6_hdr*>(buf + 14);
        dpdk_bad += rte_ipv6_udptcp_cksum_verify(ip, buf + 54) != 0;
        ours_bad += !ipv6_l4_csum_ok(ip, buf + 54, static_cast<uint32_t>(len - 54));
    }
    EXPECT_EQ(dpdk_bad, 0);
    EXPECT_EQ(ours_bad, 0);
}

}  // namespace
}  // namespace ftnet
