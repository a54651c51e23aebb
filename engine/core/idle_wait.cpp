#include "engine/core/idle_wait.h"

#include <fmt/format.h>
#include <rte_ring.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ftnet {

namespace {

constexpr uint32_t kWakeupTag = 0;  // epoll data of the worker's eventfd; rx queues are 1 + index

}  // namespace

std::string idle_wait_open(Worker& w, const std::vector<int>& queue_fds) {
    Dataplane& dp = *w.dp;
    if (w.cfg.idle_sleep_max_us == 0) return "busy-polls (dataplane.idle_sleep_max_us = 0)";
    if (!w.cfg.idle_wakeup) return "timed back-off (dataplane.idle_wakeup = false)";
    for (unsigned q = 0; q < w.n_rxq; q++)
        if (q >= queue_fds.size() || queue_fds[q] < 0)
            return fmt::format("timed back-off: rx queue {} of port {} cannot signal arrivals",
                               w.rxq[q].queue, dp.ports[w.rxq[q].port_index].name);
    const int ep = epoll_create1(EPOLL_CLOEXEC);
    const int ev = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (ep < 0 || ev < 0) {
        const int err = errno;
        if (ep >= 0) close(ep);
        if (ev >= 0) close(ev);
        throw std::runtime_error(fmt::format("worker {}: cannot create its epoll set ({})", w.index, std::strerror(err)));
    }
    // Edge-triggered: a queue's fd wakes us when frames arrive (every
    // arrival signals it), never merely for being in a state, which
    // matters when a port's link is down: its af_packet socket then reports
    // POLLERR for as long as it lasts, and a level-triggered wait would
    // return at once, every time. The worker only waits after polls that
    // found every queue empty, so no frame can be waiting unsignalled.
    auto add = [&](int fd, uint32_t tag) {
        epoll_event e{};
        e.events = EPOLLIN | EPOLLET;
        e.data.u32 = tag;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) != 0) {
            const int err = errno;
            close(ep);
            close(ev);
            throw std::runtime_error(fmt::format("worker {}: cannot watch fd {} ({})", w.index, fd, std::strerror(err)));
        }
    };
    add(ev, kWakeupTag);
    for (unsigned q = 0; q < w.n_rxq; q++) {
        add(queue_fds[q], 1 + q);
        if (w.rxq[q].early_wake) w.early_wake_fds[w.n_early_wake_fds++] = queue_fds[q];
    }
    w.idle_epoll_fd = ep;
    dp.worker_wakeup_fd[w.index] = ev;
    return "";
}

void idle_wait_close(Worker& w) {
    if (w.idle_epoll_fd >= 0) close(w.idle_epoll_fd);
    w.idle_epoll_fd = -1;
    int& ev = w.dp->worker_wakeup_fd[w.index];
    if (ev >= 0) close(ev);
    ev = -1;
}

IdleWake idle_wait(Worker& w, uint64_t timeout_ns) {
    Dataplane& dp = *w.dp;
    std::atomic<bool>& waiting = dp.worker_waiting[w.index];
    waiting.store(true, std::memory_order_seq_cst);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    // Work handed over just before the flag went up: do not wait for it.
    if (!rte_ring_empty(dp.from_control[w.index]) ||
        dp.hb_kick.load(std::memory_order_relaxed) != w.hb_kick_seen ||
        dp.routes.load(std::memory_order_relaxed) != w.rt || dp.stop.load(std::memory_order_relaxed)) {
        waiting.store(false, std::memory_order_relaxed);
        return IdleWake::Work;
    }
    epoll_event evs[kMaxRxQueuesPerWorker + 1];
    timespec ts{static_cast<time_t>(timeout_ns / 1000000000u), static_cast<long>(timeout_ns % 1000000000u)};
    const int n = epoll_pwait2(w.idle_epoll_fd, evs, kMaxRxQueuesPerWorker + 1, &ts, nullptr);
    waiting.store(false, std::memory_order_relaxed);
    IdleWake why = n > 0 ? IdleWake::Work : IdleWake::Timeout;
    w.woke_early = false;
    for (int i = 0; i < n; i++) {
        if (evs[i].data.u32 == kWakeupTag) {
            eventfd_t v;
            eventfd_read(dp.worker_wakeup_fd[w.index], &v);
        } else {
            why = IdleWake::Traffic;
            if (w.rxq[evs[i].data.u32 - 1].early_wake) w.woke_early = true;
        }
    }
    return why;
}

}  // namespace ftnet
