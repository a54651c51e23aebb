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

inline void wake_worker(Dataplane& dp, unsigned w) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (dp.worker_waiting[w].load(std::memory_order_relaxed) &&
        dp.worker_waiting[w].exchange(false, std::memory_order_acq_rel))
        eventfd_write(dp.worker_wakeup_fd[w], 1);
}

inline void wake_workers(Dataplane& dp) {
    for (unsigned w = 0; w < dp.n_workers; w++) wake_worker(dp, w);
}

// Owner workers re-judge their routes now (Dataplane::hb_kick).
inline void kick_heartbeats(Dataplane& dp) {
    dp.hb_kick.fetch_add(1, std::memory_order_release);
    wake_workers(dp);
}

}  // namespace ftnet
