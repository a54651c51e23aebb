// LINK_NOTICE received on a cluster port (docs/wire-format.md, section 3.4):
// the peer says that its end of some routes lost (or regained) its link.
// Handled on the worker that receives it, so that route selection stops
// using those routes within about one RTT of the peer's own detection: the
// route is marked, and its owner (kicked) takes it down at once.

#include <rte_byteorder.h>

#include <cstring>

#include "engine/tunnel/encap_template.h"
#include "engine/tunnel/datapath/classify.h"
#include "engine/core/worker.h"
#include "engine/core/worker_wakeup.h"
#include "engine/link/datapath/link_notice_input.h"

namespace ftnet {

namespace {

// The route of `peer` whose local address is `ours` and remote `theirs`.
const RouteEntry* notice_route(const PeerEntry& peer, uint8_t family, const uint8_t* ours, const uint8_t* theirs) {
    const Family fam = family == 6 ? Family::V6 : Family::V4;
    const size_t n = fam == Family::V6 ? 16 : 4;
    const size_t src = fam == Family::V6 ? kOuterL3Off + 8 : kOuterL3Off + 12;
    const size_t dst = fam == Family::V6 ? kOuterL3Off + 24 : kOuterL3Off + 16;
    static constexpr uint8_t kZero[12] = {};
    if (fam == Family::V4 && (std::memcmp(ours + 4, kZero, 12) != 0 || std::memcmp(theirs + 4, kZero, 12) != 0)) return nullptr;
    for (unsigned i = 0; i < peer.n_routes; i++) {
        const RouteEntry& r = peer.routes[i];
        if (r.family == fam && std::memcmp(r.tmpl + src, ours, n) == 0 && std::memcmp(r.tmpl + dst, theirs, n) == 0) return &r;
    }
    return nullptr;
}

// Accepts (boot, seq) if it is the peer's current life and newer than the
// newest notice accepted from it; false for a replay.
bool accept_notice(Dataplane& dp, const PeerEntry& peer, uint32_t boot, uint32_t seq) {
    if (seq == 0) return false;
    // The peer's current boot id, as its (authenticated, replay-checked)
    // heartbeat requests say.
    bool current = false;
    for (unsigned i = 0; i < peer.n_routes && !current; i++)
        current = dp.route_live[peer.routes[i].route_id].peer_boot.load(std::memory_order_relaxed) == boot;
    if (!current) return false;
    std::atomic<uint64_t>& seen = dp.notice_seen[peer.node_id];
    const uint64_t want = uint64_t{boot} << 32 | seq;
    uint64_t old = seen.load(std::memory_order_relaxed);
    do {
        if (static_cast<uint32_t>(old >> 32) == boot && static_cast<int32_t>(seq - static_cast<uint32_t>(old)) <= 0) return false;
    } while (!seen.compare_exchange_weak(old, want, std::memory_order_acq_rel, std::memory_order_relaxed));
    return true;
}

}  // namespace

void link_notice_input(Worker& w, rte_mbuf* m, const RxResult& c) {
    Dataplane& dp = *w.dp;
    // Admitted already (engine/security/datapath/admit.h): authentic and fresh.
    const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*) + c.payload_off;
    wire::LinkNoticeHeader hdr;
    if (unlikely(c.payload_len < sizeof hdr)) {
        drop_packet(w, m, DropReason::rx_notice_malformed);
        return;
    }
    std::memcpy(&hdr, p, sizeof hdr);
    if (unlikely(hdr.count == 0 || hdr.count > wire::kMaxLinkNoticeEntries ||
                 c.payload_len != sizeof hdr + hdr.count * sizeof(wire::LinkNoticeEntry))) {
        drop_packet(w, m, DropReason::rx_notice_malformed);
        return;
    }
    if (unlikely(!accept_notice(dp, *c.peer, rte_be_to_cpu_32(hdr.boot_id), rte_be_to_cpu_32(hdr.seq)))) {
        drop_packet(w, m, DropReason::rx_replay);
        return;
    }
    bool changed = false;
    for (unsigned i = 0; i < hdr.count; i++) {
        wire::LinkNoticeEntry e;
        std::memcpy(&e, p + sizeof hdr + i * sizeof e, sizeof e);
        const RouteEntry* r = (e.family == 4 || e.family == 6) && e.state <= wire::kLinkNoticeUp
                                  ? notice_route(*c.peer, e.family, e.receiver_addr, e.sender_addr)
                                  : nullptr;
        if (unlikely(r == nullptr)) {
            w.ctr->drop(DropReason::rx_notice_unknown_route);
            continue;
        }
        RouteLive& live = dp.route_live[r->route_id];
        const bool down = e.state == wire::kLinkNoticeDown;
        if (live.peer_link_down.load(std::memory_order_relaxed) == down) continue;
        live.peer_link_down.store(down, std::memory_order_release);
        changed = true;
    }
    w.ctr->link_notices.add();
    // The owners (maybe this worker) take the routes down at their next poll.
    if (changed) kick_heartbeats(dp);
    rte_pktmbuf_free(m);
}

}  // namespace ftnet
