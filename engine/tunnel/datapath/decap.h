// Stage for tunnel DATA received on a cluster port: strip the outer headers
// and the ftnet header, check that the inner frame is for our ftnet0, and
// leave the mbuf holding just the inner frame.
//
// Inline, worker-only; no copy, only mbuf offset changes.
#pragma once

#include <rte_mbuf.h>

#include <cstring>

#include "engine/core/drop_reason.h"
#include "engine/tunnel/route_table.h"
#include "engine/tunnel/datapath/classify.h"

namespace ftnet {

// Returns true when m now holds the inner frame; otherwise *why says why
// the frame must be dropped (m unchanged).
inline bool decap_frame(rte_mbuf* m, const RxResult& c, const RouteTable& rt, DropReason* why) {
    const uint8_t* inner = rte_pktmbuf_mtod_offset(m, const uint8_t*, c.payload_off);
    if (!(inner[0] & 0x01) && std::memcmp(inner, rt.adapter_mac, 6) != 0) {
        *why = DropReason::rx_inner_not_for_us;
        return false;
    }
    rte_pktmbuf_adj(m, c.payload_off);
    // Drop the auth tag and any Ethernet padding after the payload.
    if (m->pkt_len > c.payload_len) rte_pktmbuf_trim(m, static_cast<uint16_t>(m->pkt_len - c.payload_len));
    m->ol_flags = 0;
    m->packet_type = 0;
    return true;
}

}  // namespace ftnet
