// Frames written by the host into ftnet0: pick the destination peer, its
// best usable route, encapsulate, and queue for transmission. Broadcast,
// multicast (ARP, ND) and unicast to an unknown MAC go to every peer.

#include <rte_ether.h>
#include <rte_prefetch.h>

#include "engine/tunnel/datapath/encap.h"
#include "engine/tunnel/datapath/fragment.h"
#include "engine/tunnel/datapath/flow_hash.h"
#include "engine/tunnel/datapath/route_select.h"
#include "engine/core/worker.h"

namespace ftnet {

namespace {

constexpr unsigned kPrefetchAhead = 4;

// A frame longer than the route's path MTU allows whole: its fragments,
// each sealed on its own, in order.
void send_fragments(Worker& w, rte_mbuf* m, const RouteEntry& r, uint32_t hash, uint8_t dscp) {
    const uint32_t inner_len = m->pkt_len;
    rte_mbuf* parts[wire::kMaxFragments];
    DropReason why = DropReason::tx_too_big;
    if (unlikely(m->nb_segs != 1 && rte_pktmbuf_linearize(m) != 0)) why = DropReason::tx_multiseg;
    const unsigned n = m->nb_segs == 1 ? split_frame(m, r, w.pool, ++w.frag_frame_id, r.hdr_len, parts, &why) : 0;
    if (unlikely(n == 0)) {
        drop_packet(w, m, why);
        return;
    }
    RouteCounters& rc = w.ctr->route[r.route_id];
    for (unsigned i = 0; i < n; i++) {
        const uint64_t seq = next_sequence(w.dp->epoch, w.tx_counter);
        why = DropReason::tx_seq_exhausted;
        if (unlikely(seq == 0 || !encap_frame(parts[i], r, hash, *w.keys, static_cast<uint8_t>(w.index), seq, &why,
                                              wire::MsgType::DataFragment))) {
            // The peer cannot rebuild the frame without this piece.
            for (unsigned k = i; k < n; k++) drop_packet(w, parts[k], why);
            return;
        }
        if (dscp != kKeepDscp) set_outer_dscp(parts[i], r.family, dscp);
        tx_enqueue(w, r.port_index, parts[i]);
    }
    rc.tx_pkts.add();
    rc.tx_bytes.add(inner_len);
    rc.tx_fragmented.add();
    rc.tx_fragments.add(n);
}

inline void send_on_route(Worker& w, rte_mbuf* m, const RouteEntry& r, uint32_t hash, uint8_t dscp = kKeepDscp) {
    const uint32_t inner_len = m->pkt_len;
    if (unlikely(!w.dp->route_live[r.route_id].up.load(std::memory_order_relaxed))) w.ctr->tx_last_resort.add();
    if (unlikely(inner_len > r.max_whole)) {
        send_fragments(w, m, r, hash, dscp);
        return;
    }
    const uint64_t seq = next_sequence(w.dp->epoch, w.tx_counter);
    DropReason why = DropReason::tx_seq_exhausted;
    if (unlikely(seq == 0 || !encap_frame(m, r, hash, *w.keys, static_cast<uint8_t>(w.index), seq, &why))) {
        drop_packet(w, m, why);
        return;
    }
    if (dscp != kKeepDscp) set_outer_dscp(m, r.family, dscp);
    RouteCounters& rc = w.ctr->route[r.route_id];
    rc.tx_pkts.add();
    rc.tx_bytes.add(inner_len);
    tx_enqueue(w, r.port_index, m);
}

// Another peer's copy of a flooded frame: a flat copy, because every
// peer's copy is sealed (and maybe encrypted) in place under its own nonce,
// so none can share the payload. Floods are ARP, ND and broadcasts: rare.
inline rte_mbuf* flood_copy(Worker& w, rte_mbuf* m) { return rte_pktmbuf_copy(m, w.pool, 0, UINT32_MAX); }

// One flat copy per extra peer (each is sealed on its own); the last peer
// gets the original.
void flood(Worker& w, rte_mbuf* m, uint32_t hash) {
    const RouteTable& rt = *w.rt;
    const RouteEntry* targets[kMaxPeers];
    unsigned n = 0;
    for (unsigned i = 0; i < rt.n_peers; i++)
        if (const RouteEntry* r = select_route(*w.dp, rt.peers[i])) targets[n++] = r;
    if (n == 0) {
        drop_packet(w, m, DropReason::tx_no_peer);
        return;
    }
    if (n > 1) w.ctr->flooded.add();
    for (unsigned i = 0; i + 1 < n; i++) {
        rte_mbuf* c = flood_copy(w, m);
        if (unlikely(c == nullptr)) {
            w.ctr->drop(DropReason::tx_no_mbuf);
            continue;
        }
        send_on_route(w, c, *targets[i], hash);
    }
    send_on_route(w, m, *targets[n - 1], hash);
}

// d: the traffic policy's decision for the frame (nullptr: no policy).
inline void adapter_one(Worker& w, rte_mbuf* m, uint32_t max_frame, const TxDecision* d) {
    const uint32_t len = m->pkt_len;
    if (unlikely(w.keys == nullptr)) {
        drop_packet(w, m, DropReason::tx_no_key);
        return;
    }
    if (unlikely(len < RTE_ETHER_HDR_LEN || m->data_len < RTE_ETHER_HDR_LEN)) {
        drop_packet(w, m, DropReason::tx_runt);
        return;
    }
    if (unlikely(len > max_frame)) {
        drop_packet(w, m, DropReason::tx_too_big);
        return;
    }
    // The frame came from the kernel: clear whatever offload state it had.
    m->ol_flags = 0;
    const uint8_t* f = rte_pktmbuf_mtod(m, const uint8_t*);
    const uint32_t hash = inner_flow_hash(f, m->data_len);
    if (f[0] & 0x01) {
        flood(w, m, hash);
        return;
    }
    const PeerEntry* peer = peer_by_adapter_mac(w, f);
    if (unlikely(peer == nullptr)) {
        flood(w, m, hash);  // like a learning bridge before it has learnt
        return;
    }
    const RouteEntry* r = d && d->n_steer ? select_route_steered(*w.dp, *peer, d->steer, d->n_steer) : select_route(*w.dp, *peer);
    if (unlikely(r == nullptr)) {
        drop_packet(w, m, DropReason::tx_no_route);
        return;
    }
    send_on_route(w, m, *r, hash, d ? d->dscp : kKeepDscp);
}

}  // namespace

void adapter_input(Worker& w, rte_mbuf** pkts, uint16_t n) {
    PortCounters& pc = w.ctr->port[w.dp->adapter_index];
    pc.rx_pkts.add(n);
    const uint32_t max_frame = w.rt->adapter_mtu + RTE_ETHER_HDR_LEN;
    uint64_t bytes = 0;
    for (unsigned i = 0; i < n; i++) bytes += pkts[i]->pkt_len;
    pc.rx_bytes.add(bytes);
    // The traffic policy, a burst at a time, before any route is chosen:
    // denied frames are gone (nullptr), steered ones say where to, classes
    // say how to mark them and which go first.
    TxDecision decisions[kMaxBurst];
    const TxDecision* d = nullptr;
    if (w.policy != nullptr)
        if (const TxPolicy p = w.dp->handlers->tx_policy) {
            for (unsigned i = 0; i < n; i++) decisions[i] = kNoTxDecision;
            p(w, pkts, n, decisions);
            d = decisions;
        }
    for (unsigned i = 0; i < n && i < kPrefetchAhead; i++)
        if (pkts[i]) rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
    for (unsigned i = 0; i < n; i++) {
        if (i + kPrefetchAhead < n && pkts[i + kPrefetchAhead]) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void*));
        if (pkts[i]) adapter_one(w, pkts[i], max_frame, d ? &d[i] : nullptr);
    }
}

}  // namespace ftnet
