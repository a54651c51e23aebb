// Heartbeats on the worker lcores: per-route request/reply with RTT, so that
// failure detection never waits for the control thread.
//
// Each route has one owner worker (RouteTable::hb_refs). The owner keeps its
// routes in a schedule ordered by when each next needs attention (period
// end, silence deadline, end of a stall grace or of a flap hold-down), so a
// poll costs O(routes due), not O(routes owned). At a period end it judges
// the period (route_health.h), publishes the route's state for route
// selection, queues a route event for the control thread when it changed,
// and sends the next request. Replies and the peer's requests reach
// whichever worker polls the queue they land on, after admission has
// checked the tag, the route binding and the replay window
// (engine/security/datapath/admit.h); it checks the heartbeat sequences (an
// answer to an old request proves nothing new), answers requests in place,
// and records what it saw in the route's atomics for the owner.
//
// Three rules keep a busy host from accusing its networks:
//   - the worker measures its own lateness; time it was not running is never
//     counted as silence of the peer, and a period it stalled in is not
//     judged;
//   - every authenticated sign that the peer hears us on a route (a reply,
//     even a late one; its request saying the route is up; tunnel data, for
//     at most one extra detection time) keeps the route alive;
//   - when every route to every peer is silent at the same instant, the
//     cause is a stall (ours or the peer's host), not the networks: the
//     routes are held up for StallGrace before they go down, and the episode
//     is counted and reported once.

#include <rte_cycles.h>
#include <rte_prefetch.h>

#include <algorithm>

#include "engine/tunnel/protected_message.h"
#include "engine/tunnel/datapath/arrival.h"
#include "engine/tunnel/datapath/classify.h"
#include "engine/core/worker.h"
#include "engine/heartbeat/datapath/heartbeat.h"

