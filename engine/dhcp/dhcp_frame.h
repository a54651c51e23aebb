// DHCP messages in Ethernet frames, as the engine's ports carry them: the
// client's requests from UDP port 68 to 67 (broadcast from 0.0.0.0 while it
// has no address, unicast from its address to the server's when renewing
// or releasing), and the servers' replies to port 68, which the workers
// hand to the control thread (engine/tunnel/datapath/classify.h).
//
// Pure; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "engine/core/net_addr.h"

namespace ftnet::dhcp {

std::vector<uint8_t> build_frame(const MacAddr& src_mac, const MacAddr& dst_mac, const IpAddr& src_ip,
                                 const IpAddr& dst_ip, const std::vector<uint8_t>& payload);

struct Received {
    MacAddr src_mac;
    IpAddr src_ip;
    const uint8_t* payload;
    size_t len;
};

// A frame that is IPv4 + UDP to port 68 with right checksums (a zero UDP
// checksum is "none", RFC 768); nullopt for anything else.
std::optional<Received> parse_frame(const uint8_t* f, size_t len);

}  // namespace ftnet::dhcp
