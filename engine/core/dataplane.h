// State shared between the control thread and the worker lcores.
//
// One Dataplane exists per engine. Fields are grouped by who writes them;
// each says who reads it and with which ordering. Nothing here takes a lock.
#pragma once

#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <atomic>
#include <cstdint>

#include "engine/core/adapter_identity.h"
#include "engine/core/counters.h"
#include "engine/core/datapath_registry.h"
#include "engine/core/limits.h"
#include "engine/core/net_addr.h"
#include "engine/tunnel/route_table.h"
#include "engine/security/key_ring.h"
#include "engine/security/replay_windows.h"

namespace ftnet {
struct PolicyTable;  // engine/policy/policy_table.h
}

namespace ftnet {

// Physical: a cluster network port. Adapter: ftnet0. Host: the kernel
// interface that stands for a physical port on the host (exception path,
// engine/host_path/).
enum class PortRole : uint8_t { Physical, Adapter, Host };

// Fixed when the engine starts; read-only afterwards (any thread, no ordering).
struct PortInfo {
    uint16_t port_id;  // DPDK ethdev id
    PortRole role;
    uint16_t nb_rxq;
    uint16_t nb_txq;
    int socket;        // NUMA socket of the port (or of the workers for virtual ports)
    MacAddr mac;
    char name[32];     // config name
    // Physical: its host interface's engine port index; Host: the physical
    // port it stands for. kMaxPorts: none.
    uint16_t host_peer = kMaxPorts;
};

struct alignas(64) PortLive {
    // written: control thread (link monitor, `ftnetctl link`), release,
    // before it bumps Dataplane::hb_kick; read: workers (acquire).
    // True when the link has carrier and the operator has not set it down.
    std::atomic<bool> usable{false};
    // Why the port is not usable when it is the operator's doing (routes
    // then go down as "set down by the operator", which is not a flap).
    std::atomic<bool> admin_down{false};
};

inline constexpr size_t kRttBuckets = 12;
// Upper bounds (microseconds) of the RTT histogram buckets; the last is open.
inline constexpr uint32_t kRttBucketUs[kRttBuckets - 1] = {25, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 50000, 100000};

inline size_t rtt_bucket(uint64_t rtt_ns) {
    size_t b = 0;
    while (b < kRttBuckets - 1 && rtt_ns > uint64_t{kRttBucketUs[b]} * 1000) b++;
    return b;
}

// Heartbeat state of one route, shared between the worker that owns the
// route (sends its requests, judges it), whichever worker receives its
// replies or the peer's requests, and the control thread (display, events,
// the peer's link notices).
struct alignas(64) RouteLive {
    // written: owner worker (release); read: workers' route selection
    // (relaxed: a stale value is one frame on the old route), control.
    // Whether route selection may use this route (selection also requires the
    // route to be resolved and its port usable).
    std::atomic<bool> up{false};
    // written: owner worker. The route is known dead by link (ours or the
    // peer's, or the operator's): never used, not even as a last resort.
    std::atomic<bool> dead{false};
    std::atomic<uint8_t> state{0};          // HealthState; written: owner
    std::atomic<uint64_t> changed_tsc{0};   // last state change; written: owner
    std::atomic<uint64_t> held_until_tsc{0};  // flap hold-down end, 0: not held; written: owner
    std::atomic<uint32_t> flaps{0};           // downs in the flap window at the last down; written: owner
    std::atomic<uint32_t> sent_seq{0};      // last request sent; written: owner (release)
    // When the last kSentTimes requests were sent (slot seq % kSentTimes,
    // with the seq it holds): written by the owner (time, then seq with
    // release); read by receivers of the peer's requests, which echo the
    // newest of our requests the peer received.
    static constexpr unsigned kSentTimes = 8;
    std::atomic<uint64_t> sent_time[kSentTimes] = {};
    std::atomic<uint32_t> sent_time_seq[kSentTimes] = {};
    std::atomic<uint32_t> acked_seq{0};     // highest request answered; written: receiver (CAS max)
    std::atomic<uint64_t> last_reply_tsc{0};  // arrival of the last timely reply; written: receiver
    // Arrival of the last authenticated proof that the peer hears us on this
    // route: any valid reply (even late) or a request of the peer that says
    // the route is up. written: receiving workers (relaxed); read: owner.
    std::atomic<uint64_t> last_alive_tsc{0};
    // The most recent gap between proofs longer than a heartbeat period:
    // when it ended and how long it was (a peer that stalled and resumed).
    std::atomic<uint64_t> gap_end_tsc{0};
    std::atomic<uint64_t> gap_len_tsc{0};
    std::atomic<uint32_t> peer_boot{0};     // boot id of the peer's last request; written: receiver
    // The peer's reported send skew (HeartbeatPayload::send_skew_us) in TSC
    // cycles; written: receiver (relaxed); read: owner.
    std::atomic<uint64_t> peer_skew_tsc{0};
    std::atomic<uint32_t> peer_req_seq{0};  // its highest request sequence; written: receiver
    std::atomic<uint32_t> rtt_last_ns{0};   // written: receiver (timely replies only)
    std::atomic<uint32_t> rtt_srtt_ns{0};   // smoothed (1/8), written: receiver
    // written: control thread (release, then Dataplane::hb_kick); read and
    // cleared by the owner. The peer told us (LINK_NOTICE) that its end of
    // this route lost its link: the route is down at once.
    std::atomic<bool> peer_link_down{false};
    std::atomic<uint64_t> req_sent{0};      // counters: fetch_add at heartbeat rate, read: control
    std::atomic<uint64_t> rep_rcvd{0};      // timely replies (within Threshold x Delay)
    std::atomic<uint64_t> rep_late{0};      // replies older than Threshold x Delay: lost for the statistics
    std::atomic<uint64_t> req_rcvd{0};
    std::atomic<uint64_t> rep_sent{0};
    std::atomic<uint64_t> periods_missed{0};
    std::atomic<uint64_t> periods_unjudged{0};  // this node stalled: no verdict
    std::atomic<uint64_t> periods_alive{0};     // no timely reply, but another sign of the peer
    std::atomic<uint64_t> rtt_hist[kRttBuckets] = {};
};

inline constexpr uint16_t kNoRoute = 0xffff;

// A route changed state, or a worker-wide observation (route_id kNoRoute):
// workers -> control thread on Dataplane::route_events.
struct RouteEvent {
    uint64_t tsc;       // when the owner decided it
    uint16_t route_id;  // kNoRoute: not about one route (WorkerStall)
    uint8_t state;      // HealthState
    uint8_t cause;      // HealthCause
    uint32_t detail;    // periods missed or answered; stall or silence in microseconds
    uint32_t hold_ms;   // a flap hold-down started with this down (0: none)
    uint16_t flaps;     // downs within the flap window
    uint16_t worker;    // the worker that decided it
    // A down for missed heartbeats: how long the route had been silent, and
    // how long ago another route to the same peer last heard it (UINT32_MAX:
    // no other route up), so the log tells a network failure from a peer
    // that went quiet.
    uint32_t silent_us;
    uint32_t others_us;
};
static_assert(sizeof(RouteEvent) == 32);

struct Dataplane {
    // --- fixed at start (read-only afterwards) ---
    // What the modules run on the workers (message handlers, pollers).
    const DatapathRegistry* handlers = &datapath_registry();
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
    rte_ring* route_events = nullptr;               // workers -> control: MP enqueue of RouteEvent
    uint32_t boot_id = 0;                           // random at each start; in every heartbeat
    // This life's epoch (docs/wire-format.md 10.3): the upper 16 bits of
    // every sequence this node seals with, different at each start.
    uint16_t epoch = 0;
    // Receive replay windows, by RouteTable peer index (kMaxPeers of them;
    // engine/security/replay_windows.h).
    PeerReplayWindows* replay = nullptr;
    // The control thread's sequence counter (wire::kControlSpace); only the
    // control thread touches it.
    uint64_t control_counter = 0;
    uint64_t tsc_hz = 0;