namespace ftnet {

namespace {

inline unsigned hb_class(const RouteEntry& r) { return r.cross_subnet ? 1 : 0; }

inline RouteLive& live_of(Worker& w, const RouteEntry& r) { return w.dp->route_live[r.route_id]; }

// Adds one to a route's statistics counter and returns the new count. A
// route's frames reach one queue (its 5-tuple is fixed), so one worker
// writes its counters; a plain load and store instead of a locked add
// (which also drains the store buffer) on every message. Should a second
// worker ever receive on the route (in practice one does), a statistics
// count can be lost, never a value torn. rep_rcvd, which the owner's period
// judgment compares, keeps a locked add so that it never goes backwards.
template <typename T>
inline T bump(std::atomic<T>& c, std::memory_order order = std::memory_order_relaxed) {
    const T v = c.load(std::memory_order_relaxed) + 1;
    c.store(v, order);
    return v;
}

wire::HeartbeatPayload payload_for(const RouteTable& rt, const RouteEntry& r, HealthState s) {
    wire::HeartbeatPayload p{};
    const unsigned k = hb_class(r);
    p.boot_id = 0;
    p.interval_ms = rte_cpu_to_be_16(static_cast<uint16_t>(std::min<uint32_t>(rt.hb.delay_ms[k], 65535)));
    p.threshold = static_cast<uint8_t>(rt.hb.health[k].threshold);
    p.route_state = static_cast<uint8_t>(s);
    return p;
}

// This worker's send skew for its heartbeats (tx.cpp), in microseconds.
inline uint32_t send_skew_us(const Worker& w) { return w.skew_us; }

// The peer a route leads to (its template's ftnet header names it).
const PeerEntry* peer_of(const RouteTable& rt, const RouteEntry& r) {
    const auto* h = reinterpret_cast<const wire::Header*>(r.tmpl + outer_l4_off(r.family) + sizeof(rte_udp_hdr));
    return rt.peer(rte_be_to_cpu_16(h->dst_node));
}

inline bool is_down_cause(HealthCause c) {
    return c == HealthCause::Missed || c == HealthCause::LinkDown || c == HealthCause::AdminDown ||
           c == HealthCause::PeerLinkDown;
}

void queue_event(Worker& w, const RouteEvent& ev) {
    if (rte_ring_mp_enqueue_elem(w.dp->route_events, const_cast<RouteEvent*>(&ev), sizeof ev) == 0)
        w.events++;
    else
        w.ctr->drop(DropReason::route_event_ring_full);
}

// The route's state changed (cause): publish it for route selection and the
// control thread. A hold-down that started with this change travels along.
void publish(Worker& w, const RouteEntry& r, HbPrivate& h, HealthCause cause, uint64_t now, bool hold_started) {
    RouteLive& live = w.dp->route_live[r.route_id];
    const HealthState s = h.health.state;
    if (s == HealthState::Up) {
        live.dead.store(false, std::memory_order_relaxed);
        live.peer_link_down.store(false, std::memory_order_relaxed);
    } else if (cause == HealthCause::LinkDown || cause == HealthCause::AdminDown || cause == HealthCause::PeerLinkDown) {
        live.dead.store(true, std::memory_order_relaxed);
    }
    live.held_until_tsc.store(h.health.held ? h.health.hold_until : 0, std::memory_order_relaxed);
    const unsigned k = hb_class(r);
    const HealthConfig& hc = w.rt->hb.health[k];
    const unsigned flaps = hc.flap_threshold ? health_flaps(h.health, hc, now) : 0;
    live.flaps.store(flaps, std::memory_order_relaxed);
    live.state.store(static_cast<uint8_t>(s), std::memory_order_relaxed);
    live.changed_tsc.store(now, std::memory_order_relaxed);
    live.up.store(s == HealthState::Up, std::memory_order_release);
    RouteEvent ev{};
    ev.tsc = now;
    ev.route_id = r.route_id;
    ev.state = static_cast<uint8_t>(s);
    ev.cause = static_cast<uint8_t>(cause);
    ev.detail = cause == HealthCause::Missed ? h.health.misses : h.health.goods;
    ev.hold_ms = hold_started ? static_cast<uint32_t>((h.health.hold_until - now) / (w.dp->tsc_hz / 1000)) : 0;
    ev.flaps = static_cast<uint16_t>(flaps);
    ev.worker = w.index;
    if (cause == HealthCause::Missed) {
        const uint64_t us = w.dp->tsc_hz / 1000000;
        ev.silent_us = static_cast<uint32_t>(std::min<uint64_t>((now - live.last_alive_tsc.load(std::memory_order_relaxed)) / us, UINT32_MAX));
        ev.others_us = UINT32_MAX;
        if (const PeerEntry* pe = peer_of(*w.rt, r))
            for (unsigned i = 0; i < pe->n_routes; i++) {
                const RouteEntry& o = pe->routes[i];
                const RouteLive& ol = w.dp->route_live[o.route_id];
                if (o.route_id == r.route_id || static_cast<HealthState>(ol.state.load(std::memory_order_relaxed)) != HealthState::Up) continue;
                ev.others_us = std::min<uint32_t>(ev.others_us, static_cast<uint32_t>(std::min<uint64_t>(
                    (now - ol.last_alive_tsc.load(std::memory_order_relaxed)) / us, UINT32_MAX - 1)));
            }
    }
    queue_event(w, ev);
}

// Applies a detector transition and publishes it when the state changed.
template <typename F>
void transition(Worker& w, const RouteEntry& r, HbPrivate& h, uint64_t now, F&& step) {
    const bool was_held = h.health.held;
    const HealthCause c = step();
    if (c == HealthCause::None) return;
    publish(w, r, h, c, now, is_down_cause(c) && !was_held && h.health.held);
}

// A message from build_message() on a port that offloads checksums:
// the NIC completes the IPv4 header checksum or the IPv6 UDP checksum.
void request_csum_offload(rte_mbuf* m, const RouteEntry& r) {
    if (!r.tx_csum_offload) return;
    m->ol_flags |= r.family == Family::V6 ? RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM
                                         : RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
    m->l2_len = kOuterL3Off;
    m->l3_len = r.family == Family::V6 ? sizeof(rte_ipv6_hdr) : sizeof(rte_ipv4_hdr);
}

void send_request(Worker& w, const RouteEntry& r, HbPrivate& h, uint64_t now) {
    if (unlikely(w.keys == nullptr)) {
        w.ctr->drop(DropReason::tx_no_key);
        return;
    }
    const uint64_t mseq = next_sequence(w.dp->epoch, w.tx_counter);
    if (unlikely(mseq == 0)) {
        w.ctr->drop(DropReason::tx_seq_exhausted);
        return;
    }
    rte_mbuf* m = rte_pktmbuf_alloc(w.pool);
    if (unlikely(m == nullptr)) {
        w.ctr->drop(DropReason::hb_no_mbuf);
        return;
    }
    wire::HeartbeatPayload p = payload_for(*w.rt, r, h.health.state);
    p.boot_id = rte_cpu_to_be_32(w.dp->boot_id);
    p.send_skew_us = rte_cpu_to_be_32(send_skew_us(w));
    // The newest request of the peer's that we received on this route: it
    // tells the peer when we last heard it (section 3.3 of the wire format).
    p.echo_boot_id = rte_cpu_to_be_32(live_of(w, r).peer_boot.load(std::memory_order_relaxed));
    p.echo_seq = rte_cpu_to_be_32(live_of(w, r).peer_req_seq.load(std::memory_order_relaxed));
    p.tx_time = rte_cpu_to_be_64(now);
    const size_t len = message_len(r.family, sizeof p);
    auto* out = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(len)));
    h.seq++;
    p.seq = rte_cpu_to_be_32(h.seq);
    build_message(out, r, wire::MsgType::HeartbeatReq, &p, sizeof p, *w.keys, static_cast<uint8_t>(w.index), mseq);
    request_csum_offload(m, r);
    RouteLive& live = w.dp->route_live[r.route_id];
    const unsigned slot = h.seq % RouteLive::kSentTimes;
    live.sent_time[slot].store(now, std::memory_order_relaxed);
    live.sent_time_seq[slot].store(h.seq, std::memory_order_release);
    live.sent_seq.store(h.seq, std::memory_order_release);
    bump(live.req_sent);
    h.sent = true;
    tx_enqueue_ctl(w, r.port_index, m);
}

