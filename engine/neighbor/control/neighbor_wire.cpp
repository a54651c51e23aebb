#include "engine/neighbor/control/neighbor_wire.h"

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include <cstring>

namespace ftnet {

namespace {

constexpr uint8_t kNs = 135, kNa = 136;
constexpr uint8_t kOptSourceLL = 1, kOptTargetLL = 2;
constexpr uint8_t kEchoRequest6 = 128, kEchoReply6 = 129;

void put_eth(Frame& f, const MacAddr& dst, const MacAddr& src, uint16_t type) {
    f.insert(f.end(), dst.b.begin(), dst.b.end());
    f.insert(f.end(), src.b.begin(), src.b.end());
    f.push_back(static_cast<uint8_t>(type >> 8));
    f.push_back(static_cast<uint8_t>(type));
}

// IPv6 header + ICMPv6 body (checksum field zero on entry), checksum filled.
Frame ipv6_icmp_frame(const MacAddr& eth_dst, const MacAddr& eth_src, const IpAddr& src,
                      const IpAddr& dst, const std::vector<uint8_t>& icmp) {
    Frame f;
    f.reserve(14 + 40 + icmp.size());
    put_eth(f, eth_dst, eth_src, RTE_ETHER_TYPE_IPV6);
    rte_ipv6_hdr ip{};
    ip.vtc_flow = rte_cpu_to_be_32(6u << 28);
    ip.payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(icmp.size()));
    ip.proto = IPPROTO_ICMPV6;
    ip.hop_limits = 255;  // RFC 4861: ND messages must carry 255
    std::memcpy(ip.src_addr, src.b.data(), 16);
    std::memcpy(ip.dst_addr, dst.b.data(), 16);
    auto* p = reinterpret_cast<const uint8_t*>(&ip);
    f.insert(f.end(), p, p + sizeof ip);
    f.insert(f.end(), icmp.begin(), icmp.end());
    auto* iph = reinterpret_cast<rte_ipv6_hdr*>(f.data() + 14);
    uint16_t ck = rte_ipv6_udptcp_cksum(iph, f.data() + 54);
    std::memcpy(f.data() + 54 + 2, &ck, 2);
    return f;
}

}  // namespace

IpAddr solicited_node_group(const IpAddr& a) {
    IpAddr g;
    g.family = Family::V6;
    g.b = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, a.b[13], a.b[14], a.b[15]};
    return g;
}

MacAddr ipv6_multicast_mac(const IpAddr& group) {
    return MacAddr{{0x33, 0x33, group.b[12], group.b[13], group.b[14], group.b[15]}};
}

std::optional<ArpInfo> parse_arp(const uint8_t* f, size_t len) {
    if (len < 14 + sizeof(rte_arp_hdr)) return std::nullopt;
    if (f[12] != 0x08 || f[13] != 0x06) return std::nullopt;
    auto* a = reinterpret_cast<const rte_arp_hdr*>(f + 14);
    if (rte_be_to_cpu_16(a->arp_hardware) != RTE_ARP_HRD_ETHER ||
        rte_be_to_cpu_16(a->arp_protocol) != RTE_ETHER_TYPE_IPV4 || a->arp_hlen != 6 || a->arp_plen != 4)
        return std::nullopt;
    ArpInfo r;
    r.op = rte_be_to_cpu_16(a->arp_opcode);
    if (r.op != RTE_ARP_OP_REQUEST && r.op != RTE_ARP_OP_REPLY) return std::nullopt;
    std::memcpy(r.sha.b.data(), &a->arp_data.arp_sha, 6);
    std::memcpy(r.tha.b.data(), &a->arp_data.arp_tha, 6);
    r.spa = IpAddr::from_v4_bytes(&a->arp_data.arp_sip);
    r.tpa = IpAddr::from_v4_bytes(&a->arp_data.arp_tip);
    return r;
}

Frame build_arp(uint16_t op, const MacAddr& eth_dst, const MacAddr& sha, const IpAddr& spa,
                const MacAddr& tha, const IpAddr& tpa) {
    Frame f;
    f.reserve(60);
    put_eth(f, eth_dst, sha, RTE_ETHER_TYPE_ARP);
    rte_arp_hdr a{};
    a.arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
    a.arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    a.arp_hlen = 6;
    a.arp_plen = 4;
    a.arp_opcode = rte_cpu_to_be_16(op);
    std::memcpy(&a.arp_data.arp_sha, sha.b.data(), 6);
    std::memcpy(&a.arp_data.arp_sip, spa.b.data(), 4);
    std::memcpy(&a.arp_data.arp_tha, tha.b.data(), 6);
    std::memcpy(&a.arp_data.arp_tip, tpa.b.data(), 4);
    auto* p = reinterpret_cast<const uint8_t*>(&a);
    f.insert(f.end(), p, p + sizeof a);
    f.resize(60, 0);  // minimum Ethernet payload
    return f;
}

