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

struct DatapathRegistry {
    static constexpr unsigned kMaxPollers = 8;

    MessageHandler message[256] = {};
    const char* message_owner[256] = {};
    WorkerPoller pollers[kMaxPollers] = {};
    const char* poller_owner[kMaxPollers] = {};
    unsigned n_pollers = 0;

    void on_message(uint8_t type, MessageHandler h, const char* module);
    void add_poller(WorkerPoller p, const char* module);
};

// Every module's handlers (engine/modules.def).
const DatapathRegistry& datapath_registry();

}  // namespace ftnet
