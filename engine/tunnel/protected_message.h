// ftnet messages other than DATA (HELLO, heartbeats, link notices, and the
// session and membership messages to come) built whole into a buffer: a
// route's outer headers, the ftnet header, a payload and the AEAD tag
// (engine/security/seal.h).
//
// Pure functions on byte buffers: the workers build heartbeats into mbuf
// data with them, the control thread builds HELLOs and notices, the tests
// check both.
#pragma once

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <cstdint>
#include <cstring>

#include "engine/core/checksum.h"
#include "engine/security/seal.h"
#include "engine/tunnel/encap_template.h"
#include "engine/tunnel/ftnet_wire.h"
#include "engine/tunnel/route_table.h"

namespace ftnet {

// Bytes build_message() writes for a payload of plen bytes.
inline size_t message_len(Family f, size_t plen) { return outer_hdr_len(f) + plen + wire::kAuthTagLen; }

// Control messages are network control traffic (RFC 4594): DSCP CS6,
// whatever DSCP the route's data carries.
inline constexpr uint8_t kControlDscp = 48;

// Writes the whole frame into out (at least message_len() bytes), sealed
// with kr's sealing key in sequence space `space` with sequence seq, and
// returns its length. Checksums are complete unless r.tx_csum_offload, in
// which case the caller sets the mbuf's offload flags.
inline size_t build_message(uint8_t* out, const RouteEntry& r, wire::MsgType type, const void* payload, size_t plen,
                            const KeyRing& kr, uint8_t space, uint64_t seq) {
    const bool v6 = r.family == Family::V6;
    const uint16_t l4 = outer_l4_off(r.family);
    std::memcpy(out, r.tmpl, outer_hdr_len(r.family));
    auto* h = reinterpret_cast<wire::Header*>(out + l4 + sizeof(rte_udp_hdr));
    h->type = static_cast<uint8_t>(type);
    uint8_t* body = out + outer_hdr_len(r.family);
    if (plen) std::memcpy(body, payload, plen);  // an empty payload may come with no buffer
    seal_message(h, plen, kr, space, seq);

    const uint16_t udp_len = static_cast<uint16_t>(sizeof(rte_udp_hdr) + sizeof(wire::Header) + plen + wire::kAuthTagLen);
    auto* udp = reinterpret_cast<rte_udp_hdr*>(out + l4);
    // A fixed source port per route keeps a route's control messages on one ECMP path.
    udp->src_port = rte_cpu_to_be_16(static_cast<uint16_t>(0xc000 | (r.route_id & 0x3fff)));
    udp->dgram_len = rte_cpu_to_be_16(udp_len);
    if (v6) {
        auto* ip = reinterpret_cast<rte_ipv6_hdr*>(out + kOuterL3Off);
        ip->vtc_flow = rte_cpu_to_be_32((rte_be_to_cpu_32(ip->vtc_flow) & ~(0x3fu << 22)) | uint32_t{kControlDscp} << 22);
        ip->payload_len = rte_cpu_to_be_16(udp_len);
        uint32_t sum = r.csum_base + rte_cpu_to_be_16(udp_len);
        if (r.tx_csum_offload) {
            udp->dgram_cksum = csum_fold(sum);
        } else {
            sum += csum_raw(udp, udp_len);
            uint16_t c = static_cast<uint16_t>(~csum_fold(sum));
            udp->dgram_cksum = c == 0 ? 0xffff : c;
        }
    } else {
        auto* ip = reinterpret_cast<rte_ipv4_hdr*>(out + kOuterL3Off);
        const uint16_t tot = static_cast<uint16_t>(sizeof(rte_ipv4_hdr) + udp_len);
        ip->total_length = rte_cpu_to_be_16(tot);
        ip->type_of_service = static_cast<uint8_t>(kControlDscp << 2);
        ip->hdr_checksum = 0;
        if (!r.tx_csum_offload) ip->hdr_checksum = static_cast<uint16_t>(~csum_raw(ip, sizeof *ip));
    }
    return outer_hdr_len(r.family) + plen + wire::kAuthTagLen;
}

}  // namespace ftnet
