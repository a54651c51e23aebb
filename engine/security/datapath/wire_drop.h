// Remembers who sent a refused ftnet message (forged, replayed, moved to
// another route, version 1), for the security module's log line once a
// second: the operator sees the source address and port of an attack or a
// misconfigured node, while a flood costs one sample per 10 ms per worker.
//
// Worker-only (it writes its own WorkerCounters::last_refused); inline.
#pragma once

#include <rte_cycles.h>
#include <rte_udp.h>

#include <cstring>

#include "engine/core/worker.h"
#include "engine/tunnel/encap_template.h"

namespace ftnet {

// The refusals sampled, in admission order; WorkerCounters::refused[i] is
// the last of kRefusals[i].
inline constexpr DropReason kRefusals[WorkerCounters::kRefusalKinds] = {
    DropReason::rx_bad_version, DropReason::rx_source_mismatch, DropReason::rx_wrong_route, DropReason::rx_unknown_key,
    DropReason::rx_bad_space,   DropReason::rx_seq_replay,      DropReason::rx_too_old,     DropReason::rx_bad_auth};

inline int refusal_index(DropReason r) {
    for (unsigned i = 0; i < WorkerCounters::kRefusalKinds; i++)
        if (kRefusals[i] == r) return static_cast<int>(i);
    return -1;
}

inline void note_wire_drop(Worker& w, DropReason why, const uint8_t* frame, Family fam, uint16_t port_index) {
    const int k = refusal_index(why);
    if (k < 0) return;
    DropSample& s = w.ctr->refused[k];
    const uint64_t now = rte_rdtsc();
    if (now - s.last_tsc < w.dp->tsc_hz / 100 && s.last_tsc != 0) return;
    s.last_tsc = now;
    const bool v6 = fam == Family::V6;
    uint8_t a[16] = {};
    std::memcpy(a, frame + kOuterL3Off + (v6 ? 8 : 12), v6 ? 16 : 4);
    const auto* udp = reinterpret_cast<const rte_udp_hdr*>(frame + outer_l4_off(fam));
    uint64_t hi, lo;
    std::memcpy(&hi, a, 8);
    std::memcpy(&lo, a + 8, 8);
    const uint32_t q = s.seq.load(std::memory_order_relaxed);
    s.seq.store(q + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    s.family.store(v6 ? 6 : 4, std::memory_order_relaxed);
    s.addr_hi.store(hi, std::memory_order_relaxed);
    s.addr_lo.store(lo, std::memory_order_relaxed);
    s.src_port.store(rte_be_to_cpu_16(udp->src_port), std::memory_order_relaxed);
    s.port_index.store(port_index, std::memory_order_relaxed);
    s.seq.store(q + 2, std::memory_order_release);
}

}  // namespace ftnet
