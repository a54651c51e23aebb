// libFuzzer target: the frames the workers hand to the control thread
// (engine/neighbor/control/neighbor_wire.h): ARP, IPv6 neighbour discovery
// and ICMP/ICMPv6 echo requests, parsed and answered from arbitrary bytes.

#include <cstdint>

#include "engine/neighbor/control/neighbor_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    (void)ftnet::parse_arp(data, size);
    (void)ftnet::parse_nd(data, size);
    const ftnet::MacAddr ours{{0, 0, 0x5e, 0, 0x53, 0x12}};
    if (auto reply = ftnet::build_echo_reply(data, size, ours))
        if (reply->size() < 14 || reply->size() > size + 64) __builtin_trap();
    return 0;
}
