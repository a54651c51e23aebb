// The local management socket: a UNIX stream socket speaking one JSON
// object per line each way ({"cmd": "...", "args": {...}} ->
// {"ok": true, "result": ...} or {"ok": false, "error": "..."}).
//
// Access: the socket file is 0600 (root), or 0660 with group ownership when
// management.socket_group is set; accepted peers are checked again with
// SO_PEERCRED. A malformed or failing request gets an error reply and the
// connection stays usable. {"cmd": "events"} subscribes the connection to
// the event stream (one JSON object per line, until it closes).
//
// Control thread only; non-blocking, driven by the control loop's epoll.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "engine/core/command_registry.h"

namespace ftnet {

class MgmtServer {
  public:
    using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;

    static constexpr size_t kMaxLine = 64 * 1024;
    static constexpr size_t kMaxClients = 32;

    // Creates and listens; throws std::runtime_error (e.g. another daemon
    // already serves the path).
    MgmtServer(std::string path, const std::string& group, Handler handler);
    ~MgmtServer();
    MgmtServer(const MgmtServer&) = delete;
    MgmtServer& operator=(const MgmtServer&) = delete;

    void attach(int epoll_fd);
    // Handles an epoll event if `fd` is ours; returns false otherwise.
    bool on_event(int fd, uint32_t events);
    const std::string& path() const { return path_; }

    // One request line in, one reply line out (without the newline). The
    // request {"cmd": "events"} turns the connection into an event stream:
    // *subscribe is set (when given) and every broadcast() follows.
    std::string handle_line(const std::string& line, bool* subscribe = nullptr);

    // Sends one event (a JSON line) to every subscribed connection. A
    // subscriber that falls more than kMaxBacklog behind is disconnected.
    void broadcast(const nlohmann::json& event);
    size_t subscribers() const;

    static constexpr size_t kMaxBacklog = 4 * 1024 * 1024;

  private:
    struct Client {
        std::string in;
        std::string out;
        bool subscriber = false;
    };
    void accept_clients();
    void close_client(int fd);
    void flush(int fd, Client& c);
    void update_interest(int fd, const Client& c);

    std::string path_;
    Handler handler_;
    int listen_fd_ = -1;
    int epoll_fd_ = -1;
    unsigned allowed_gid_ = ~0u;
    std::map<int, Client> clients_;
};

}  // namespace ftnet