    // --- written by the control thread ---
    // The route snapshot. Written: control thread (release store);
    // read: workers (acquire load, once per poll loop).
    std::atomic<RouteTable*> routes{nullptr};
    // The cluster keys (engine/security/key_ring.h). Written: the security
    // module (release store, RCU); read: workers (acquire, once per poll
    // loop) and the control thread.
    std::atomic<KeyRing*> keys{nullptr};
    // The traffic policy (engine/policy/policy_table.h). Written: the policy
    // module (release store, RCU); read: workers (acquire, once per poll
    // loop). nullptr: no policy.
    std::atomic<PolicyTable*> policy{nullptr};
    PortLive port_live[kMaxPorts];
    RouteLive route_live[kMaxRoutes];
    // Bumped (release) after a port's usability or a route's peer_link_down
    // changes: owner workers (acquire) re-judge their routes at once instead
    // of at their next heartbeat period.
    std::atomic<uint32_t> hb_kick{0};
    // The newest link notice accepted from each peer (by node id): its boot
    // id << 32 | its notice sequence. Written by whichever worker receives a
    // notice (CAS); a notice not newer is a replay.
    std::atomic<uint64_t> notice_seen[kMaxNodeId + 1] = {};
    // Written: control thread; read: workers (relaxed) each loop.
    std::atomic<bool> stop{false};

    // --- written by both ---
    // The control thread sets it before sleeping; a worker that hands it a
    // packet clears it and, if it was set, writes the eventfd: one syscall
    // per control-thread sleep, never one per packet.
    std::atomic<bool> control_sleeping{false};
    // The same for each worker that waits for traffic (Worker::idle_epoll_fd):
    // it sets its flag before waiting; whoever hands it work it cannot see on
    // its rx queues (frames on from_control, an hb_kick, a new route table,
    // stop) clears the flag and, if it was set, writes worker_wakeup_fd
    // (engine/core/worker_wakeup.h).
    std::atomic<bool> worker_waiting[kMaxWorkers] = {};
    int worker_wakeup_fd[kMaxWorkers] = {};  // eventfds; -1 for a worker that never waits
};

}  // namespace ftnet
