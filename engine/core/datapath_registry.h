// What modules run on the workers: a handler per tunnel message type (the
// tunnel classifies a frame and hands it to the handler of its type) and
// per-loop work (heartbeat timers). Built once from engine/modules.def and
// read-only afterwards; every Dataplane points at it, so workers, tests and
// benches dispatch the same way.
//
// Registration: main thread, once (a type claimed twice, or too many
// pollers, is a RegistryError). Reading: workers, without synchronisation
// (it never changes after it is built).
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

namespace ftnet {

struct Worker;
struct RxResult;

// Consumes m (sends, hands on, or drops and counts it).
using MessageHandler = void (*)(Worker& w, uint16_t port_index, rte_mbuf* m, const RxResult& c);
// Once per poll-loop iteration, after receiving; returns the packets it sent.
using WorkerPoller = unsigned (*)(Worker& w, uint64_t now_tsc);
// A burst received on a host interface (PortRole::Host); consumes the mbufs.
using HostInput = void (*)(Worker& w, uint16_t port_index, rte_mbuf** pkts, uint16_t n);
// A frame received on a physical port that is for the host rather than the
// engine (RxKind::Host), or a copy of one the control thread also gets
// (RxKind::Control). Consumes m when it returns true; returns false (and
// leaves m alone) when the port has no host interface.
using HostOutput = bool (*)(Worker& w, uint16_t port_index, rte_mbuf* m, const RxResult& c);

// What the traffic policy decided for a frame from ftnet0 (the caller
// starts every one at kNoTxDecision).
inline constexpr uint8_t kKeepDscp = 0xff;
struct TxDecision {
    const uint8_t* steer;  // preferred network indexes, best first
    uint8_t n_steer;       // how many (0: the normal ranking)
    uint8_t dscp;          // the outer DSCP of its DATA messages (kKeepDscp: the tunnel's)
};
inline constexpr TxDecision kNoTxDecision{nullptr, 0, kKeepDscp};
// The traffic policy (engine/policy/) on a burst from ftnet0, before route
// selection: drops (and counts) what a rule denies, setting pkts[i] to
// nullptr, fills d[i] for the others, and may reorder the burst (pkts and
// d together) so that higher-priority classes go out first.
using TxPolicy = void (*)(Worker& w, rte_mbuf** pkts, uint16_t n, TxDecision* d);
// The traffic policy on a frame decapsulated for ftnet0: true when a deny
// rule took it (dropped and counted).
using RxPolicy = bool (*)(Worker& w, rte_mbuf* m);

struct DatapathRegistry {
    static constexpr unsigned kMaxPollers = 8;

    MessageHandler message[256] = {};
    const char* message_owner[256] = {};
    WorkerPoller pollers[kMaxPollers] = {};
    const char* poller_owner[kMaxPollers] = {};
    unsigned n_pollers = 0;
    // The exception path (engine/host_path/); null when no module offers one.
    HostInput host_input = nullptr;
    HostOutput host_output = nullptr;
    const char* host_owner = nullptr;
    // The traffic policy (engine/policy/); null when no module offers one.
    TxPolicy tx_policy = nullptr;
    RxPolicy rx_policy = nullptr;
    const char* policy_owner = nullptr;

    void on_message(uint8_t type, MessageHandler h, const char* module);
    void set_host_path(HostInput in, HostOutput out, const char* module);
    void set_policy(TxPolicy tx, RxPolicy rx, const char* module);
    void add_poller(WorkerPoller p, const char* module);
};

// Every module's handlers (engine/modules.def).
const DatapathRegistry& datapath_registry();

}  // namespace ftnet
