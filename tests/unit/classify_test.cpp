// Receive classification (engine/tunnel/datapath/classify.h), table-driven: each
// case starts from a valid tunnel packet (or another frame), mutates it,
// and states the verdict and drop reason the engine must reach.

#include <gtest/gtest.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <functional>
#include <random>

#include "engine/dhcp/dhcp_frame.h"
#include "engine/neighbor/control/neighbor_wire.h"
#include "engine/tunnel/datapath/arrival.h"
#include "engine/tunnel/datapath/classify.h"
#include "tests/unit/packet_fixtures.h"

namespace ftnet::test {
namespace {

struct Case {
    const char* name;
    Family family;
    std::function<void(Bytes&)> mutate;  // applied to a valid DATA packet on port 0
    RxKind kind;
    DropReason drop = DropReason::rx_runt;  // checked when kind == Drop
    bool refresh_checksums = true;
};

size_t l4(const Bytes& p) { return p[12] == 0x86 ? 54 : 34; }
size_t ftnet_off(const Bytes& p) { return l4(p) + 8; }
void set16(Bytes& p, size_t off, uint16_t v) {
    p[off] = static_cast<uint8_t>(v >> 8);
    p[off + 1] = static_cast<uint8_t>(v);
}
// Cuts the UDP payload to n bytes, with outer lengths to match: a datagram
// as a broken or hostile sender would emit it.
void cut_udp_payload(Bytes& p, size_t n) {
    const bool v6 = p[12] == 0x86;
    p.resize(ftnet_off(p) + n);
    set16(p, l4(p) + 4, static_cast<uint16_t>(8 + n));
    if (v6)
        set16(p, 14 + 4, static_cast<uint16_t>(8 + n));
    else
        set16(p, 14 + 2, static_cast<uint16_t>(20 + 8 + n));
}

std::vector<Case> cases() {
    std::vector<Case> v;
    for (Family f : {Family::V4, Family::V6}) {
        const bool v6 = f == Family::V6;
        v.push_back({"valid_data", f, [](Bytes&) {}, RxKind::Data});
        v.push_back({"broadcast_dst_mac_still_checked_by_ip", f, [](Bytes& p) { std::fill(p.begin(), p.begin() + 6, 0xff); }, RxKind::Data});
        v.push_back({"runt_13_bytes", f, [](Bytes& p) { p.resize(13); }, RxKind::Drop, DropReason::rx_runt, false});
        v.push_back({"truncated_ip_header", f, [](Bytes& p) { p.resize(14 + 10); }, RxKind::Drop, DropReason::rx_runt, false});
        v.push_back({"truncated_payload", f, [](Bytes& p) { p.resize(p.size() - 20); }, RxKind::Drop, DropReason::rx_bad_ip, false});
        v.push_back({"other_station_mac", f, [](Bytes& p) { p[5] ^= 0x40; }, RxKind::Drop, DropReason::rx_not_our_mac});
        v.push_back({"vlan_tagged", f, [](Bytes& p) { p[12] = 0x81; p[13] = 0x00; }, RxKind::Drop, DropReason::rx_unknown_ethertype, false});
        v.push_back({"wrong_ip_version", f, [](Bytes& p) { p[14] = static_cast<uint8_t>((p[14] & 0x0f) | 0x50); }, RxKind::Drop, DropReason::rx_bad_ip});
        v.push_back({"not_our_ip", f, [v6](Bytes& p) { p[v6 ? 14 + 24 + 15 : 14 + 19] ^= 0x01; }, RxKind::Drop, DropReason::rx_not_our_ip});
        v.push_back({"wrong_udp_port", f, [](Bytes& p) { set16(p, l4(p) + 2, 3344); }, RxKind::Host, DropReason::rx_unhandled_proto});
        v.push_back({"udp_length_mismatch", f, [](Bytes& p) { set16(p, l4(p) + 4, static_cast<uint16_t>((p[l4(p) + 4] << 8 | p[l4(p) + 5]) - 1)); }, RxKind::Drop, DropReason::rx_bad_udp});
        v.push_back({"garbled_payload_checksum", f, [](Bytes& p) { p[p.size() - 3] ^= 0x5a; }, v6 ? RxKind::Drop : RxKind::Data, DropReason::rx_bad_checksum, false});
        v.push_back({"unknown_version", f, [](Bytes& p) { p[ftnet_off(p)] = 3; }, RxKind::Drop, DropReason::rx_bad_version});
        v.push_back({"version_1_refused", f, [](Bytes& p) { p[ftnet_off(p)] = 1; }, RxKind::Drop, DropReason::rx_bad_version});
        v.push_back({"type_zero", f, [](Bytes& p) { p[ftnet_off(p) + 1] = 0; }, RxKind::Drop, DropReason::rx_bad_type});
        v.push_back({"type_unknown", f, [](Bytes& p) { p[ftnet_off(p) + 1] = 200; }, RxKind::Drop, DropReason::rx_bad_type});
        v.push_back({"unknown_flag", f, [](Bytes& p) { p[ftnet_off(p) + 2] = 0x80; }, RxKind::Drop, DropReason::rx_bad_type});
        v.push_back({"reserved_not_zero", f, [](Bytes& p) { p[ftnet_off(p) + 21] = 1; }, RxKind::Drop, DropReason::rx_bad_type});
        v.push_back({"other_dst_node", f, [](Bytes& p) { set16(p, ftnet_off(p) + 6, 3); }, RxKind::Drop, DropReason::rx_wrong_dst_node});
        v.push_back({"unknown_src_node", f, [](Bytes& p) { set16(p, ftnet_off(p) + 4, 9); }, RxKind::Drop, DropReason::rx_unknown_src_node});
        v.push_back({"src_node_out_of_range", f, [](Bytes& p) { set16(p, ftnet_off(p) + 4, 0xffff); }, RxKind::Drop, DropReason::rx_unknown_src_node});
        v.push_back({"shorter_than_header_and_tag", f, [](Bytes& p) { cut_udp_payload(p, 22 + 15); }, RxKind::Drop, DropReason::rx_truncated});
        v.push_back({"empty_udp_payload", f, [](Bytes& p) { cut_udp_payload(p, 0); }, RxKind::Drop, DropReason::rx_truncated});
        v.push_back({"data_shorter_than_ethernet", f, [](Bytes& p) { cut_udp_payload(p, 22 + 13 + 16); }, RxKind::Drop, DropReason::rx_inner_runt});
        v.push_back({"hello", f, [](Bytes& p) { p[ftnet_off(p) + 1] = 2; }, RxKind::Message});
        v.push_back({"heartbeat_request", f, [](Bytes& p) { p[ftnet_off(p) + 1] = 3; }, RxKind::Message});
        v.push_back({"heartbeat_reply", f, [](Bytes& p) { p[ftnet_off(p) + 1] = 4; }, RxKind::Message});
        // A valid type no module handles yet: classified, then dropped by the
        // dispatch (rx-unsupported-msg, tests/unit/registry_test.cpp).
        v.push_back({"session_not_handled_yet", f, [](Bytes& p) { p[ftnet_off(p) + 1] = 5; }, RxKind::Message});
        v.push_back({"link_notice", f, [](Bytes& p) { p[ftnet_off(p) + 1] = 6; }, RxKind::Message});
        v.push_back({"pmtu_probe", f, [](Bytes& p) { p[ftnet_off(p) + 1] = 7; }, RxKind::Message});
        v.push_back({"pmtu_reply", f, [](Bytes& p) { p[ftnet_off(p) + 1] = 8; }, RxKind::Message});
        v.push_back({"data_fragment", f, [](Bytes& p) { p[ftnet_off(p) + 1] = 9; }, RxKind::Message});
        v.push_back({"type_beyond_data_fragment", f, [](Bytes& p) { p[ftnet_off(p) + 1] = 10; }, RxKind::Drop, DropReason::rx_bad_type});
        v.push_back({"tcp_to_us", f, [v6](Bytes& p) { p[v6 ? 14 + 6 : 14 + 9] = IPPROTO_TCP; }, RxKind::Host, DropReason::rx_unhandled_proto});
    }
    // Family-specific rules.
    v.push_back({"v4_bad_header_checksum", Family::V4, [](Bytes& p) { p[14 + 10] ^= 0xff; }, RxKind::Drop, DropReason::rx_bad_checksum, false});
    v.push_back({"v4_more_fragments", Family::V4, [](Bytes& p) { p[14 + 6] |= 0x20; }, RxKind::Host, DropReason::rx_ip_fragment});
    v.push_back({"v4_fragment_offset", Family::V4, [](Bytes& p) { p[14 + 7] = 8; }, RxKind::Host, DropReason::rx_ip_fragment});
    v.push_back({"v4_total_length_short_of_header", Family::V4, [](Bytes& p) { set16(p, 14 + 2, 10); }, RxKind::Drop, DropReason::rx_bad_ip});
    v.push_back({"v4_icmp_to_us", Family::V4, [](Bytes& p) { p[14 + 9] = IPPROTO_ICMP; }, RxKind::Control});
    v.push_back({"v4_nonzero_wrong_udp_checksum", Family::V4, [](Bytes& p) { p[34 + 6] = 0x12; p[34 + 7] = 0x34; }, RxKind::Drop, DropReason::rx_bad_checksum, false});
    v.push_back({"v6_zero_udp_checksum", Family::V6, [](Bytes& p) { p[54 + 6] = 0; p[54 + 7] = 0; }, RxKind::Drop, DropReason::rx_bad_checksum, false});
    v.push_back({"v6_payload_length_beyond_frame", Family::V6, [](Bytes& p) { set16(p, 14 + 4, 9000); }, RxKind::Drop, DropReason::rx_bad_ip, false});
    v.push_back({"v6_fragment_header", Family::V6, [](Bytes& p) { p[14 + 6] = IPPROTO_FRAGMENT; }, RxKind::Host, DropReason::rx_ip_fragment});
    v.push_back({"v6_hop_by_hop", Family::V6, [](Bytes& p) { p[14 + 6] = IPPROTO_HOPOPTS; }, RxKind::Host, DropReason::rx_ip_options});
    v.push_back({"v6_icmp_to_us", Family::V6, [](Bytes& p) { p[14 + 6] = IPPROTO_ICMPV6; }, RxKind::Control});
    return v;
}

class ClassifyTest : public testing::TestWithParam<Case> {
  protected:
    std::unique_ptr<RouteTable> rt = make_test_table();
};

TEST_P(ClassifyTest, Verdict) {
    const Case& c = GetParam();
    Bytes p = tunnel_packet(test_pool(), c.family, 0, inner_frame(kLocalAdapterMac, kPeer2AdapterMac, 100));
    c.mutate(p);
    if (c.refresh_checksums) fix_checksums(p);
    RxResult r = classify_frame(p.data(), static_cast<uint32_t>(p.size()), *rt, 0);
    ASSERT_EQ(static_cast<int>(r.kind), static_cast<int>(c.kind))
        << "got drop reason " << drop_reason_name(r.drop) << " for " << c.name;
    // A frame for the host carries the reason it is dropped for when the
    // port has no host interface.
    if (c.kind == RxKind::Drop || c.kind == RxKind::Host) {
        EXPECT_EQ(r.drop, c.drop) << "expected " << drop_reason_name(c.drop) << ", got " << drop_reason_name(r.drop);
    }
}

std::string case_name(const testing::TestParamInfo<Case>& i) {
    return std::string(i.param.family == Family::V6 ? "v6_" : "v4_") + i.param.name;
}

INSTANTIATE_TEST_SUITE_P(Packets, ClassifyTest, testing::ValuesIn(cases()), case_name);

TEST(Classify, DataResultPointsAtTheInnerFrame) {
    auto rt = make_test_table();
    for (Family f : {Family::V4, Family::V6}) {
        Bytes inner = inner_frame(kLocalAdapterMac, kPeer2AdapterMac, 333);
        Bytes p = tunnel_packet(test_pool(), f, 1, inner);
        RxResult r = classify_frame(p.data(), static_cast<uint32_t>(p.size()), *rt, 1);
        ASSERT_EQ(r.kind, RxKind::Data);
        EXPECT_EQ(r.family, f);
        EXPECT_EQ(r.payload_len, inner.size());
        EXPECT_EQ(r.peer->node_id, 2);
        EXPECT_TRUE(std::equal(inner.begin(), inner.end(), p.begin() + r.payload_off));
    }
}

TEST(Classify, PacketForAnotherPortsAddressIsNotOurs) {
    // A packet addressed to port 0's address but received on port 1.
    auto rt = make_test_table();
    Bytes p = tunnel_packet(test_pool(), Family::V6, 0, inner_frame(kLocalAdapterMac, kPeer2AdapterMac, 64));
    std::memcpy(p.data(), local_port_mac(1).b.data(), 6);
    EXPECT_EQ(classify_frame(p.data(), static_cast<uint32_t>(p.size()), *rt, 1).drop, DropReason::rx_not_our_ip);
}

TEST(Classify, ArpAndNeighbourDiscoveryGoToTheControlThread) {
    auto rt = make_test_table();
    Frame arp = build_arp(1, MacAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, peer2_port_mac(0), peer_ip(2, 0, Family::V4),
                          MacAddr{}, local_ip(0, Family::V4));
    EXPECT_EQ(classify_frame(arp.data(), static_cast<uint32_t>(arp.size()), *rt, 0).kind, RxKind::Control);
    Frame ns = build_ns(peer2_port_mac(0), peer_ip(2, 0, Family::V6), local_ip(0, Family::V6));
    EXPECT_EQ(classify_frame(ns.data(), static_cast<uint32_t>(ns.size()), *rt, 0).kind, RxKind::Control);
    // An NS for somebody else's address goes to their solicited-node group: not ours.
    Frame other = build_ns(peer2_port_mac(0), peer_ip(2, 0, Family::V6), peer_ip(3, 0, Family::V6));
    EXPECT_EQ(classify_frame(other.data(), static_cast<uint32_t>(other.size()), *rt, 0).drop, DropReason::rx_not_our_ip);
    Frame truncated_arp(arp.begin(), arp.begin() + 30);
    EXPECT_EQ(classify_frame(truncated_arp.data(), 30, *rt, 0).drop, DropReason::rx_runt);
}

// A host address (an IP Address resource online on this node) on port 0:
// everything for it is the host's but what resolves it (ARP, NS), which
// the engine answers.
TEST(Classify, HostAddressesGoToTheHostButTheirResolutionToTheControlThread) {
    auto rt = make_test_table();
    PortAddrs& pa = rt->ports[0];
    const IpAddr v4 = *IpAddr::parse("198.18.2.50"), v6 = *IpAddr::parse("fd00:2::50");
    pa.n_host_v4 = 1;
    std::memcpy(pa.host_v4[0], v4.b.data(), 4);
    pa.n_host_v6 = 1;
    std::memcpy(pa.host_v6[0], v6.b.data(), 16);
    std::memcpy(pa.host_v6_solicited[0], solicited_node_group(v6).b.data(), 16);
    auto verdict = [&](const Frame& f) { return classify_frame(f.data(), static_cast<uint32_t>(f.size()), *rt, 0); };

    Frame arp = build_arp(1, MacAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, peer2_port_mac(0), peer_ip(2, 0, Family::V4),
                          MacAddr{}, v4);
    EXPECT_EQ(verdict(arp).kind, RxKind::Control);
    Frame ns = build_ns(peer2_port_mac(0), peer_ip(2, 0, Family::V6), v6);  // to its solicited-node group
    EXPECT_EQ(verdict(ns).kind, RxKind::Control);
    // A unicast NS (neighbour unreachability detection, RFC 4861 7.3.1).
    Frame ns_unicast = ns;
    std::memcpy(ns_unicast.data() + 14 + 24, v6.b.data(), 16);
    std::memcpy(ns_unicast.data(), local_port_mac(0).b.data(), 6);
    EXPECT_EQ(verdict(ns_unicast).kind, RxKind::Control);

    // TCP, UDP, ICMP to the host address: the host's (with its interface).
    for (Family f : {Family::V4, Family::V6}) {
        Bytes p = tunnel_packet(test_pool(), f, 0, inner_frame(kLocalAdapterMac, kPeer2AdapterMac, 100));
        const IpAddr& dst = f == Family::V4 ? v4 : v6;
        std::memcpy(p.data() + 14 + (f == Family::V4 ? 16 : 24), dst.b.data(), dst.size());
        p[f == Family::V6 ? 14 + 6 : 14 + 9] = IPPROTO_TCP;
        fix_checksums(p);
        RxResult r = verdict(Frame(p.begin(), p.end()));
        EXPECT_EQ(r.kind, RxKind::Host) << family_name(f);
        EXPECT_EQ(r.drop, DropReason::rx_not_our_ip) << "dropped as not ours without a host interface";
    }
    // Once the resource is offline again, nothing of it is ours.
    pa.n_host_v4 = 0;
    pa.n_host_v6 = 0;
    EXPECT_EQ(verdict(arp).kind, RxKind::Control) << "ARP always reaches the control thread (it learns neighbours)";
    EXPECT_EQ(verdict(ns).drop, DropReason::rx_not_our_ip);
}

// A DHCP server's replies (UDP to port 68) are the control thread's: the
// DHCP client's (engine/dhcp), broadcast, to our address or to a leased one.
TEST(Classify, DhcpRepliesGoToTheControlThreadWhateverTheirDestination) {
    auto rt = make_test_table();
    auto verdict = [&](const Frame& f) { return classify_frame(f.data(), static_cast<uint32_t>(f.size()), *rt, 0); };
    const MacAddr bcast = *MacAddr::parse("ff:ff:ff:ff:ff:ff");
    const std::vector<uint8_t> payload(300, 0);
    for (const char* dst : {"255.255.255.255", "198.18.2.1", "198.18.2.77"}) {
        Frame f = dhcp::build_frame(peer2_port_mac(0), std::string(dst) == "255.255.255.255" ? bcast : local_port_mac(0),
                                    peer_ip(2, 0, Family::V4), *IpAddr::parse(dst), payload);
        std::swap(f[34], f[36]);  // from 67 to 68: a server's
        std::swap(f[35], f[37]);
        f[40] = f[41] = 0;
        EXPECT_EQ(verdict(f).kind, RxKind::Control) << dst;
        // Another UDP port to the broadcast address is nobody's.
        Frame other = f;
        other[37] = 69;
        if (std::string(dst) == "255.255.255.255") {
            EXPECT_EQ(verdict(other).drop, DropReason::rx_not_our_ip);
        }
    }
}

// Garbled input of every length must never crash or read out of bounds
// (run under ASan/valgrind to see the latter) and always gives a verdict.
TEST(Classify, RandomMutationsNeverCrash) {
    auto rt = make_test_table();
    std::mt19937 rng(1234);
    size_t drops = 0, total = 0;
    for (Family f : {Family::V4, Family::V6}) {
        Bytes base = tunnel_packet(test_pool(), f, 0, inner_frame(kLocalAdapterMac, kPeer2AdapterMac, 120));
        for (int i = 0; i < 20000; i++) {
            Bytes p = base;
            int flips = 1 + static_cast<int>(rng() % 4);
            for (int k = 0; k < flips; k++) p[rng() % p.size()] = static_cast<uint8_t>(rng());
            p.resize(rng() % (p.size() + 1));
            // Copy into an exact-size heap buffer so that an over-read is an
            // out-of-bounds access the sanitizers catch.
            std::unique_ptr<uint8_t[]> exact(new uint8_t[p.size() + 1]);
            std::memcpy(exact.get(), p.data(), p.size());
            RxResult r = classify_frame(exact.get(), static_cast<uint32_t>(p.size()), *rt, 0);
            ASSERT_LE(static_cast<int>(r.kind), static_cast<int>(RxKind::Host));
            if (r.kind == RxKind::Drop) {
                ASSERT_LT(static_cast<size_t>(r.drop), kNumDropReasons);
                drops++;
            } else if (r.kind == RxKind::Data) {
                ASSERT_LE(static_cast<size_t>(r.payload_off) + r.payload_len, p.size());
            }
            total++;
        }
    }
    EXPECT_GT(drops, total / 2);  // most random damage is caught
}

}  // namespace
}  // namespace ftnet::test

