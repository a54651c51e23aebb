// Encapsulation (engine/tunnel/datapath/encap.h) and decapsulation
// (engine/tunnel/datapath/decap.h): every header field node 1 writes, checked
// independently of the code that wrote it, and the round trip through a
// receiver giving back the identical inner frame.

#include <gtest/gtest.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "engine/core/checksum.h"
#include "engine/security/route_binding.h"
#include "engine/tunnel/datapath/classify.h"
#include "engine/tunnel/datapath/decap.h"
#include "engine/tunnel/datapath/encap.h"
#include "tests/unit/packet_fixtures.h"

namespace ftnet::test {
namespace {

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

class EncapTest : public testing::TestWithParam<std::tuple<Family, size_t>> {};

TEST_P(EncapTest, HeadersAreCompleteAndChecksumsRight) {
    auto [fam, size] = GetParam();
    auto rt = make_test_table();
    const RouteEntry& r = rt->peers[0].routes[fam == Family::V6 ? 0 : 1];
    Bytes inner = inner_frame(kPeer2AdapterMac, kLocalAdapterMac, size);
    rte_mbuf* m = to_mbuf(test_pool(), inner);
    const uint32_t hash = 0xdeadbeef;
    DropReason why{};
    const uint64_t seq = uint64_t{3} << 48 | 77;
    ASSERT_TRUE(encap_frame(m, r, hash, test_keys(), 5, seq, &why));
    Bytes p = to_bytes(m);
    rte_pktmbuf_free(m);

    const bool v6 = fam == Family::V6;
    const size_t l4 = v6 ? 54 : 34, hdr = l4 + 8 + 22;
    ASSERT_EQ(p.size(), hdr + size + 16) << "headers, the frame, the tag";
    // Ethernet: next hop and our port.
    EXPECT_TRUE(std::equal(p.begin(), p.begin() + 6, peer2_port_mac(0).b.begin()));
    EXPECT_TRUE(std::equal(p.begin() + 6, p.begin() + 12, local_port_mac(0).b.begin()));
    EXPECT_EQ(be16(&p[12]), v6 ? 0x86dd : 0x0800);
    if (v6) {
        EXPECT_EQ(p[14] >> 4, 6);
        EXPECT_EQ((be32(&p[14]) >> 22) & 0x3f, 48u) << "DSCP CS6";
        EXPECT_EQ(be32(&p[14]) & 0xfffff, hash & 0xfffff) << "flow label from the flow hash";
        EXPECT_EQ(be16(&p[18]), 8 + 22 + size + 16);
        EXPECT_EQ(p[20], IPPROTO_UDP);
        EXPECT_EQ(p[21], 64);
        EXPECT_EQ(IpAddr::from_v6_bytes(&p[22]), local_ip(0, Family::V6));
        EXPECT_EQ(IpAddr::from_v6_bytes(&p[38]), peer_ip(2, 0, Family::V6));
        auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(&p[14]);
        EXPECT_NE(be16(&p[l4 + 6]), 0) << "IPv6 UDP checksum is mandatory";
        EXPECT_EQ(rte_ipv6_udptcp_cksum_verify(ip, &p[l4]), 0);
    } else {
        EXPECT_EQ(p[14], 0x45);
        EXPECT_EQ(p[15] >> 2, 48);
        EXPECT_EQ(be16(&p[16]), 20 + 8 + 22 + size + 16);
        EXPECT_EQ(be16(&p[20]) & 0x4000, 0x4000) << "DF: the tunnel never fragments";
        EXPECT_EQ(p[22], 64);
        EXPECT_EQ(p[23], IPPROTO_UDP);
        EXPECT_EQ(rte_raw_cksum(&p[14], 20), 0xffff) << "IPv4 header checksum";
        EXPECT_EQ(be16(&p[l4 + 6]), 0) << "IPv4 UDP checksum left at zero";
    }
    EXPECT_EQ(be16(&p[l4]), 0xc000 | (hash & 0x3fff)) << "source port from the flow hash";
    EXPECT_EQ(be16(&p[l4 + 2]), 3343);
    EXPECT_EQ(be16(&p[l4 + 4]), 8 + 22 + size + 16);
    const uint8_t* h = &p[l4 + 8];
    EXPECT_EQ(h[0], 2) << "version";
    EXPECT_EQ(h[1], static_cast<uint8_t>(wire::MsgType::Data));
    EXPECT_EQ(h[2], 0) << "flags: authenticated, not encrypted";
    EXPECT_EQ(h[3], 1) << "key id";
    EXPECT_EQ(be16(h + 4), kLocalNode);
    EXPECT_EQ(be16(h + 6), 2);
    EXPECT_EQ(be32(h + 8), route_binding(fam, local_ip(0, fam), peer_ip(2, 0, fam)));
    EXPECT_EQ(uint64_t{be32(h + 12)} << 32 | be32(h + 16), seq);
    EXPECT_EQ(h[20], 5) << "sequence space";
    EXPECT_EQ(h[21], 0);
    EXPECT_TRUE(std::equal(inner.begin(), inner.end(), p.begin() + static_cast<long>(hdr)))
        << "authenticated only: the frame is in clear";
}

INSTANTIATE_TEST_SUITE_P(Sizes, EncapTest,
                         testing::Combine(testing::Values(Family::V4, Family::V6),
                                          testing::Values(size_t{60}, size_t{64}, size_t{512}, size_t{1414})));

TEST(Encap, ChecksumOffloadLeavesThePseudoHeaderAndSetsFlags) {
    auto rt = make_test_table();
    RouteEntry r6 = rt->peers[0].routes[0], r4 = rt->peers[0].routes[1];
    r6.tx_csum_offload = r4.tx_csum_offload = true;
    rte_mbuf* m = to_mbuf(test_pool(), inner_frame(kPeer2AdapterMac, kLocalAdapterMac, 100));
    DropReason why{};
    ASSERT_TRUE(encap_frame(m, r6, 1, test_keys(), 0, next_test_seq(), &why));
    EXPECT_TRUE(m->ol_flags & RTE_MBUF_F_TX_UDP_CKSUM);
    EXPECT_TRUE(m->ol_flags & RTE_MBUF_F_TX_IPV6);
    EXPECT_EQ(m->l2_len, 14);
    EXPECT_EQ(m->l3_len, 40);
    auto* ip6 = rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr*, 14);
    auto* udp = rte_pktmbuf_mtod_offset(m, rte_udp_hdr*, 54);
    EXPECT_EQ(udp->dgram_cksum, rte_ipv6_phdr_cksum(ip6, 0));
    rte_pktmbuf_free(m);

