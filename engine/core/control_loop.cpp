#include "engine/core/control_loop.h"

#include <fmt/format.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <system_error>

#include "engine/core/mono_clock.h"
#include "engine/core/registry_error.h"

namespace ftnet {

ControlLoop::ControlLoop() {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
}

ControlLoop::~ControlLoop() {
    if (ep_ >= 0) close(ep_);
}

void ControlLoop::add_fd(int fd, const std::string& owner, FdHandler h) {
    if (fd < 0) throw RegistryError(fmt::format("{}: cannot watch an invalid file descriptor", owner));
    if (auto it = fds_.find(fd); it != fds_.end())
        throw RegistryError(fmt::format("{}: file descriptor {} is already watched for {}", owner, fd, it->second.owner));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) != 0)
        throw std::system_error(errno, std::generic_category(), fmt::format("{}: epoll_ctl ADD {}", owner, fd));
    fds_[fd] = FdSlot{owner, std::move(h)};
}

void ControlLoop::remove_fd(int fd) {
    if (fds_.erase(fd)) epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr);
}

void ControlLoop::add_fd_owner(const std::string& owner, FdOwner o) { owners_.emplace_back(owner, std::move(o)); }

size_t ControlLoop::add_timer(const std::string& owner, uint64_t period_ms, Timer t) {
    if (period_ms == 0) throw RegistryError(fmt::format("{}: a timer needs a period of at least 1 ms", owner));
    timers_.push_back(TimerSlot{owner, period_ms, 0, std::move(t)});
    return timers_.size() - 1;
}

void ControlLoop::fire_soon(size_t id) {
    if (id < timers_.size()) timers_[id].next_ms = 0;
}

void ControlLoop::add_hook(const std::string& owner, Hook h) { hooks_.emplace_back(owner, std::move(h)); }

void ControlLoop::add_final_hook(const std::string& owner, Hook h) { final_hooks_.emplace_back(owner, std::move(h)); }

void ControlLoop::add_pending(Pending p) { pending_.push_back(std::move(p)); }

void ControlLoop::set_sleep_edges(std::function<void()> before, std::function<void()> after) {
    before_sleep_ = std::move(before);
    after_sleep_ = std::move(after);
}

void ControlLoop::run() {
    running_ = true;
    while (running_) {
        uint64_t now = mono_ms();
        uint64_t next = UINT64_MAX;
        for (auto& t : timers_) next = std::min(next, t.next_ms);
        int timeout = next == UINT64_MAX ? -1 : next > now ? static_cast<int>(std::min<uint64_t>(next - now, 1000)) : 0;
        if (before_sleep_) before_sleep_();
        for (auto& p : pending_)
            if (p()) timeout = 0;
        epoll_event evs[16];
        const int n = epoll_wait(ep_, evs, 16, timeout);
        if (after_sleep_) after_sleep_();
        now = mono_ms();
        for (int i = 0; i < n; i++) {
            const int fd = evs[i].data.fd;
            if (auto it = fds_.find(fd); it != fds_.end()) {
                FdHandler h = it->second.fn;  // the handler may remove itself
                h(evs[i].events);
                continue;
            }
            for (auto& [owner, o] : owners_)
                if (o(fd, evs[i].events)) break;
        }
        for (auto& [owner, h] : hooks_) h(now);
        for (auto& t : timers_) {
            if (now < t.next_ms) continue;
            t.next_ms = now + t.period_ms;
            t.fn(now);
        }
        for (auto& [owner, h] : final_hooks_) h(now);
    }
}

}  // namespace ftnet