// Sequence numbers compare in serial-number arithmetic (RFC 1982), so a
// route's count wrapping past 2^32 (50 days at 1 ms) is just the next one.
inline bool seq_after(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }

// Tunnel data received on the route by any worker (their per-route counters).
uint64_t data_received(const Worker& w, uint16_t route_id) {
    uint64_t n = 0;
    for (uint16_t i = 0; i < w.dp->n_workers; i++) n += w.dp->counters[i]->route[route_id].rx_pkts.get();
    return n;
}

// The silence deadline of an up route: the end of the Threshold-th period
// after the one in which the last proof that the peer hears us arrived (the
// classic "Threshold heartbeats missed"), in this worker's running time: a
// stall of this worker moves it later by as long as the stall lasted, and
// the peer's reported send skew (its messages on this network may trail
// those on another by that much) moves it later by up to one more
// detection time.
// Tunnel data may carry it one more detection time past the last
// authenticated proof, no further: data proves only that the peer sends,
// not that it hears us, so it can never keep a dead route alive on its own.
uint64_t silence_deadline(const Worker& w, const RouteEntry& r, const HbPrivate& h) {
    const unsigned k = hb_class(r);
    const uint64_t delay = w.rt->hb.delay_tsc[k];
    const uint64_t silence = delay * w.rt->hb.health[k].threshold;
    const uint64_t alive = std::max(w.dp->route_live[r.route_id].last_alive_tsc.load(std::memory_order_relaxed),
                                    h.health.up_since);
    // The period the proof fell in: periods are regular since period_start.
    uint64_t start = h.period_start;
    if (start > alive) start -= (start - alive + delay - 1) / delay * delay;
    // The peer's own send skew, up to one detection time, on top.
    const uint64_t skew = std::min(w.dp->route_live[r.route_id].peer_skew_tsc.load(std::memory_order_relaxed), silence);
    const uint64_t proved = std::max(start, alive - std::min(alive, delay)) + silence + delay + skew + w.stalls.since(alive);
    if (h.data_at <= alive) return proved;
    return std::max(proved, std::min(h.data_at + silence + w.stalls.since(h.data_at), proved + silence));
}

// Records a proof that the peer heard us on a route at time `at` (any
// worker), and the gap before it when that was longer than a period.
inline void note_alive(RouteLive& live, uint64_t at, uint64_t period) {
    const uint64_t last = live.last_alive_tsc.load(std::memory_order_relaxed);
    if (at <= last) return;
    if (last && at - last > period) {
        live.gap_len_tsc.store(at - last, std::memory_order_relaxed);
        live.gap_end_tsc.store(at, std::memory_order_relaxed);
    }
    live.last_alive_tsc.store(at, std::memory_order_relaxed);
}

// When we sent our request `seq` on this route, or 0 when it is no longer
// remembered (older than the last RouteLive::kSentTimes).
inline uint64_t request_sent_at(const RouteLive& live, uint32_t seq) {
    const unsigned slot = seq % RouteLive::kSentTimes;
    if (live.sent_time_seq[slot].load(std::memory_order_acquire) != seq) return 0;
    const uint64_t t = live.sent_time[slot].load(std::memory_order_relaxed);
    return live.sent_time_seq[slot].load(std::memory_order_acquire) == seq ? t : 0;
}

inline uint64_t period_of(const RouteTable& rt, const RouteEntry& r) {
    return rt.hb.delay_tsc[hb_class(r)] + rt.hb.stall_tolerance_tsc;
}

// How a route's silence relates to the peer's other routes.
enum class Silence : uint8_t {
    Own,          // another route kept hearing the peer meanwhile: this route failed
    PeerWide,     // the peer's other routes are silent too: the peer (or this host) stalled
    PeerResumed,  // they were silent too, and the peer has just spoken again on some
};