    m = to_mbuf(test_pool(), inner_frame(kPeer2AdapterMac, kLocalAdapterMac, 100));
    ASSERT_TRUE(encap_frame(m, r4, 1, test_keys(), 0, next_test_seq(), &why));
    EXPECT_TRUE(m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
    EXPECT_EQ(rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, 14)->hdr_checksum, 0);
    rte_pktmbuf_free(m);
}

// A traffic class's DSCP on an encapsulated frame: ECN and the flow label
// kept, the IPv4 header checksum still right (or left to the NIC).
TEST(Encap, ATrafficClassDscpKeepsEcnFlowLabelAndChecksum) {
    auto rt = make_test_table();
    for (const RouteEntry* r : {&rt->peers[0].routes[0], &rt->peers[0].routes[1]})
        for (uint8_t dscp : {uint8_t{0}, uint8_t{10}, uint8_t{46}, uint8_t{63}}) {
            rte_mbuf* m = to_mbuf(test_pool(), inner_frame(kPeer2AdapterMac, kLocalAdapterMac, 100));
            DropReason why{};
            ASSERT_TRUE(encap_frame(m, *r, 0xabcde, test_keys(), 0, next_test_seq(), &why));
            uint8_t* l3 = rte_pktmbuf_mtod_offset(m, uint8_t*, 14);
            if (r->family == Family::V6) {
                l3[1] |= 0x30;  // ECN CE, as a congested network would leave it
                set_outer_dscp(m, Family::V6, dscp);
                const uint32_t vtc = be32(l3);
                EXPECT_EQ((vtc >> 22) & 0x3f, dscp);
                EXPECT_EQ((vtc >> 20) & 0x3, 3u) << "ECN kept";
                EXPECT_EQ(vtc & 0xfffff, 0xabcdeu) << "flow label kept";
                EXPECT_EQ(vtc >> 28, 6u);
            } else {
                set_outer_dscp(m, Family::V4, dscp);
                EXPECT_EQ(l3[1] >> 2, dscp);
                EXPECT_EQ(l3[0], 0x45);
                EXPECT_EQ(rte_raw_cksum(l3, 20), 0xffff) << "IPv4 header checksum after DSCP " << int(dscp);
            }
            rte_pktmbuf_free(m);
        }
    RouteEntry r4 = rt->peers[0].routes[1];
    r4.tx_csum_offload = true;
    rte_mbuf* m = to_mbuf(test_pool(), inner_frame(kPeer2AdapterMac, kLocalAdapterMac, 100));
    DropReason why{};
    ASSERT_TRUE(encap_frame(m, r4, 1, test_keys(), 0, next_test_seq(), &why));
    set_outer_dscp(m, Family::V4, 46);
    EXPECT_EQ(rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, 14)->hdr_checksum, 0) << "left to the NIC";
    rte_pktmbuf_free(m);
}

TEST(Encap, TooLittleHeadroomLeavesTheFrameUntouched) {
    auto rt = make_test_table();
    Bytes inner = inner_frame(kPeer2AdapterMac, kLocalAdapterMac, 64);
    rte_mbuf* m = rte_pktmbuf_alloc(test_pool());
    m->data_off = 10;  // 10 bytes of headroom: far less than any outer header
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(inner.size())), inner.data(), inner.size());
    const uint16_t before = m->data_off;
    DropReason why{};
    EXPECT_FALSE(encap_frame(m, rt->peers[0].routes[0], 1, test_keys(), 0, next_test_seq(), &why));
    EXPECT_EQ(why, DropReason::tx_no_headroom);
    EXPECT_EQ(m->data_off, before);
    EXPECT_EQ(to_bytes(m), inner);
    rte_pktmbuf_free(m);
}

