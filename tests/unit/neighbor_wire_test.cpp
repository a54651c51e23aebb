// ARP, neighbour discovery and echo frames (engine/neighbor/control/neighbor_wire.h)
// and the neighbour table's answers and resolution (neighbor_table.h).
#include <gtest/gtest.h>
#include <rte_ip.h>

#include <cstring>

#include "engine/neighbor/control/neighbor_table.h"
#include "engine/neighbor/control/neighbor_wire.h"

namespace ftnet {
namespace {

const MacAddr kOurs = *MacAddr::parse("00:00:5e:00:53:12");
const MacAddr kTheirs = *MacAddr::parse("00:00:5e:00:53:22");
const MacAddr kBcast = *MacAddr::parse("ff:ff:ff:ff:ff:ff");
const IpAddr kOur4 = *IpAddr::parse("198.18.2.1"), kTheir4 = *IpAddr::parse("198.18.2.2");
const IpAddr kOur6 = *IpAddr::parse("fd00:2::1"), kTheir6 = *IpAddr::parse("fd00:2::2");

TEST(NeighborWire, ArpRoundTrip) {
    Frame f = build_arp(1, kBcast, kTheirs, kTheir4, MacAddr{}, kOur4);
    EXPECT_EQ(f.size(), 60u) << "padded to the Ethernet minimum";
    auto a = parse_arp(f.data(), f.size());
    ASSERT_TRUE(a);
    EXPECT_EQ(a->op, 1);
    EXPECT_EQ(a->sha, kTheirs);
    EXPECT_EQ(a->spa, kTheir4);
    EXPECT_EQ(a->tpa, kOur4);
    EXPECT_FALSE(parse_arp(f.data(), 41)) << "truncated";
    Frame bad = f;
    bad[14 + 4] = 8;  // hardware length
    EXPECT_FALSE(parse_arp(bad.data(), bad.size()));
    bad = f;
    bad[14 + 7] = 9;  // opcode
    EXPECT_FALSE(parse_arp(bad.data(), bad.size()));
}

TEST(NeighborWire, NeighbourSolicitationAndAdvertisement) {
    Frame ns = build_ns(kTheirs, kTheir6, kOur6);
    auto n = parse_nd(ns.data(), ns.size());
    ASSERT_TRUE(n);
    EXPECT_EQ(n->type, 135);
    EXPECT_EQ(n->target, kOur6);
    EXPECT_EQ(n->dst, solicited_node_group(kOur6));
    EXPECT_EQ(n->dst.str(), "ff02::1:ff00:1");
    ASSERT_TRUE(n->lladdr);
    EXPECT_EQ(*n->lladdr, kTheirs);
    EXPECT_EQ(MacAddr(std::array<uint8_t, 6>{ns[0], ns[1], ns[2], ns[3], ns[4], ns[5]}).str(), "33:33:ff:00:00:01");

    Frame na = build_na(kOurs, kTheirs, kOur6, kTheir6, true);
    auto a = parse_nd(na.data(), na.size());
    ASSERT_TRUE(a);
    EXPECT_EQ(a->type, 136);
    EXPECT_TRUE(a->solicited);
    EXPECT_TRUE(a->override_flag);
    EXPECT_EQ(*a->lladdr, kOurs);

    Frame bad = ns;
    bad[14 + 7] = 64;  // hop limit must be 255 (RFC 4861 7.1.1)
    EXPECT_FALSE(parse_nd(bad.data(), bad.size()));
    bad = ns;
    bad[bad.size() - 1] ^= 1;  // checksum
    EXPECT_FALSE(parse_nd(bad.data(), bad.size()));
    bad = ns;
    bad[54 + 25] = 0;  // zero-length option
    EXPECT_FALSE(parse_nd(bad.data(), bad.size()));
}

TEST(NeighborWire, EchoRequestsGetRepliesOthersDoNot) {
    // Build a v4 echo request the way a neighbour would: reply to ourselves.
    Frame req4(14 + 20 + 16, 0);
    std::copy(kOurs.b.begin(), kOurs.b.end(), req4.begin());
    std::copy(kTheirs.b.begin(), kTheirs.b.end(), req4.begin() + 6);
    req4[12] = 0x08;
    uint8_t ip[20] = {0x45, 0, 0, 36, 0, 1, 0, 0, 64, 1, 0, 0, 198, 18, 2, 2, 198, 18, 2, 1};
    std::copy(ip, ip + 20, req4.begin() + 14);
    uint16_t ck = static_cast<uint16_t>(~rte_raw_cksum(&req4[14], 20));
    std::memcpy(&req4[24], &ck, 2);
    req4[34] = 8;
    req4[38] = 0x12;
    req4[39] = 0x34;
    ck = static_cast<uint16_t>(~rte_raw_cksum(&req4[34], 16));
    std::memcpy(&req4[36], &ck, 2);
    auto rep = build_echo_reply(req4.data(), req4.size(), kOurs);
    ASSERT_TRUE(rep);
    EXPECT_EQ((*rep)[34], 0) << "echo reply";
    EXPECT_EQ(IpAddr::from_v4_bytes(&(*rep)[26]), kOur4);
    EXPECT_EQ(IpAddr::from_v4_bytes(&(*rep)[30]), kTheir4);
    EXPECT_EQ(rte_raw_cksum(&(*rep)[14], 20), 0xffff);
    EXPECT_EQ(rte_raw_cksum(&(*rep)[34], 16), 0xffff);
    EXPECT_TRUE(std::equal(kTheirs.b.begin(), kTheirs.b.end(), rep->begin()));
    // The reply to a reply is nothing; nor is a request with a bad checksum.
    EXPECT_FALSE(build_echo_reply(rep->data(), rep->size(), kOurs));
    req4[40] ^= 1;
    EXPECT_FALSE(build_echo_reply(req4.data(), req4.size(), kOurs));
    // Neighbour discovery is not echo.
    Frame ns = build_ns(kTheirs, kTheir6, kOur6);
    EXPECT_FALSE(build_echo_reply(ns.data(), ns.size(), kOurs));
}

struct Sent {
    uint16_t port;
    Frame f;
};

TEST(NeighborTable, AnswersForOwnAddressesOnlyAndLearnsWantedNextHops) {
    std::vector<Sent> sent;
    NeighborTable t({{"cluster", kOurs, kOur4, kOur6}}, [&](uint16_t p, const Frame& f) { sent.push_back({p, f}); });
    t.want(0, kTheir4);
    t.want(0, kTheir6);
    EXPECT_FALSE(t.lookup(0, kTheir4));

    // ARP request for our address: a reply, and we learn the asker.
    Frame req = build_arp(1, kBcast, kTheirs, kTheir4, MacAddr{}, kOur4);
    EXPECT_TRUE(t.handle_frame(0, req.data(), req.size(), 1000));
    ASSERT_EQ(sent.size(), 1u);
    auto rep = parse_arp(sent[0].f.data(), sent[0].f.size());
    ASSERT_TRUE(rep);
    EXPECT_EQ(rep->op, 2);
    EXPECT_EQ(rep->sha, kOurs);
    EXPECT_EQ(rep->spa, kOur4);
    EXPECT_EQ(*t.lookup(0, kTheir4), kTheirs);

    // A request for someone else's address: no answer.
    sent.clear();
    Frame other = build_arp(1, kBcast, kTheirs, kTheir4, MacAddr{}, *IpAddr::parse("198.18.2.77"));
    t.handle_frame(0, other.data(), other.size(), 1000);
    EXPECT_TRUE(sent.empty());

    // NS for our IPv6 address: NA back to the asker, and it is learnt.
    Frame ns = build_ns(kTheirs, kTheir6, kOur6);
    EXPECT_TRUE(t.handle_frame(0, ns.data(), ns.size(), 1000));
    ASSERT_EQ(sent.size(), 1u);
    auto na = parse_nd(sent[0].f.data(), sent[0].f.size());
    ASSERT_TRUE(na);
    EXPECT_EQ(na->type, 136);
    EXPECT_EQ(na->target, kOur6);
    EXPECT_EQ(na->dst, kTheir6);
    EXPECT_EQ(*t.lookup(0, kTheir6), kTheirs);

    // Unwanted addresses are never learnt (no cache growth from strangers).
    Frame stranger = build_arp(2, kOurs, kTheirs, *IpAddr::parse("198.18.2.50"), kOurs, kOur4);
    EXPECT_FALSE(t.handle_frame(0, stranger.data(), stranger.size(), 1000));
    EXPECT_FALSE(t.lookup(0, *IpAddr::parse("198.18.2.50")));
}

TEST(NeighborTable, ProbesUntilResolvedThenReconfirms) {
    std::vector<Sent> sent;
    NeighborTiming timing{1000, 30000};
    NeighborTable t({{"cluster", kOurs, kOur4, kOur6}}, [&](uint16_t p, const Frame& f) { sent.push_back({p, f}); }, timing);
    t.want(0, kTheir4);
    t.tick(0);
    ASSERT_EQ(sent.size(), 1u);
    auto probe = parse_arp(sent[0].f.data(), sent[0].f.size());
    ASSERT_TRUE(probe);
    EXPECT_EQ(probe->op, 1);
    EXPECT_EQ(probe->tpa, kTheir4);
    t.tick(500);
    EXPECT_EQ(sent.size(), 1u) << "not before the retry interval";
    t.tick(1000);
    EXPECT_EQ(sent.size(), 2u);
    Frame reply = build_arp(2, kOurs, kTheirs, kTheir4, kOurs, kOur4);
    EXPECT_TRUE(t.handle_frame(0, reply.data(), reply.size(), 1100));
    t.tick(20000);
    EXPECT_EQ(sent.size(), 2u) << "reachable: no probes";
    t.tick(31100);
    EXPECT_EQ(sent.size(), 3u) << "re-confirmed after reachable_ms";
    EXPECT_EQ(*t.lookup(0, kTheir4), kTheirs) << "a stale entry keeps its MAC";
    EXPECT_EQ(t.entries()[0].state, NeighborTable::State::Stale);
}

TEST(NeighborTable, FollowsAGatewayWhoseMacChanges) {
    // Router failover (VRRP, a replaced router): the gateway's address stays,
    // its MAC changes and it announces the new one unasked.
    std::vector<Sent> sent;
    NeighborTable t({{"cluster", kOurs, kOur4, kOur6}}, [&](uint16_t p, const Frame& f) { sent.push_back({p, f}); });
    const IpAddr gw4 = *IpAddr::parse("198.18.2.254"), gw6 = *IpAddr::parse("fd00:2::fe");
    const MacAddr old_mac = *MacAddr::parse("02:00:00:00:0a:01"), new_mac = *MacAddr::parse("02:00:00:00:0b:01");
    t.want(0, gw4);
    t.want(0, gw6);
    Frame reply = build_arp(2, kOurs, old_mac, gw4, kOurs, kOur4);
    EXPECT_TRUE(t.handle_frame(0, reply.data(), reply.size(), 1000));
    Frame na_old = build_na(old_mac, kOurs, gw6, kOur6, true);
    EXPECT_TRUE(t.handle_frame(0, na_old.data(), na_old.size(), 1000));
    ASSERT_EQ(*t.lookup(0, gw4), old_mac);
    ASSERT_EQ(*t.lookup(0, gw6), old_mac);

    // The same answer again changes nothing: no route rebuild.
    EXPECT_FALSE(t.handle_frame(0, reply.data(), reply.size(), 1100));

    // Gratuitous ARP (a broadcast request for its own address) with the new MAC.
    sent.clear();
    Frame garp = build_arp(1, kBcast, new_mac, gw4, MacAddr{}, gw4);
    EXPECT_TRUE(t.handle_frame(0, garp.data(), garp.size(), 2000)) << "the route table must be rebuilt";
    EXPECT_EQ(*t.lookup(0, gw4), new_mac);
    EXPECT_TRUE(sent.empty()) << "a gratuitous ARP is not answered";

    // Unsolicited NA to all nodes with the new MAC.
    const IpAddr all_nodes = *IpAddr::parse("ff02::1");
    Frame na_new = build_na(new_mac, ipv6_multicast_mac(all_nodes), gw6, all_nodes, false);
    EXPECT_TRUE(t.handle_frame(0, na_new.data(), na_new.size(), 2000));
    EXPECT_EQ(*t.lookup(0, gw6), new_mac);
    for (const auto& e : t.entries()) {
        EXPECT_EQ(e.state, NeighborTable::State::Reachable);
        EXPECT_EQ(e.confirmed_ms, 2000u);
    }

    // Another port's gateway with that address is a different entry.
    EXPECT_FALSE(t.lookup(1, gw4));
}

TEST(NeighborTable, AnnouncesOwnAddresses) {
    std::vector<Sent> sent;
    NeighborTable t({{"cluster", kOurs, kOur4, kOur6}}, [&](uint16_t p, const Frame& f) { sent.push_back({p, f}); });
    t.announce(0);
    ASSERT_EQ(sent.size(), 2u);
    auto garp = parse_arp(sent[0].f.data(), sent[0].f.size());
    ASSERT_TRUE(garp);
    EXPECT_EQ(garp->spa, kOur4);
    EXPECT_EQ(garp->tpa, kOur4) << "gratuitous";
    auto na = parse_nd(sent[1].f.data(), sent[1].f.size());
    ASSERT_TRUE(na);
    EXPECT_FALSE(na->solicited);
    EXPECT_EQ(na->dst.str(), "ff02::1");
}

}  // namespace
}  // namespace ftnet
