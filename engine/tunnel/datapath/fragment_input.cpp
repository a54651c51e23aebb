// DATA_FRAGMENTs received on a cluster port, already admitted (authentic,
// fresh, for us): reassembled per worker, and the rebuilt frame goes into
// ftnet0 like any tunnelled DATA frame.

#include <rte_byteorder.h>
#include <rte_ether.h>

#include <cstring>

#include "engine/core/worker.h"
#include "engine/tunnel/datapath/classify.h"
#include "engine/tunnel/datapath/reassembly.h"

namespace ftnet {

void fragment_input(Worker& w, uint16_t, rte_mbuf* m, const RxResult& c) {
    const RouteTable& rt = *w.rt;
    const uint8_t* payload = rte_pktmbuf_mtod_offset(m, const uint8_t*, c.payload_off);
    const ReassemblyStep st = reassemble(w.reasm, w.pool, rte_be_to_cpu_16(c.hdr->src_node), c.hdr->space, payload,
                                         c.payload_len, uint32_t{rt.adapter_mtu} + RTE_ETHER_HDR_LEN, rx_time(w));
    if (st.expired) w.ctr->drop(DropReason::rx_frag_timeout, st.expired);
    if (st.evicted) w.ctr->drop(DropReason::rx_frag_evicted);
    if (st.dropped) {
        drop_packet(w, m, st.why);
        return;
    }
    rte_pktmbuf_free(m);
    rte_mbuf* f = st.frame;
    if (f == nullptr) return;
    const uint8_t* inner = rte_pktmbuf_mtod(f, const uint8_t*);
    if (!(inner[0] & 0x01) && std::memcmp(inner, rt.adapter_mac, 6) != 0) {
        drop_packet(w, f, DropReason::rx_inner_not_for_us);
        return;
    }
    RouteCounters& rc = w.ctr->route[c.route->route_id];
    rc.rx_pkts.add();
    rc.rx_bytes.add(f->pkt_len);
    rc.rx_reassembled.add();
    tx_enqueue(w, w.dp->adapter_index, f);
}

}  // namespace ftnet
