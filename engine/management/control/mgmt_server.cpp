#include "engine/management/control/mgmt_server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "engine/cluster_log/control/cluster_log.h"

namespace ftnet {

namespace {

sockaddr_un unix_addr(const std::string& path) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    return a;
}

bool someone_listens(const std::string& path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_un a = unix_addr(path);
    bool yes = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(fd);
    return yes;
}

}  // namespace

MgmtServer::MgmtServer(std::string path, const MgmtAccessConfig& access, Handler handler)
    : path_(std::move(path)), access_(access), handler_(std::move(handler)) {
    if (path_.size() >= sizeof(sockaddr_un::sun_path))
        throw std::runtime_error(fmt::format("management socket path {} is too long", path_));
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
    if (someone_listens(path_))
        throw std::runtime_error(fmt::format("another ftnetd already serves {}", path_));
    unlink(path_.c_str());  // a stale socket from a crashed daemon

    listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (listen_fd_ < 0) throw std::runtime_error(fmt::format("socket: {}", std::strerror(errno)));
    sockaddr_un a = unix_addr(path_);
    // Create the file with no access, then open it up deliberately.
    mode_t old = umask(0177);
    int rc = bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    umask(old);
    // A deep backlog: a burst of clients waits to be accepted (and, past
    // kMaxClients, told so) rather than failing to connect.
    if (rc < 0 || listen(listen_fd_, SOMAXCONN) < 0) {
        int e = errno;
        close(listen_fd_);
        listen_fd_ = -1;
        throw std::runtime_error(fmt::format("cannot listen on {}: {}", path_, std::strerror(e)));
    }
    if (access_.file_mode() != 0600) {
        if ((access_.file_group() != static_cast<gid_t>(-1) &&
             chown(path_.c_str(), static_cast<uid_t>(-1), access_.file_group()) != 0) ||
            chmod(path_.c_str(), access_.file_mode()) != 0)
            clog::warn("MGMT", "cannot open {} to its groups ({}): {}", path_, access_.describe(), std::strerror(errno));
    }
}

MgmtServer::~MgmtServer() {
    for (auto& [fd, c] : clients_) close(fd);
    if (listen_fd_ >= 0) {
        close(listen_fd_);
        unlink(path_.c_str());
    }
}

void MgmtServer::attach(int epfd) {
    epoll_fd_ = epfd;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = listen_fd_;
    epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd_, &ev);
}

void MgmtServer::accept_clients(uint64_t now_ms) {
    for (;;) {
        int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) return;
        ucred cred{};
        socklen_t len = sizeof cred;
        const MgmtRights rights = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0
                                      ? access_.rights(cred.uid, cred.gid)
                                      : MgmtRights::None;
        size_t same_user = 0;
        for (auto& [cfd, c] : clients_) same_user += c.uid == cred.uid;
        const bool user_full = cred.uid != 0 && cred.uid != geteuid() && same_user >= kMaxClientsPerUser;
        if (rights == MgmtRights::None || clients_.size() >= kMaxClients || user_full) {
            nlohmann::json refusal = {{"v", kProtocolVersion}, {"ok", false}};
            if (rights == MgmtRights::None) {
                stats_.refused_access++;
                refusal["error"] = fmt::format("permission denied: uid {} may not use {} ({})", cred.uid, path_,
                                               access_.describe());
            } else if (user_full) {
                stats_.refused_busy++;
                refusal["error"] = fmt::format("too many management clients of uid {} ({}); try again", cred.uid,
                                               kMaxClientsPerUser);
            } else {
                stats_.refused_busy++;
                refusal["error"] = fmt::format("too many management clients ({}); try again", kMaxClients);
            }
            const std::string msg = refusal.dump() + "\n";
            ssize_t ignored = send(fd, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            (void)ignored;
            close(fd);
            continue;
        }
        stats_.accepted++;
        Client c;
        c.may_change = rights == MgmtRights::Full;
        c.uid = cred.uid;
        c.last_ms = now_ms;
        clients_[fd] = std::move(c);
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.fd = fd;
        epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    }
}

void MgmtServer::close_client(int fd) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    clients_.erase(fd);
}

void MgmtServer::update_interest(int fd, const Client& c) {
    epoll_event ev{};
    ev.events = EPOLLRDHUP | (c.reading && !c.eof ? static_cast<uint32_t>(EPOLLIN) : 0u) |
                (c.out.empty() ? 0u : static_cast<uint32_t>(EPOLLOUT));
    ev.data.fd = fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
}

