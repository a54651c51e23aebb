#include "engine/tunnel/datapath/reassembly.h"

#include <rte_byteorder.h>
#include <rte_cycles.h>

#include <cstring>

#include "engine/tunnel/ftnet_wire.h"

namespace ftnet {

namespace {

void free_slot(ReassemblySlot& s) {
    rte_pktmbuf_free(s.m);
    s = ReassemblySlot{};
}

}  // namespace

ReassemblyStep reassemble(Reassembly& ra, rte_mempool* pool, uint16_t node, uint8_t space, const uint8_t* payload,
                          uint32_t len, uint32_t max_frame, uint64_t now_tsc) {
    ReassemblyStep st;
    auto refuse = [&st](DropReason r) {
        st.dropped = true;
        st.why = r;
        return st;
    };
    if (len <= sizeof(wire::FragmentHeader)) return refuse(DropReason::rx_frag_bad);
    wire::FragmentHeader fh;
    std::memcpy(&fh, payload, sizeof fh);
    const uint32_t id = rte_be_to_cpu_32(fh.frame_id);
    const uint32_t frame_len = rte_be_to_cpu_16(fh.frame_len);
    const uint32_t off = rte_be_to_cpu_16(fh.offset);
    const uint32_t plen = len - static_cast<uint32_t>(sizeof fh);
    if (fh.count < 2 || fh.count > wire::kMaxFragments || fh.index >= fh.count || fh.reserved != 0 ||
        frame_len < wire::kEthHdrLen || off + plen > frame_len)
        return refuse(DropReason::rx_frag_bad);
    if (frame_len > max_frame) return refuse(DropReason::rx_frag_too_big);

    ReassemblySlot* s = nullptr;
    for (auto& c : ra.slot)
        if (c.m && c.frame_id == id && c.node == node && c.space == space) {
            s = &c;
            break;
        }
    if (s && (s->count != fh.count || s->frame_len != frame_len)) {
        // Fragments that disagree on what frame they belong to: neither half
        // can be trusted to rebuild it.
        free_slot(*s);
        return refuse(DropReason::rx_frag_bad);
    }
    if (!s) {
        if (ra.timeout_tsc == 0) ra.timeout_tsc = rte_get_tsc_hz() / 1000 * Reassembly::kTimeoutMs;
        ReassemblySlot* oldest = nullptr;
        for (auto& c : ra.slot) {
            if (c.m && now_tsc - c.started_tsc > ra.timeout_tsc) {
                free_slot(c);
                st.expired++;
            }
            if (!c.m) {
                if (!s) s = &c;
            } else if (!oldest || c.started_tsc < oldest->started_tsc) {
                oldest = &c;
            }
        }
        if (!s) {
            free_slot(*oldest);
            st.evicted = true;
            s = oldest;
        }
        rte_mbuf* m = rte_pktmbuf_alloc(pool);
        if (!m) return refuse(DropReason::rx_frag_no_mbuf);
        if (rte_pktmbuf_tailroom(m) < frame_len) {
            rte_pktmbuf_free(m);
            return refuse(DropReason::rx_frag_too_big);
        }
        s->m = m;
        s->started_tsc = now_tsc;
        s->frame_id = id;
        s->node = node;
        s->space = space;
        s->count = fh.count;
        s->frame_len = static_cast<uint16_t>(frame_len);
    }
    const uint32_t bit = uint32_t{1} << fh.index;
    if (s->have & bit) return refuse(DropReason::rx_frag_duplicate);
    std::memcpy(rte_pktmbuf_mtod(s->m, uint8_t*) + off, payload + sizeof fh, plen);
    s->have |= bit;
    s->have_bytes = static_cast<uint16_t>(s->have_bytes + plen);
    if (s->have != (uint32_t{1} << s->count) - 1) return st;
    if (s->have_bytes != s->frame_len) {  // pieces that overlap or leave a hole
        free_slot(*s);
        return refuse(DropReason::rx_frag_bad);
    }
    rte_mbuf* m = s->m;
    m->data_len = s->frame_len;
    m->pkt_len = s->frame_len;
    *s = ReassemblySlot{};
    st.frame = m;
    return st;
}

void reassembly_clear(Reassembly& ra) {
    for (auto& c : ra.slot)
        if (c.m) free_slot(c);
}

unsigned reassembly_in_use(const Reassembly& ra) {
    unsigned n = 0;
    for (auto& c : ra.slot) n += c.m != nullptr;
    return n;
}

}  // namespace ftnet
