// A real worker poll loop (worker_poll_once) driven over net_ring ports:
// two cluster ports and ftnet0, each a pair of rings the test fills and
// drains. Checks route choice, failover to the next route, flooding, drops
// and their counters, control-thread hand-offs, table swaps, and that no
// mbuf leaks.

#include <gtest/gtest.h>
#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include <memory>
#include <set>

#include "engine/core/dataplane.h"
#include "engine/core/datapath_registry.h"
#include "engine/tunnel/datapath/classify.h"
#include "engine/neighbor/control/neighbor_wire.h"
#include "engine/core/worker.h"
#include "tests/unit/packet_fixtures.h"
#include "tests/unit/ring_dataplane.h"

namespace ftnet::test {
namespace {

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

class WorkerRingTest : public RingDataplaneTest {
  protected:
    void SetUp() override {
        build("wrt", {{"cluster", PortRole::Physical}, {"storage", PortRole::Physical}, {"ftnet0", PortRole::Adapter}});
    }

    // Sends one unicast frame to peer 2 from ftnet0 and returns the port and
    // route id it left on (-1 if nothing left).
    // The port a frame for node 2 left on, and the route it was counted on
    // (the route is also the one whose binding the frame carries).
    std::pair<int, int> route_taken() {
        uint64_t before[5];
        for (int r = 0; r < 5; r++) before[r] = counters->route[r].tx_pkts.get();
        inject(kAdapterIndex, inner_frame(kPeer2AdapterMac, kLocalAdapterMac, 100));
        worker_poll_once(*w);
        for (int p = 0; p < 2; p++) {
            auto out = sent(p);
            if (out.empty()) continue;
            for (int r = 0; r < 5; r++) {
                if (counters->route[r].tx_pkts.get() == before[r]) continue;
                const RouteEntry& e = table->peers[0].routes[r];
                const size_t l4 = out[0][12] == 0x86 ? 54 : 34;
                EXPECT_EQ(std::memcmp(&out[0][l4 + 8 + 8], e.tmpl + l4 + 8 + 8, 4), 0) << "the route's binding";
                return {p, r};
            }
        }
        return {-1, -1};
    }

};

TEST_F(WorkerRingTest, FrameFromAdapterLeavesOnTheBestRouteEncapsulated) {
    Bytes inner = inner_frame(kPeer2AdapterMac, kLocalAdapterMac, 200);
    inject(kAdapterIndex, inner);
    EXPECT_EQ(worker_poll_once(*w), 1u);
    auto out = sent(0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(sent(1).empty());
    const Bytes& p = out[0];
    EXPECT_EQ(be16(&p[12]), 0x86dd) << "IPv6 is preferred";
    EXPECT_EQ(be16(&p[54 + 8 + 6]), 2) << "to node 2";
    EXPECT_TRUE(std::equal(inner.begin(), inner.end(), p.end() - 16 - static_cast<long>(inner.size())))
        << "the frame, then the tag";
    EXPECT_EQ(counters->port[kAdapterIndex].rx_pkts.get(), 1u);
    EXPECT_EQ(counters->port[0].tx_pkts.get(), 1u);
    EXPECT_EQ(counters->port[0].tx_bytes.get(), p.size());
    EXPECT_EQ(counters->route[0].tx_pkts.get(), 1u);
}

TEST_F(WorkerRingTest, NextFrameTakesTheNextRouteWhenOneGoesDown) {
    EXPECT_EQ(route_taken(), std::make_pair(0, 0));
    dp->route_live[0].up.store(false);  // cluster IPv6 down
    EXPECT_EQ(route_taken(), std::make_pair(0, 1));
    dp->port_live[0].usable.store(false);  // the whole cluster port down
    EXPECT_EQ(route_taken(), std::make_pair(1, 2));
    dp->route_live[2].up.store(false);
    EXPECT_EQ(route_taken(), std::make_pair(1, 3));
    dp->port_live[1].usable.store(false);
    EXPECT_EQ(route_taken(), std::make_pair(-1, -1));
    EXPECT_EQ(drops(DropReason::tx_no_route), 1u);
    // Failback as soon as the better route is usable again.
    dp->port_live[0].usable.store(true);
    dp->route_live[0].up.store(true);
    EXPECT_EQ(route_taken(), std::make_pair(0, 0));
}

TEST_F(WorkerRingTest, WithNoRouteAnsweringTheBestRouteWithLinkCarriesTheTraffic) {
    for (uint16_t r = 0; r < 4; r++) dp->route_live[r].up.store(false);  // every route down by heartbeats
    EXPECT_EQ(route_taken(), std::make_pair(0, 0)) << "last resort: the best route whose port has link";
    EXPECT_EQ(counters->tx_last_resort.get(), 1u);
    EXPECT_EQ(drops(DropReason::tx_no_route), 0u);
    dp->route_live[0].dead.store(true);  // known dead: its link (or the peer's) is down
    EXPECT_EQ(route_taken(), std::make_pair(0, 1));
    dp->port_live[0].usable.store(false);  // our port lost its link, or the operator set it down
    EXPECT_EQ(route_taken(), std::make_pair(1, 2));
    dp->port_live[1].usable.store(false);
    EXPECT_EQ(route_taken(), std::make_pair(-1, -1)) << "a route without link is never used";
    EXPECT_EQ(drops(DropReason::tx_no_route), 1u);
    EXPECT_EQ(counters->tx_last_resort.get(), 3u);
    // A route answering again is preferred to any last resort.
    dp->port_live[0].usable.store(true);
    dp->port_live[1].usable.store(true);
    dp->route_live[3].up.store(true);
    EXPECT_EQ(route_taken(), std::make_pair(1, 3));
    EXPECT_EQ(counters->tx_last_resort.get(), 3u);
}

TEST_F(WorkerRingTest, UnresolvedRoutesAreSkipped) {
    table->peers[0].routes[0].resolved = false;
    EXPECT_EQ(route_taken(), std::make_pair(0, 1));
}

TEST_F(WorkerRingTest, BroadcastAndUnknownUnicastReachEveryPeer) {
    MacAddr bcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    MacAddr unknown{{0x02, 0x99, 0x99, 0x99, 0x99, 0x99}};
    for (const MacAddr& dst : {bcast, unknown}) {
        inject(kAdapterIndex, inner_frame(dst, kLocalAdapterMac, 64));
        worker_poll_once(*w);
        auto out = sent(0);
        ASSERT_EQ(out.size(), 2u) << "one copy per peer, both via the cluster port";
        std::set<uint16_t> dst_nodes;
        for (auto& p : out) dst_nodes.insert(be16(&p[54 + 8 + 6]));
        EXPECT_EQ(dst_nodes, (std::set<uint16_t>{2, 3}));
    }
    EXPECT_EQ(counters->flooded.get(), 2u);
    // A peer without a usable route is skipped; with none left, it is a drop.
    dp->port_live[0].usable.store(false);
    inject(kAdapterIndex, inner_frame(bcast, kLocalAdapterMac, 64));
    worker_poll_once(*w);
    EXPECT_EQ(sent(1).size(), 1u) << "only peer 2 has a route on storage";
    dp->port_live[1].usable.store(false);
    inject(kAdapterIndex, inner_frame(bcast, kLocalAdapterMac, 64));
    worker_poll_once(*w);
    EXPECT_EQ(drops(DropReason::tx_no_peer), 1u);
}

// Every peer's copy of a flooded frame is sealed on its own, under its own
// sequence (a shared payload could not be encrypted or tagged twice): flat
// copies, different sequences, the same frame inside.
TEST_F(WorkerRingTest, FloodedCopiesAreSealedEachUnderItsOwnSequence) {
    const MacAddr bcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    const Bytes inner = inner_frame(bcast, kLocalAdapterMac, 1000);
    inject(kAdapterIndex, inner);
    worker_poll_once(*w);
    std::vector<Bytes> out;
    void* m;
    while (rte_ring_dequeue(ports[0].tx, &m) == 0) {
        auto* mb = static_cast<rte_mbuf*>(m);
        EXPECT_EQ(mb->nb_segs, 1);
        out.push_back(to_bytes(mb));
        rte_pktmbuf_free(mb);
    }
    ASSERT_EQ(out.size(), 2u);
    const size_t h = 54 + 8;  // both peers' best routes are IPv6
    EXPECT_NE(std::memcmp(&out[0][h + 12], &out[1][h + 12], 8), 0) << "two sequences, two nonces";
    EXPECT_NE(std::memcmp(&out[0][h + 6], &out[1][h + 6], 2), 0) << "one copy per peer";
    for (const Bytes& b : out) EXPECT_TRUE(std::equal(inner.begin(), inner.end(), b.begin() + static_cast<long>(h + 22)));
    EXPECT_EQ(counters->flooded.get(), 1u);
}

TEST_F(WorkerRingTest, BadFramesFromTheAdapterAreCountedDrops) {
    inject(kAdapterIndex, Bytes(10, 0));
    inject(kAdapterIndex, inner_frame(kPeer2AdapterMac, kLocalAdapterMac, 1400 + 14 + 1));
    inject(kAdapterIndex, inner_frame(kPeer2AdapterMac, kLocalAdapterMac, 1400 + 14));
    worker_poll_once(*w);
    EXPECT_EQ(drops(DropReason::tx_runt), 1u);
    EXPECT_EQ(drops(DropReason::tx_too_big), 1u);
    EXPECT_EQ(sent(0).size(), 1u) << "a frame of exactly the MTU passes";
}

TEST_F(WorkerRingTest, TunnelPacketIsDeliveredIntoTheAdapter) {
    for (Family f : {Family::V4, Family::V6}) {
        Bytes inner = inner_frame(kLocalAdapterMac, kPeer2AdapterMac, 300);
        inject(1, tunnel_packet(test_pool(), f, 1, inner));
        worker_poll_once(*w);
        auto out = sent(kAdapterIndex);
        ASSERT_EQ(out.size(), 1u);
        EXPECT_EQ(out[0], inner);
    }
    EXPECT_EQ(counters->port[1].rx_pkts.get(), 2u);
    EXPECT_EQ(counters->port[kAdapterIndex].tx_pkts.get(), 2u);
    EXPECT_EQ(counters->route[2].rx_pkts.get() + counters->route[3].rx_pkts.get(), 2u)
        << "counted on peer 2's storage routes";
}

TEST_F(WorkerRingTest, ControlTrafficGoesToTheControlThreadAndBack) {
    Frame arp = build_arp(1, MacAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, peer2_port_mac(0), peer_ip(2, 0, Family::V4),
                          MacAddr{}, local_ip(0, Family::V4));
    inject(0, arp);
    inject(0, tunnel_packet(test_pool(), Family::V6, 0, inner_frame(kLocalAdapterMac, kPeer2AdapterMac, 100), wire::MsgType::Hello));
    worker_poll_once(*w);
    auto punted = take(dp->to_control);
    ASSERT_EQ(punted.size(), 2u);
    EXPECT_EQ(punted[0], arp);
    EXPECT_EQ(counters->to_control.get(), 2u);

    // What the control thread queues goes out on the port it names.
    rte_mbuf* m = to_mbuf(test_pool(), arp);
    m->port = ports[1].port_id;
    ASSERT_EQ(rte_ring_enqueue(dp->from_control[0], m), 0);
    worker_poll_once(*w);
    auto out = sent(1);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0], arp);
}

TEST_F(WorkerRingTest, MalformedPacketsAreDroppedAndCountedByReason) {
    Bytes good = tunnel_packet(test_pool(), Family::V6, 0, inner_frame(kLocalAdapterMac, kPeer2AdapterMac, 100));
    Bytes bad_version = good;
    bad_version[54 + 8] = 9;
    fix_checksums(bad_version);
    Bytes wrong_node = good;
    wrong_node[54 + 8 + 7] = 5;
    fix_checksums(wrong_node);
    Bytes corrupted = good;
    corrupted[90] ^= 0xff;
    inject(0, bad_version);
    inject(0, wrong_node);
    inject(0, corrupted);
    inject(0, Bytes(good.begin(), good.begin() + 20));
    inject(0, good);
    worker_poll_once(*w);
    EXPECT_EQ(drops(DropReason::rx_bad_version), 1u);
    EXPECT_EQ(drops(DropReason::rx_wrong_dst_node), 1u);
    EXPECT_EQ(drops(DropReason::rx_bad_checksum), 1u);
    EXPECT_EQ(drops(DropReason::rx_runt), 1u);
    EXPECT_EQ(sent(kAdapterIndex).size(), 1u) << "the good packet behind them still goes through";
}

// Message types go to the module that registered them; a valid type that no
// module handles (here the session type, in a registry without the session
// module) is a counted drop, and the registry a test Dataplane points at is
// the engine's own.
TEST_F(WorkerRingTest, AMessageTypeNoModuleHandlesIsACountedDrop) {
    EXPECT_EQ(dp->handlers, &datapath_registry());
    DatapathRegistry reg = datapath_registry();
    reg.message[static_cast<uint8_t>(wire::MsgType::Session)] = nullptr;
    reg.message_owner[static_cast<uint8_t>(wire::MsgType::Session)] = nullptr;
    dp->handlers = &reg;
    inject(0, tunnel_packet(test_pool(), Family::V6, 0, inner_frame(kLocalAdapterMac, kPeer2AdapterMac, 100), wire::MsgType::Session));
    inject(0, tunnel_packet(test_pool(), Family::V6, 0, inner_frame(kLocalAdapterMac, kPeer2AdapterMac, 100), wire::MsgType::Hello));
    worker_poll_once(*w);
    dp->handlers = &datapath_registry();
    EXPECT_EQ(drops(DropReason::rx_unsupported_msg), 1u);
    EXPECT_EQ(take(dp->to_control).size(), 1u) << "the HELLO behind it still reaches the control thread";
}

// The engine's own registry hands session segments to the control thread.
TEST_F(WorkerRingTest, SessionSegmentsGoToTheControlThread) {
    inject(0, tunnel_packet(test_pool(), Family::V6, 0, inner_frame(kLocalAdapterMac, kPeer2AdapterMac, 100), wire::MsgType::Session));
    worker_poll_once(*w);
    EXPECT_EQ(take(dp->to_control).size(), 1u);
    EXPECT_EQ(drops(DropReason::rx_unsupported_msg), 0u);
}

// A module's handler replaces nothing else: a test registry with a handler
// for the session type sees exactly that frame.
TEST_F(WorkerRingTest, ARegisteredHandlerReceivesItsMessageType) {
    static unsigned seen = 0;
    seen = 0;
    DatapathRegistry reg = datapath_registry();
    reg.message[static_cast<uint8_t>(wire::MsgType::Session)] = nullptr;
    reg.message_owner[static_cast<uint8_t>(wire::MsgType::Session)] = nullptr;
    reg.on_message(static_cast<uint8_t>(wire::MsgType::Session), [](Worker& wk, uint16_t, rte_mbuf* m, const RxResult& c) {
        EXPECT_EQ(c.hdr->type, static_cast<uint8_t>(wire::MsgType::Session));
        seen++;
        drop_packet(wk, m, DropReason::rx_unsupported_msg);
    }, "test");
    dp->handlers = &reg;
    inject(0, tunnel_packet(test_pool(), Family::V6, 0, inner_frame(kLocalAdapterMac, kPeer2AdapterMac, 100), wire::MsgType::Session));
    worker_poll_once(*w);
    dp->handlers = &datapath_registry();
    EXPECT_EQ(seen, 1u);
}

TEST_F(WorkerRingTest, ANewTableTakesEffectAtTheNextPoll) {
    // Peer 2's ftnet0 changes MAC (it restarted on another NIC): until the
    // new table is published a frame to the new MAC is flooded; after, it is
    // unicast to peer 2 only.
    MacAddr moved{{0x02, 0x00, 0x5e, 0x00, 0x53, 0x77}};
    inject(kAdapterIndex, inner_frame(moved, kLocalAdapterMac, 64));
    worker_poll_once(*w);
    EXPECT_EQ(sent(0).size(), 2u);
    auto next = make_test_table();
    next->generation = 2;
    std::memcpy(next->peers[0].adapter_mac, moved.b.data(), 6);
    dp->routes.store(next.get());
    inject(kAdapterIndex, inner_frame(moved, kLocalAdapterMac, 64));
    worker_poll_once(*w);
    auto out = sent(0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(be16(&out[0][54 + 8 + 6]), 2);
    dp->routes.store(table.get());
}

TEST_F(WorkerRingTest, SustainedTrafficBothWaysLosesNothingAndLeaksNothing) {
    size_t delivered = 0, encapsulated = 0;
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < 20; i++) {
            inject(kAdapterIndex, inner_frame(kPeer2AdapterMac, kLocalAdapterMac, 60 + static_cast<size_t>(i) * 60));
            inject(0, tunnel_packet(test_pool(), i % 2 ? Family::V4 : Family::V6, 0,
                                    inner_frame(kLocalAdapterMac, kPeer2AdapterMac, 60 + static_cast<size_t>(i) * 60)));
        }
        while (worker_poll_once(*w) > 0) {
        }
        encapsulated += sent(0).size();
        delivered += sent(kAdapterIndex).size();
    }
    EXPECT_EQ(encapsulated, 4000u);
    EXPECT_EQ(delivered, 4000u);
    for (size_t d = 0; d < kNumDropReasons; d++) EXPECT_EQ(counters->drops[d].get(), 0u) << drop_reason_name(static_cast<DropReason>(d));
}

}  // namespace
}  // namespace ftnet::test
