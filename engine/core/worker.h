// A worker lcore: its private state and its poll loop.
//
// The engine creates one Worker per worker lcore before launching it; after
// launch only that lcore touches the Worker (the control thread reads the
// counters through Dataplane::counters). The loop:
//
//   for each rx queue:  rx burst -> physical_input() or adapter_input()
//   frames queued by the control thread -> tx buffers
//   flush tx buffers, wake the control thread if it was handed packets
//   report RCU quiescence; back off when idle (if configured)
#pragma once

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>

#include <cstdint>

#include "engine/core/dataplane.h"
#include "engine/core/limits.h"
#include "engine/tunnel/datapath/reassembly.h"
#include "engine/tunnel/route_table.h"
#include "engine/heartbeat/datapath/route_health.h"

namespace ftnet {

struct RxQueueRef {
    uint16_t port_index;
    uint16_t port_id;
    uint16_t queue;
    PortRole role;
    // The queue's wake-up may come before its frame can be read (the TAP
    // PMD reads only once its SIGIO handler has seen the arrival): after
    // such a wake the worker polls a while before it waits again.
    bool early_wake = false;
};

struct TxBuffer {
    uint16_t n = 0;
    uint64_t bytes = 0;
    rte_mbuf* pkts[2 * kMaxBurst];
};

struct WorkerConfig {
    uint16_t burst = 32;
    unsigned idle_polls = 256;
    unsigned idle_sleep_max_us = 0;  // 0: busy-poll
    bool idle_wakeup = true;         // wait for traffic where the queues can signal it (idle_wait.h)
};

// The owner worker's private heartbeat state of one route.
struct HbPrivate {
    RouteHealth health;
    bool sent = false;            // a request went out in the current period
    uint32_t seq = 0;             // last request sequence
    uint64_t gen = 0;             // RouteTable::generation it was last scheduled in
    uint64_t period_start = 0;    // when the current period began
    uint64_t next_tsc = 0;        // end of the current period (0: start now)
    uint64_t rep_seen = 0;        // RouteLive::rep_rcvd at the last period end
    uint64_t alive_seen = 0;      // RouteLive::last_alive_tsc at the last period end
    uint64_t data_seen = 0;       // tunnel data received on the route (all workers) at the last period end
    uint64_t data_at = 0;         // the last period end that saw tunnel data
    uint64_t suspect_since = 0;   // silent while every route is: waiting out a stall since then (0: not)
    uint64_t fail_poll = 0;       // the heartbeat poll that first found it silent (0: none)
    uint64_t resume_until = 0;    // the peer just spoke again on other routes: wait for this one until then
};

// The calling thread's CPU time in nanoseconds (CLOCK_THREAD_CPUTIME_ID: a
// system call, so sampled, never per packet).
uint64_t thread_cpu_ns(void* unused);

// This worker's own stalls: times it found that it had not been running
// (its poll loop came back later than it meant to). Silence of a peer during
// a stall never counts against a route.
struct StallLog {
    static constexpr unsigned kSize = 32;
    uint64_t end[kSize] = {};    // when the stall was noticed
    uint64_t dur[kSize] = {};
    uint64_t cum[kSize] = {};    // total stalled time up to and including it
    uint64_t total = 0;          // total stalled time since start
    uint64_t count = 0;          // stalls since start

    void add(uint64_t now, uint64_t d) {
        const unsigned i = static_cast<unsigned>(count % kSize);
        total += d;
        end[i] = now;
        dur[i] = d;
        cum[i] = total;
        count++;
    }
    // Time stalled after t (a stall that straddles t counts whole).
    uint64_t since(uint64_t t) const {
        const uint64_t oldest = count > kSize ? count - kSize : 0;
        for (uint64_t k = count; k > oldest; k--) {
            const unsigned i = static_cast<unsigned>((k - 1) % kSize);
            if (end[i] <= t) return total - cum[i];
        }
        if (count == 0) return 0;
        const unsigned o = static_cast<unsigned>(oldest % kSize);
        return total - (cum[o] - dur[o]);
    }
};

// One owned route in the worker's heartbeat schedule (a binary min-heap on
// `due`): the earliest of its period end, its silence deadline, the end of a
// stall grace and the end of a flap hold-down.
struct HbTimer {
    uint64_t due;
    uint16_t ref;  // index into RouteTable::hb_refs
};

struct alignas(64) Worker {
    Dataplane* dp = nullptr;
    uint16_t index = 0;  // QSBR thread id, tx queue on every port, counters slot
    unsigned lcore = 0;
    WorkerConfig cfg;
    uint16_t n_rxq = 0;
    RxQueueRef rxq[kMaxRxQueuesPerWorker];
    WorkerCounters* ctr = nullptr;
    rte_mempool* pool = nullptr;  // NUMA-local; copies of flooded frames
    int idle_epoll_fd = -1;       // waits for traffic when idle (idle_wait.h); -1: timed back-off
    bool woke_early = false;      // the last wait was ended by an early_wake queue (idle_wait.h)
    // The fds of its early_wake queues: the worker makes itself their SIGIO
    // owner when it starts (worker_main), so that the PMD's handler runs on
    // the worker, before it reads the queue, not on a thread that may not
    // be scheduled for milliseconds.
    int early_wake_fds[kMaxRxQueuesPerWorker] = {};
    unsigned n_early_wake_fds = 0;

