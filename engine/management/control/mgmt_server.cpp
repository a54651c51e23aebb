#include "engine/management/control/mgmt_server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
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

MgmtServer::MgmtServer(std::string path, const std::string& group, Handler handler)
    : path_(std::move(path)), handler_(std::move(handler)) {
    if (path_.size() >= sizeof(sockaddr_un::sun_path))
        throw std::runtime_error(fmt::format("management socket path {} is too long", path_));
    if (!group.empty()) {
        struct group* g = getgrnam(group.c_str());
        if (!g) throw std::runtime_error(fmt::format("management.socket_group \"{}\" does not exist", group));
        allowed_gid_ = g->gr_gid;
    }
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
    if (rc < 0 || listen(listen_fd_, 16) < 0) {
        int e = errno;
        close(listen_fd_);
        listen_fd_ = -1;
        throw std::runtime_error(fmt::format("cannot listen on {}: {}", path_, std::strerror(e)));
    }
    if (allowed_gid_ != ~0u) {
        if (chown(path_.c_str(), static_cast<uid_t>(-1), allowed_gid_) != 0 || chmod(path_.c_str(), 0660) != 0)
            clog::warn("MGMT", "cannot give group {} access to {}: {}", group, path_, std::strerror(errno));
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

void MgmtServer::accept_clients() {
    for (;;) {
        int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) return;
        ucred cred{};
        socklen_t len = sizeof cred;
        bool allowed = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
                       (cred.uid == 0 || cred.uid == geteuid() || cred.gid == allowed_gid_);
        if (!allowed || clients_.size() >= kMaxClients) {
            std::string msg = allowed ? R"({"ok":false,"error":"too many management clients"})"
                                      : R"({"ok":false,"error":"permission denied"})";
            msg += "\n";
            ssize_t ignored = write(fd, msg.data(), msg.size());
            (void)ignored;
            close(fd);
            continue;
        }
        clients_[fd] = Client{};
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
    ev.events = EPOLLIN | EPOLLRDHUP | (c.out.empty() ? 0u : static_cast<uint32_t>(EPOLLOUT));
    ev.data.fd = fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
}

void MgmtServer::flush(int fd, Client& c) {
    while (!c.out.empty()) {
        ssize_t n = send(fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
        if (n <= 0) break;
        c.out.erase(0, static_cast<size_t>(n));
    }
    update_interest(fd, c);
}

std::string MgmtServer::handle_line(const std::string& line, bool* subscribe) {
    nlohmann::json reply;
    try {
        nlohmann::json req = nlohmann::json::parse(line);
        if (!req.is_object() || !req.contains("cmd") || !req["cmd"].is_string())
            throw MgmtError("a request is a JSON object with a string \"cmd\"");
        if (req["cmd"] == "events" && subscribe) {
            *subscribe = true;
            reply = {{"ok", true}, {"result", "subscribed"}};
            return reply.dump();
        }
        reply = {{"ok", true}, {"result", handler_(req)}};
    } catch (const nlohmann::json::parse_error&) {
        reply = {{"ok", false}, {"error", "the request is not valid JSON"}};
    } catch (const MgmtError& e) {
        reply = {{"ok", false}, {"error", e.what()}};
    } catch (const std::exception& e) {
        reply = {{"ok", false}, {"error", fmt::format("internal error: {}", e.what())}};
    }
    return reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool MgmtServer::on_event(int fd, uint32_t events) {
    if (fd == listen_fd_) {
        accept_clients();
        return true;
    }
    auto it = clients_.find(fd);
    if (it == clients_.end()) return false;
    Client& c = it->second;
    if (events & EPOLLIN) {
        char buf[4096];
        for (;;) {
            ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n == 0) {
                close_client(fd);
                return true;
            }
            if (n < 0) break;
            c.in.append(buf, static_cast<size_t>(n));
            if (c.in.size() > kMaxLine && c.in.find('\n') == std::string::npos) {
                c.out += R"({"ok":false,"error":"request longer than 64 KiB"})" "\n";
                flush(fd, c);
                close_client(fd);
                return true;
            }
        }
        size_t nl;
        while ((nl = c.in.find('\n')) != std::string::npos) {
            std::string line = c.in.substr(0, nl);
            c.in.erase(0, nl + 1);
            if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
            c.out += handle_line(line, &c.subscriber) + "\n";
        }
        flush(fd, c);
    }
    if (events & EPOLLOUT) flush(fd, c);
    if ((events & (EPOLLHUP | EPOLLERR)) || ((events & EPOLLRDHUP) && c.out.empty())) close_client(fd);
    return true;
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
