// The exception path (engine/host_path/) in a real worker poll loop over
// net_ring ports: port 0 "cluster" has a host interface (port 3), port 1
// "storage" has none. The host's frames reach it and what it sends leaves
// through the port, after the tunnel's; the control thread's frames are
// copied to it only when the host needs them; nothing leaks.

#include <gtest/gtest.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include <memory>

#include "engine/core/datapath_registry.h"
#include "engine/core/dataplane.h"
#include "engine/core/worker.h"
#include "engine/dhcp/dhcp_frame.h"
#include "engine/host_path/datapath/host_filter.h"
#include "engine/neighbor/control/neighbor_wire.h"
#include "engine/tunnel/datapath/classify.h"
#include "tests/unit/packet_fixtures.h"
#include "tests/unit/ring_dataplane.h"

namespace ftnet::test {
namespace {

constexpr uint16_t kHost = 3;  // port 0's host interface

// A TCP segment to our address on `port` (a tunnel packet made TCP).
Bytes tcp_to_us(uint16_t port, Family f) {
    Bytes p = tunnel_packet(test_pool(), f, port, inner_frame(kLocalAdapterMac, kPeer2AdapterMac, 100));
    p[f == Family::V6 ? 14 + 6 : 14 + 9] = IPPROTO_TCP;
    fix_checksums(p);
    return p;
}

// An ICMP(v6) message of `type` from the peer to our address on port 0.
Bytes icmp_to_us(Family f, uint8_t type) {
    Bytes p = tcp_to_us(0, f);
    const size_t l4 = f == Family::V6 ? 14 + 40 : 14 + 20;
    p[f == Family::V6 ? 14 + 6 : 14 + 9] = static_cast<uint8_t>(f == Family::V6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP});
    fix_checksums(p);  // the IPv4 header's, after the protocol changed
    p[l4] = type;
    p[l4 + 1] = 0;
    return p;
}

// A DHCP server's reply to our address on port 0 (UDP 67 -> 68).
Bytes dhcp_reply_to_us() {
    Bytes f = dhcp::build_frame(peer2_port_mac(0), local_port_mac(0), peer_ip(2, 0, Family::V4), local_ip(0, Family::V4),
                                std::vector<uint8_t>(300, 0));
    std::swap(f[34], f[36]);
    std::swap(f[35], f[37]);
    f[40] = f[41] = 0;
    return f;
}

class HostPathTest : public RingDataplaneTest {
  protected:
    void SetUp() override {
        // Port 0's transmit ring holds 3 frames, to see who waits when it is full.
        build("hpt", {{"cluster", PortRole::Physical, 4},
                      {"storage", PortRole::Physical},
                      {"ftnet0", PortRole::Adapter},
                      {"clhost", PortRole::Host}});
        dp->ports[0].host_peer = kHost;
        dp->ports[kHost].host_peer = 0;
    }
};

TEST_F(HostPathTest, TheHostsTrafficReachesTheHostInterfaceUnchanged) {
    for (Family f : {Family::V4, Family::V6}) {
        const Bytes seg = tcp_to_us(0, f);
        inject(0, seg);
        worker_poll_once(*w);
        auto out = sent(kHost);
        ASSERT_EQ(out.size(), 1u);
        EXPECT_EQ(out[0], seg) << "the frame as it came";
        EXPECT_TRUE(take(dp->to_control).empty());
    }
    EXPECT_EQ(counters->port[kHost].tx_pkts.get(), 2u);
    // Without a host interface the same frame is dropped, as before.
    inject(1, tcp_to_us(1, Family::V4));
    worker_poll_once(*w);
    EXPECT_EQ(drops(DropReason::rx_unhandled_proto), 1u);
    EXPECT_TRUE(sent(kHost).empty());
}

TEST_F(HostPathTest, TunnelTrafficNeverGoesToTheHost) {
    inject(0, tunnel_packet(test_pool(), Family::V4, 0, inner_frame(kLocalAdapterMac, kPeer2AdapterMac, 100)));
    worker_poll_once(*w);
    EXPECT_EQ(sent(kAdapterIndex).size(), 1u);
    EXPECT_TRUE(sent(kHost).empty());
}

TEST_F(HostPathTest, ControlFramesAreCopiedOnlyWhenTheHostMustSeeThem) {
    const IpAddr our4 = local_ip(0, Family::V4), their4 = peer_ip(2, 0, Family::V4);
    const IpAddr our6 = local_ip(0, Family::V6), their6 = peer_ip(2, 0, Family::V6);
    const MacAddr ours = local_port_mac(0), theirs = peer2_port_mac(0), bcast = *MacAddr::parse("ff:ff:ff:ff:ff:ff");
    struct Case {
        const char* what;
        Bytes frame;
        bool host;
    };
    const Case cases[] = {
        {"ARP request for our address (the engine answers)", build_arp(1, bcast, theirs, their4, MacAddr{}, our4), false},
        {"ARP reply (to the host's own request)", build_arp(2, ours, theirs, their4, ours, our4), true},
        {"NS for our address (the engine answers)", build_ns(theirs, their6, our6), false},
        {"NA (to the host's own solicitation)", build_na(theirs, ours, their6, our6, true), true},
        {"ICMP echo request (the engine answers)", icmp_to_us(Family::V4, 8), false},
        {"ICMP echo reply (to the host's ping)", icmp_to_us(Family::V4, 0), true},
        {"ICMP destination unreachable", icmp_to_us(Family::V4, 3), true},
        {"ICMPv6 echo request", icmp_to_us(Family::V6, 128), false},
        {"ICMPv6 echo reply", icmp_to_us(Family::V6, 129), true},
        {"ICMPv6 packet too big", icmp_to_us(Family::V6, 2), true},
        {"a DHCP server's reply (the engine's DHCP client's alone)", dhcp_reply_to_us(), false},
    };
    for (const Case& c : cases) {
        EXPECT_EQ(host_wants_copy(c.frame.data(), static_cast<uint32_t>(c.frame.size()), table->ports[0]), c.host) << c.what;
        inject(0, c.frame);
        worker_poll_once(*w);
        EXPECT_EQ(take(dp->to_control).size(), 1u) << c.what << ": the control thread always gets it";
        auto out = sent(kHost);
        EXPECT_EQ(out.size(), c.host ? 1u : 0u) << c.what;
        if (c.host && !out.empty()) {
            EXPECT_EQ(out[0], c.frame) << c.what;
        }
    }
    // No host interface on port 1: no copies.
    inject(1, build_arp(2, local_port_mac(1), theirs, peer_ip(2, 1, Family::V4), local_port_mac(1), local_ip(1, Family::V4)));
    worker_poll_once(*w);
    EXPECT_EQ(take(dp->to_control).size(), 1u);
    EXPECT_TRUE(sent(kHost).empty());
}

TEST_F(HostPathTest, WhatTheHostSendsLeavesThroughItsPortAfterTheTunnel) {
    const Bytes from_host = tcp_to_us(0, Family::V4);  // any frame: the host's business
    inject(kHost, from_host);
    worker_poll_once(*w);
    auto out = sent(0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0], from_host);
    EXPECT_EQ(counters->port[kHost].rx_pkts.get(), 1u);

    // Port 0's queue takes 3 frames: 3 from ftnet0 for node 2 (the tunnel)
    // and 2 from the host in the same loop. The tunnel's all leave; the
    // host's wait for none and are dropped.
    for (int i = 0; i < 2; i++) inject(kHost, from_host);
    for (int i = 0; i < 3; i++) inject(kAdapterIndex, inner_frame(kPeer2AdapterMac, kLocalAdapterMac, 100));
    worker_poll_once(*w);
    out = sent(0);
    ASSERT_EQ(out.size(), 3u);
    for (auto& f : out) EXPECT_EQ(f[12], 0x86) << "tunnel frames (IPv6 route), not the host's IPv4 segment";
    EXPECT_EQ(drops(DropReason::host_txq_full), 2u);
    EXPECT_EQ(drops(DropReason::txq_full), 0u);

    // A port whose link is down sends nothing of the host's.
    dp->port_live[0].usable.store(false);
    inject(kHost, from_host);
    worker_poll_once(*w);
    EXPECT_TRUE(sent(0).empty());
    EXPECT_EQ(drops(DropReason::host_port_down), 1u);
}

}  // namespace
}  // namespace ftnet::test
