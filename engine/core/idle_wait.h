// An idle worker waits for traffic instead of sleeping a fixed time.
//
// When every rx queue of a worker can signal arrivals (PortHandle::
// rx_wake_fds: tap rx interrupts, af_packet and af_xdp sockets), the engine
// gives the worker an epoll set of those fds plus an eventfd of its own
// (Dataplane::worker_wakeup_fd, written by engine/core/worker_wakeup.h).
// The worker then waits on it, when it has found nothing to do for
// idle_polls polls, until a frame arrives, it is handed work, or its next
// heartbeat is due. A worker with a queue that cannot signal (ring, null, a
// NIC) keeps the timed back-off; a dedicated host (idle_sleep_max_us = 0)
// busy-polls and never waits.
//
// idle_wait_open/idle_wait_close: main thread, before launch / after the
// workers stopped. idle_wait: the worker itself.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/worker.h"

namespace ftnet {

// Builds the worker's epoll set from `queue_fds` (one per Worker::rxq, in
// order). Returns "" when the worker will wait for traffic, else why not
// (the worker then backs off on a timer). Throws EngineError-like
// std::runtime_error only when the kernel refuses an epoll or eventfd.
std::string idle_wait_open(Worker& w, const std::vector<int>& queue_fds);

void idle_wait_close(Worker& w);

enum class IdleWake : uint8_t {
    Timeout,  // nothing came: the heartbeat deadline (or the cap) passed
    Traffic,  // one of the worker's rx queues signalled
    Work,     // handed work (a frame from the control thread, a kick, a table, stop)
};

// Waits at most `timeout_ns`; says what ended the wait.
IdleWake idle_wait(Worker& w, uint64_t timeout_ns);

}  // namespace ftnet
