// Waking a worker that waits for traffic (engine/core/idle_wait.h) when it
// is handed work that does not arrive on its rx queues.
//
// Any thread may call these, after it made the work visible (enqueued the
// frame, bumped the counter, published the table): the full fence pairs with
// the waiting worker's, so either the worker sees the work when it re-checks
// before waiting, or we see its flag and write its eventfd. One syscall per
// wait at most, never one per frame.
#pragma once

#include <sys/eventfd.h>

#include <atomic>

#include "engine/core/dataplane.h"

namespace ftnet {

// The hand-over idiom for any thread that sleeps on an eventfd after
// raising `sleeping` (a waiting worker; the control thread, whose flag is
// Dataplane::control_sleeping): the caller made the work visible first.
inline void wake_if_sleeping(std::atomic<bool>& sleeping, int eventfd_fd) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (sleeping.load(std::memory_order_relaxed) && sleeping.exchange(false, std::memory_order_acq_rel))
        eventfd_write(eventfd_fd, 1);
}

inline void wake_worker(Dataplane& dp, unsigned w) { wake_if_sleeping(dp.worker_waiting[w], dp.worker_wakeup_fd[w]); }

inline void wake_workers(Dataplane& dp) {
    for (unsigned w = 0; w < dp.n_workers; w++) wake_worker(dp, w);
}

// Owner workers re-judge their routes now (Dataplane::hb_kick).
inline void kick_heartbeats(Dataplane& dp) {
    dp.hb_kick.fetch_add(1, std::memory_order_release);
    wake_workers(dp);
}

}  // namespace ftnet