    // Per-iteration state.
    const RouteTable* rt = nullptr;  // snapshot for this iteration
    const KeyRing* keys = nullptr;   // the cluster keys for this iteration
    const PolicyTable* policy = nullptr;  // the traffic policy for this iteration (nullptr: none)
    uint64_t tx_counter = 0;         // this worker's sequence space (wire::Header::space = index)
    unsigned punted = 0;             // frames handed to the control thread
    uint64_t rx_tsc = 0;             // read at this iteration's first frame that needs it (0: not yet; rx_time())
    rte_mbuf* rx_pkts[kMaxRxQueuesPerWorker][kMaxBurst];  // this iteration's bursts, one per queue
    uint16_t rx_n[kMaxRxQueuesPerWorker] = {};

    // "Same destination as the previous frame" cache for adapter input.
    uint64_t cache_gen = ~0ull;  // RouteTable::generation the cache belongs to
    uint8_t cache_mac[6] = {};
    const PeerEntry* cache_peer = nullptr;

    // Frames split for a smaller path MTU (fragment.h): the last frame id
    // of this worker's sequence space; and the peers' fragments being
    // reassembled (reassembly.h).
    uint32_t frag_frame_id = 0;
    Reassembly reasm;

    TxBuffer tx[kMaxPorts];
    // Heartbeats, their replies and the control thread's frames: flushed
    // before any data at the end of each loop, so that a burst of data never
    // delays them in the port's queue (or in the kernel's backlog behind it).
    TxBuffer tx_ctl[kMaxPorts];
    // What the host sends through a physical port (exception path): flushed
    // after everything else, tried once, dropped when the queue is full, so
    // the host's traffic never delays or displaces the tunnel's.
    TxBuffer tx_host[kMaxPorts];

