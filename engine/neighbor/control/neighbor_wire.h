// ARP (RFC 826), IPv6 neighbour discovery (RFC 4861 NS/NA) and ICMP echo
// frames: parsing and building whole Ethernet frames.
//
// Pure functions on byte buffers, used by the control thread (which owns
// the engine's own addresses) and by the unit tests. Parsers validate what
// they read and return nullopt for anything malformed.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "engine/core/net_addr.h"

namespace ftnet {

using Frame = std::vector<uint8_t>;

struct ArpInfo {
    uint16_t op = 0;  // 1 request, 2 reply
    MacAddr sha;
    IpAddr spa;
    MacAddr tha;
    IpAddr tpa;
};

std::optional<ArpInfo> parse_arp(const uint8_t* frame, size_t len);
Frame build_arp(uint16_t op, const MacAddr& eth_dst, const MacAddr& sha, const IpAddr& spa,
                const MacAddr& tha, const IpAddr& tpa);

struct NdInfo {
    uint8_t type = 0;  // 135 NS, 136 NA
    MacAddr eth_src;
    IpAddr src;
    IpAddr dst;
    IpAddr target;
    std::optional<MacAddr> lladdr;  // source (NS) or target (NA) link-layer option
    bool solicited = false;         // NA S flag
    bool override_flag = false;     // NA O flag
};

// Accepts only NS/NA with hop limit 255, code 0 and a correct checksum.
std::optional<NdInfo> parse_nd(const uint8_t* frame, size_t len);
// NS for `target` to its solicited-node group, with our link-layer option.
Frame build_ns(const MacAddr& src_mac, const IpAddr& src, const IpAddr& target);
// NA for `target` (one of ours) with our link-layer option and O flag.
Frame build_na(const MacAddr& src_mac, const MacAddr& dst_mac, const IpAddr& target,
               const IpAddr& dst, bool solicited);

IpAddr solicited_node_group(const IpAddr& a);
MacAddr ipv6_multicast_mac(const IpAddr& group);

// If `frame` is an ICMP or ICMPv6 echo request, the echo reply to send back
// from `our_mac`; otherwise nullopt.
std::optional<Frame> build_echo_reply(const uint8_t* frame, size_t len, const MacAddr& our_mac);

}  // namespace ftnet