void MgmtServer::flush(int fd, Client& c) {
    while (!c.out.empty()) {
        ssize_t n = send(fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
        if (n <= 0) break;
        c.out.erase(0, static_cast<size_t>(n));
    }
    // A client that does not read its replies: its requests wait in the
    // kernel (it blocks, as on a full pipe) until it reads.
    c.reading = c.subscriber || c.out.size() < kMaxBacklog;
    update_interest(fd, c);
}

std::string MgmtServer::handle_line(const std::string& line, bool may_change, bool* subscribe) {
    nlohmann::json reply = {{"v", kProtocolVersion}};
    stats_.requests++;
    try {
        nlohmann::json req = nlohmann::json::parse(line);
        if (!req.is_object() || !req.contains("cmd") || !req["cmd"].is_string())
            throw MgmtError("a request is a JSON object with a string \"cmd\"");
        if (req.contains("v")) {
            const nlohmann::json& v = req["v"];
            if (!v.is_number_unsigned() || v.get<uint64_t>() < 1)
                throw MgmtError("\"v\" (the protocol version) must be a positive integer");
            if (v.get<uint64_t>() > static_cast<uint64_t>(kProtocolVersion))
                throw MgmtError(fmt::format("protocol version {} is not spoken here (this ftnetd speaks {})",
                                            v.get<uint64_t>(), kProtocolVersion));
        }
        if (req["cmd"] == "events" && subscribe) {
            *subscribe = true;
            reply["ok"] = true;
            reply["result"] = "subscribed";
            return reply.dump();
        }
        nlohmann::json result = handler_(req, may_change);
        reply["ok"] = true;
        reply["result"] = std::move(result);
    } catch (const nlohmann::json::parse_error&) {
        reply["ok"] = false;
        reply["error"] = "the request is not valid JSON";
    } catch (const MgmtError& e) {
        reply["ok"] = false;
        reply["error"] = e.what();
    } catch (const std::exception& e) {
        reply["ok"] = false;
        reply["error"] = fmt::format("internal error: {}", e.what());
    }
    if (!reply["ok"].get<bool>()) {
        stats_.errors++;
        if (reply["error"].get<std::string>().rfind("permission denied", 0) == 0) stats_.denied++;
    }
    return reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void MgmtServer::serve_lines(int fd, Client& c) {
    size_t nl;
    while (c.reading && (nl = c.in.find('\n')) != std::string::npos) {
        std::string line = c.in.substr(0, nl);
        c.in.erase(0, nl + 1);
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        c.out += handle_line(line, c.may_change, &c.subscriber) + "\n";
        if (c.out.size() >= kMaxBacklog) flush(fd, c);
    }
    flush(fd, c);
}

bool MgmtServer::on_event(int fd, uint32_t events, uint64_t now_ms) {
    if (fd == listen_fd_) {
        accept_clients(now_ms);
        return true;
    }
    auto it = clients_.find(fd);
    if (it == clients_.end()) return false;
    Client& c = it->second;
    if (events & EPOLLOUT) {
        const size_t before = c.out.size();
        flush(fd, c);
        if (c.out.size() < before) c.last_ms = now_ms;
        if (c.reading) serve_lines(fd, c);  // what waited behind the replies
        if (c.eof && c.out.empty()) {
            close_client(fd);
            return true;
        }
    }
    if ((events & EPOLLIN) && c.reading) {
        char buf[4096];
        for (;;) {
            ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n == 0) {
                // Half-closed (shutdown(SHUT_WR), a pipe into socat): what
                // it sent is still answered, then the connection closes.
                c.eof = true;
                break;
            }
            if (n < 0) break;
            c.in.append(buf, static_cast<size_t>(n));
            if (c.in.size() > kMaxLine && c.in.find('\n') == std::string::npos) {
                stats_.closed_overlong++;
                c.out += nlohmann::json({{"v", kProtocolVersion}, {"ok", false}, {"error", "request longer than 64 KiB"}}).dump() + "\n";
                flush(fd, c);
                close_client(fd);
                return true;
            }
            if (c.in.size() > kMaxLine) break;  // serve what is complete first
        }
        if (c.in.find('\n') != std::string::npos) c.last_ms = now_ms;
        if (c.eof && !c.in.empty() && c.in.back() != '\n') c.in += '\n';  // a last line without its newline
        serve_lines(fd, c);
    }
    if (c.eof && c.out.empty()) {
        close_client(fd);
        return true;
    }
    if ((events & EPOLLERR) || ((events & EPOLLHUP) && c.out.empty()) ||
        ((events & EPOLLRDHUP) && c.out.empty() && c.in.empty()))
        close_client(fd);
    return true;
}

void MgmtServer::expire(uint64_t now_ms) {
    std::vector<int> idle;
    for (auto& [fd, c] : clients_)
        if (!c.subscriber && now_ms - c.last_ms >= kIdleMs) idle.push_back(fd);
    for (int fd : idle) {
        Client& c = clients_[fd];
        if (c.reading) {
            stats_.closed_idle++;
            c.out += nlohmann::json({{"v", kProtocolVersion}, {"ok", false},
                                     {"error", fmt::format("closed: no request for {} s", kIdleMs / 1000)}})
                         .dump() +
                     "\n";
            flush(fd, c);
        } else {
            stats_.closed_slow++;
        }
        close_client(fd);
    }
}

}  // namespace ftnet

namespace ftnet {

void MgmtServer::broadcast(const nlohmann::json& event) {
    const std::string line = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::vector<int> slow;
    for (auto& [fd, c] : clients_) {
        if (!c.subscriber) continue;
        if (c.out.size() > kMaxBacklog) {
            slow.push_back(fd);
            continue;
        }
        c.out += line;
        flush(fd, c);
    }
    for (int fd : slow) close_client(fd);
}

size_t MgmtServer::subscribers() const {
    size_t n = 0;
    for (auto& [fd, c] : clients_) n += c.subscriber;
    return n;
}

}  // namespace ftnet
