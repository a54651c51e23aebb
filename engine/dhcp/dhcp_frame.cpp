#include "engine/dhcp/dhcp_frame.h"

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <cstring>

#include "engine/dhcp/dhcp_message.h"

namespace ftnet::dhcp {

std::vector<uint8_t> build_frame(const MacAddr& src_mac, const MacAddr& dst_mac, const IpAddr& src_ip,
                                 const IpAddr& dst_ip, const std::vector<uint8_t>& payload) {
    const size_t l3 = RTE_ETHER_HDR_LEN, l4 = l3 + sizeof(rte_ipv4_hdr), data = l4 + sizeof(rte_udp_hdr);
    std::vector<uint8_t> f(data + payload.size());
    std::memcpy(f.data(), dst_mac.b.data(), 6);
    std::memcpy(f.data() + 6, src_mac.b.data(), 6);
    f[12] = 0x08;
    f[13] = 0x00;
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(f.data() + l3);
    ip->version_ihl = 0x45;
    ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(f.size() - l3));
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_UDP;
    std::memcpy(&ip->src_addr, src_ip.b.data(), 4);
    std::memcpy(&ip->dst_addr, dst_ip.b.data(), 4);
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    auto* udp = reinterpret_cast<rte_udp_hdr*>(f.data() + l4);
    udp->src_port = rte_cpu_to_be_16(kClientPort);
    udp->dst_port = rte_cpu_to_be_16(kServerPort);
    udp->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(sizeof(rte_udp_hdr) + payload.size()));
    std::memcpy(f.data() + data, payload.data(), payload.size());
    udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
    return f;
}

std::optional<Received> parse_frame(const uint8_t* f, size_t len) {
    const size_t l3 = RTE_ETHER_HDR_LEN;
    if (len < l3 + sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr) || f[12] != 0x08 || f[13] != 0x00) return std::nullopt;
    const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(f + l3);
    const size_t ihl = (ip->version_ihl & 0x0f) * 4u;
    const size_t tot = rte_be_to_cpu_16(ip->total_length);
    if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(rte_ipv4_hdr) || tot < ihl + sizeof(rte_udp_hdr) || tot > len - l3)
        return std::nullopt;
    if (ip->next_proto_id != IPPROTO_UDP) return std::nullopt;
    if (rte_be_to_cpu_16(ip->fragment_offset) & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) return std::nullopt;
    const auto* udp = reinterpret_cast<const rte_udp_hdr*>(f + l3 + ihl);
    const size_t ulen = rte_be_to_cpu_16(udp->dgram_len);
    if (rte_be_to_cpu_16(udp->dst_port) != kClientPort || ulen < sizeof(rte_udp_hdr) || ulen > tot - ihl) return std::nullopt;
    if (udp->dgram_cksum != 0 && rte_ipv4_udptcp_cksum_verify(ip, udp) != 0) return std::nullopt;
    Received r;
    std::memcpy(r.src_mac.b.data(), f + 6, 6);
    r.src_ip = IpAddr::from_v4_bytes(&ip->src_addr);
    r.payload = reinterpret_cast<const uint8_t*>(udp) + sizeof(rte_udp_hdr);
    r.len = ulen - sizeof(rte_udp_hdr);
    return r;
}

}  // namespace ftnet::dhcp
