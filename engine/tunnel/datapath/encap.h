// Stage for frames from ftnet0, after route selection: wrap the inner frame
// in the route's outer headers and seal it.
//
// Inline, worker-only. Copies the route's template into the mbuf headroom,
// seals the message (engine/security/seal.h: the tag goes into the
// tailroom), and patches lengths, UDP source port (from the flow hash), the
// IPv6 flow label and the checksums, or leaves the checksums to the NIC when
// the port offloads them. No allocation.
#pragma once

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include <cstring>

#include "engine/core/checksum.h"
#include "engine/core/drop_reason.h"
#include "engine/security/seal.h"
#include "engine/tunnel/encap_template.h"
#include "engine/tunnel/ftnet_wire.h"
#include "engine/tunnel/route_table.h"

namespace ftnet {

// Seals with kr's sealing key, in sequence space `space` with sequence seq,
// as a message of `type` (DATA, or a DATA_FRAGMENT whose payload split_frame
// built). Returns false with *why set when the frame cannot be sent (the caller
// drops it): no headroom for the header, no tailroom for the tag, or a
// chained frame that cannot be made contiguous.
inline bool encap_frame(rte_mbuf* m, const RouteEntry& r, uint32_t flow_hash, const KeyRing& kr, uint8_t space,
                        uint64_t seq, DropReason* why, wire::MsgType type = wire::MsgType::Data) {
    // The AEAD runs over one contiguous record; frames from ftnet0 are one
    // segment unless the adapter hands over chains.
    if (unlikely(m->nb_segs != 1) && rte_pktmbuf_linearize(m) != 0) {
        *why = DropReason::tx_multiseg;
        return false;
    }
    const uint32_t inner_len = m->pkt_len;
    if (unlikely(rte_pktmbuf_headroom(m) < r.hdr_len)) {
        *why = DropReason::tx_no_headroom;
        return false;
    }
    if (unlikely(rte_pktmbuf_append(m, wire::kAuthTagLen) == nullptr)) {
        *why = DropReason::tx_no_tailroom;
        return false;
    }
    auto* h = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, r.hdr_len));
    const bool v6 = r.family == Family::V6;
    // Fixed-size copies let the compiler emit a few wide moves.
    if (v6)
        std::memcpy(h, r.tmpl, outer_hdr_len(Family::V6));
    else
        std::memcpy(h, r.tmpl, outer_hdr_len(Family::V4));
    const uint16_t l4 = v6 ? outer_l4_off(Family::V6) : outer_l4_off(Family::V4);
    auto* udp = reinterpret_cast<rte_udp_hdr*>(h + l4);
    auto* fh = reinterpret_cast<wire::Header*>(h + l4 + sizeof(rte_udp_hdr));
    const uint16_t udp_len =
        static_cast<uint16_t>(sizeof(rte_udp_hdr) + sizeof(wire::Header) + inner_len + wire::kAuthTagLen);

    if (type != wire::MsgType::Data) fh->type = static_cast<uint8_t>(type);
    seal_message(fh, inner_len, kr, space, seq);
    udp->src_port = rte_cpu_to_be_16(static_cast<uint16_t>(0xc000 | (flow_hash & 0x3fff)));
    udp->dgram_len = rte_cpu_to_be_16(udp_len);

    if (v6) {
        auto* ip = reinterpret_cast<rte_ipv6_hdr*>(h + kOuterL3Off);
        ip->vtc_flow |= rte_cpu_to_be_32(flow_hash & 0xfffff);
        ip->payload_len = rte_cpu_to_be_16(udp_len);
        uint32_t sum = r.csum_base + rte_cpu_to_be_16(udp_len);
        if (r.tx_csum_offload) {
            m->ol_flags |= RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM;
            m->l2_len = kOuterL3Off;
            m->l3_len = sizeof(rte_ipv6_hdr);
            udp->dgram_cksum = csum_fold(sum);  // pseudo-header only; the NIC adds the rest
        } else {
            sum += csum_raw(udp, udp_len);
            uint16_t c = static_cast<uint16_t>(~csum_fold(sum));
            udp->dgram_cksum = c == 0 ? 0xffff : c;  // 0 would mean "none" (RFC 768)
        }
    } else {
        auto* ip = reinterpret_cast<rte_ipv4_hdr*>(h + kOuterL3Off);
        const uint16_t tot = static_cast<uint16_t>(sizeof(rte_ipv4_hdr) + udp_len);
        ip->total_length = rte_cpu_to_be_16(tot);
        if (r.tx_csum_offload) {
            m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
            m->l2_len = kOuterL3Off;
            m->l3_len = sizeof(rte_ipv4_hdr);
        } else {
            ip->hdr_checksum = static_cast<uint16_t>(~csum_fold(r.csum_base + rte_cpu_to_be_16(tot)));
        }
        // UDP checksum stays zero over IPv4 (RFC 768), as VXLAN does: the
        // inner frame carries its own checksums.
    }
    return true;
}

// Marks an encapsulated frame's outer header with `dscp` (its traffic
// class's, engine/policy), keeping ECN. Outside the seal on purpose: the
// networks on the way may rewrite it. An IPv4 header checksum already
// computed is updated (RFC 1624), one left to the NIC is left.
inline void set_outer_dscp(rte_mbuf* m, Family f, uint8_t dscp) {
    uint8_t* l3 = rte_pktmbuf_mtod_offset(m, uint8_t*, kOuterL3Off);
    if (f == Family::V6) {
        auto* ip = reinterpret_cast<rte_ipv6_hdr*>(l3);
        ip->vtc_flow = rte_cpu_to_be_32((rte_be_to_cpu_32(ip->vtc_flow) & ~(0x3fu << 22)) | uint32_t{dscp} << 22);
        return;
    }
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(l3);
    const uint16_t old_word = static_cast<uint16_t>(ip->version_ihl << 8 | ip->type_of_service);
    ip->type_of_service = static_cast<uint8_t>(dscp << 2 | (ip->type_of_service & 0x03));
    if (m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM) return;
    const uint16_t new_word = static_cast<uint16_t>(ip->version_ihl << 8 | ip->type_of_service);
    uint32_t sum = static_cast<uint16_t>(~rte_be_to_cpu_16(ip->hdr_checksum)) + static_cast<uint16_t>(~old_word) + uint32_t{new_word};
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    ip->hdr_checksum = rte_cpu_to_be_16(static_cast<uint16_t>(~sum));
}

}  // namespace ftnet