// Route x has been silent past its deadline. Each other up route of the
// same peer is compared with it: one that kept hearing the peer throughout
// x's silence shows that x failed on its own. One that is silent too (for
// at least half as long), or whose own gap covering much of x's silence has
// just ended, shows a stall of the peer (or of this host): x's messages,
// sent by the same peer after the same stall, are then given two periods
// (or the peer's reported send skew) after another route first heard it
// again (each network's frames leave the peer in a call of their own, so
// they do not arrive together), once per silence.
Silence classify_silence(const Worker& w, const RouteEntry& x, const HbPrivate& h, uint64_t now, uint64_t* resume_until) {
    const RouteTable& rt = *w.rt;
    const Dataplane& dp = *w.dp;
    const PeerEntry* pe = peer_of(rt, x);
    if (!pe) return Silence::Own;
    const uint64_t x_alive = std::max(dp.route_live[x.route_id].last_alive_tsc.load(std::memory_order_relaxed), h.health.up_since);
    const uint64_t x_silent = now - x_alive;
    unsigned others = 0;
    uint64_t resumed = 0, resumed_gap = 0;
    for (unsigned i = 0; i < pe->n_routes; i++) {
        const RouteEntry& y = pe->routes[i];
        if (y.route_id == x.route_id || !dp.port_live[y.port_index].usable.load(std::memory_order_relaxed)) continue;
        const RouteLive& live = dp.route_live[y.route_id];
        if (static_cast<HealthState>(live.state.load(std::memory_order_relaxed)) != HealthState::Up) continue;
        others++;
        const uint64_t need = std::max(x_silent / 2, period_of(rt, y));
        const uint64_t last = live.last_alive_tsc.load(std::memory_order_relaxed);
        if (now - last >= need) continue;  // silent too, like x
        const uint64_t gap_end = live.gap_end_tsc.load(std::memory_order_relaxed);
        const uint64_t gap_len = live.gap_len_tsc.load(std::memory_order_relaxed);
        if (gap_end > x_alive && gap_len >= need) {
            resumed = std::max(resumed, gap_end);  // silent too, until just now
            resumed_gap = std::max(resumed_gap, gap_len);
            continue;
        }
        return Silence::Own;
    }
    if (others == 0) return Silence::Own;  // no other route to compare with
    if (resumed) {
        // After a stall the peer's frames on each network leave one after
        // the other: two periods, or the peer's own reported send skew, or
        // half the stall (a host busy enough to stall the peer for G ms
        // also delays its sends on some networks, measured up to ~G/2 with
        // both cores of the lab host saturated), at most the stall grace.
        const uint64_t skew = std::min(dp.route_live[x.route_id].peer_skew_tsc.load(std::memory_order_relaxed),
                                       rt.hb.delay_tsc[hb_class(x)] * rt.hb.health[hb_class(x)].threshold);
        const uint64_t after_stall = std::min(resumed_gap / 2, rt.hb.stall_grace_tsc);
        *resume_until = resumed + std::max({2 * period_of(rt, x), skew, after_stall});
        return Silence::PeerResumed;
    }
    return Silence::PeerWide;
}

// Every up route with link, to every peer, silent for more than a period:
// the cause is this host, not any one peer.
bool every_peer_silent(const Worker& w, uint64_t now) {
    const RouteTable& rt = *w.rt;
    const Dataplane& dp = *w.dp;
    for (unsigned p = 0; p < rt.n_peers; p++) {
        const PeerEntry& pe = rt.peers[p];
        for (unsigned i = 0; i < pe.n_routes; i++) {
            const RouteEntry& r = pe.routes[i];
            if (!dp.port_live[r.port_index].usable.load(std::memory_order_relaxed)) continue;
            const RouteLive& live = dp.route_live[r.route_id];
            if (static_cast<HealthState>(live.state.load(std::memory_order_relaxed)) != HealthState::Up) continue;
            if (now - live.last_alive_tsc.load(std::memory_order_relaxed) <= rt.hb.delay_tsc[hb_class(r)] + rt.hb.stall_tolerance_tsc)
                return false;
        }
    }
    return true;
}

// May this up route's silence take it down now? Not before another receive
// pass has looked for its messages (the peer's frames on several networks
// arrive together, and the one for this route may land in its queue just
// after the queue was read); not while the peer, silent on every route, has
// only just spoken again on others (its message on this route is on its
// way); and not while every route to the peer is silent at once and the
// stall grace has not run out.
bool may_fail(Worker& w, const RouteEntry& r, HbPrivate& h, uint64_t now) {
    if (h.fail_poll == 0 || h.fail_poll == w.hb_polls) {
        h.fail_poll = w.hb_polls;
        return false;
    }
    if (h.resume_until && now < h.resume_until) return false;
    const uint64_t grace = w.rt->hb.stall_grace_tsc;
    if (grace == 0) return true;
    uint64_t resume = 0;
    // Judged afresh at each visit: once the peer is heard again on another
    // route while this one stays silent, this one failed.
    switch (classify_silence(w, r, h, now, &resume)) {
    case Silence::Own:
        return true;
    case Silence::PeerResumed:
        // Once: a peer that keeps stuttering while its other routes are
        // heard does not keep this one up.
        if (h.resume_until || resume <= now) return true;
        h.resume_until = resume;
        return false;
    case Silence::PeerWide:
        break;
    }
    if (h.suspect_since == 0) {
        h.suspect_since = now;
        if (now >= w.hb_silence_until) {
            // A new episode: counted and reported once, not per route.
            w.ctr->hb_all_silent.add();
            RouteEvent ev{};
            ev.tsc = now;
            ev.route_id = r.route_id;
            ev.state = static_cast<uint8_t>(h.health.state);
            ev.cause = static_cast<uint8_t>(every_peer_silent(w, now) ? HealthCause::AllSilent : HealthCause::PeerSilent);
            const uint64_t alive = w.dp->route_live[r.route_id].last_alive_tsc.load(std::memory_order_relaxed);
            ev.detail = static_cast<uint32_t>(std::min<uint64_t>((now - alive) / (w.dp->tsc_hz / 1000000), UINT32_MAX));
            ev.worker = w.index;
            queue_event(w, ev);
        }
        w.hb_silence_until = std::max(w.hb_silence_until, now + grace);
        return false;
    }
    return now >= h.suspect_since + grace + w.stalls.since(h.suspect_since);
}

