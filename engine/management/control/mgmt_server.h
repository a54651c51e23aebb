// The local management socket: a UNIX stream socket speaking one JSON
// object per line each way, protocol version kProtocolVersion
// (docs/management-protocol.md):
//   {"v": 1, "cmd": "...", "args": {...}}  ->  {"v": 1, "ok": true, "result": ...}
//                                         or  {"v": 1, "ok": false, "error": "..."}
//
// Access (mgmt_access.h): every accepted peer is classified by SO_PEERCRED;
// read-only peers may only send requests that read. A malformed or failing
// request gets an error reply and the connection stays usable.
// {"cmd": "events"} subscribes the connection to the event stream (one
// JSON object per line, until it closes).
//
// Hostile clients cost bounded memory and no service to the others: a line
// longer than kMaxLine is refused and the client closed; past kMaxClients
// (or kMaxClientsPerUser for one non-root user) a new client gets an error
// line and is closed; a client that sends no
// complete request and reads nothing for kIdleMs is closed (subscribers
// excepted); one that does not read its replies is no longer read once
// kMaxBacklog bytes wait for it (its requests wait in the kernel), then
// closed when idle.
//
// Control thread only; non-blocking, driven by the control loop's epoll.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "engine/core/command_registry.h"
#include "engine/management/control/mgmt_access.h"

namespace ftnet {

class MgmtServer {
  public:
    // A request and whether its client may change anything.
    using Handler = std::function<nlohmann::json(const nlohmann::json& request, bool may_change)>;

    static constexpr int kProtocolVersion = 1;
    static constexpr size_t kMaxLine = 64 * 1024;
    static constexpr size_t kMaxClients = 64;
    // Per user other than root and the daemon's own: one local user cannot
    // take every slot from the others.
    static constexpr size_t kMaxClientsPerUser = 16;
    static constexpr size_t kMaxBacklog = 4 * 1024 * 1024;
    static constexpr uint64_t kIdleMs = 10000;

    // Creates and listens; throws std::runtime_error (e.g. another daemon
    // already serves the path, or a configured group does not exist).
    MgmtServer(std::string path, const MgmtAccessConfig& access, Handler handler);
    ~MgmtServer();
    MgmtServer(const MgmtServer&) = delete;
    MgmtServer& operator=(const MgmtServer&) = delete;

    void attach(int epoll_fd);
    // Handles an epoll event if `fd` is ours; returns false otherwise.
    bool on_event(int fd, uint32_t events, uint64_t now_ms);
    // Closes clients idle for kIdleMs; call about once a second.
    void expire(uint64_t now_ms);
    const std::string& path() const { return path_; }
    const MgmtAccess& access() const { return access_; }

    // One request line in, one reply line out (without the newline). The
    // request {"cmd": "events"} turns the connection into an event stream:
    // *subscribe is set (when given) and every broadcast() follows.
    std::string handle_line(const std::string& line, bool may_change, bool* subscribe = nullptr);

    // Sends one event (a JSON line) to every subscribed connection. A
    // subscriber that falls more than kMaxBacklog behind is disconnected.
    void broadcast(const nlohmann::json& event);
    size_t subscribers() const;
    size_t clients() const { return clients_.size(); }

    struct Stats {
        uint64_t accepted = 0, refused_busy = 0, refused_access = 0, closed_idle = 0, closed_overlong = 0,
                 closed_slow = 0, requests = 0, errors = 0, denied = 0;
    };
    const Stats& stats() const { return stats_; }

  private:
    struct Client {
        std::string in;
        std::string out;
        bool subscriber = false;
        bool may_change = false;
        bool reading = true;  // false while its replies wait (kMaxBacklog)
        bool eof = false;     // it closed its side: answer, then close
        uid_t uid = 0;
        uint64_t last_ms = 0;
    };
    void accept_clients(uint64_t now_ms);
    void close_client(int fd);
    void flush(int fd, Client& c);
    void update_interest(int fd, const Client& c);
    void serve_lines(int fd, Client& c);

    std::string path_;
    MgmtAccess access_;
    Handler handler_;
    int listen_fd_ = -1;
    int epoll_fd_ = -1;
    std::map<int, Client> clients_;
    Stats stats_;
};

}  // namespace ftnet
