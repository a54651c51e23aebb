#include "engine/host_path/datapath/host_path.h"

#include "engine/core/worker.h"
#include "engine/host_path/datapath/host_filter.h"
#include "engine/tunnel/datapath/classify.h"

namespace ftnet {

void host_input(Worker& w, uint16_t host_index, rte_mbuf** pkts, uint16_t n) {
    const uint16_t phys = w.dp->ports[host_index].host_peer;
    PortCounters& pc = w.ctr->port[host_index];
    pc.rx_pkts.add(n);
    uint64_t bytes = 0;
    const bool usable = w.dp->port_live[phys].usable.load(std::memory_order_relaxed);
    for (uint16_t i = 0; i < n; i++) {
        rte_mbuf* m = pkts[i];
        bytes += m->pkt_len;
        if (unlikely(m->nb_segs != 1)) {
            drop_packet(w, m, DropReason::rx_multiseg);
            continue;
        }
        if (unlikely(!usable)) {
            drop_packet(w, m, DropReason::host_port_down);
            continue;
        }
        tx_enqueue_host(w, phys, m);
    }
    pc.rx_bytes.add(bytes);
}

bool host_output(Worker& w, uint16_t port_index, rte_mbuf* m, const RxResult& c) {
    const uint16_t host = w.dp->ports[port_index].host_peer;
    if (host == kMaxPorts) return false;
    if (c.kind == RxKind::Host) {
        tx_enqueue(w, host, m);
        return true;
    }
    // ARP, ND, ICMP: rare, so a copy (the control thread keeps the original).
    if (!host_wants_copy(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len, w.rt->ports[port_index])) return false;
    rte_mbuf* copy = rte_pktmbuf_copy(m, w.pool, 0, UINT32_MAX);
    if (unlikely(copy == nullptr)) {
        w.ctr->drop(DropReason::host_copy_no_mbuf);
        return false;
    }
    tx_enqueue(w, host, copy);
    return false;
}

}  // namespace ftnet
