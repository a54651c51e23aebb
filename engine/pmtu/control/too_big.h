// A router's report that one of our packets was too big for its next link:
// ICMPv4 "fragmentation needed" (type 3 code 4, RFC 1191) or ICMPv6 "packet
// too big" (type 2, RFC 8201), and the packet it quotes. Anyone can send
// such a message, so it is honoured only when the quote is one of our own
// tunnel packets on a route: our addresses and tunnel port, and the ftnet
// header fields that route's packets carry this life (node ids, route
// binding, our epoch). A router that quotes too little to show the ftnet
// header (RFC 792 asks for only 8 bytes past the IP header) is ignored;
// the probes find the path MTU without it.
//
// Pure; control thread (the pmtu module) and tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "engine/core/net_addr.h"
#include "engine/tunnel/ftnet_wire.h"
#include "engine/tunnel/route_table.h"

namespace ftnet {

struct TooBigReport {
    Family family = Family::V4;
    uint32_t mtu = 0;  // the next link's MTU as reported
    IpAddr quoted_src, quoted_dst;
    uint16_t quoted_dst_port = 0;
    bool has_header = false;  // the quote reaches past the ftnet header
    wire::Header quoted{};    // valid when has_header
};

// The report in an Ethernet frame received on a port, or nothing when the
// frame is not a well-formed, correctly checksummed too-big message quoting
// a UDP packet.
std::optional<TooBigReport> parse_too_big(const uint8_t* frame, size_t len);

// Whether the report quotes a tunnel packet this node (in its life `epoch`)
// sent on the route whose entry is e, to tunnel port udp_port.
bool quotes_our_packet(const TooBigReport& r, const RouteEntry& e, uint16_t udp_port, uint16_t epoch);

}  // namespace ftnet
