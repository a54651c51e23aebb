// The virtual adapter's identity: MAC, APIPA IPv4 and IPv6 link-local
// addresses, derived deterministically so that they survive restarts.
//
// Pure functions; any thread. See docs/virtual-adapter.md for the rules.
#pragma once

#include <cstdint>
#include <string>

#include "engine/core/net_addr.h"

namespace ftnet {

// Node ids are 1..kMaxNodeId, unique within a cluster. The bound keeps the
// derived APIPA address out of RFC 3927's reserved first and last /24.
inline constexpr uint16_t kMaxNodeId = 4096;

// What this node tells its peers about its ftnet0 (HELLO), fixed at start.
struct AdapterInfo {
    MacAddr mac;
    IpAddr apipa;
    IpAddr link_local;
    uint16_t mtu = 0;
    uint32_t boot_id = 0;
    std::string node_name;
    std::string cluster;
};

// The MAC of the first enumerated physical port with the locally
// administered bit set and the group bit cleared (as netft.sys does).
MacAddr derive_adapter_mac(const MacAddr& first_port_mac);

// 169.254.A.B with A = 1 + (id-1)/254, B = 1 + (id-1)%254: unique per node
// id by construction, so two nodes can never pick the same address.
IpAddr derive_apipa(uint16_t node_id);

// fe80::a9fe:A:B, mirroring the APIPA address so that an operator can read
// one from the other.
IpAddr derive_link_local(uint16_t node_id);

}  // namespace ftnet
