// The heartbeat detector on the workers: each owner worker sends its
// routes' requests when due and judges them (heartbeat_poll, registered as a
// worker poller); whichever worker receives a heartbeat answers or accounts
// it (heartbeat_input, registered for HEARTBEAT_REQ and _REP).
//
// Worker lcores only (and tests that drive a Worker directly).
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

namespace ftnet {

struct Worker;
struct RxResult;

// Sends due requests and judges owned routes; returns the requests sent.
unsigned heartbeat_poll(Worker& w, uint64_t now_tsc);
// Answers or accounts a received heartbeat (m is consumed).
void heartbeat_input(Worker& w, uint16_t port_index, rte_mbuf* m, const RxResult& c);

}  // namespace ftnet
