// Heartbeats on the worker lcores: per-route request/reply with RTT, so that
// failure detection never waits for the control thread.
//
// Each route has one owner worker (RouteTable::hb_refs). At every period end
// the owner judges the period that ended (answered or not: route_health.h),
// publishes the route's state for route selection, queues a route event for
// the control thread when it changed, and sends the next request. Replies
// and the peer's requests reach whichever worker polls the queue they land
// on; it checks the tag and the sequence (no replay), answers requests in
// place, and records replies in the route's atomics for the owner.

#include <rte_cycles.h>

#include <algorithm>

#include "engine/common/signed_message.h"
#include "engine/datapath/classify.h"
#include "engine/datapath/worker.h"

namespace ftnet {

namespace {

uint64_t delay_tsc(const Worker& w, const RouteEntry& r) {
    const HeartbeatParams& p = w.dp->hb;
    uint32_t ms = r.cross_subnet ? p.cross_delay_ms.load(std::memory_order_relaxed)
                                 : p.same_delay_ms.load(std::memory_order_relaxed);
    return w.dp->tsc_hz / 1000 * std::max<uint32_t>(ms, 1);
}

unsigned threshold(const Worker& w, const RouteEntry& r) {
    const HeartbeatParams& p = w.dp->hb;
    return r.cross_subnet ? p.cross_threshold.load(std::memory_order_relaxed)
                          : p.same_threshold.load(std::memory_order_relaxed);
}

wire::HeartbeatPayload payload_for(const Worker& w, const RouteEntry& r, HealthState s) {
    wire::HeartbeatPayload p{};
    p.boot_id = rte_cpu_to_be_32(w.dp->boot_id);
    const HeartbeatParams& hp = w.dp->hb;
    uint32_t ms = r.cross_subnet ? hp.cross_delay_ms.load(std::memory_order_relaxed)
                                 : hp.same_delay_ms.load(std::memory_order_relaxed);
    p.interval_ms = rte_cpu_to_be_16(static_cast<uint16_t>(std::min<uint32_t>(ms, 65535)));
    p.threshold = static_cast<uint8_t>(threshold(w, r));
    p.route_state = static_cast<uint8_t>(s);
    return p;
}

void publish(Worker& w, const RouteEntry& r, HbPrivate& h, HealthCause cause, uint64_t now) {
    RouteLive& live = w.dp->route_live[r.route_id];
    live.up.store(h.health.state == HealthState::Up, std::memory_order_relaxed);
    live.state.store(static_cast<uint8_t>(h.health.state), std::memory_order_relaxed);
    live.changed_tsc.store(now, std::memory_order_relaxed);
    RouteEvent ev{now, r.route_id, static_cast<uint8_t>(h.health.state), static_cast<uint8_t>(cause),
                  cause == HealthCause::Missed ? h.health.misses : h.health.goods};
    if (rte_ring_mp_enqueue_elem(w.dp->route_events, &ev, sizeof ev) == 0)
        w.events++;
    else
        w.ctr->drop(DropReason::control_ring_full);
}

// A message from build_signed_message() on a port that offloads checksums:
// the NIC completes the IPv4 header checksum or the IPv6 UDP checksum.
void request_csum_offload(rte_mbuf* m, const RouteEntry& r) {
    if (!r.tx_csum_offload) return;
    m->ol_flags |= r.family == Family::V6 ? RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM
                                         : RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
    m->l2_len = kOuterL3Off;
    m->l3_len = r.family == Family::V6 ? sizeof(rte_ipv6_hdr) : sizeof(rte_ipv4_hdr);
}

void send_request(Worker& w, const RouteEntry& r, HbPrivate& h, uint64_t now) {
    rte_mbuf* m = rte_pktmbuf_alloc(w.pool);
    if (unlikely(m == nullptr)) {
        w.ctr->drop(DropReason::tx_no_mbuf);
        return;
    }
    wire::HeartbeatPayload p = payload_for(w, r, h.health.state);
    p.tx_time = rte_cpu_to_be_64(now);
    const size_t len = signed_message_len(r.family, sizeof p);
    auto* out = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(len)));
    h.seq++;
    build_signed_message(out, r, wire::MsgType::HeartbeatReq, h.seq, &p, sizeof p, w.dp->auth_key);
    request_csum_offload(m, r);
    RouteLive& live = w.dp->route_live[r.route_id];
    live.sent_seq.store(h.seq, std::memory_order_release);
    live.req_sent.fetch_add(1, std::memory_order_relaxed);
    h.sent = true;
    tx_enqueue(w, r.port_index, m);
}