std::optional<NdInfo> parse_nd(const uint8_t* f, size_t len) {
    if (len < 14 + 40 + 24) return std::nullopt;
    if (f[12] != 0x86 || f[13] != 0xdd) return std::nullopt;
    auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(f + 14);
    size_t plen = rte_be_to_cpu_16(ip->payload_len);
    if (ip->proto != IPPROTO_ICMPV6 || ip->hop_limits != 255 || plen < 24 || 54 + plen > len)
        return std::nullopt;
    const uint8_t* icmp = f + 54;
    if ((icmp[0] != kNs && icmp[0] != kNa) || icmp[1] != 0) return std::nullopt;
    if (rte_ipv6_udptcp_cksum_verify(ip, icmp) != 0) return std::nullopt;
    NdInfo r;
    r.type = icmp[0];
    std::memcpy(r.eth_src.b.data(), f + 6, 6);
    r.src = IpAddr::from_v6_bytes(ip->src_addr);
    r.dst = IpAddr::from_v6_bytes(ip->dst_addr);
    r.target = IpAddr::from_v6_bytes(icmp + 8);
    if (r.type == kNa) {
        r.solicited = icmp[4] & 0x40;
        r.override_flag = icmp[4] & 0x20;
    }
    // Options: type, length in units of 8 bytes, value (RFC 4861 4.6).
    size_t off = 24;
    while (off + 2 <= plen) {
        uint8_t type = icmp[off], units = icmp[off + 1];
        if (units == 0 || off + units * 8u > plen) return std::nullopt;
        if ((type == kOptSourceLL || type == kOptTargetLL) && units == 1) {
            MacAddr m;
            std::memcpy(m.b.data(), icmp + off + 2, 6);
            r.lladdr = m;
        }
        off += units * 8u;
    }
    return r;
}

Frame build_ns(const MacAddr& src_mac, const IpAddr& src, const IpAddr& target) {
    IpAddr group = solicited_node_group(target);
    std::vector<uint8_t> icmp(32, 0);
    icmp[0] = kNs;
    std::memcpy(icmp.data() + 8, target.b.data(), 16);
    icmp[24] = kOptSourceLL;
    icmp[25] = 1;
    std::memcpy(icmp.data() + 26, src_mac.b.data(), 6);
    return ipv6_icmp_frame(ipv6_multicast_mac(group), src_mac, src, group, icmp);
}

Frame build_na(const MacAddr& src_mac, const MacAddr& dst_mac, const IpAddr& target,
               const IpAddr& dst, bool solicited) {
    std::vector<uint8_t> icmp(32, 0);
    icmp[0] = kNa;
    icmp[4] = static_cast<uint8_t>((solicited ? 0x40 : 0) | 0x20);
    std::memcpy(icmp.data() + 8, target.b.data(), 16);
    icmp[24] = kOptTargetLL;
    icmp[25] = 1;
    std::memcpy(icmp.data() + 26, src_mac.b.data(), 6);
    return ipv6_icmp_frame(dst_mac, src_mac, target, dst, icmp);
}

std::optional<Frame> build_echo_reply(const uint8_t* f, size_t len, const MacAddr& our_mac) {
    if (len < 14) return std::nullopt;
    uint16_t type = static_cast<uint16_t>(f[12] << 8 | f[13]);
    if (type == RTE_ETHER_TYPE_IPV4) {
        if (len < 14 + 20 + 8) return std::nullopt;
        auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(f + 14);
        size_t ihl = (ip->version_ihl & 0x0f) * 4u, tot = rte_be_to_cpu_16(ip->total_length);
        if (ip->next_proto_id != IPPROTO_ICMP || ihl < 20 || tot < ihl + 8 || 14 + tot > len) return std::nullopt;
        if (rte_be_to_cpu_16(ip->fragment_offset) & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
            return std::nullopt;
        const uint8_t* icmp = f + 14 + ihl;
        size_t icmp_len = tot - ihl;
        if (icmp[0] != RTE_IP_ICMP_ECHO_REQUEST || icmp[1] != 0) return std::nullopt;
        if (rte_raw_cksum(icmp, icmp_len) != 0xffff) return std::nullopt;
        Frame r;
        r.reserve(14 + 20 + icmp_len);
        put_eth(r, MacAddr{{f[6], f[7], f[8], f[9], f[10], f[11]}}, our_mac, RTE_ETHER_TYPE_IPV4);
        rte_ipv4_hdr h{};
        h.version_ihl = 0x45;
        h.total_length = rte_cpu_to_be_16(static_cast<uint16_t>(20 + icmp_len));
        h.time_to_live = 64;
        h.next_proto_id = IPPROTO_ICMP;
        h.src_addr = ip->dst_addr;
        h.dst_addr = ip->src_addr;
        h.hdr_checksum = rte_ipv4_cksum(&h);
        auto* p = reinterpret_cast<const uint8_t*>(&h);
        r.insert(r.end(), p, p + sizeof h);
        r.insert(r.end(), icmp, icmp + icmp_len);
        uint8_t* ri = r.data() + 34;
        ri[0] = RTE_IP_ICMP_ECHO_REPLY;
        ri[2] = ri[3] = 0;
        uint16_t ck = static_cast<uint16_t>(~rte_raw_cksum(ri, icmp_len));
        std::memcpy(ri + 2, &ck, 2);
        if (r.size() < 60) r.resize(60, 0);
        return r;
    }
    if (type == RTE_ETHER_TYPE_IPV6) {
        if (len < 14 + 40 + 8) return std::nullopt;
        auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(f + 14);
        size_t plen = rte_be_to_cpu_16(ip->payload_len);
        if (ip->proto != IPPROTO_ICMPV6 || plen < 8 || 54 + plen > len) return std::nullopt;
        const uint8_t* icmp = f + 54;
        if (icmp[0] != kEchoRequest6 || icmp[1] != 0) return std::nullopt;
        if (rte_ipv6_udptcp_cksum_verify(ip, icmp) != 0) return std::nullopt;
        std::vector<uint8_t> body(icmp, icmp + plen);
        body[0] = kEchoReply6;
        body[2] = body[3] = 0;
        Frame r = ipv6_icmp_frame(MacAddr{{f[6], f[7], f[8], f[9], f[10], f[11]}}, our_mac,
                                  IpAddr::from_v6_bytes(ip->dst_addr), IpAddr::from_v6_bytes(ip->src_addr), body);
        // Echo replies are ordinary traffic: a normal hop limit, not ND's 255.
        r[14 + 7] = 64;
        return r;
    }
    return std::nullopt;
}

}  // namespace ftnet
