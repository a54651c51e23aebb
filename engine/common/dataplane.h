// State shared between the control thread and the worker lcores.
//
// One Dataplane exists per engine. Fields are grouped by who writes them;
// each says who reads it and with which ordering. Nothing here takes a lock.
#pragma once

#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <atomic>
#include <cstdint>

#include "engine/common/counters.h"
#include "engine/common/limits.h"
#include "engine/common/net_addr.h"
#include "engine/common/route_table.h"

namespace ftnet {

enum class PortRole : uint8_t { Physical, Adapter };

// Fixed when the engine starts; read-only afterwards (any thread, no ordering).
struct PortInfo {
    uint16_t port_id;  // DPDK ethdev id
    PortRole role;
    uint16_t nb_rxq;
    uint16_t nb_txq;
    int socket;        // NUMA socket of the port (or of the workers for virtual ports)
    MacAddr mac;
    char name[32];     // config name
};

struct alignas(64) PortLive {
    // written: control thread (link monitor, `ftnetctl link`); read: workers (relaxed).
    // True when the link has carrier and the operator has not set it down.
    std::atomic<bool> usable{false};
};

struct alignas(64) RouteLive {
    // written: control thread and heartbeat code; read: workers (relaxed).
    // Whether route selection may use this route (the table also requires
    // the route to be resolved and its port usable).
    std::atomic<bool> up{true};
};

struct Dataplane {
    // --- fixed at start (read-only afterwards) ---
    uint16_t n_ports = 0;
    PortInfo ports[kMaxPorts];
    uint16_t adapter_index = 0;  // engine port index of ftnet0
    uint16_t port_index_by_id[RTE_MAX_ETHPORTS];
    uint16_t n_workers = 0;
    rte_rcu_qsbr* qsbr = nullptr;  // one thread id per worker (its index)
    rte_ring* to_control = nullptr;                 // workers -> control: MP enqueue, SC dequeue
    rte_ring* from_control[kMaxWorkers] = {};       // control -> worker i: SP/SC, frames to send
    int control_wakeup_fd = -1;                     // eventfd the control thread sleeps on
    WorkerCounters* counters[kMaxWorkers] = {};     // worker i writes counters[i]

    // --- written by the control thread ---
    // The route snapshot. Written: control thread (release store);
    // read: workers (acquire load, once per poll loop).
    std::atomic<RouteTable*> routes{nullptr};
    PortLive port_live[kMaxPorts];
    RouteLive route_live[kMaxRoutes];
    // Written: control thread; read: workers (relaxed) each loop.
    std::atomic<bool> stop{false};

    // --- written by both ---
    // The control thread sets it before sleeping; a worker that hands it a
    // packet clears it and, if it was set, writes the eventfd: one syscall
    // per control-thread sleep, never one per packet.
    std::atomic<bool> control_sleeping{false};
};

}  // namespace ftnet
