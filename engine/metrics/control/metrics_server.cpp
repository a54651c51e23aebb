#include "engine/metrics/control/metrics_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "engine/core/mono_clock.h"

namespace ftnet {

namespace {

constexpr size_t kMaxRequest = 8192;
constexpr uint64_t kIdleMs = 5000;

}  // namespace

MetricsServer::MetricsServer(const MetricsSettings& s, Render render) : settings_(s), render_(std::move(render)) {
    sockaddr_storage a{};
    socklen_t len = 0;
    int family = AF_UNIX;
    if (s.tcp) {
        if (inet_pton(AF_INET, s.host.c_str(), &reinterpret_cast<sockaddr_in*>(&a)->sin_addr) == 1) {
            auto* in = reinterpret_cast<sockaddr_in*>(&a);
            family = in->sin_family = AF_INET;
            in->sin_port = htons(static_cast<uint16_t>(s.port));
            len = sizeof(sockaddr_in);
        } else if (inet_pton(AF_INET6, s.host.c_str(), &reinterpret_cast<sockaddr_in6*>(&a)->sin6_addr) == 1) {
            auto* in6 = reinterpret_cast<sockaddr_in6*>(&a);
            family = in6->sin6_family = AF_INET6;
            in6->sin6_port = htons(static_cast<uint16_t>(s.port));
            len = sizeof(sockaddr_in6);
        } else {
            throw std::runtime_error(fmt::format("metrics.prometheus: \"{}\" is not an address", s.host));
        }
    } else {
        auto* un = reinterpret_cast<sockaddr_un*>(&a);
        un->sun_family = AF_UNIX;
        std::strncpy(un->sun_path, s.unix_path.c_str(), sizeof un->sun_path - 1);
        len = sizeof(sockaddr_un);
        unlink(s.unix_path.c_str());  // a stale socket from a crashed daemon
    }
    listen_fd_ = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (listen_fd_ < 0) throw std::runtime_error(fmt::format("metrics.prometheus: socket: {}", std::strerror(errno)));
    const int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), len) < 0 || listen(listen_fd_, 64) < 0) {
        const int e = errno;
        close(listen_fd_);
        listen_fd_ = -1;
        throw std::runtime_error(fmt::format("metrics.prometheus: cannot listen on {}: {}", s.listen, std::strerror(e)));
    }
}

MetricsServer::~MetricsServer() {
    for (auto& [fd, c] : clients_) close(fd);
    if (listen_fd_ >= 0) {
        close(listen_fd_);
        if (!settings_.tcp) unlink(settings_.unix_path.c_str());
    }
}

void MetricsServer::attach(int epoll_fd) {
    epoll_fd_ = epoll_fd;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = listen_fd_;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev) < 0)
        throw std::runtime_error(fmt::format("metrics: epoll_ctl: {}", std::strerror(errno)));
}

bool MetricsServer::on_event(int fd, uint32_t events) {
    if (fd == listen_fd_) {
        accept_all();
        return true;
    }
    auto it = clients_.find(fd);
    if (it == clients_.end()) return false;
    if (events & (EPOLLERR | EPOLLHUP)) {
        drop(fd);
        return true;
    }
    if (!it->second.out.empty()) flush(fd, it->second);
    else if (events & EPOLLIN) on_readable(fd, it->second);
    return true;
}

void MetricsServer::accept_all() {
    for (;;) {
        const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) return;  // EAGAIN, or the client already left
        if (clients_.size() >= settings_.max_clients) {
            stats_.refused++;
            close(fd);
            continue;
        }
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.fd = fd;
        if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0) {
            close(fd);
            continue;
        }
        clients_[fd].last_ms = mono_ms();
    }
}

void MetricsServer::on_readable(int fd, Client& c) {
    char buf[2048];
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        drop(fd);
        return;
    }
    if (n < 0) return;
    c.last_ms = mono_ms();
    c.in.append(buf, static_cast<size_t>(n));
    const size_t end = c.in.find("\r\n\r\n") != std::string::npos ? c.in.find("\r\n\r\n") : c.in.find("\n\n");
    if (end == std::string::npos) {
        if (c.in.size() > kMaxRequest) {
            stats_.errors++;
            respond(fd, c, 431, "Request Header Fields Too Large", "text/plain", "request too large\n");
        }
        return;
    }
    // "GET /metrics HTTP/1.1" (a query string is allowed and ignored).
    const std::string line = c.in.substr(0, c.in.find_first_of("\r\n"));
    const size_t sp1 = line.find(' '), sp2 = sp1 == std::string::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp1 == std::string::npos || sp2 == std::string::npos || line.compare(sp2 + 1, 5, "HTTP/") != 0) {
        stats_.errors++;
        respond(fd, c, 400, "Bad Request", "text/plain", "not an HTTP request\n");
        return;
    }
    const std::string method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string path = target.substr(0, target.find('?'));
    if (method != "GET" && method != "HEAD") {
        stats_.errors++;
        respond(fd, c, 405, "Method Not Allowed", "text/plain", "only GET\n");
        return;
    }
    if (path != "/metrics") {
        stats_.errors++;
        respond(fd, c, 404, "Not Found", "text/plain", "ftnetd serves /metrics\n");
        return;
    }
    stats_.scrapes++;
    const std::string body = render_();
    respond(fd, c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", method == "HEAD" ? std::string() : body);
}

void MetricsServer::respond(int fd, Client& c, int code, const char* reason, const std::string& type, const std::string& body) {
    c.out = fmt::format("HTTP/1.0 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", code, reason, type,
                        body.size()) +
            body;
    c.sent = 0;
    c.in.clear();
    // The answer may not fit the socket's buffer: wait to write the rest.
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLRDHUP;
    ev.data.fd = fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
    flush(fd, c);
}

void MetricsServer::flush(int fd, Client& c) {
    while (c.sent < c.out.size()) {
        const ssize_t n = send(fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) return;  // the next EPOLLOUT
            drop(fd);
            return;
        }
        c.sent += static_cast<size_t>(n);
        c.last_ms = mono_ms();
    }
    drop(fd);  // HTTP/1.0: one answer, then close
}

void MetricsServer::drop(int fd) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    clients_.erase(fd);
}

void MetricsServer::expire(uint64_t now_ms) {
    std::vector<int> idle;
    for (auto& [fd, c] : clients_)
        if (now_ms - c.last_ms > kIdleMs) idle.push_back(fd);
    for (int fd : idle) {
        stats_.timed_out++;
        drop(fd);
    }
}

}  // namespace ftnet