// The next time route r needs the owner's attention, after `now`: its
// period end, and for an up route its silence deadline, or (when that has
// passed while every route is silent) the end of the stall grace.
uint64_t due_of(const Worker& w, const RouteEntry& r, const HbPrivate& h, uint64_t now) {
    uint64_t due = h.next_tsc;
    if (h.health.state == HealthState::Up) {
        const uint64_t deadline = silence_deadline(w, r, h);
        if (deadline > now)
            due = std::min(due, deadline);
        else if (h.fail_poll == w.hb_polls)
            due = now + 1;  // look again after the next receive pass
        else if (h.resume_until > now)
            due = std::min(due, h.resume_until);
        else if (h.suspect_since)
            due = std::min(due, h.suspect_since + w.rt->hb.stall_grace_tsc + w.stalls.since(h.suspect_since));
    }
    if (h.health.held) due = std::min(due, h.health.hold_until);
    // Never in the past: a visit always moves the period end past now.
    return due > now ? due : std::max(h.next_tsc, now + 1);
}

// --- the schedule: a binary min-heap of HbTimer on `due` ---

void heap_push(Worker& w, HbTimer t) {
    unsigned i = w.hb_heap_n++;
    while (i > 0) {
        const unsigned parent = (i - 1) / 2;
        if (w.hb_heap[parent].due <= t.due) break;
        w.hb_heap[i] = w.hb_heap[parent];
        i = parent;
    }
    w.hb_heap[i] = t;
}

HbTimer heap_pop(Worker& w) {
    const HbTimer top = w.hb_heap[0];
    const HbTimer last = w.hb_heap[--w.hb_heap_n];
    unsigned i = 0;
    for (;;) {
        unsigned c = 2 * i + 1;
        if (c >= w.hb_heap_n) break;
        if (c + 1 < w.hb_heap_n && w.hb_heap[c + 1].due < w.hb_heap[c].due) c++;
        if (last.due <= w.hb_heap[c].due) break;
        w.hb_heap[i] = w.hb_heap[c];
        i = c;
    }
    if (w.hb_heap_n) w.hb_heap[i] = last;
    return top;
}

// A new route table, or a kick: (re)build the schedule of owned routes. A
// route new to this worker (or back after an absence) starts afresh; one
// kept across tables keeps its state.
void reschedule(Worker& w, uint64_t now, bool kicked) {
    Dataplane& dp = *w.dp;
    const RouteTable& rt = *w.rt;
    const uint64_t prev_gen = w.hb_table_gen;
    w.hb_heap_n = 0;
    for (unsigned i = rt.hb_begin[w.index]; i < rt.hb_begin[w.index + 1]; i++) {
        const HbRef ref = rt.hb_refs[i];
        const RouteEntry& r = rt.peers[ref.peer].routes[ref.route];
        HbPrivate& h = w.hb[r.route_id];
        if (h.gen != prev_gen || prev_gen == ~0ull) {
            h = HbPrivate{};
            h.next_tsc = now;
            // A route that comes back into this worker's schedule (removed
            // from a table and added again) continues its request sequence:
            // restarting at 1 would make every reply look like a replay of
            // one already answered (RouteLive::acked_seq persists).
            h.seq = dp.route_live[r.route_id].sent_seq.load(std::memory_order_relaxed);
        }
        h.gen = rt.generation;
        if (kicked) {
            RouteLive& live = dp.route_live[r.route_id];
            const HealthConfig& hc = rt.hb.health[hb_class(r)];
            const PortLive& port = dp.port_live[r.port_index];
            if (!port.usable.load(std::memory_order_acquire)) {
                // Link loss or an operator's "down": at once, not at period end.
                const HealthCause why = port.admin_down.load(std::memory_order_relaxed) ? HealthCause::AdminDown
                                                                                       : HealthCause::LinkDown;
                transition(w, r, h, now, [&] { return health_link_down(h.health, hc, now, why); });
                if (h.health.state == HealthState::Down) live.dead.store(true, std::memory_order_relaxed);
                h.sent = false;
            } else if (live.peer_link_down.load(std::memory_order_acquire)) {
                transition(w, r, h, now, [&] { return health_link_down(h.health, hc, now, HealthCause::PeerLinkDown); });
                if (h.health.state == HealthState::Down) live.dead.store(true, std::memory_order_relaxed);
            } else if (h.health.state == HealthState::Down && !h.sent) {
                h.next_tsc = now;  // link back: start probing now
            }
        }
        heap_push(w, HbTimer{due_of(w, r, h, now), static_cast<uint16_t>(i)});
    }
    w.hb_table_gen = rt.generation;
}

