// Stage 1 for frames received on a cluster network port: decide what a
// frame is (tunnel DATA, another ftnet message, something for the control
// thread) or why it is dropped.
//
// A pure function of the frame bytes and the route snapshot, inlined into
// the worker's receive loop and called directly by the unit tests. It reads
// at most the outer headers and the ftnet header, plus the UDP payload when
// it has to verify a checksum in software. Tunnel messages it accepts are
// not yet authenticated: admission (engine/security/datapath/admit.h) runs
// next, before anything acts on them.
#pragma once

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <cstdint>
#include <cstring>

#include "engine/core/checksum.h"
#include "engine/core/drop_reason.h"
#include "engine/tunnel/ftnet_wire.h"
#include "engine/tunnel/route_table.h"

namespace ftnet {

enum class RxKind : uint8_t {
    Drop,     // see RxResult::drop
    Control,  // ARP, ICMP/ICMPv6 for us: hand the frame to the control thread
    Data,     // tunnelled frame for ftnet0
    Message,  // another ftnet message (hdr->type): for the module that handles
              // that type (engine/core/datapath_registry.h)
    Host,     // for one of our addresses but not the engine's business (TCP,
              // other UDP ports, other protocols, IP fragments and options):
              // the host's, through the port's host interface if it has one,
              // else dropped for RxResult::drop
};

struct RxResult {
    RxKind kind = RxKind::Drop;
    DropReason drop = DropReason::rx_runt;
    Family family = Family::V4;
    uint16_t payload_off = 0;  // ftnet payload (the inner frame for DATA)
    uint16_t payload_len = 0;  // payload bytes, between the header and the tag
    const wire::Header* hdr = nullptr;
    const PeerEntry* peer = nullptr;  // the sending peer (tunnel kinds)
    // The route it arrived on; set by admission (engine/security/datapath/admit.h)
    // once the message is authenticated, before any handler sees it.
    const RouteEntry* route = nullptr;
};

namespace detail {

inline RxResult drop(DropReason r) {
    RxResult x;
    x.kind = RxKind::Drop;
    x.drop = r;
    return x;
}

inline RxResult for_host(DropReason otherwise) {
    RxResult x;
    x.kind = RxKind::Host;
    x.drop = otherwise;
    return x;
}

inline bool is_solicited_node_of(const uint8_t* dst, const PortAddrs& pa) {
    return pa.has_v6 && std::memcmp(dst, pa.v6_solicited, 16) == 0;
}

inline bool is_host_v4(const void* dst, const PortAddrs& pa) {
    for (unsigned i = 0; i < pa.n_host_v4; i++)
        if (std::memcmp(dst, pa.host_v4[i], 4) == 0) return true;
    return false;
}

inline bool is_host_v6(const uint8_t* dst, const PortAddrs& pa) {
    for (unsigned i = 0; i < pa.n_host_v6; i++)
        if (std::memcmp(dst, pa.host_v6[i], 16) == 0) return true;
    return false;
}

inline bool is_host_v6_solicited(const uint8_t* dst, const PortAddrs& pa) {
    for (unsigned i = 0; i < pa.n_host_v6; i++)
        if (std::memcmp(dst, pa.host_v6_solicited[i], 16) == 0) return true;
    return false;
}

inline RxResult control() {
    RxResult r;
    r.kind = RxKind::Control;
    return r;
}

// UDP to the DHCP client's port (68), not fragmented: a DHCP server's
// reply, whatever its destination address (broadcast, the leased address,
// or the offered one when a server ignores the broadcast flag).
inline bool is_dhcp_reply(const uint8_t* f, const rte_ipv4_hdr* ip, uint32_t ihl, uint32_t tot) {
    constexpr uint16_t kDhcpClientPort = 68;
    if (ip->next_proto_id != IPPROTO_UDP || tot < ihl + sizeof(rte_udp_hdr)) return false;
    if (rte_be_to_cpu_16(ip->fragment_offset) & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) return false;
    const auto* udp = reinterpret_cast<const rte_udp_hdr*>(f + RTE_ETHER_HDR_LEN + ihl);
    return rte_be_to_cpu_16(udp->dst_port) == kDhcpClientPort;
}

inline bool is_all_nodes(const uint8_t* dst) {
    static constexpr uint8_t kAllNodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return std::memcmp(dst, kAllNodes, 16) == 0;
}

// The ftnet header and what follows, once the outer headers are accepted.
// Only the clear-text header is judged here; the tag is admission's.
inline RxResult classify_tunnel(const uint8_t* f, uint16_t ftnet_off, uint32_t udp_payload,
                                Family fam, const RouteTable& rt) {
    if (udp_payload < 1) return drop(DropReason::rx_truncated);
    auto* h = reinterpret_cast<const wire::Header*>(f + ftnet_off);
    // A version 1 peer is refused, never served unprotected (no downgrade).
    if (h->version != wire::kVersion) return drop(DropReason::rx_bad_version);
    if (udp_payload < sizeof(wire::Header) + wire::kAuthTagLen) return drop(DropReason::rx_truncated);
    if (h->type == 0 || h->type > wire::kMaxMsgType || (h->flags & ~wire::kFlagsKnown) || h->reserved != 0)
        return drop(DropReason::rx_bad_type);
    if (rte_be_to_cpu_16(h->dst_node) != rt.local_node) return drop(DropReason::rx_wrong_dst_node);
    const PeerEntry* peer = rt.peer(rte_be_to_cpu_16(h->src_node));
    if (!peer) return drop(DropReason::rx_unknown_src_node);
    const uint32_t plen = udp_payload - sizeof(wire::Header) - wire::kAuthTagLen;

    RxResult r;
    r.family = fam;
    r.hdr = h;
    r.peer = peer;
    r.payload_off = static_cast<uint16_t>(ftnet_off + sizeof(wire::Header));
    r.payload_len = static_cast<uint16_t>(plen);
    switch (static_cast<wire::MsgType>(h->type)) {
    case wire::MsgType::Data:
        if (plen < RTE_ETHER_HDR_LEN) return drop(DropReason::rx_inner_runt);
        r.kind = RxKind::Data;
        return r;
    default:
        // Checked and consumed by the module that registered the type; a
        // type no module handles is dropped there (rx-unsupported-msg).
        r.kind = RxKind::Message;
        return r;
    }
}

inline RxResult classify_ipv4(const uint8_t* f, uint32_t len, const PortAddrs& pa,
                              const RouteTable& rt, bool l3_ok, bool l4_ok) {
    constexpr uint32_t l3 = RTE_ETHER_HDR_LEN;
    if (len < l3 + sizeof(rte_ipv4_hdr)) return drop(DropReason::rx_runt);
    auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(f + l3);
    uint32_t ihl = (ip->version_ihl & 0x0f) * 4u;
    uint32_t tot = rte_be_to_cpu_16(ip->total_length);
    if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(rte_ipv4_hdr) || tot < ihl || tot > len - l3)
        return drop(DropReason::rx_bad_ip);
    // A header whose checksum is right sums to 0xffff (RFC 1071).
    if (!l3_ok && csum_raw(ip, ihl) != 0xffff) return drop(DropReason::rx_bad_checksum);
    if (!pa.has_v4 || std::memcmp(&ip->dst_addr, pa.v4, 4) != 0) {
        // The DHCP client's replies (engine/dhcp), broadcast or to a leased
        // address: the control thread's.
        if (is_dhcp_reply(f, ip, ihl, tot)) return control();
        // A host address (an IP Address resource online here): all of it is
        // the host's; the engine only answers ARP for it.
        if (is_host_v4(&ip->dst_addr, pa)) return for_host(DropReason::rx_not_our_ip);
        return drop(DropReason::rx_not_our_ip);
    }
    if (ip->next_proto_id == IPPROTO_ICMP) {
        RxResult r;
        r.kind = RxKind::Control;
        return r;
    }
    if (ip->next_proto_id != IPPROTO_UDP) return for_host(DropReason::rx_unhandled_proto);
    // The tunnel never sends fragments or options: the host's, if anyone's.
    if (rte_be_to_cpu_16(ip->fragment_offset) & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
        return for_host(DropReason::rx_ip_fragment);
    if (ihl != sizeof(rte_ipv4_hdr)) return for_host(DropReason::rx_ip_options);
    if (tot < ihl + sizeof(rte_udp_hdr)) return drop(DropReason::rx_bad_udp);
    auto* udp = reinterpret_cast<const rte_udp_hdr*>(f + l3 + ihl);
    if (rte_be_to_cpu_16(udp->dst_port) != rt.udp_port) {
        // Off the tunnel's path: the DHCP client's replies, the host's rest.
        if (is_dhcp_reply(f, ip, ihl, tot)) return control();
        return for_host(DropReason::rx_unhandled_proto);
    }
    uint32_t ulen = rte_be_to_cpu_16(udp->dgram_len);
    if (ulen != tot - ihl || ulen < sizeof(rte_udp_hdr)) return drop(DropReason::rx_bad_udp);
    // A zero UDP checksum over IPv4 means "not computed" (RFC 768); the
    // engine sends zero, as VXLAN does, and checks a non-zero one.
    if (!l4_ok && udp->dgram_cksum != 0 && rte_ipv4_udptcp_cksum_verify(ip, udp) != 0)
        return drop(DropReason::rx_bad_checksum);
    RxResult r = classify_tunnel(f, static_cast<uint16_t>(l3 + ihl + sizeof(rte_udp_hdr)),
                                 ulen - sizeof(rte_udp_hdr), Family::V4, rt);
    r.family = Family::V4;  // also on a drop: the refusal log names the source
    return r;
}

inline RxResult classify_ipv6(const uint8_t* f, uint32_t len, const PortAddrs& pa,
                              const RouteTable& rt, bool l4_ok) {
    constexpr uint32_t l3 = RTE_ETHER_HDR_LEN;
    if (len < l3 + sizeof(rte_ipv6_hdr)) return drop(DropReason::rx_runt);
    auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(f + l3);
    uint32_t plen = rte_be_to_cpu_16(ip->payload_len);
    if ((f[l3] >> 4) != 6 || plen > len - l3 - sizeof(rte_ipv6_hdr)) return drop(DropReason::rx_bad_ip);
    const uint8_t* dst = ip->dst_addr;
    bool ours = pa.has_v6 && std::memcmp(dst, pa.v6, 16) == 0;
    if (!ours) {
        // Neighbour discovery reaches us on multicast groups: hand it over.
        if (ip->proto == IPPROTO_ICMPV6 &&
            (is_solicited_node_of(dst, pa) || is_all_nodes(dst) || is_host_v6_solicited(dst, pa))) {
            RxResult r;
            r.kind = RxKind::Control;
            return r;
        }
        if (is_host_v6(dst, pa)) {
            // A host address: the engine answers neighbour solicitations
            // for it (unicast ones too, RFC 4861 7.3.1), the host the rest.
            constexpr uint8_t kNeighborSolicitation = 135;
            if (ip->proto == IPPROTO_ICMPV6 && plen >= 1 && f[l3 + sizeof(rte_ipv6_hdr)] == kNeighborSolicitation) {
                RxResult r;
                r.kind = RxKind::Control;
                return r;
            }
            return for_host(DropReason::rx_not_our_ip);
        }
        return drop(DropReason::rx_not_our_ip);
    }
    switch (ip->proto) {
    case IPPROTO_ICMPV6: {
        RxResult r;
        r.kind = RxKind::Control;
        return r;
    }
    case IPPROTO_UDP:
        break;
    case IPPROTO_FRAGMENT:
        return for_host(DropReason::rx_ip_fragment);
    case IPPROTO_HOPOPTS:
    case IPPROTO_ROUTING:
    case IPPROTO_DSTOPTS:
        return for_host(DropReason::rx_ip_options);
    default:
        return for_host(DropReason::rx_unhandled_proto);
    }
    if (plen < sizeof(rte_udp_hdr)) return drop(DropReason::rx_bad_udp);
    auto* udp = reinterpret_cast<const rte_udp_hdr*>(f + l3 + sizeof(rte_ipv6_hdr));
    if (rte_be_to_cpu_16(udp->dst_port) != rt.udp_port) return for_host(DropReason::rx_unhandled_proto);
    uint32_t ulen = rte_be_to_cpu_16(udp->dgram_len);
    if (ulen != plen) return drop(DropReason::rx_bad_udp);
    // Over IPv6 the UDP checksum is mandatory (RFC 8200 8.1).
    if (!l4_ok && (udp->dgram_cksum == 0 || !ipv6_l4_csum_ok(ip, udp, ulen)))
        return drop(DropReason::rx_bad_checksum);
    RxResult r = classify_tunnel(f, static_cast<uint16_t>(l3 + sizeof(rte_ipv6_hdr) + sizeof(rte_udp_hdr)),
                                 ulen - sizeof(rte_udp_hdr), Family::V6, rt);
    r.family = Family::V6;
    return r;
}

}  // namespace detail

// frame/len: the whole frame, contiguous. l3_ok/l4_ok: the NIC already
// verified the IPv4 header / UDP checksum (RTE_MBUF_F_RX_*_CKSUM_GOOD).
inline RxResult classify_frame(const uint8_t* f, uint32_t len, const RouteTable& rt,
                               uint16_t port_index, bool l3_ok = false, bool l4_ok = false) {
    if (len < RTE_ETHER_HDR_LEN) return detail::drop(DropReason::rx_runt);
    const PortAddrs& pa = rt.ports[port_index];
    if (!(f[0] & 0x01) && std::memcmp(f, pa.mac, 6) != 0)
        return detail::drop(DropReason::rx_not_our_mac);
    uint16_t type = static_cast<uint16_t>(f[12] << 8 | f[13]);
    switch (type) {
    case RTE_ETHER_TYPE_ARP: {
        if (len < RTE_ETHER_HDR_LEN + 28) return detail::drop(DropReason::rx_runt);
        RxResult r;
        r.kind = RxKind::Control;
        return r;
    }
    case RTE_ETHER_TYPE_IPV4:
        return detail::classify_ipv4(f, len, pa, rt, l3_ok, l4_ok);
    case RTE_ETHER_TYPE_IPV6:
        return detail::classify_ipv6(f, len, pa, rt, l4_ok);
    default:
        return detail::drop(DropReason::rx_unknown_ethertype);
    }
}

}  // namespace ftnet
