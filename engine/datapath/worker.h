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

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstdint>

#include "engine/common/dataplane.h"
#include "engine/common/limits.h"
#include "engine/common/route_table.h"
#include "engine/datapath/route_health.h"

namespace ftnet {

struct RxQueueRef {
    uint16_t port_index;
    uint16_t port_id;
    uint16_t queue;
    PortRole role;
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
};

// The owner worker's private heartbeat state of one route.
struct HbPrivate {
    RouteHealth health;
    bool sent = false;        // a request went out in the current period
    uint32_t seq = 0;         // last request sequence
    uint32_t acked_seen = 0;  // RouteLive::acked_seq at the previous period
    uint64_t next_tsc = 0;    // end of the current period (0: start now)
    uint64_t up_since = 0;    // when the route last came up (its silence deadline starts there at the latest)
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

    // Per-iteration state.
    const RouteTable* rt = nullptr;  // snapshot for this iteration
    unsigned punted = 0;             // frames handed to the control thread

    // "Same destination as the previous frame" cache for adapter input.
    uint64_t cache_gen = ~0ull;  // RouteTable::generation the cache belongs to
    uint8_t cache_mac[6] = {};
    const PeerEntry* cache_peer = nullptr;

    TxBuffer tx[kMaxPorts];
    uint32_t seq[kMaxRoutes] = {};  // DATA sequence per route id (this worker's; informational)

    // Heartbeats of the routes this worker owns (datapath/heartbeat.cpp).
    HbPrivate hb[kMaxRoutes];
    uint64_t hb_next_tsc = 0;     // earliest period end among owned routes
    uint32_t hb_kick_seen = 0;    // Dataplane::hb_kick already acted on
    uint64_t hb_table_gen = ~0ull;
    unsigned events = 0;          // route events queued this iteration
};

// Runs the poll loop until Dataplane::stop; an lcore_function_t.
int worker_main(void* worker);

// One poll-loop iteration; returns the number of packets moved (received,
// sent for the control thread, or heartbeats sent). Exposed for
// the fast-path bench and tests, which drive a worker without launching it.
unsigned worker_poll_once(Worker& w);

// Burst handlers (datapath/physical_input.cpp, datapath/adapter_input.cpp).
void physical_input(Worker& w, uint16_t port_index, rte_mbuf** pkts, uint16_t n);
void adapter_input(Worker& w, rte_mbuf** pkts, uint16_t n);

// Heartbeats (datapath/heartbeat.cpp): send due requests and judge owned
// routes (returns the requests sent); answer or account a received heartbeat
// (m is consumed).
unsigned heartbeat_poll(Worker& w, uint64_t now_tsc);
void heartbeat_input(Worker& w, uint16_t port_index, rte_mbuf* m, const struct RxResult& c);

// Transmit buffering (datapath/tx.cpp).
void tx_flush(Worker& w, uint16_t port_index);
void tx_flush_all(Worker& w);

inline void tx_enqueue(Worker& w, uint16_t port_index, rte_mbuf* m) {
    TxBuffer& b = w.tx[port_index];
    b.pkts[b.n++] = m;
    b.bytes += m->pkt_len;
    if (b.n == 2 * kMaxBurst) tx_flush(w, port_index);
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