// Notes how long the worker was away since the previous poll, beyond a sleep
// it meant to take.
void note_stall(Worker& w, uint64_t now) {
    const uint64_t tol = w.rt->hb.stall_tolerance_tsc;
    const uint64_t prev = w.hb_check_tsc;
    const uint64_t expected = w.hb_expected_gap;
    w.hb_expected_gap = 0;
    const bool late_poll = prev != 0 && now > prev + expected + tol;
    if (w.cpu_sample_tsc == 0) {
        w.cpu_sample_tsc = now;
        w.cpu_sample_ns = w.cpu_ns(w.cpu_ctx);
        w.slept_tsc = 0;
        return;
    }
    if (!late_poll && now - w.cpu_sample_tsc < tol) return;
    // Away = wall time - CPU time - meant sleep since the last sample: a
    // loop that was busy (receiving, writing to the kernel) ran all along; a
    // preempted one, or one that overslept, was away.
    const uint64_t cpu = w.cpu_ns(w.cpu_ctx);
    const uint64_t per_us = w.dp->tsc_hz / 1000000;
    const uint64_t ran = (cpu - w.cpu_sample_ns) / 1000 * per_us + w.slept_tsc;
    const uint64_t wall = now - w.cpu_sample_tsc;
    w.cpu_sample_tsc = now;
    w.cpu_sample_ns = cpu;
    w.slept_tsc = 0;
    if (wall <= ran + tol) return;
    const uint64_t late = wall - ran;
    w.stalls.add(now, late);
    w.ctr->hb_stalls.add();
    w.ctr->hb_stall_cycles.add(late);
    if (late > w.ctr->hb_stall_max_cycles.get()) w.ctr->hb_stall_max_cycles.set(late);
    // Tell the control thread of one that lasted half a heartbeat period or
    // more, at most once a second (it reports them in the cluster log,
    // rate-limited); the counters have every one.
    const uint64_t half_period = std::min(w.rt->hb.delay_tsc[0], w.rt->hb.delay_tsc[1]) / 2;
    if (late >= half_period && now - w.hb_stall_event_tsc >= w.dp->tsc_hz) {
        w.hb_stall_event_tsc = now;
        RouteEvent ev{};
        ev.tsc = now;
        ev.route_id = kNoRoute;
        ev.cause = static_cast<uint8_t>(HealthCause::WorkerStall);
        ev.detail = static_cast<uint32_t>(std::min<uint64_t>(late / (w.dp->tsc_hz / 1000000), UINT32_MAX));
        ev.worker = w.index;
        queue_event(w, ev);
    }
}

