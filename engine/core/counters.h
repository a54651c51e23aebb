// Per-worker counters.
//
// Each WorkerCounters block has exactly one writer, its worker lcore, which
// adds with relaxed loads and stores (no atomic read-modify-write, no shared
// cache line). The control thread reads any block at any time with relaxed
// loads and sums over workers; a 64-bit aligned load never tears on the
// platforms DPDK supports.
#pragma once

#include <atomic>
#include <cstdint>

#include "engine/core/drop_reason.h"
#include "engine/core/limits.h"

namespace ftnet {

class Counter {
  public:
    // written: the owning worker only
    void add(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    // read: any thread
    uint64_t get() const { return v_.load(std::memory_order_relaxed); }

  private:
    std::atomic<uint64_t> v_{0};
};

// A value its one writer sets (a maximum, a level); read: any thread.
class Gauge {
  public:
    void set(uint64_t v) { v_.store(v, std::memory_order_relaxed); }
    uint64_t get() const { return v_.load(std::memory_order_relaxed); }

  private:
    std::atomic<uint64_t> v_{0};
};

struct PortCounters {
    Counter rx_pkts, rx_bytes, tx_pkts, tx_bytes;
};

struct RouteCounters {
    Counter tx_pkts, tx_bytes, rx_pkts, rx_bytes;
    // Frames from ftnet0 sent as DATA_FRAGMENTs (the path MTU is smaller
    // than the frame), the fragments that made them, and frames rebuilt
    // from a peer's fragments.
    Counter tx_fragmented, tx_fragments, rx_reassembled;
};

// The last frame a worker refused for one reason worth a log line (a forged,
// replayed or version 1 message), for the control thread's rate-limited
// log: who sent it. A seqlock: the worker (its only writer) makes `seq` odd,
// writes, makes it even; a reader retries while it is odd or changed.
struct DropSample {
    std::atomic<uint32_t> seq{0};
    std::atomic<uint16_t> port_index{0};
    std::atomic<uint16_t> src_port{0};  // host order
    std::atomic<uint8_t> family{0};     // 4 or 6
    std::atomic<uint64_t> addr_hi{0}, addr_lo{0};  // outer source, network order bytes
    uint64_t last_tsc = 0;               // worker-private: when it last wrote (at most every 10 ms)
};

struct alignas(64) WorkerCounters {
    PortCounters port[kMaxPorts];     // indexed by engine port index
    Counter drops[kNumDropReasons];   // indexed by DropReason
    RouteCounters route[kMaxRoutes];  // indexed by route id (tunnel DATA only)
    Counter to_control;               // packets handed to the control thread
    Counter from_control;             // packets the control thread asked us to send
    Counter flooded;                  // broadcast/unknown frames copied to several peers
    Counter loops;                    // poll-loop iterations
    Counter busy_loops;               // iterations that moved at least one packet
    Counter busy_cycles;              // TSC cycles spent in busy iterations
    Counter busy_pkts;                // packets moved in busy iterations
    Counter sleeps;                   // idle back-off sleeps or waits for traffic
    Counter woken_by_traffic;         // waits an rx queue ended (idle_wait.h)
    Counter woken_for_work;           // waits ended by a hand-over (control frames, kicks, tables)
    Counter tx_last_resort;           // frames sent on a route with link although no route answered
    Counter hb_stalls;                // times this worker found it had not been running (heartbeats unjudged)
    Counter hb_stall_cycles;          // TSC cycles lost in those stalls
    Gauge hb_stall_max_cycles;        // the longest of them
    Counter link_notices;             // link notices accepted from peers
    Counter hb_all_silent;            // episodes of every route to every peer going silent at once
    Counter key_rx[256];              // messages admitted, by the key id that sealed them
    // The last refused message per kind of refusal (engine/security/datapath/wire_drop.h).
    static constexpr unsigned kRefusalKinds = 8;
    DropSample refused[kRefusalKinds];

    void drop(DropReason r, uint64_t n = 1) { drops[static_cast<size_t>(r)].add(n); }
};

}  // namespace ftnet
