// Stage for frames from ftnet0 that their route cannot carry whole (longer
// than RouteEntry::max_whole, from the route's path MTU): split into
// DATA_FRAGMENTs of RouteEntry::frag_piece bytes each, which encap then seals
// one by one and the peer reassembles (reassembly.h). ftnet0's MTU never
// changes with the path; only the tunnel's packets get smaller.
//
// Inline, worker-only. The first piece stays in the frame's own mbuf (its
// header goes into the headroom); the others are copied into mbufs from the
// worker's pool. No malloc, no syscall.
#pragma once

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>

#include "engine/core/drop_reason.h"
#include "engine/tunnel/ftnet_wire.h"
#include "engine/tunnel/route_table.h"

namespace ftnet {

// How many fragments a frame of `len` bytes becomes with pieces of `piece`
// bytes (0: more than wire::kMaxFragments, it cannot be sent).
inline unsigned fragment_count(uint32_t len, uint16_t piece) {
    if (piece == 0) return 0;
    const uint32_t n = (len + piece - 1) / piece;
    return n <= wire::kMaxFragments ? n : 0;
}

// Splits m into out[0..n) (out[0] is m itself), each holding a
// FragmentHeader and its piece, ready for encap_frame(..., DataFragment).
// `headroom` is what encap will prepend after the fragment header. Returns
// n, or 0 with *why set and m untouched (the caller drops it). m must be one
// segment.
inline unsigned split_frame(rte_mbuf* m, const RouteEntry& r, rte_mempool* pool, uint32_t frame_id, uint16_t headroom,
                            rte_mbuf** out, DropReason* why) {
    const uint32_t len = m->pkt_len;
    const uint16_t piece = r.frag_piece;
    const unsigned n = fragment_count(len, piece);
    if (unlikely(n < 2)) {
        *why = DropReason::tx_too_big;
        return 0;
    }
    if (unlikely(rte_pktmbuf_headroom(m) < sizeof(wire::FragmentHeader) + headroom)) {
        *why = DropReason::tx_no_headroom;
        return 0;
    }
    const uint8_t* frame = rte_pktmbuf_mtod(m, const uint8_t*);
    wire::FragmentHeader fh{};
    fh.frame_id = rte_cpu_to_be_32(frame_id);
    fh.frame_len = rte_cpu_to_be_16(static_cast<uint16_t>(len));
    fh.count = static_cast<uint8_t>(n);
    // The later pieces first, copied out while the frame is whole.
    for (unsigned i = 1; i < n; i++) {
        rte_mbuf* c = rte_pktmbuf_alloc(pool);
        const uint32_t off = i * piece;
        const uint32_t plen = std::min<uint32_t>(piece, len - off);
        auto* d = c ? reinterpret_cast<uint8_t*>(rte_pktmbuf_append(c, static_cast<uint16_t>(sizeof fh + plen))) : nullptr;
        if (unlikely(d == nullptr)) {
            if (c) rte_pktmbuf_free(c);
            for (unsigned k = 1; k < i; k++) rte_pktmbuf_free(out[k]);
            *why = DropReason::tx_frag_no_mbuf;
            return 0;
        }
        fh.offset = rte_cpu_to_be_16(static_cast<uint16_t>(off));
        fh.index = static_cast<uint8_t>(i);
        std::memcpy(d, &fh, sizeof fh);
        std::memcpy(d + sizeof fh, frame + off, plen);
        out[i] = c;
    }
    rte_pktmbuf_trim(m, static_cast<uint16_t>(len - piece));
    fh.offset = 0;
    fh.index = 0;
    std::memcpy(rte_pktmbuf_prepend(m, sizeof fh), &fh, sizeof fh);
    out[0] = m;
    return n;
}

}  // namespace ftnet