// One visit of an owned route that is due.
void visit(Worker& w, const RouteEntry& r, HbPrivate& h, uint64_t now) {
    Dataplane& dp = *w.dp;
    RouteLive& live = dp.route_live[r.route_id];
    const unsigned k = hb_class(r);
    const HealthConfig& hc = w.rt->hb.health[k];
    w.hb_visits++;

    // Between period ends: an up route silent past its deadline is down now.
    if (h.health.state == HealthState::Up) {
        if (now >= silence_deadline(w, r, h)) {
            if (may_fail(w, r, h, now)) {
                h.suspect_since = 0;
                h.fail_poll = 0;
                h.resume_until = 0;
                transition(w, r, h, now, [&] { return health_silence(h.health, hc, now); });
            }
        } else {
            h.suspect_since = 0;  // the peer spoke: it was a stall
            h.fail_poll = 0;
            h.resume_until = 0;
        }
    }
    if (h.health.held) transition(w, r, h, now, [&] { return health_hold_check(h.health, hc, now); });
    if (now < h.next_tsc) return;

    // A period ended: judge it.
    const uint64_t rep = live.rep_rcvd.load(std::memory_order_acquire);
    const uint64_t alive = live.last_alive_tsc.load(std::memory_order_relaxed);
    const uint64_t data = data_received(w, r.route_id);
    if (h.sent) {
        PeriodOutcome o;
        if (rep != h.rep_seen)
            o = PeriodOutcome::Answered;
        else if (alive != h.alive_seen || data != h.data_seen)
            o = PeriodOutcome::Alive;
        else if (w.stalls.since(h.period_start) != 0)
            o = PeriodOutcome::Unjudged;
        else
            o = PeriodOutcome::Missed;
        if (o == PeriodOutcome::Missed) live.periods_missed.fetch_add(1, std::memory_order_relaxed);
        if (o == PeriodOutcome::Unjudged) live.periods_unjudged.fetch_add(1, std::memory_order_relaxed);
        if (o == PeriodOutcome::Alive) live.periods_alive.fetch_add(1, std::memory_order_relaxed);
        bool allow = true;
        if (h.health.state == HealthState::Up && health_would_fail(h.health, hc, o)) allow = may_fail(w, r, h, now);
        transition(w, r, h, now, [&] { return health_period(h.health, hc, o, now, allow); });
        if (h.health.state != HealthState::Up) {
            h.fail_poll = 0;
            h.suspect_since = 0;
            h.resume_until = 0;
        }
        if (h.health.state == HealthState::Up && o == PeriodOutcome::Answered && live.peer_link_down.load(std::memory_order_relaxed))
            live.peer_link_down.store(false, std::memory_order_relaxed);
    }
    if (data != h.data_seen) h.data_at = now;
    h.rep_seen = rep;
    h.alive_seen = alive;
    h.data_seen = data;
    h.sent = false;
    // A down route keeps being probed, except without link.
    if (dp.port_live[r.port_index].usable.load(std::memory_order_relaxed) && r.resolved) send_request(w, r, h, now);
    h.period_start = now;
    h.next_tsc = next_period_end(w.rt->hb, now, k);
}

constexpr unsigned kVisitBatch = 64, kVisitAhead = 4;

// A due route's table entry (template and fields: two lines).
inline void prefetch_entry(const RouteEntry& r) {
    rte_prefetch0(&r);
    rte_prefetch0(reinterpret_cast<const uint8_t*>(&r) + RTE_CACHE_LINE_SIZE);
}

// Its heartbeat state, once the entry (which names the route) is in.
inline void prefetch_state(const Worker& w, const RouteEntry& r) {
    const HbPrivate& h = w.hb[r.route_id];
    rte_prefetch0(&h);
    rte_prefetch0(reinterpret_cast<const uint8_t*>(&h) + sizeof h - 1);
    const RouteLive& live = w.dp->route_live[r.route_id];
    rte_prefetch0(&live);
    rte_prefetch0(&live.req_sent);
}

}  // namespace

unsigned heartbeat_poll(Worker& w, uint64_t now) {
    Dataplane& dp = *w.dp;
    const uint32_t kick = dp.hb_kick.load(std::memory_order_acquire);
    const bool kicked = kick != w.hb_kick_seen;
    if (kicked || w.rt->generation != w.hb_table_gen) {
        w.hb_kick_seen = kick;
        reschedule(w, now, kicked);
    }
    // A worker that owns no routes has nothing to judge (nor stalls to note).
    if (w.hb_heap_n == 0) {
        w.hb_next_tsc = UINT64_MAX;
        return 0;
    }
    w.hb_polls++;
    note_stall(w, now);
    unsigned sent = 0;
    const RouteTable& rt = *w.rt;
    // The routes due now, taken off the schedule a batch at a time: on the
    // send grid they are all due at once, and each one's state (its table
    // entry, then its private and shared heartbeat state) is fetched a few
    // routes ahead instead of missing in turn.
    while (w.hb_heap_n && w.hb_heap[0].due <= now) {
        HbTimer due[kVisitBatch];
        const RouteEntry* re[kVisitBatch];
        unsigned n = 0;
        while (n < kVisitBatch && w.hb_heap_n && w.hb_heap[0].due <= now) {
            due[n] = heap_pop(w);
            const HbRef ref = rt.hb_refs[due[n].ref];
            re[n] = &rt.peers[ref.peer].routes[ref.route];
            if (n < 2 * kVisitAhead) prefetch_entry(*re[n]);
            n++;
        }
        for (unsigned i = 0; i < n && i < kVisitAhead; i++) prefetch_state(w, *re[i]);
        for (unsigned i = 0; i < n; i++) {
            if (i + 2 * kVisitAhead < n) prefetch_entry(*re[i + 2 * kVisitAhead]);
            if (i + kVisitAhead < n) prefetch_state(w, *re[i + kVisitAhead]);
            const RouteEntry& r = *re[i];
            HbPrivate& h = w.hb[r.route_id];
            const uint32_t seq = h.seq;
            visit(w, r, h, now);
            sent += h.seq != seq;
            due[i].due = due_of(w, r, h, now);
            heap_push(w, due[i]);
        }
    }
    w.hb_next_tsc = w.hb_heap_n ? w.hb_heap[0].due : UINT64_MAX;
    w.hb_check_tsc = now;
    return sent;
}