// The peer's route a heartbeat arrived on: same port, same family, and the
// outer source address is the route's remote address.
// Sequence numbers compare in serial-number arithmetic (RFC 1982), so a
// route's count wrapping past 2^32 (50 days at 1 ms) is just the next one.
inline bool seq_after(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }

const RouteEntry* arrival_route(const PeerEntry& p, uint16_t port_index, Family fam, const uint8_t* frame) {
    const size_t src_off = fam == Family::V6 ? 14 + 8 : 14 + 12;
    const size_t dst_in_tmpl = fam == Family::V6 ? 14 + 24 : 14 + 16;
    const size_t n = fam == Family::V6 ? 16 : 4;
    for (unsigned i = 0; i < p.n_routes; i++) {
        const RouteEntry& r = p.routes[i];
        if (r.port_index == port_index && r.family == fam && std::memcmp(r.tmpl + dst_in_tmpl, frame + src_off, n) == 0)
            return &r;
    }
    return nullptr;
}

}  // namespace

unsigned heartbeat_poll(Worker& w, uint64_t now) {
    Dataplane& dp = *w.dp;
    const RouteTable& rt = *w.rt;
    const uint32_t kick = dp.hb_kick.load(std::memory_order_relaxed);
    const bool kicked = kick != w.hb_kick_seen;
    if (!kicked && rt.generation == w.hb_table_gen && now < w.hb_next_tsc) return 0;
    unsigned sent = 0;
    w.hb_kick_seen = kick;
    w.hb_table_gen = rt.generation;
    const unsigned recovery = dp.hb.recovery.load(std::memory_order_relaxed);
    uint64_t next = UINT64_MAX;
    for (unsigned i = rt.hb_begin[w.index]; i < rt.hb_begin[w.index + 1]; i++) {
        const HbRef ref = rt.hb_refs[i];
        const RouteEntry& r = rt.peers[ref.peer].routes[ref.route];
        HbPrivate& h = w.hb[r.route_id];
        const bool usable = dp.port_live[r.port_index].usable.load(std::memory_order_relaxed);
        if (kicked) {
            // Link loss or an operator's "down": at once, not at period end.
            if (!usable) {
                if (HealthCause c = health_step(h.health, false, false, threshold(w, r), recovery); c != HealthCause::None)
                    publish(w, r, h, c, now);
                h.sent = false;
            } else if (h.health.state == HealthState::Down && !h.sent) {
                h.next_tsc = now;  // link back: start probing now
            }
        }
        // Between period ends: an up route whose last reply is Threshold x
        // Delay old is down now, not at the next period end.
        const uint64_t silence = delay_tsc(w, r) * threshold(w, r);
        uint64_t deadline = UINT64_MAX;
        if (h.health.state == HealthState::Up) {
            RouteLive& live = dp.route_live[r.route_id];
            deadline = std::max(live.last_reply_tsc.load(std::memory_order_relaxed), h.up_since) + silence;
            if (now >= deadline) {
                if (HealthCause c = health_timeout(h.health, threshold(w, r)); c != HealthCause::None) publish(w, r, h, c, now);
                deadline = UINT64_MAX;
            }
        }
        if (now >= h.next_tsc) {
            if (h.sent) {
                RouteLive& live = dp.route_live[r.route_id];
                const uint32_t acked = live.acked_seq.load(std::memory_order_acquire);
                const bool answered = acked != h.acked_seen;
                h.acked_seen = acked;
                if (!answered) live.periods_missed.fetch_add(1, std::memory_order_relaxed);
                if (HealthCause c = health_step(h.health, usable, answered, threshold(w, r), recovery); c != HealthCause::None) {
                    if (h.health.state == HealthState::Up) {
                        h.up_since = now;
                        deadline = now + silence;
                    }
                    publish(w, r, h, c, now);
                }
            }
            h.sent = false;
            // A down route keeps being probed, except without link.
            if (usable && r.resolved) {
                send_request(w, r, h, now);
                sent++;
            }
            h.next_tsc = now + delay_tsc(w, r);
        }
        next = std::min({next, h.next_tsc, deadline});
    }
    w.hb_next_tsc = next;
    return sent;
}