    // Heartbeats of the routes this worker owns (datapath/heartbeat.cpp).
    HbPrivate hb[kMaxRoutes];
    HbTimer hb_heap[kMaxRoutes];
    uint16_t hb_heap_n = 0;
    uint64_t hb_next_tsc = 0;       // earliest due among owned routes (the idle sleep never passes it)
    uint32_t hb_kick_seen = 0;      // Dataplane::hb_kick already acted on
    uint64_t hb_table_gen = ~0ull;
    uint64_t hb_check_tsc = 0;      // when heartbeat_poll last ran
    uint64_t hb_expected_gap = 0;   // a sleep the loop meant to take since then
    // Stalls are wall time in which this thread neither ran nor meant to
    // sleep: sampled against its own CPU time (a busy loop is not a stall,
    // a preempted one is), at most every stall tolerance, and at once after
    // a late poll.
    uint64_t (*cpu_ns)(void* ctx) = thread_cpu_ns;  // the thread's CPU time; tests inject their own
    void* cpu_ctx = nullptr;
    uint64_t cpu_sample_tsc = 0;    // when the CPU time was last sampled
    uint64_t cpu_sample_ns = 0;     // the CPU time then
    uint64_t slept_tsc = 0;         // sleep the loop meant to take since then
    StallLog stalls;
    uint64_t hb_stall_event_tsc = 0;  // last WorkerStall event queued (at most one a second)
    uint64_t hb_silence_until = 0;    // an all-routes silence episode is being waited out until then
    uint64_t hb_visits = 0;           // route visits by the schedule (the cost is per route due)
    uint64_t hb_polls = 0;            // heartbeat_poll calls (each follows a receive pass)
    // How far apart this worker's control frames left on different ports in
    // one flush (the kernel may make one port's send pay for unrelated
    // work): the worst of the current and the previous second, reported to
    // peers in every heartbeat (tx.cpp).
    uint64_t skew_cur = 0, skew_prev = 0, skew_bucket_end = 0;
    uint32_t skew_us = 0;  // max(skew_cur, skew_prev) in microseconds
    unsigned events = 0;              // route events queued this iteration
};

// A timestamp for this iteration's received frames, read once, at the first
// frame whose handler needs one (heartbeat replies' RTT, fragments'
// reassembly timeout): all of an
// iteration's bursts were read before any frame was handled.
inline uint64_t rx_time(Worker& w) {
    if (w.rx_tsc == 0) w.rx_tsc = rte_rdtsc();
    return w.rx_tsc;
}

// Fetches the lines a frame's first handlers read (outer headers, the ftnet
// header, a control message's payload and tag: up to three lines). A frame
// written by another core or a NIC misses on each; fetched together, the
// misses overlap instead of following one another.
inline void prefetch_frame_start(const rte_mbuf* m) {
    const auto* f = rte_pktmbuf_mtod(m, const uint8_t*);
    rte_prefetch0(f);
    if (m->data_len > RTE_CACHE_LINE_SIZE) rte_prefetch0(f + RTE_CACHE_LINE_SIZE);
    if (m->data_len > 2 * RTE_CACHE_LINE_SIZE) rte_prefetch0(f + 2 * RTE_CACHE_LINE_SIZE);
}

// Runs the poll loop until Dataplane::stop; an lcore_function_t.
int worker_main(void* worker);

// One poll-loop iteration; returns the number of packets moved (received,
// sent for the control thread, or heartbeats sent). Exposed for
// the fast-path bench and tests, which drive a worker without launching it.
unsigned worker_poll_once(Worker& w);

// Burst handlers (datapath/physical_input.cpp, datapath/adapter_input.cpp).
void physical_input(Worker& w, uint16_t port_index, rte_mbuf** pkts, uint16_t n);
void adapter_input(Worker& w, rte_mbuf** pkts, uint16_t n);

// How late this worker's messages on one network may trail those on
// another: the spread of one flush of control frames over the ports
// (first..last; the kernel can make one port's send pay for unrelated work).
// A stall of the worker itself delays its messages on every network alike,
// which needs no allowance. Kept as the worst of the current and the
// previous second (Worker::skew_*), and reported to peers in every
// heartbeat (HeartbeatPayload::send_skew_us).
void note_send_skew(Worker& w, uint64_t first, uint64_t last);

// Transmit buffering (datapath/tx.cpp). tx_flush_all sends every port's
// control frames first, then its data.
void tx_flush(Worker& w, uint16_t port_index, TxBuffer& b);
void tx_flush_host(Worker& w, uint16_t port_index);
void tx_flush_all(Worker& w);

inline void tx_enqueue(Worker& w, uint16_t port_index, rte_mbuf* m) {
    TxBuffer& b = w.tx[port_index];
    b.pkts[b.n++] = m;
    b.bytes += m->pkt_len;
    if (b.n == 2 * kMaxBurst) tx_flush(w, port_index, b);
}

// For heartbeats and control frames: ahead of the data.
inline void tx_enqueue_host(Worker& w, uint16_t port_index, rte_mbuf* m) {
    TxBuffer& b = w.tx_host[port_index];
    b.pkts[b.n++] = m;
    b.bytes += m->pkt_len;
    if (b.n == 2 * kMaxBurst) tx_flush_host(w, port_index);
}

inline void tx_enqueue_ctl(Worker& w, uint16_t port_index, rte_mbuf* m) {
    TxBuffer& b = w.tx_ctl[port_index];
    b.pkts[b.n++] = m;
    b.bytes += m->pkt_len;
    if (b.n == 2 * kMaxBurst) tx_flush(w, port_index, b);
}

// Hands a frame to the control thread (ARP, ND, ICMP, HELLO). Never blocks:
// when the ring is full the frame is dropped and counted.
inline void punt_to_control(Worker& w, rte_mbuf* m) {
    if (rte_ring_mp_enqueue(w.dp->to_control, m) != 0) {
        w.ctr->drop(DropReason::control_ring_full);
        rte_pktmbuf_free(m);
        return;
    }
    w.ctr->to_control.add();
    w.punted++;
}

inline void drop_packet(Worker& w, rte_mbuf* m, DropReason r) {
    w.ctr->drop(r);
    rte_pktmbuf_free(m);
}

}  // namespace ftnet