void heartbeat_input(Worker& w, uint16_t, rte_mbuf* m, const RxResult& c) {
    Dataplane& dp = *w.dp;
    uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
    // Admitted already (engine/security/datapath/admit.h): authentic, fresh,
    // and bound to the route it arrived on.
    if (unlikely(c.payload_len != sizeof(wire::HeartbeatPayload))) {
        drop_packet(w, m, DropReason::rx_bad_length);
        return;
    }
    const RouteEntry* r = c.route;
    wire::HeartbeatPayload p{};
    std::memcpy(&p, f + c.payload_off, c.payload_len);
    RouteLive& live = dp.route_live[r->route_id];
    const uint32_t seq = rte_be_to_cpu_32(p.seq);
    // Authenticated: the peer's word on how late its messages on one
    // network may come behind another's.
    live.peer_skew_tsc.store(uint64_t{rte_be_to_cpu_32(p.send_skew_us)} * w.rt->hb.tsc_per_us, std::memory_order_relaxed);

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
        bump(live.req_rcvd);
        // The peer hears us on this route (it says so): proof of life.
        // It echoes the newest of our requests the peer received: the peer
        // heard us (and we hear it) as of when we sent that one. An echo of
        // an old request, after a one-way failure towards the peer, proves
        // nothing new.
        if (rte_be_to_cpu_32(p.echo_boot_id) == dp.boot_id && p.echo_seq != 0 &&
            !seq_after(rte_be_to_cpu_32(p.echo_seq), live.sent_seq.load(std::memory_order_acquire)))
            if (const uint64_t at = request_sent_at(live, rte_be_to_cpu_32(p.echo_seq)))
                note_alive(live, at, period_of(*w.rt, *r));
        // Answer in place, on our side of the same route.
        wire::HeartbeatPayload rep =
            payload_for(*w.rt, *r, static_cast<HealthState>(live.state.load(std::memory_order_relaxed)));
        rep.boot_id = rte_cpu_to_be_32(dp.boot_id);
        rep.send_skew_us = rte_cpu_to_be_32(send_skew_us(w));
        rep.echo_boot_id = p.boot_id;
        rep.echo_seq = rte_cpu_to_be_32(seq);
        rep.tx_time = p.tx_time;
        const uint32_t rep_seq = static_cast<uint32_t>(bump(live.rep_sent));
        rep.seq = rte_cpu_to_be_32(rep_seq);
        const uint64_t mseq = next_sequence(dp.epoch, w.tx_counter);
        if (unlikely(mseq == 0)) {
            drop_packet(w, m, DropReason::tx_seq_exhausted);
            return;
        }
        rte_pktmbuf_reset(m);
        const size_t len = message_len(r->family, sizeof rep);
        auto* out = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(len)));
        build_message(out, *r, wire::MsgType::HeartbeatRep, &rep, sizeof rep, *w.keys, static_cast<uint8_t>(w.index), mseq);
        request_csum_offload(m, *r);
        tx_enqueue_ctl(w, r->port_index, m);
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
    const uint64_t now = rx_time(w);
    const uint64_t sent_at = rte_be_to_cpu_64(p.tx_time);
    const uint64_t age = now > sent_at ? now - sent_at : 0;
    note_alive(live, now, period_of(*w.rt, *r));
    // A reply older than the detection time proves the peer is alive now,
    // but the request it answers was lost as far as the statistics go (a
    // paused peer answering its backlog must not look like 0 % loss or
    // distort the RTT).
    const unsigned k = hb_class(*r);
    if (age > w.rt->hb.delay_tsc[k] * w.rt->hb.health[k].threshold) {
        live.rep_late.fetch_add(1, std::memory_order_relaxed);
        rte_pktmbuf_free(m);
        return;
    }
    const uint64_t rtt_ns = tsc_to_ns(w.rt->hb, age, dp.tsc_hz);
    const uint32_t rtt = static_cast<uint32_t>(std::min<uint64_t>(rtt_ns, UINT32_MAX));
    live.last_reply_tsc.store(now, std::memory_order_relaxed);
    live.rtt_last_ns.store(rtt, std::memory_order_relaxed);
    const uint32_t srtt = live.rtt_srtt_ns.load(std::memory_order_relaxed);
    live.rtt_srtt_ns.store(srtt == 0 ? rtt : static_cast<uint32_t>(srtt + (static_cast<int64_t>(rtt) - srtt) / 8),
                           std::memory_order_relaxed);
    bump(live.rtt_hist[rtt_bucket(rtt_ns)]);
    live.rep_rcvd.fetch_add(1, std::memory_order_release);
    rte_pktmbuf_free(m);
}

}  // namespace ftnet
