// Admission of received ftnet messages (engine/security/datapath/admit.h):
// what node 2 seals (engine/tunnel/protected_message.h, the engine's own
// DATA encapsulation) node 1 admits exactly once, in clear, with every
// message type, family, key and mode; and every forgery, replay, move to
// another route, spoofed source, unknown key and version 1 message is
// refused with its own reason before anything acts on it.

#include <gtest/gtest.h>
#include <rte_ip.h>

#include <cstring>

#include "engine/security/aead.h"
#include "engine/security/datapath/admit.h"
#include "engine/tunnel/datapath/classify.h"
#include "engine/tunnel/protected_message.h"
#include "tests/unit/packet_fixtures.h"

namespace ftnet::test {
namespace {

constexpr DropReason kAdmitted = DropReason::count_;

// Node 2's message to node 1 on `port`, sealed with kr in `space`.
Bytes sealed(Family f, uint16_t port, wire::MsgType type, const Bytes& payload, const KeyRing& kr = test_keys(),
             uint8_t space = 0, uint64_t seq = 0) {
    RouteEntry e = route_towards_local(f, port);
    Bytes out(message_len(f, payload.size()));
    build_message(out.data(), e, type, payload.data(), payload.size(), kr, space, seq ? seq : next_test_seq());
    return out;
}

// The message rewritten as a host on `port`'s network would replay it: its
// MACs and outer addresses those of node 2 and node 1 there.
void move_to(Bytes& p, uint16_t port, Family f) {
    std::memcpy(&p[0], local_port_mac(port).b.data(), 6);
    std::memcpy(&p[6], peer2_port_mac(port).b.data(), 6);
    const size_t src = f == Family::V6 ? 22 : 26, dst = f == Family::V6 ? 38 : 30, n = f == Family::V6 ? 16 : 4;
    std::memcpy(&p[src], peer_ip(2, port, f).b.data(), n);
    std::memcpy(&p[dst], local_ip(port, f).b.data(), n);
    fix_checksums(p);
}

class Admission : public testing::Test {
  protected:
    // Classifies and admits pkt as node 1 receiving it on `port`; kAdmitted
    // or the reason it was refused. On success *payload is what handlers see.
    DropReason receive(Bytes pkt, uint16_t port, Bytes* payload = nullptr, const KeyRing& kr = test_keys()) {
        RxResult c = classify_frame(pkt.data(), static_cast<uint32_t>(pkt.size()), *rt, port);
        if (c.kind == RxKind::Drop) return c.drop;
        if (c.kind == RxKind::Control) return DropReason::rx_unhandled_proto;
        DropReason why = kAdmitted;
        if (!admit_message(pkt.data(), port, c, kr, windows[c.peer - rt->peers], &why)) return why;
        EXPECT_NE(c.route, nullptr);
        if (payload) payload->assign(pkt.begin() + c.payload_off, pkt.begin() + c.payload_off + c.payload_len);
        return kAdmitted;
    }
    std::unique_ptr<RouteTable> rt = make_test_table();
    std::unique_ptr<PeerReplayWindows[]> windows = make_replay_windows();
};

TEST_F(Admission, EveryTypeFamilyKeyAndModeRoundTripsInClear) {
    const Bytes inner = inner_frame(kLocalAdapterMac, kPeer2AdapterMac, 200, 0x5a);
    const Bytes small(40, 0x33);
    for (Family f : {Family::V4, Family::V6})
        for (bool encrypt : {false, true})
            for (uint8_t key : {1, 2})
                for (wire::MsgType t : {wire::MsgType::Data, wire::MsgType::Hello, wire::MsgType::HeartbeatReq,
                                        wire::MsgType::HeartbeatRep, wire::MsgType::LinkNotice}) {
                    const Bytes& body = t == wire::MsgType::Data ? inner : small;
                    const KeyRing& kr = test_keys(encrypt, key);
                    Bytes pkt = sealed(f, 0, t, body, kr);
                    const size_t off = outer_hdr_len(f);
                    const bool in_clear = std::equal(body.begin(), body.end(), pkt.begin() + static_cast<long>(off));
                    EXPECT_EQ(in_clear, !encrypt) << "encrypt=" << encrypt;
                    EXPECT_EQ(pkt[off - 22 + 2], encrypt ? wire::kFlagEncrypted : 0);
                    EXPECT_EQ(pkt[off - 22 + 3], key) << "key id";
                    Bytes got;
                    ASSERT_EQ(receive(pkt, 0, &got, kr), kAdmitted)
                        << family_name(f) << " encrypt=" << encrypt << " key " << int(key) << " type " << int(t);
                    EXPECT_EQ(got, body);
                }
}

// Any single-bit change to the ftnet header, the payload or the tag is
// refused (by classification or admission, never admitted), and refusals
// never consume the window: the untouched message is admitted after them.
TEST_F(Admission, EverySingleBitFlipIsRefused) {
    for (Family f : {Family::V4, Family::V6})
        for (bool encrypt : {false, true}) {
            const Bytes pkt = sealed(f, 0, wire::MsgType::Data, inner_frame(kLocalAdapterMac, kPeer2AdapterMac, 64),
                                     test_keys(encrypt));
            const size_t from = outer_l4_off(f) + 8;
            int admitted = 0;
            for (size_t i = from; i < pkt.size(); i++)
                for (int bit = 0; bit < 8; bit++) {
                    Bytes bad = pkt;
                    bad[i] ^= static_cast<uint8_t>(1 << bit);
                    fix_checksums(bad);  // the checksum is not what is under test
                    admitted += receive(bad, 0) == kAdmitted;
                }
            EXPECT_EQ(admitted, 0) << family_name(f) << " encrypt=" << encrypt;
            EXPECT_EQ(receive(pkt, 0), kAdmitted);
        }
}

TEST_F(Admission, AReplayIsRefusedOnTheSameAndOnAnotherNetwork) {
    const Bytes payload(32, 1);
    const Bytes pkt = sealed(Family::V6, 0, wire::MsgType::HeartbeatRep, payload);
    EXPECT_EQ(receive(pkt, 0), kAdmitted);
    EXPECT_EQ(receive(pkt, 0), DropReason::rx_seq_replay);
    // The same message replayed onto the storage network (outer headers
    // rewritten as a host there would): bound to the cluster route.
    Bytes moved = pkt;
    move_to(moved, 1, Family::V6);
    EXPECT_EQ(receive(moved, 1), DropReason::rx_wrong_route);
    // Old sequences: beyond the window is too old; a new epoch (the sender
    // restarted) is accepted, and its earlier life is then too old.
    const uint64_t base = uint64_t{5} << 48;
    EXPECT_EQ(receive(sealed(Family::V6, 0, wire::MsgType::Hello, payload, test_keys(), 3, base + 100000), 0), kAdmitted);
    EXPECT_EQ(receive(sealed(Family::V6, 0, wire::MsgType::Hello, payload, test_keys(), 3, base + 99999), 0), kAdmitted)
        << "reordered within the window";
    EXPECT_EQ(receive(sealed(Family::V6, 0, wire::MsgType::Hello, payload, test_keys(), 3, base + 1), 0), DropReason::rx_too_old);
    EXPECT_EQ(receive(sealed(Family::V6, 0, wire::MsgType::Hello, payload, test_keys(), 3, (uint64_t{6} << 48) + 1), 0), kAdmitted);
    EXPECT_EQ(receive(sealed(Family::V6, 0, wire::MsgType::Hello, payload, test_keys(), 3, base + 100001), 0), DropReason::rx_too_old);
    // A heartbeat on an idle network overtakes thousands of frames queued on
    // a busy one (the lab's rings hold 1,024 frames each way): they are
    // still accepted when they arrive.
    const uint64_t e7 = uint64_t{7} << 48;
    EXPECT_EQ(receive(sealed(Family::V4, 1, wire::MsgType::HeartbeatReq, payload, test_keys(), 4, e7 + 40000), 1), kAdmitted);
    for (uint64_t s : {uint64_t{1}, uint64_t{20000}, uint64_t{39999}})
        EXPECT_EQ(receive(sealed(Family::V6, 0, wire::MsgType::Data, inner_frame(kLocalAdapterMac, kPeer2AdapterMac, 64),
                                 test_keys(), 4, e7 + s), 0), kAdmitted) << s << " queued behind";
    // Once the sender's present life (epoch 7) is proven, an earlier one is
    // too old in every space, even one whose window never saw epoch 7.
    windows[0].epoch_floor.store(7);
    EXPECT_EQ(receive(sealed(Family::V6, 0, wire::MsgType::Hello, payload, test_keys(), 9, (uint64_t{6} << 48) + 5), 0),
              DropReason::rx_too_old);
    EXPECT_EQ(receive(sealed(Family::V6, 0, wire::MsgType::Hello, payload, test_keys(), 9, e7 + 5), 0), kAdmitted);
    windows[0].epoch_floor.store(0);
    // Spaces are independent: the same sequence in another space is new.
    EXPECT_EQ(receive(sealed(Family::V6, 0, wire::MsgType::Hello, payload, test_keys(), wire::kControlSpace, base + 100000), 0), kAdmitted);
    EXPECT_EQ(receive(sealed(Family::V6, 0, wire::MsgType::Hello, payload, test_keys(), 200, base + 7), 0), DropReason::rx_bad_space);
}

TEST_F(Admission, AMessageMovedToAnotherRouteOrFromAnotherSourceIsRefused) {
    const Bytes payload(32, 2);
    for (Family f : {Family::V4, Family::V6}) {
        const size_t src = f == Family::V6 ? 22 : 26, n = f == Family::V6 ? 16 : 4;
        // Sealed on the cluster route, delivered on storage with storage addresses.
        Bytes moved = sealed(f, 0, wire::MsgType::HeartbeatRep, payload);
        move_to(moved, 1, f);
        EXPECT_EQ(receive(moved, 1), DropReason::rx_wrong_route) << family_name(f);
        // A source that is none of node 2's addresses on that network.
        Bytes spoofed = sealed(f, 0, wire::MsgType::Data, inner_frame(kLocalAdapterMac, kPeer2AdapterMac, 64));
        spoofed[src + n - 1] = 0x99;
        fix_checksums(spoofed);
        EXPECT_EQ(receive(spoofed, 0), DropReason::rx_source_mismatch) << family_name(f);
        // Node 3's address claiming to be node 2 (a member forging another).
        Bytes other = sealed(f, 0, wire::MsgType::Data, inner_frame(kLocalAdapterMac, kPeer2AdapterMac, 64));
        std::memcpy(&other[src], peer_ip(3, 0, f).b.data(), n);
        fix_checksums(other);
        EXPECT_EQ(receive(other, 0), DropReason::rx_source_mismatch) << family_name(f);
    }
}

TEST_F(Admission, UnknownKeysOtherClustersAndVersionOneAreRefused) {
    const Bytes payload(32, 3);
    // Key id 3: not held.
    KeyRing k3;
    const uint8_t bytes[16] = {3};
    k3.add(3, bytes, sizeof bytes, true);
    EXPECT_EQ(receive(sealed(Family::V6, 0, wire::MsgType::Data, inner_frame(kLocalAdapterMac, kPeer2AdapterMac, 64), k3), 0),
              DropReason::rx_unknown_key);
    // Key id 1 of another cluster.
    EXPECT_EQ(receive(sealed(Family::V4, 0, wire::MsgType::HeartbeatReq, payload, other_cluster_keys()), 0),
              DropReason::rx_bad_auth);
    // A version 1 frame (its 16-byte header, a SipHash tag): refused as such.
    Bytes v1 = sealed(Family::V4, 0, wire::MsgType::HeartbeatReq, payload);
    v1[outer_l4_off(Family::V4) + 8] = 1;
    v1.resize(v1.size() - 6);  // 16-byte header instead of 22
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(&v1[14]);
    ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(v1.size() - 14));
    v1[outer_l4_off(Family::V4) + 4] = static_cast<uint8_t>((v1.size() - 34) >> 8);
    v1[outer_l4_off(Family::V4) + 5] = static_cast<uint8_t>(v1.size() - 34);
    fix_checksums(v1);
    EXPECT_EQ(receive(v1, 0), DropReason::rx_bad_version);
    // Shorter than a header and a tag.
    Bytes runt = sealed(Family::V6, 0, wire::MsgType::Hello, Bytes{});
    runt.resize(runt.size() - 1);
    auto* ip6 = reinterpret_cast<rte_ipv6_hdr*>(&runt[14]);
    ip6->payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(runt.size() - 54));
    runt[54 + 4] = static_cast<uint8_t>((runt.size() - 54) >> 8);
    runt[54 + 5] = static_cast<uint8_t>(runt.size() - 54);
    fix_checksums(runt);
    EXPECT_EQ(receive(runt, 0), DropReason::rx_truncated);
}

}  // namespace
}  // namespace ftnet::test
