// The worker poll loop: receive bursts, run the packet stages, transmit,
// report RCU quiescence, and back off when there is nothing to do.

#include "engine/core/datapath_registry.h"
#include "engine/core/idle_wait.h"
#include "engine/core/worker.h"
#include "engine/core/worker_wakeup.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_prefetch.h>
#include <sys/eventfd.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <time.h>

#include <algorithm>

namespace ftnet {

namespace {

// How long a worker polls after a wake-up that may precede its frame
// (RxQueueRef::early_wake), in case the PMD's SIGIO handler runs late.
constexpr uint64_t kEarlyWakePollUs = 200;

// Frames per queue whose mbuf and first lines are fetched before any is
// handled; the burst handlers prefetch the rest as they go.
constexpr unsigned kRxPrefetch = 4;

// Frames the control thread built (ARP/ND replies, HELLOs) go out through
// the worker's own tx queues.
unsigned drain_from_control(Worker& w) {
    rte_mbuf* pkts[kMaxBurst];
    unsigned n = rte_ring_sc_dequeue_burst(w.dp->from_control[w.index], reinterpret_cast<void**>(pkts),
                                           kMaxBurst, nullptr);
    for (unsigned i = 0; i < n; i++) {
        uint16_t pi = pkts[i]->port < RTE_MAX_ETHPORTS ? w.dp->port_index_by_id[pkts[i]->port] : kMaxPorts;
        if (unlikely(pi >= w.dp->n_ports)) {
            drop_packet(w, pkts[i], DropReason::ctl_bad_port);
            continue;
        }
        tx_enqueue_ctl(w, pi, pkts[i]);
    }
    if (n) w.ctr->from_control.add(n);
    return n;
}

// One syscall per control-thread sleep at most, never one per packet. The
// fence pairs with the control thread's: either it sees what we enqueued
// when it re-checks the rings before sleeping, or we see that it sleeps.
inline void wake_control(Worker& w) { wake_if_sleeping(w.dp->control_sleeping, w.dp->control_wakeup_fd); }

void idle_sleep(unsigned us) {
    timespec ts{0, static_cast<long>(us) * 1000};
    nanosleep(&ts, nullptr);
}

}  // namespace

uint64_t thread_cpu_ns(void*) {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

unsigned worker_poll_once(Worker& w) {
    Dataplane& dp = *w.dp;
    w.rt = dp.routes.load(std::memory_order_acquire);
    w.keys = dp.keys.load(std::memory_order_acquire);
    w.policy = dp.policy.load(std::memory_order_acquire);
    w.punted = 0;
    unsigned moved = 0;
    // Every queue is read before any frame is handled, and the first frames
    // of each are prefetched meanwhile: when traffic is light and spread
    // over ports (a peer's heartbeats arrive one per network), each burst
    // holds one frame, and its cache misses would otherwise be taken one
    // queue after the other.
    for (unsigned q = 0; q < w.n_rxq; q++) {
        const RxQueueRef& rq = w.rxq[q];
        const uint16_t n = rte_eth_rx_burst(rq.port_id, rq.queue, w.rx_pkts[q], w.cfg.burst);
        w.rx_n[q] = n;
        for (unsigned i = 0; i < n && i < kRxPrefetch; i++) rte_prefetch0(w.rx_pkts[q][i]);
    }
    for (unsigned q = 0; q < w.n_rxq; q++)
        for (unsigned i = 0; i < w.rx_n[q] && i < kRxPrefetch; i++) prefetch_frame_start(w.rx_pkts[q][i]);
    for (unsigned q = 0; q < w.n_rxq; q++) {
        const uint16_t n = w.rx_n[q];
        if (n == 0) continue;
        const RxQueueRef& rq = w.rxq[q];
        moved += n;
        switch (rq.role) {
        case PortRole::Adapter:
            adapter_input(w, w.rx_pkts[q], n);
            break;
        case PortRole::Physical:
            physical_input(w, rq.port_index, w.rx_pkts[q], n);
            break;
        case PortRole::Host:
            // Only engines with host interfaces have such queues, and only
            // when a module provides the host path (checked at start).
            dp.handlers->host_input(w, rq.port_index, w.rx_pkts[q], n);
            break;
        }
    }
    moved += drain_from_control(w);
    w.events = 0;
    const DatapathRegistry& reg = *dp.handlers;
    for (unsigned i = 0; i < reg.n_pollers; i++) moved += reg.pollers[i](w, rte_rdtsc());
    tx_flush_all(w);
    if (w.punted || w.events) wake_control(w);
    return moved;
}

int worker_main(void* arg) {
    Worker& w = *static_cast<Worker*>(arg);
    Dataplane& dp = *w.dp;
    // Let short back-off sleeps be short: the default 50 us timer slack
    // would add that much to every wake-up.
    prctl(PR_SET_TIMERSLACK, 1000UL);
    for (unsigned i = 0; i < w.n_early_wake_fds; i++) {
        f_owner_ex owner{F_OWNER_TID, static_cast<pid_t>(gettid())};
        fcntl(w.early_wake_fds[i], F_SETOWN_EX, &owner);  // best effort: the polling below covers a failure
    }
    rte_rcu_qsbr_thread_register(dp.qsbr, w.index);
    rte_rcu_qsbr_thread_online(dp.qsbr, w.index);

    unsigned idle = 0, sleep_us = 0;
    uint64_t settle_until = 0;  // polling after an early wake-up until then (TSC); 0: not
    const uint64_t tsc_us = std::max<uint64_t>(dp.tsc_hz / 1000000, 1);
    while (!dp.stop.load(std::memory_order_relaxed)) {
        const uint64_t t0 = rte_rdtsc();
        const unsigned moved = worker_poll_once(w);
        rte_rcu_qsbr_quiescent(dp.qsbr, w.index);
        w.ctr->loops.add();
        if (moved) {
            w.ctr->busy_loops.add();
            w.ctr->busy_pkts.add(moved);
            w.ctr->busy_cycles.add(rte_rdtsc() - t0);
            idle = 0;
            sleep_us = 0;
            continue;
        }
        if (w.cfg.idle_sleep_max_us == 0 || ++idle < w.cfg.idle_polls) continue;
        if (settle_until && rte_rdtsc() < settle_until) continue;
        settle_until = 0;
        // Never sleep through a heartbeat that is due.
        const uint64_t now = rte_rdtsc();
        if (w.hb_next_tsc <= now) continue;
        const uint64_t until_hb = w.hb_next_tsc - now;
        uint64_t plan;  // TSC cycles
        if (w.idle_epoll_fd >= 0) {
            // Traffic wakes us: wait up to the next heartbeat (a second at
            // most, so that a worker without routes still looks around).
            plan = std::min<uint64_t>(until_hb, dp.tsc_hz);
        } else {
            sleep_us = std::min(sleep_us ? sleep_us * 2 : 1u, w.cfg.idle_sleep_max_us);
            plan = std::min<uint64_t>(uint64_t{sleep_us} * tsc_us, until_hb + tsc_us);
        }
        // Offline while asleep, so that the control thread's grace periods
        // do not wait for us.
        rte_rcu_qsbr_thread_offline(dp.qsbr, w.index);
        // The heartbeat detector must not take this sleep for a stall, only
        // what the kernel adds to it.
        const uint64_t t_sleep = rte_rdtsc();
        w.hb_expected_gap = (t_sleep - w.hb_check_tsc) + plan;
        if (w.idle_epoll_fd >= 0) {
            const IdleWake why = idle_wait(w, plan * 1000 / tsc_us);
            // A queue that signals before its frame can be read (RxQueueRef::
            // early_wake) would not signal again (edge-triggered): poll it
            // for up to kEarlyWakePollUs before waiting again.
            if (why == IdleWake::Traffic && w.woke_early) settle_until = rte_rdtsc() + kEarlyWakePollUs * tsc_us;
            if (why == IdleWake::Traffic) w.ctr->woken_by_traffic.add();
            if (why == IdleWake::Work) w.ctr->woken_for_work.add();
        } else {
            idle_sleep(static_cast<unsigned>(plan / tsc_us));
        }
        w.slept_tsc += std::min(rte_rdtsc() - t_sleep, plan);
        rte_rcu_qsbr_thread_online(dp.qsbr, w.index);
        w.ctr->sleeps.add();
    }
    tx_flush_all(w);
    rte_rcu_qsbr_thread_offline(dp.qsbr, w.index);
    rte_rcu_qsbr_thread_unregister(dp.qsbr, w.index);
    return 0;
}

}  // namespace ftnet
