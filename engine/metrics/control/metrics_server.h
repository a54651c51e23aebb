// A minimal HTTP/1.0 server for Prometheus scrapes: GET /metrics answers
// the text exposition and closes. Anything else gets a short error (400,
// 404, 405, 431) and is closed; a client that sends nothing within 5 s, or
// stops reading its answer for 5 s, is closed; past max_clients at once,
// new connections are closed at once (counted). One read and one write per
// readiness event, never blocking the control thread.
//
// Control thread only; driven by the control loop's epoll (attach()).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "engine/metrics/control/metrics_config.h"

namespace ftnet {

class MetricsServer {
  public:
    using Render = std::function<std::string()>;

    // Listens where `s` says; std::runtime_error naming the address and the
    // reason when it cannot.
    MetricsServer(const MetricsSettings& s, Render render);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    void attach(int epoll_fd);
    // Handles an epoll event if `fd` is ours; returns false otherwise.
    bool on_event(int fd, uint32_t events);
    // Closes the clients that made no progress for 5 s.
    void expire(uint64_t now_ms);

    struct Stats {
        uint64_t scrapes = 0, errors = 0, refused = 0, timed_out = 0;
    };
    const Stats& stats() const { return stats_; }
    size_t clients() const { return clients_.size(); }

  private:
    struct Client {
        std::string in, out;
        size_t sent = 0;
        uint64_t last_ms = 0;
    };
    void accept_all();
    void on_readable(int fd, Client& c);
    void respond(int fd, Client& c, int code, const char* reason, const std::string& type, const std::string& body);
    void flush(int fd, Client& c);
    void drop(int fd);

    MetricsSettings settings_;
    Render render_;
    int listen_fd_ = -1;
    int epoll_fd_ = -1;
    std::map<int, Client> clients_;
    Stats stats_;
};

}  // namespace ftnet