TEST(Encap, TooLittleTailroomForTheTagLeavesTheFrameUntouched) {
    auto rt = make_test_table();
    rte_mbuf* m = rte_pktmbuf_alloc(test_pool());
    const uint16_t room = rte_pktmbuf_tailroom(m);
    Bytes inner = inner_frame(kPeer2AdapterMac, kLocalAdapterMac, room - 8);  // 8 bytes left: no room for 16
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(inner.size())), inner.data(), inner.size());
    DropReason why{};
    EXPECT_FALSE(encap_frame(m, rt->peers[0].routes[0], 1, test_keys(), 0, next_test_seq(), &why));
    EXPECT_EQ(why, DropReason::tx_no_tailroom);
    EXPECT_EQ(to_bytes(m), inner);
    rte_pktmbuf_free(m);
}

TEST(Encap, AChainedFrameIsMadeContiguousAndSealedWhole) {
    auto rt = make_test_table();
    Bytes inner = inner_frame(kPeer2AdapterMac, kLocalAdapterMac, 300);
    rte_mbuf* a = rte_pktmbuf_alloc(test_pool());
    rte_mbuf* b = rte_pktmbuf_alloc(test_pool());
    std::memcpy(rte_pktmbuf_append(a, 100), inner.data(), 100);
    std::memcpy(rte_pktmbuf_append(b, 200), inner.data() + 100, 200);
    ASSERT_EQ(rte_pktmbuf_chain(a, b), 0);
    DropReason why{};
    ASSERT_TRUE(encap_frame(a, rt->peers[0].routes[0], 1, test_keys(), 0, next_test_seq(), &why));
    EXPECT_EQ(a->nb_segs, 1);
    Bytes p = to_bytes(a);
    EXPECT_TRUE(std::equal(inner.begin(), inner.end(), p.begin() + 84));
    rte_pktmbuf_free(a);
}

// What node 2 sends, node 1 classifies and decapsulates into the very same
// inner frame, whatever the size and family.
TEST(Decap, RoundTripGivesBackTheInnerFrame) {
    auto rt = make_test_table();
    for (Family f : {Family::V4, Family::V6}) {
        for (size_t size : {size_t{42}, size_t{60}, size_t{100}, size_t{1000}, size_t{1414}}) {
            Bytes inner = inner_frame(kLocalAdapterMac, kPeer2AdapterMac, size, static_cast<uint8_t>(size));
            Bytes pkt = tunnel_packet(test_pool(), f, 0, inner);
            pkt.resize(pkt.size() + 4, 0);  // trailing padding must be cut off too
            rte_mbuf* m = to_mbuf(test_pool(), pkt);
            RxResult c = classify_frame(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len, *rt, 0);
            ASSERT_EQ(c.kind, RxKind::Data) << drop_reason_name(c.drop);
            DropReason why{};
            ASSERT_TRUE(decap_frame(m, c, *rt, &why));
            EXPECT_EQ(to_bytes(m), inner) << family_name(f) << " " << size;
            rte_pktmbuf_free(m);
        }
    }
}

TEST(Decap, InnerUnicastForAnotherAdapterIsDropped) {
    auto rt = make_test_table();
    Bytes pkt = tunnel_packet(test_pool(), Family::V6, 0, inner_frame(kPeer3AdapterMac, kPeer2AdapterMac, 80));
    rte_mbuf* m = to_mbuf(test_pool(), pkt);
    RxResult c = classify_frame(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len, *rt, 0);
    ASSERT_EQ(c.kind, RxKind::Data);
    DropReason why{};
    EXPECT_FALSE(decap_frame(m, c, *rt, &why));
    EXPECT_EQ(why, DropReason::rx_inner_not_for_us);
    EXPECT_EQ(m->pkt_len, pkt.size()) << "a rejected frame is left as it was";
    rte_pktmbuf_free(m);

    // Broadcast and multicast inner frames are for everyone.
    Bytes bc = inner_frame(MacAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, kPeer2AdapterMac, 60);
    m = to_mbuf(test_pool(), tunnel_packet(test_pool(), Family::V4, 0, bc));
    c = classify_frame(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len, *rt, 0);
    EXPECT_TRUE(decap_frame(m, c, *rt, &why));
    EXPECT_EQ(to_bytes(m), bc);
    rte_pktmbuf_free(m);
}

}  // namespace
}  // namespace ftnet::test

namespace ftnet::test {
namespace {

// The fast checksum must equal DPDK's for every length and alignment.
TEST(Checksum, MatchesDpdkForEveryLengthAndAlignment) {
    std::vector<uint8_t> buf(2100);
    uint32_t x = 12345;
    for (auto& b : buf) b = static_cast<uint8_t>((x = x * 1103515245 + 12345) >> 16);
    for (size_t off = 0; off < 4; off++)
        for (size_t len = 0; len <= 2048; len++)
            ASSERT_EQ(csum_raw(buf.data() + off, len), rte_raw_cksum(buf.data() + off, len)) << off << " " << len;
}

}  // namespace
}  // namespace ftnet::test
