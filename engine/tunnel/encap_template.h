// Prebuilt outer headers for one route: Ethernet, IPv4 or IPv6, UDP and the
// ftnet header of a DATA message. Encapsulation copies the template and
// patches only what changes per packet (lengths, sequence, UDP source port,
// flow label, checksums; the seal fills in key id, flags, space, sequence), as VPP and grout do for VXLAN.
//
// Built by the control thread when it builds a RouteTable; pure.
#pragma once

#include <cstdint>

#include "engine/core/net_addr.h"
#include "engine/tunnel/route_table.h"

namespace ftnet {

struct TemplateSpec {
    Family family = Family::V6;
    MacAddr src_mac;
    MacAddr dst_mac;  // next hop: the peer, or the gateway for a routed path
    IpAddr src_ip;
    IpAddr dst_ip;
    uint16_t udp_port = 3343;
    uint8_t dscp = 0;
    uint8_t ttl = 64;
    uint16_t src_node = 0;
    uint16_t dst_node = 0;
    // The largest IP packet the path carries (wire::kMinPathMtu or more):
    // sizes RouteEntry::max_whole and frag_piece.
    uint16_t path_mtu = 1500;
};

// Fills r.tmpl, r.hdr_len, r.family, r.csum_base, r.bind_rx, r.max_whole
// and r.frag_piece; leaves the other fields.
void build_encap_template(RouteEntry& r, const TemplateSpec& s);

// Offsets inside a template (and inside an encapsulated frame).
inline constexpr uint16_t kOuterL3Off = 14;
inline constexpr uint16_t outer_l4_off(Family f) { return f == Family::V6 ? 14 + 40 : 14 + 20; }
inline constexpr uint16_t outer_hdr_len(Family f) { return outer_l4_off(f) + 8 + 22; }

}  // namespace ftnet