void heartbeat_input(Worker& w, uint16_t port_index, rte_mbuf* m, const RxResult& c) {
    Dataplane& dp = *w.dp;
    uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
    if (unlikely(!signed_message_ok(c.hdr, c.payload_len, dp.auth_key))) {
        drop_packet(w, m, DropReason::rx_bad_auth);
        return;
    }
    if (unlikely(c.payload_len != sizeof(wire::HeartbeatPayload))) {
        drop_packet(w, m, DropReason::rx_bad_length);
        return;
    }
    const RouteEntry* r = arrival_route(*c.peer, port_index, c.family, f);
    if (unlikely(r == nullptr)) {
        drop_packet(w, m, DropReason::rx_hb_no_route);
        return;
    }
    wire::HeartbeatPayload p;
    std::memcpy(&p, f + c.payload_off, sizeof p);
    RouteLive& live = dp.route_live[r->route_id];
    const uint32_t seq = rte_be_to_cpu_32(c.hdr->seq);

    if (static_cast<wire::MsgType>(c.hdr->type) == wire::MsgType::HeartbeatReq) {
        const uint32_t boot = rte_be_to_cpu_32(p.boot_id);
        // A peer's requests on a route count up from its start: an old or
        // repeated one is a replay and gets no answer. A new boot id (the
        // peer restarted) starts the count again.
        if (boot == live.peer_boot.load(std::memory_order_relaxed) &&
            !seq_after(seq, live.peer_req_seq.load(std::memory_order_relaxed))) {
            drop_packet(w, m, DropReason::rx_replay);
            return;
        }
        live.peer_boot.store(boot, std::memory_order_relaxed);
        live.peer_req_seq.store(seq, std::memory_order_relaxed);
        live.req_rcvd.fetch_add(1, std::memory_order_relaxed);
        // Answer in place, on our side of the same route.
        wire::HeartbeatPayload rep = payload_for(w, *r, static_cast<HealthState>(live.state.load(std::memory_order_relaxed)));
        rep.echo_boot_id = p.boot_id;
        rep.echo_seq = rte_cpu_to_be_32(seq);
        rep.tx_time = p.tx_time;
        const uint32_t rep_seq = static_cast<uint32_t>(live.rep_sent.fetch_add(1, std::memory_order_relaxed) + 1);
        rte_pktmbuf_reset(m);
        const size_t len = signed_message_len(r->family, sizeof rep);
        auto* out = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(len)));
        build_signed_message(out, *r, wire::MsgType::HeartbeatRep, rep_seq, &rep, sizeof rep, dp.auth_key);
        request_csum_offload(m, *r);
        tx_enqueue(w, r->port_index, m);
        return;
    }

    // A reply counts only if it answers one of our requests of this life
    // that is newer than the last one answered: a replayed or forged reply
    // can never keep a dead route alive.
    const uint32_t echo = rte_be_to_cpu_32(p.echo_seq);
    if (rte_be_to_cpu_32(p.echo_boot_id) != dp.boot_id) {
        drop_packet(w, m, DropReason::rx_replay);
        return;
    }
    if (seq_after(echo, live.sent_seq.load(std::memory_order_acquire))) {
        drop_packet(w, m, DropReason::rx_hb_unexpected);
        return;
    }
    uint32_t acked = live.acked_seq.load(std::memory_order_relaxed);
    do {
        if (!seq_after(echo, acked)) {
            drop_packet(w, m, DropReason::rx_replay);
            return;
        }
    } while (!live.acked_seq.compare_exchange_weak(acked, echo, std::memory_order_release, std::memory_order_relaxed));
    const uint64_t now = rte_rdtsc();
    const uint64_t sent_at = rte_be_to_cpu_64(p.tx_time);
    const uint64_t rtt_ns =
        now > sent_at ? static_cast<uint64_t>(static_cast<double>(now - sent_at) * 1e9 / static_cast<double>(dp.tsc_hz)) : 0;
    const uint32_t rtt = static_cast<uint32_t>(std::min<uint64_t>(rtt_ns, UINT32_MAX));
    live.last_reply_tsc.store(now, std::memory_order_relaxed);
    live.rtt_last_ns.store(rtt, std::memory_order_relaxed);
    const uint32_t srtt = live.rtt_srtt_ns.load(std::memory_order_relaxed);
    live.rtt_srtt_ns.store(srtt == 0 ? rtt : static_cast<uint32_t>(srtt + (static_cast<int64_t>(rtt) - srtt) / 8),
                           std::memory_order_relaxed);
    live.rtt_hist[rtt_bucket(rtt_ns)].fetch_add(1, std::memory_order_relaxed);
    live.rep_rcvd.fetch_add(1, std::memory_order_relaxed);
    rte_pktmbuf_free(m);
}

}  // namespace ftnet
