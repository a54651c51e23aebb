#include "engine/pmtu/control/too_big.h"

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>

#include <cstring>

#include "engine/core/checksum.h"
#include "engine/tunnel/encap_template.h"

namespace ftnet {

namespace {

constexpr size_t kEth = 14;

// The quoted UDP packet and what follows, from its IP header on.
bool parse_quote(TooBigReport& r, const uint8_t* q, size_t qlen) {
    size_t l4;
    if (r.family == Family::V4) {
        if (qlen < sizeof(rte_ipv4_hdr) || (q[0] >> 4) != 4) return false;
        l4 = (q[0] & 0x0f) * 4u;
        if (l4 < sizeof(rte_ipv4_hdr) || qlen < l4 + 8 || q[9] != IPPROTO_UDP) return false;
        r.quoted_src = IpAddr::from_v4_bytes(q + 12);
        r.quoted_dst = IpAddr::from_v4_bytes(q + 16);
    } else {
        l4 = sizeof(rte_ipv6_hdr);
        if (qlen < l4 + 8 || (q[0] >> 4) != 6 || q[6] != IPPROTO_UDP) return false;
        r.quoted_src = IpAddr::from_v6_bytes(q + 8);
        r.quoted_dst = IpAddr::from_v6_bytes(q + 24);
    }
    r.quoted_dst_port = static_cast<uint16_t>(q[l4 + 2] << 8 | q[l4 + 3]);
    if (qlen >= l4 + 8 + sizeof(wire::Header)) {
        std::memcpy(&r.quoted, q + l4 + 8, sizeof(wire::Header));
        r.has_header = true;
    }
    return true;
}

}  // namespace

std::optional<TooBigReport> parse_too_big(const uint8_t* f, size_t len) {
    if (len < kEth + sizeof(rte_ipv4_hdr)) return std::nullopt;
    const uint16_t type = static_cast<uint16_t>(f[12] << 8 | f[13]);
    TooBigReport r;
    if (type == RTE_ETHER_TYPE_IPV4) {
        const uint8_t* ip = f + kEth;
        const size_t ihl = (ip[0] & 0x0f) * 4u;
        const size_t tot = static_cast<size_t>(ip[2] << 8 | ip[3]);
        if ((ip[0] >> 4) != 4 || ihl < sizeof(rte_ipv4_hdr) || tot < ihl + 8 || tot > len - kEth || ip[9] != IPPROTO_ICMP)
            return std::nullopt;
        const uint8_t* icmp = ip + ihl;
        const size_t ilen = tot - ihl;
        if (icmp[0] != 3 || icmp[1] != 4 || csum_raw(icmp, ilen) != 0xffff) return std::nullopt;
        r.family = Family::V4;
        r.mtu = static_cast<uint32_t>(icmp[6] << 8 | icmp[7]);
        if (!parse_quote(r, icmp + 8, ilen - 8)) return std::nullopt;
        return r;
    }
    if (type == RTE_ETHER_TYPE_IPV6) {
        if (len < kEth + sizeof(rte_ipv6_hdr) + 8) return std::nullopt;
        const auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(f + kEth);
        const size_t plen = rte_be_to_cpu_16(ip->payload_len);
        if ((f[kEth] >> 4) != 6 || ip->proto != IPPROTO_ICMPV6 || plen < 8 || plen > len - kEth - sizeof(rte_ipv6_hdr))
            return std::nullopt;
        const uint8_t* icmp = f + kEth + sizeof(rte_ipv6_hdr);
        if (icmp[0] != 2 || icmp[1] != 0 || !ipv6_l4_csum_ok(ip, icmp, static_cast<uint32_t>(plen))) return std::nullopt;
        r.family = Family::V6;
        r.mtu = static_cast<uint32_t>(icmp[4]) << 24 | static_cast<uint32_t>(icmp[5]) << 16 |
                static_cast<uint32_t>(icmp[6]) << 8 | icmp[7];
        if (!parse_quote(r, icmp + 8, plen - 8)) return std::nullopt;
        return r;
    }
    return std::nullopt;
}

bool quotes_our_packet(const TooBigReport& r, const RouteEntry& e, uint16_t udp_port, uint16_t epoch) {
    if (r.family != e.family || !r.has_header || r.quoted_dst_port != udp_port) return false;
    const bool v6 = e.family == Family::V6;
    const uint8_t* src = e.tmpl + kOuterL3Off + (v6 ? 8 : 12);
    const uint8_t* dst = e.tmpl + kOuterL3Off + (v6 ? 24 : 16);
    const size_t n = v6 ? 16 : 4;
    if (std::memcmp(r.quoted_src.b.data(), src, n) != 0 || std::memcmp(r.quoted_dst.b.data(), dst, n) != 0) return false;
    wire::Header ours;
    std::memcpy(&ours, e.tmpl + outer_l4_off(e.family) + 8, sizeof ours);
    const wire::Header& q = r.quoted;
    return q.version == wire::kVersion && q.src_node == ours.src_node && q.dst_node == ours.dst_node &&
           q.route_binding == ours.route_binding && wire::seq_epoch(rte_be_to_cpu_64(q.seq)) == epoch;
}

}  // namespace ftnet
