// The control thread's event loop: one epoll over the file descriptors that
// modules register, periodic timers, and per-iteration hooks (draining the
// rings workers feed). Modules add what they need at start-up; the loop knows
// none of them.
//
// Control (main) thread only. Callbacks run on it, one at a time; a callback
// may add or remove descriptors and timers.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace ftnet {

class ControlLoop {
  public:
    using FdHandler = std::function<void(uint32_t epoll_events)>;
    // For owners of many descriptors (the management socket's clients):
    // returns true if the descriptor was theirs.
    using FdOwner = std::function<bool(int fd, uint32_t epoll_events)>;
    using Timer = std::function<void(uint64_t now_ms)>;
    using Hook = std::function<void(uint64_t now_ms)>;
    using Pending = std::function<bool()>;

    ControlLoop();
    ~ControlLoop();
    ControlLoop(const ControlLoop&) = delete;
    ControlLoop& operator=(const ControlLoop&) = delete;

    int epoll_fd() const { return ep_; }

    // Readable events of `fd` call `h`. A descriptor added twice is a
    // RegistryError naming both users.
    void add_fd(int fd, const std::string& owner, FdHandler h);
    void remove_fd(int fd);
    void add_fd_owner(const std::string& owner, FdOwner o);

    // `t` runs every `period_ms` (first at the first iteration); returns an
    // id for fire_soon().
    size_t add_timer(const std::string& owner, uint64_t period_ms, Timer t);
    // Runs timer `id` at the next iteration instead of at its period.
    void fire_soon(size_t id);

    // Runs after every wake-up, in registration order (drain rings, publish
    // tables).
    void add_hook(const std::string& owner, Hook h);
    // Runs after the hooks and the timers that fell due (publish what they
    // changed).
    void add_final_hook(const std::string& owner, Hook h);
    // Checked just before sleeping: true means work is waiting (a ring is
    // not empty), so do not sleep. Called with the workers' wake-up flag
    // already raised, so nothing enqueued after the check can be missed.
    void add_pending(Pending p);
    // Called before every sleep and after it (the workers' wake-up protocol,
    // engine/core/dataplane.h: Dataplane::control_sleeping).
    void set_sleep_edges(std::function<void()> before, std::function<void()> after);

    // Runs until stop(); the longest sleep is the earliest timer.
    void run();
    void stop() { running_ = false; }

  private:
    struct TimerSlot {
        std::string owner;
        uint64_t period_ms;
        uint64_t next_ms;
        Timer fn;
    };
    struct FdSlot {
        std::string owner;
        FdHandler fn;
    };
    int ep_ = -1;
    bool running_ = false;
    std::map<int, FdSlot> fds_;
    std::vector<std::pair<std::string, FdOwner>> owners_;
    std::vector<TimerSlot> timers_;
    std::vector<std::pair<std::string, Hook>> hooks_, final_hooks_;
    std::vector<Pending> pending_;
    std::function<void()> before_sleep_, after_sleep_;
};

}  // namespace ftnet