namespace ftnet::test {
namespace {

// With two endpoints of one peer on one network, a packet belongs to the
// route whose remote end sent it, not to the first route on that port and
// family (route counters and heartbeats would land on the wrong route).
TEST(ArrivalRoute, TwoEndpointsOfAPeerOnOnePortAreToldApart) {
    for (Family f : {Family::V6, Family::V4}) {
        PeerEntry pe{};
        pe.node_id = 2;
        // Routes to fd00:2::2 and fd00:2::5 (198.18.2.2 and .5), both on port 0.
        fill_route(pe.routes[pe.n_routes++], 0, f, 0, 2, peer2_port_mac(0));
        fill_route(pe.routes[pe.n_routes++], 1, f, 0, 5, peer2_port_mac(0));
        const Bytes from_first = tunnel_packet(test_pool(), f, 0, inner_frame(kLocalAdapterMac, kPeer2AdapterMac, 100),
                                               wire::MsgType::Data, 2);
        const Bytes from_second = tunnel_packet(test_pool(), f, 0, inner_frame(kLocalAdapterMac, kPeer2AdapterMac, 100),
                                                wire::MsgType::Data, 5);
        const RouteEntry* a = arrival_route(pe, 0, f, from_first.data());
        const RouteEntry* b = arrival_route(pe, 0, f, from_second.data());
        ASSERT_NE(a, nullptr);
        ASSERT_NE(b, nullptr);
        EXPECT_EQ(a->route_id, 0);
        EXPECT_EQ(b->route_id, 1) << "the second endpoint's packets are the second route's";
        EXPECT_EQ(arrival_route(pe, 1, f, from_second.data()), nullptr) << "not a route on another port";
        EXPECT_EQ(outer_source(from_second.data(), f), peer_ip(5, 0, f));
    }
}

}  // namespace
}  // namespace ftnet::test
