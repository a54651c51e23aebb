#include "engine/tunnel/encap_template.h"

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <cstring>

#include "engine/tunnel/ftnet_wire.h"
#include "engine/security/route_binding.h"

namespace ftnet {

void build_encap_template(RouteEntry& r, const TemplateSpec& s) {
    std::memset(r.tmpl, 0, sizeof r.tmpl);
    auto* eth = reinterpret_cast<rte_ether_hdr*>(r.tmpl);
    std::memcpy(&eth->dst_addr, s.dst_mac.b.data(), 6);
    std::memcpy(&eth->src_addr, s.src_mac.b.data(), 6);
    uint16_t l4 = outer_l4_off(s.family);
    if (s.family == Family::V6) {
        eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
        auto* ip = reinterpret_cast<rte_ipv6_hdr*>(r.tmpl + kOuterL3Off);
        ip->vtc_flow = rte_cpu_to_be_32(6u << 28 | uint32_t(s.dscp) << 22);
        ip->proto = IPPROTO_UDP;
        ip->hop_limits = s.ttl;
        std::memcpy(ip->src_addr, s.src_ip.b.data(), 16);
        std::memcpy(ip->dst_addr, s.dst_ip.b.data(), 16);
        // Pseudo-header (RFC 8200 8.1) minus the upper-layer length, which
        // encap adds per packet: addresses and next header.
        uint32_t sum = rte_raw_cksum(ip->src_addr, 32);
        sum += rte_cpu_to_be_16(IPPROTO_UDP);
        r.csum_base = sum;
    } else {
        eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
        auto* ip = reinterpret_cast<rte_ipv4_hdr*>(r.tmpl + kOuterL3Off);
        ip->version_ihl = 0x45;
        ip->type_of_service = static_cast<uint8_t>(s.dscp << 2);
        ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);  // the tunnel never fragments
        ip->time_to_live = s.ttl;
        ip->next_proto_id = IPPROTO_UDP;
        std::memcpy(&ip->src_addr, s.src_ip.b.data(), 4);
        std::memcpy(&ip->dst_addr, s.dst_ip.b.data(), 4);
        r.csum_base = rte_raw_cksum(ip, sizeof *ip);  // total_length and checksum are zero here
    }
    auto* udp = reinterpret_cast<rte_udp_hdr*>(r.tmpl + l4);
    udp->dst_port = rte_cpu_to_be_16(s.udp_port);
    udp->src_port = rte_cpu_to_be_16(s.udp_port);
    auto* h = reinterpret_cast<wire::Header*>(r.tmpl + l4 + sizeof(rte_udp_hdr));
    h->version = wire::kVersion;
    h->type = static_cast<uint8_t>(wire::MsgType::Data);
    h->src_node = rte_cpu_to_be_16(s.src_node);
    h->dst_node = rte_cpu_to_be_16(s.dst_node);
    h->route_binding = rte_cpu_to_be_32(route_binding(s.family, s.src_ip, s.dst_ip));
    r.bind_rx = route_binding(s.family, s.dst_ip, s.src_ip);
    r.hdr_len = static_cast<uint8_t>(outer_hdr_len(s.family));
    r.family = s.family;
    const size_t whole = s.path_mtu - wire::ip_packet_len(s.family == Family::V6, 0);
    r.max_whole = static_cast<uint16_t>(whole);
    r.frag_piece = static_cast<uint16_t>((whole - sizeof(wire::FragmentHeader)) & ~size_t{7});
}

}  // namespace ftnet
