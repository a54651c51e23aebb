// Path MTU discovery (engine/pmtu/control/path_mtu_search.h) against a
// simulated path, and the checks on routers' too-big reports (too_big.h).
#include "engine/pmtu/control/path_mtu_search.h"
#include "engine/pmtu/control/too_big.h"

#include <gtest/gtest.h>
#include <rte_byteorder.h>

#include <cstring>
#include <random>
#include <vector>

#include "engine/core/checksum.h"
#include "engine/tunnel/encap_template.h"

namespace ftnet {
namespace {

// A path that carries packets up to `mtu` and loses a share of probes.
struct Path {
    uint16_t mtu;
    double loss = 0;
    std::mt19937 rng{1};
    bool passes(uint16_t size) { return size <= mtu && std::uniform_real_distribution<>(0, 1)(rng) >= loss; }
};

// Runs the search for `ms` milliseconds in 1 ms steps; replies take 1 ms.
// Returns the probes sent. `max_seen` is the largest pmtu() ever published
// after `after_ms`.
unsigned run(PathMtuSearch& s, Path& p, uint64_t& now, uint64_t ms, uint16_t* max_seen = nullptr) {
    unsigned probes = 0;
    static uint32_t id = 0;
    std::vector<std::pair<uint64_t, std::pair<uint32_t, uint16_t>>> replies;
    for (uint64_t end = now + ms; now < end; now++) {
        for (auto it = replies.begin(); it != replies.end();)
            if (it->first <= now) {
                s.answered(it->second.first, it->second.second, now);
                it = replies.erase(it);
            } else {
                ++it;
            }
        if (auto size = s.due(now)) {
            s.sent(*size, ++id, now);
            probes++;
            if (p.passes(*size)) replies.push_back({now + 1, {id, *size}});
        }
        if (max_seen) *max_seen = std::max(*max_seen, s.pmtu());
    }
    return probes;
}

TEST(PathMtuSearch, APathThatCarriesThePortMtuIsConfirmedByOneProbe) {
    PathMtuSearch s(1280, 1500);
    Path p{1500};
    uint64_t now = 0;
    EXPECT_EQ(s.state(), PathMtuSearch::State::Paused);
    EXPECT_FALSE(s.due(now)) << "no probes before the route is up";
    EXPECT_EQ(s.pmtu(), 1280) << "the floor until a reply proves more";
    s.restart(now);
    EXPECT_EQ(run(s, p, now, 100), 1u);
    EXPECT_EQ(s.pmtu(), 1500);
    EXPECT_EQ(s.state(), PathMtuSearch::State::Done);
}

TEST(PathMtuSearch, ASmallerPathIsFoundWithinTheGranularityAndNeverOverstated) {
    for (uint16_t mtu : {1280, 1281, 1300, 1399, 1400, 1472, 1499}) {
        for (double loss : {0.0, 0.2}) {
            PathMtuSearch s(1280, 1500);
            Path p{mtu, loss};
            uint64_t now = 0;
            uint16_t max_seen = 0;
            s.restart(now);
            run(s, p, now, 20000, &max_seen);
            EXPECT_EQ(s.state(), PathMtuSearch::State::Done) << mtu;
            EXPECT_LE(max_seen, mtu) << "a size is published only once a reply proved it";
            if (loss == 0) {
                EXPECT_GT(s.pmtu() + PathMtuSearch::kGranularity, mtu) << mtu;
            }
        }
    }
}

TEST(PathMtuSearch, AReportedMtuIsProbedFirst) {
    PathMtuSearch s(1280, 1500);
    Path p{1400};
    uint64_t now = 0;
    s.restart(now);
    ASSERT_EQ(s.due(now), 1500);
    s.sent(1500, 900, now);
    s.too_big(1400, now);  // the router answers our 1500-byte probe at once
    auto next = s.due(now);
    ASSERT_TRUE(next);
    EXPECT_EQ(*next, 1400) << "no waiting for the 1500-byte probe's timeout";
    s.sent(1400, 901, now);
    s.answered(901, 1400, now + 1);
    run(s, p, now, 5000);
    EXPECT_EQ(s.pmtu(), 1400);
}

TEST(PathMtuSearch, AReportBelowTheMeasuredSizeLowersItAtOnceAndIsConfirmed) {
    PathMtuSearch s(1280, 1500);
    Path p{1500};
    uint64_t now = 0;
    s.restart(now);
    run(s, p, now, 100);
    ASSERT_EQ(s.pmtu(), 1500);
    p.mtu = 1350;
    EXPECT_TRUE(s.too_big(1350, now));
    EXPECT_EQ(s.pmtu(), 1350);
    const uint64_t probes = s.probes_sent();
    run(s, p, now, 100);
    EXPECT_GT(s.probes_sent(), probes) << "a router's word is proved by a probe";
    EXPECT_EQ(s.pmtu(), 1350);
    // Reports below the floor, or not below the port MTU, change nothing below 1280.
    EXPECT_TRUE(s.too_big(500, now));
    EXPECT_EQ(s.pmtu(), 1280);
}

TEST(PathMtuSearch, APathThatShrinksSilentlyIsFoundAtTheNextConfirmation) {
    PathMtuTiming t;
    t.confirm_ms = 1000;
    PathMtuSearch s(1280, 1500, t);
    Path p{1500};
    uint64_t now = 0;
    s.restart(now);
    run(s, p, now, 100);
    ASSERT_EQ(s.pmtu(), 1500);
    p.mtu = 1320;  // no router tells us (ICMP filtered)
    run(s, p, now, 1000 + 2 * 250 + 50);
    EXPECT_EQ(s.pmtu(), 1280) << "the confirmation failed: back to the floor at once";
    run(s, p, now, 10000);
    EXPECT_LE(s.pmtu(), 1320);
    EXPECT_GT(s.pmtu() + PathMtuSearch::kGranularity, 1320);
}

TEST(PathMtuSearch, APathThatGrowsIsFoundByTheRaiseSearch) {
    PathMtuTiming t;
    t.raise_ms = 5000;
    PathMtuSearch s(1280, 1500, t);
    Path p{1300};
    uint64_t now = 0;
    s.restart(now);
    run(s, p, now, 4000);
    EXPECT_LE(s.pmtu(), 1300);
    p.mtu = 1500;
    run(s, p, now, t.raise_ms + 1000);  // the raise is due raise_ms after the search ended
    EXPECT_EQ(s.pmtu(), 1500);
}

TEST(PathMtuSearch, PausedRoutesSendNothingAndRepliesNotOursAreIgnored) {
    PathMtuSearch s(1280, 1500);
    uint64_t now = 0;
    s.restart(now);
    ASSERT_TRUE(s.due(now));
    s.pause();
    for (now = 0; now < 5000; now += 10) EXPECT_FALSE(s.due(now));
    EXPECT_FALSE(s.answered(12345, 1500, now)) << "never sent";
    EXPECT_EQ(s.pmtu(), 1280);
}

// --- too-big reports ---

constexpr uint16_t kEpoch = 0x1234;

RouteEntry route(Family f) {
    RouteEntry r{};
    TemplateSpec s;
    s.family = f;
    s.src_ip = *IpAddr::parse(f == Family::V6 ? "fd00:3::1" : "198.18.3.1");
    s.dst_ip = *IpAddr::parse(f == Family::V6 ? "fd01:3::2" : "198.19.3.2");
    s.src_node = 1;
    s.dst_node = 2;
    build_encap_template(r, s);
    return r;
}

// One of our packets on route r, as a router would quote it (`quote` bytes
// of it, from its IP header), inside a too-big message to our address.
std::vector<uint8_t> report(const RouteEntry& r, uint32_t mtu, size_t quote, uint16_t epoch = kEpoch) {
    const bool v6 = r.family == Family::V6;
    std::vector<uint8_t> pkt(r.tmpl + kOuterL3Off, r.tmpl + r.hdr_len);
    pkt.resize(pkt.size() + 200, 0xab);
    auto* h = reinterpret_cast<wire::Header*>(pkt.data() + (v6 ? 40 : 20) + 8);
    h->seq = rte_cpu_to_be_64(uint64_t{epoch} << 48 | 77);
    pkt.resize(std::min(pkt.size(), quote));
    std::vector<uint8_t> f(14, 0);
    std::vector<uint8_t> icmp = {static_cast<uint8_t>(v6 ? 2 : 3), static_cast<uint8_t>(v6 ? 0 : 4), 0, 0};
    if (v6) {
        for (int i = 3; i >= 0; i--) icmp.push_back(static_cast<uint8_t>(mtu >> (8 * i)));
    } else {
        icmp.insert(icmp.end(), {0, 0, static_cast<uint8_t>(mtu >> 8), static_cast<uint8_t>(mtu)});
    }
    icmp.insert(icmp.end(), pkt.begin(), pkt.end());
    if (v6) {
        f[12] = 0x86, f[13] = 0xdd;
        std::vector<uint8_t> ip(40, 0);
        ip[0] = 0x60;
        ip[4] = static_cast<uint8_t>(icmp.size() >> 8), ip[5] = static_cast<uint8_t>(icmp.size());
        ip[6] = 58, ip[7] = 64;
        const IpAddr src = *IpAddr::parse("fd00:3::fe"), dst = *IpAddr::parse("fd00:3::1");
        std::memcpy(&ip[8], src.b.data(), 16);
        std::memcpy(&ip[24], dst.b.data(), 16);
        uint32_t sum = csum_raw(&ip[8], 32) + rte_cpu_to_be_16(static_cast<uint16_t>(icmp.size())) + rte_cpu_to_be_16(58) +
                       csum_raw(icmp.data(), icmp.size());
        const uint16_t c = static_cast<uint16_t>(~csum_fold(sum));
        std::memcpy(&icmp[2], &c, 2);
        f.insert(f.end(), ip.begin(), ip.end());
    } else {
        f[12] = 0x08, f[13] = 0x00;
        std::vector<uint8_t> ip(20, 0);
        ip[0] = 0x45;
        const size_t tot = 20 + icmp.size();
        ip[2] = static_cast<uint8_t>(tot >> 8), ip[3] = static_cast<uint8_t>(tot);
        ip[8] = 64, ip[9] = 1;
        const uint16_t c = static_cast<uint16_t>(~csum_raw(icmp.data(), icmp.size()));
        std::memcpy(&icmp[2], &c, 2);
        f.insert(f.end(), ip.begin(), ip.end());
    }
    f.insert(f.end(), icmp.begin(), icmp.end());
    return f;
}

TEST(TooBig, AReportQuotingOurOwnPacketIsRecognised) {
    for (Family fam : {Family::V4, Family::V6}) {
        const RouteEntry r = route(fam);
        const auto f = report(r, 1280, 548);
        const auto rep = parse_too_big(f.data(), f.size());
        ASSERT_TRUE(rep) << family_name(fam);
        EXPECT_EQ(rep->mtu, 1280u);
        EXPECT_TRUE(rep->has_header);
        EXPECT_TRUE(quotes_our_packet(*rep, r, 3343, kEpoch)) << family_name(fam);
    }
}

TEST(TooBig, ReportsThatDoNotQuoteOurPacketAreRefused) {
    for (Family fam : {Family::V4, Family::V6}) {
        const RouteEntry r = route(fam);
        // Quoting only 8 bytes past the IP header: cannot tell.
        auto f = report(r, 1280, (fam == Family::V6 ? 40 : 20) + 8);
        auto rep = parse_too_big(f.data(), f.size());
        ASSERT_TRUE(rep);
        EXPECT_FALSE(rep->has_header);
        EXPECT_FALSE(quotes_our_packet(*rep, r, 3343, kEpoch));
        // A packet of an earlier life of ours, or of another route, or port.
        f = report(r, 1280, 548, kEpoch + 1);
        EXPECT_FALSE(quotes_our_packet(*parse_too_big(f.data(), f.size()), r, 3343, kEpoch));
        f = report(route(fam), 1280, 548);
        EXPECT_FALSE(quotes_our_packet(*parse_too_big(f.data(), f.size()), r, 3344, kEpoch));
        RouteEntry other = r;
        other.tmpl[outer_l4_off(fam) + 8 + 8] ^= 0xff;  // another route binding
        EXPECT_FALSE(quotes_our_packet(*parse_too_big(f.data(), f.size()), other, 3343, kEpoch));
        // A corrupted checksum, and other ICMP types, are not reports at all.
        f = report(r, 1280, 548);
        f[f.size() - 1] ^= 1;
        EXPECT_FALSE(parse_too_big(f.data(), f.size()));
        f = report(r, 1280, 548);
        f[14 + (fam == Family::V6 ? 40 : 20)] = fam == Family::V6 ? 1 : 11;
        EXPECT_FALSE(parse_too_big(f.data(), f.size()));
        // Truncated anywhere: refused, never read past the end.
        f = report(r, 1280, 548);
        for (size_t n = 0; n < f.size(); n += 7) EXPECT_FALSE(parse_too_big(f.data(), n)) << n;
    }
}

}  // namespace
}  // namespace ftnet
