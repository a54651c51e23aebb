// Frames split for a smaller path MTU (engine/tunnel/datapath/fragment.h)
// and rebuilt by the receiver's per-worker table (reassembly.h): in order,
// out of order, duplicated, missing, oversized, inconsistent, and with the
// table full.
#include "engine/tunnel/datapath/fragment.h"
#include "engine/tunnel/datapath/reassembly.h"
#include "engine/tunnel/encap_template.h"

#include <gtest/gtest.h>
#include <rte_cycles.h>

#include <algorithm>
#include <random>
#include <vector>

#include "tests/unit/packet_fixtures.h"

namespace ftnet {
namespace {

using namespace ftnet::test;

constexpr uint32_t kMaxFrame = 1400 + 14;

RouteEntry route_for(uint16_t path_mtu) {
    RouteEntry r{};
    TemplateSpec s;
    s.family = Family::V6;
    s.src_ip = *IpAddr::parse("fd00:3::1");
    s.dst_ip = *IpAddr::parse("fd01:3::2");
    s.path_mtu = path_mtu;
    build_encap_template(r, s);
    return r;
}

Bytes frame_of(size_t len, uint8_t seed) {
    Bytes b(len);
    for (size_t i = 0; i < len; i++) b[i] = static_cast<uint8_t>(seed + i * 7);
    return b;
}

// The fragments of `frame` as the payloads a receiver would see.
std::vector<Bytes> split(const Bytes& frame, uint16_t path_mtu, uint32_t id) {
    const RouteEntry r = route_for(path_mtu);
    rte_mbuf* m = to_mbuf(test_pool(), frame);
    rte_mbuf* out[wire::kMaxFragments];
    DropReason why{};
    const unsigned n = split_frame(m, r, test_pool(), id, r.hdr_len, out, &why);
    std::vector<Bytes> parts;
    for (unsigned i = 0; i < n; i++) {
        const auto* d = rte_pktmbuf_mtod(out[i], const uint8_t*);
        parts.emplace_back(d, d + out[i]->pkt_len);
        EXPECT_LE(wire::ip_packet_len(true, out[i]->pkt_len), path_mtu) << "fragment " << i << " fits the path";
        rte_pktmbuf_free(out[i]);
    }
    if (n == 0) rte_pktmbuf_free(m);
    return parts;
}

Bytes contents(rte_mbuf* m) {
    const auto* d = rte_pktmbuf_mtod(m, const uint8_t*);
    return Bytes(d, d + m->pkt_len);
}

struct Reasm {
    Reassembly ra;
    uint64_t now = 1'000'000;
    ~Reasm() { reassembly_clear(ra); }
    ReassemblyStep add(const Bytes& p, uint16_t node = 2, uint8_t space = 0) {
        return reassemble(ra, test_pool(), node, space, p.data(), static_cast<uint32_t>(p.size()), kMaxFrame, now);
    }
};

TEST(Fragments, AFrameLongerThanThePathSplitsIntoPiecesThatFitIt) {
    const RouteEntry r = route_for(1280);
    EXPECT_EQ(r.max_whole, 1280 - 40 - 8 - 22 - 16);
    EXPECT_EQ(r.frag_piece % 8, 0);
    const Bytes f = frame_of(1414, 1);
    const auto parts = split(f, 1280, 7);
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(fragment_count(9014, r.frag_piece), 8u);
    EXPECT_EQ(fragment_count(64000, r.frag_piece), 0u) << "beyond kMaxFragments: refused";
}

TEST(Fragments, ReassembleInOrderAndOutOfOrder) {
    const Bytes f = frame_of(1414, 3);
    for (bool reverse : {false, true}) {
        Reasm t;
        auto parts = split(f, 1280, 11);
        if (reverse) std::reverse(parts.begin(), parts.end());
        ReassemblyStep st = t.add(parts[0]);
        EXPECT_EQ(st.frame, nullptr);
        EXPECT_FALSE(st.dropped);
        EXPECT_EQ(reassembly_in_use(t.ra), 1u);
        st = t.add(parts[1]);
        ASSERT_NE(st.frame, nullptr);
        EXPECT_EQ(contents(st.frame), f);
        rte_pktmbuf_free(st.frame);
        EXPECT_EQ(reassembly_in_use(t.ra), 0u);
    }
}

TEST(Fragments, ManyInterleavedFramesInRandomOrderComeOutWhole) {
    Reasm t;
    std::mt19937 rng(42);
    std::vector<std::pair<Bytes, Bytes>> parts;  // (fragment, its frame)
    std::vector<Bytes> frames;
    for (uint32_t id = 1; id <= 20; id++) {
        // 800..1400 bytes: each longer than one 776-byte piece of this path.
        Bytes f = frame_of(800 + id * 300 % 600, static_cast<uint8_t>(id));
        frames.push_back(f);
        for (auto& p : split(f, 1280 - 600 + 200, id)) parts.emplace_back(p, f);  // a small path: up to 3 pieces
    }
    std::shuffle(parts.begin(), parts.end(), rng);
    unsigned whole = 0;
    for (auto& [p, f] : parts) {
        ReassemblyStep st = t.add(p);
        ASSERT_FALSE(st.dropped);
        if (st.frame) {
            const Bytes got = contents(st.frame);
            EXPECT_NE(std::find(frames.begin(), frames.end(), got), frames.end());
            rte_pktmbuf_free(st.frame);
            whole++;
        }
    }
    EXPECT_EQ(whole, 20u);
}

TEST(Fragments, SameIdFromAnotherSenderOrSpaceIsAnotherFrame) {
    Reasm t;
    const Bytes a = frame_of(1414, 5), b = frame_of(1414, 9);
    const auto pa = split(a, 1280, 1), pb = split(b, 1280, 1);
    EXPECT_EQ(t.add(pa[0], 2, 0).frame, nullptr);
    EXPECT_EQ(t.add(pb[0], 2, 1).frame, nullptr);
    ReassemblyStep sb = t.add(pb[1], 2, 1);
    ASSERT_NE(sb.frame, nullptr);
    EXPECT_EQ(contents(sb.frame), b);
    rte_pktmbuf_free(sb.frame);
    ReassemblyStep sa = t.add(pa[1], 2, 0);
    ASSERT_NE(sa.frame, nullptr);
    EXPECT_EQ(contents(sa.frame), a);
    rte_pktmbuf_free(sa.frame);
}

TEST(Fragments, DuplicateMissingOversizedAndInconsistentFragmentsAreCountedDrops) {
    const Bytes f = frame_of(1414, 7);
    const auto parts = split(f, 1280, 5);
    {
        Reasm t;
        t.add(parts[0]);
        ReassemblyStep st = t.add(parts[0]);
        EXPECT_TRUE(st.dropped);
        EXPECT_EQ(st.why, DropReason::rx_frag_duplicate);
    }
    {
        // Missing: the frame waits, then times out when a new one needs a slot.
        Reasm t;
        t.add(parts[0]);
        t.now += rte_get_tsc_hz();  // a second later
        const auto other = split(frame_of(1414, 8), 1280, 6);
        ReassemblyStep st = t.add(other[0]);
        EXPECT_EQ(st.expired, 1u);
        EXPECT_FALSE(st.dropped);
        EXPECT_EQ(reassembly_in_use(t.ra), 1u);
    }
    {
        // A frame larger than ftnet0's MTU.
        Reasm t;
        const auto big = split(frame_of(3000, 1), 1280, 9);
        ReassemblyStep st = t.add(big[0]);
        EXPECT_TRUE(st.dropped);
        EXPECT_EQ(st.why, DropReason::rx_frag_too_big);
    }
    // Headers that lie: a piece past the end, index beyond count, one count,
    // fragments disagreeing on the frame, truncated.
    auto mutate = [&](auto fn) {
        Bytes p = parts[1];
        fn(p);
        return p;
    };
    for (Bytes bad : {mutate([](Bytes& p) { p[6] = 0x05; p[7] = 0x50; }),   // offset 1360 + piece > 1414
                      mutate([](Bytes& p) { p[8] = 2; }),                   // index 2 of 2
                      mutate([](Bytes& p) { p[9] = 1; p[8] = 0; }),         // count 1
                      mutate([](Bytes& p) { p.resize(12); }),               // no piece
                      mutate([](Bytes& p) { p[10] = 1; })}) {               // reserved
        Reasm t;
        ReassemblyStep st = t.add(bad);
        EXPECT_TRUE(st.dropped);
        EXPECT_EQ(st.why, DropReason::rx_frag_bad);
    }
    {
        Reasm t;
        const auto shorter = split(frame_of(1300, 7), 1280, 5);
        t.add(shorter[0]);
        Bytes other_len = shorter[1];
        other_len[5] = static_cast<uint8_t>(other_len[5] + 1);  // frame_len 1301: not the same frame
        ReassemblyStep st = t.add(other_len);
        EXPECT_TRUE(st.dropped);
        EXPECT_EQ(st.why, DropReason::rx_frag_bad);
        EXPECT_EQ(reassembly_in_use(t.ra), 0u) << "neither half is kept";
    }
    {
        // Pieces that overlap (both claim offset 0) leave a hole: refused.
        Reasm t;
        Bytes second = parts[1];
        second[6] = second[7] = 0;
        second.resize(parts[0].size() - 100);
        t.add(parts[0]);
        ReassemblyStep st = t.add(second);
        EXPECT_TRUE(st.dropped);
        EXPECT_EQ(st.why, DropReason::rx_frag_bad);
    }
}

TEST(Fragments, AFullTableGivesUpTheOldestFrame) {
    Reasm t;
    std::vector<std::vector<Bytes>> frames;
    for (uint32_t id = 1; id <= Reassembly::kSlots + 1; id++) {
        frames.push_back(split(frame_of(1414, static_cast<uint8_t>(id)), 1280, id));
        t.now += 10;
        ReassemblyStep st = t.add(frames.back()[0]);
        EXPECT_EQ(st.evicted, id == Reassembly::kSlots + 1) << id;
    }
    EXPECT_EQ(reassembly_in_use(t.ra), Reassembly::kSlots) << "memory stays bounded";
    // The oldest (id 1) is gone: its second piece starts a new, incomplete frame.
    ReassemblyStep st = t.add(frames[0][1]);
    EXPECT_EQ(st.frame, nullptr);
    // The newest completes.
    st = t.add(frames.back()[1]);
    ASSERT_NE(st.frame, nullptr);
    rte_pktmbuf_free(st.frame);
}

}  // namespace
}  // namespace ftnet
