// Frames received on a cluster network port: classify, admit ftnet
// messages (source, route binding, key, replay window, AEAD tag), then
// decapsulate tunnel DATA into ftnet0, hand ARP/ND/ICMP to the control
// thread, other ftnet messages to the module that registered their type,
// the host's own traffic to the host path (engine/host_path/), and drop (and
// count) everything else.

#include <rte_prefetch.h>

#include "engine/security/datapath/admit.h"
#include "engine/security/datapath/wire_drop.h"
#include "engine/tunnel/datapath/classify.h"
#include "engine/tunnel/datapath/decap.h"
#include "engine/core/datapath_registry.h"
#include "engine/core/worker.h"

namespace ftnet {

namespace {

constexpr unsigned kPrefetchAhead = 4;

inline void physical_one(Worker& w, uint16_t port_index, rte_mbuf* m) {
    if (unlikely(m->nb_segs != 1)) {
        drop_packet(w, m, DropReason::rx_multiseg);
        return;
    }
    const bool l3_ok = (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD;
    const bool l4_ok = (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD;
    if (unlikely((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
                 (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD)) {
        drop_packet(w, m, DropReason::rx_bad_checksum);
        return;
    }
    uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
    RxResult c = classify_frame(f, m->data_len, *w.rt, port_index, l3_ok, l4_ok);
    if (c.kind == RxKind::Data || c.kind == RxKind::Message) {
        DropReason why = DropReason::rx_unknown_key;
        if (unlikely(w.keys == nullptr ||
                     !admit_message(f, port_index, c, *w.keys, w.dp->replay[c.peer - w.rt->peers], &why))) {
            note_wire_drop(w, why, f, c.family, port_index);
            drop_packet(w, m, why);
            return;
        }
        w.ctr->key_rx[c.hdr->key_id].add();
    } else if (c.kind == RxKind::Drop && c.drop == DropReason::rx_bad_version) {
        note_wire_drop(w, c.drop, f, c.family, port_index);
    }
    switch (c.kind) {
    case RxKind::Data: {
        DropReason why;
        if (unlikely(!decap_frame(m, c, *w.rt, &why))) {
            drop_packet(w, m, why);
            return;
        }
        RouteCounters& rc = w.ctr->route[c.route->route_id];
        rc.rx_pkts.add();
        rc.rx_bytes.add(m->pkt_len);
        // The traffic policy's deny rules, before the frame reaches ftnet0.
        if (w.policy != nullptr)
            if (const RxPolicy p = w.dp->handlers->rx_policy; p && p(w, m)) return;
        tx_enqueue(w, w.dp->adapter_index, m);
        return;
    }
    case RxKind::Control:
        // ARP, ND and ICMP: the control thread's; the host interface, if
        // the port has one, gets a copy of what the host needs too.
        if (const HostOutput h = w.dp->handlers->host_output) h(w, port_index, m, c);
        punt_to_control(w, m);
        return;
    case RxKind::Host:
        if (const HostOutput h = w.dp->handlers->host_output)
            if (h(w, port_index, m, c)) return;
        drop_packet(w, m, c.drop);
        return;
    case RxKind::Message:
        // The module that registered this message type (heartbeats, HELLO,
        // link notices, ...): a direct call through a table that never
        // changes once workers run.
        if (const MessageHandler h = w.dp->handlers->message[c.hdr->type]) {
            h(w, port_index, m, c);
            return;
        }
        drop_packet(w, m, DropReason::rx_unsupported_msg);
        return;
    case RxKind::Drop:
        drop_packet(w, m, c.drop);
        return;
    }
}

}  // namespace

void physical_input(Worker& w, uint16_t port_index, rte_mbuf** pkts, uint16_t n) {
    PortCounters& pc = w.ctr->port[port_index];
    pc.rx_pkts.add(n);
    w.rx_tsc = 0;  // this burst's arrival, read when first needed (rx_time)
    uint64_t bytes = 0;
    // The mbufs first, all at once (their addresses are known, so the loads
    // overlap), then the first frames: finding a frame's address reads its
    // mbuf, which a small burst would otherwise wait for packet by packet.
    for (unsigned i = 0; i < n; i++) rte_prefetch0(pkts[i]);
    for (unsigned i = 0; i < n && i < kPrefetchAhead; i++) prefetch_frame_start(pkts[i]);
    for (unsigned i = 0; i < n; i++) {
        if (i + kPrefetchAhead < n) prefetch_frame_start(pkts[i + kPrefetchAhead]);
        bytes += pkts[i]->pkt_len;
        physical_one(w, port_index, pkts[i]);
    }
    pc.rx_bytes.add(bytes);
}

}  // namespace ftnet
