// Which of the frames the control thread gets (ARP, ND, ICMP for our
// addresses) the host interface gets a copy of: everything but what the
// engine itself answers for the port's addresses and the host addresses
// online on it (IP Address resources), so that the host never answers
// twice (an ARP request or a neighbour solicitation for one of them, an
// echo request to the port's address).
//
// A pure function of the frame bytes, for workers and unit tests; the frame
// is one the classifier accepted as RxKind::Control (headers present).
#pragma once

#include <rte_ether.h>
#include <rte_ip.h>

#include <cstdint>
#include <cstring>

#include "engine/tunnel/route_table.h"

namespace ftnet {

inline bool host_wants_copy(const uint8_t* f, uint32_t len, const PortAddrs& pa) {
    if (len < RTE_ETHER_HDR_LEN + 28) return false;
    const uint16_t type = static_cast<uint16_t>(f[12] << 8 | f[13]);
    const uint8_t* l3 = f + RTE_ETHER_HDR_LEN;
    switch (type) {
    case RTE_ETHER_TYPE_ARP: {
        const uint16_t op = static_cast<uint16_t>(l3[6] << 8 | l3[7]);
        bool for_us = pa.has_v4 && std::memcmp(l3 + 24, pa.v4, 4) == 0;
        for (unsigned i = 0; i < pa.n_host_v4 && !for_us; i++) for_us = std::memcmp(l3 + 24, pa.host_v4[i], 4) == 0;
        return !(op == 1 && for_us);  // requests for our addresses: the engine answers
    }
    case RTE_ETHER_TYPE_IPV4: {
        const uint32_t ihl = (l3[0] & 0x0f) * 4u;
        if (len < RTE_ETHER_HDR_LEN + ihl + 1) return false;
        // ICMP but echo requests (the engine answers); the DHCP client's
        // replies are the engine's alone.
        return l3[9] == IPPROTO_ICMP && l3[ihl] != 8;
    }
    case RTE_ETHER_TYPE_IPV6: {
        if (len < RTE_ETHER_HDR_LEN + 40 + 1) return false;
        const uint8_t icmp6 = l3[40];
        // Echo requests and neighbour solicitations: the engine answers for
        // the port's address, and the host interface has no other.
        return icmp6 != 128 && icmp6 != 135;
    }
    default:
        return false;
    }
}

}  // namespace ftnet
