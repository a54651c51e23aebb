// Transmit: per-worker buffers per port, flushed in bursts on the worker's
// own tx queue of each port (queue id = worker index), so no two lcores ever
// share a queue.

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include <algorithm>

#include "engine/core/worker.h"

namespace ftnet {

void note_send_skew(Worker& w, uint64_t first, uint64_t last) {
    bool changed = false;
    if (last >= w.skew_bucket_end) {
        w.skew_prev = last >= w.skew_bucket_end + w.dp->tsc_hz ? 0 : w.skew_cur;
        w.skew_cur = 0;
        w.skew_bucket_end = last + w.dp->tsc_hz;
        changed = true;
    }
    if (last - first > w.skew_cur) {
        w.skew_cur = last - first;
        changed = true;
    }
    // In microseconds for every heartbeat sent: converted when it changes
    // (at most a few times a second), not once per message.
    if (changed)
        w.skew_us = static_cast<uint32_t>(std::min<uint64_t>(std::max(w.skew_cur, w.skew_prev) / std::max<uint64_t>(w.dp->tsc_hz / 1000000, 1), UINT32_MAX));
}

void tx_flush(Worker& w, uint16_t port_index, TxBuffer& b) {
    if (b.n == 0) return;
    const PortInfo& p = w.dp->ports[port_index];
    uint16_t sent = rte_eth_tx_burst(p.port_id, w.index, b.pkts, b.n);
    if (unlikely(sent < b.n)) {
        // One more try: a NIC ring frees descriptors while we look at it.
        sent += rte_eth_tx_burst(p.port_id, w.index, b.pkts + sent, b.n - sent);
    }
    uint64_t unsent_bytes = 0;
    if (unlikely(sent < b.n)) {
        const DropReason why = p.role == PortRole::Adapter ? DropReason::adapter_full
                               : p.role == PortRole::Host  ? DropReason::host_if_full
                                                           : DropReason::txq_full;
        for (uint16_t i = sent; i < b.n; i++) {
            unsent_bytes += b.pkts[i]->pkt_len;
            rte_pktmbuf_free(b.pkts[i]);
        }
        w.ctr->drop(why, b.n - sent);
    }
    PortCounters& pc = w.ctr->port[port_index];
    pc.tx_pkts.add(sent);
    pc.tx_bytes.add(b.bytes - unsent_bytes);
    b.n = 0;
    b.bytes = 0;
}

void tx_flush_host(Worker& w, uint16_t port_index) {
    TxBuffer& b = w.tx_host[port_index];
    if (b.n == 0) return;
    const PortInfo& p = w.dp->ports[port_index];
    const uint16_t sent = rte_eth_tx_burst(p.port_id, w.index, b.pkts, b.n);
    uint64_t unsent_bytes = 0;
    if (unlikely(sent < b.n)) {
        for (uint16_t i = sent; i < b.n; i++) {
            unsent_bytes += b.pkts[i]->pkt_len;
            rte_pktmbuf_free(b.pkts[i]);
        }
        w.ctr->drop(DropReason::host_txq_full, b.n - sent);
    }
    PortCounters& pc = w.ctr->port[port_index];
    pc.tx_pkts.add(sent);
    pc.tx_bytes.add(b.bytes - unsent_bytes);
    b.n = 0;
    b.bytes = 0;
}

void tx_flush_all(Worker& w) {
    unsigned ctl_ports = 0;
    uint64_t first = 0;
    for (uint16_t i = 0; i < w.dp->n_ports; i++) {
        if (!w.tx_ctl[i].n) continue;
        if (ctl_ports++ == 0) first = rte_rdtsc();
        tx_flush(w, i, w.tx_ctl[i]);
    }
    if (ctl_ports > 1) note_send_skew(w, first, rte_rdtsc());
    for (uint16_t i = 0; i < w.dp->n_ports; i++)
        if (w.tx[i].n) tx_flush(w, i, w.tx[i]);
    for (uint16_t i = 0; i < w.dp->n_ports; i++)
        if (w.tx_host[i].n) tx_flush_host(w, i);
}

}  // namespace ftnet
