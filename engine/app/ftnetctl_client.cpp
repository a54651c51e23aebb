#include "engine/app/ftnetctl_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/app/ftnetctl_render.h"

namespace ftnet::ctl {

using nlohmann::json;

namespace {

constexpr int kProtocolVersion = 1;

int connect_to(const std::string& path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw ClientError(kUnreachable, std::string("socket: ") + std::strerror(errno));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
        const int e = errno;
        close(fd);
        if (e == EACCES || e == EPERM)
            throw ClientError(kDenied, "cannot connect to " + path + ": " + std::strerror(e) +
                                           " (ask for management.socket_group or read_only_group)");
        throw ClientError(kUnreachable, "cannot connect to " + path + ": " + std::strerror(e) + " (is ftnetd running?)");
    }
    return fd;
}

}  // namespace

int exit_for_error(const std::string& error) { return error.rfind("permission denied", 0) == 0 ? kDenied : kRefused; }

std::string transact(const std::string& path, const std::string& line) {
    const int fd = connect_to(path);
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const std::string req = line + "\n";
    // A refusal at connect (permission, too many clients) may close the
    // connection before the request is sent: its line is still there to read.
    const bool sent = send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size());
    std::string reply;
    char buf[65536];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        reply.append(buf, static_cast<size_t>(n));
        if (reply.find('\n') != std::string::npos) break;
    }
    close(fd);
    auto nl = reply.find('\n');
    if (nl == std::string::npos)
        throw ClientError(kUnreachable, sent ? "no reply from ftnetd (timed out or connection closed)"
                                             : "cannot send the request (ftnetd closed the connection)");
    return reply.substr(0, nl);
}

json request(const std::string& path, const std::string& cmd, const json& args) {
    json req = {{"v", kProtocolVersion}, {"cmd", cmd}};
    if (!args.is_null()) req["args"] = args;
    json r = json::parse(transact(path, req.dump()), nullptr, false);
    if (!r.is_object() || !r.contains("ok")) throw ClientError(kUnreachable, "ftnetd's reply is not a management reply");
    return r;
}

int follow_events(const std::string& path, bool as_json, unsigned max_events) {
    int fd;
    try {
        fd = connect_to(path);
    } catch (const ClientError& e) {
        std::fprintf(stderr, "ftnetctl: %s\n", e.what());
        return e.code;
    }
    const std::string req = json({{"v", kProtocolVersion}, {"cmd", "events"}}).dump() + "\n";
    if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) < 0) return kUnreachable;
    std::string buf;
    char tmp[65536];
    bool subscribed = false;
    unsigned seen = 0;
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    for (;;) {
        size_t nl;
        while ((nl = buf.find('\n')) != std::string::npos) {
            std::string line = buf.substr(0, nl);
            buf.erase(0, nl + 1);
            if (!subscribed) {
                json r = json::parse(line, nullptr, false);
                if (!r.is_object() || !r.value("ok", false)) {
                    std::fprintf(stderr, "ftnetctl: %s\n", line.c_str());
                    return r.is_object() ? exit_for_error(r.value("error", std::string())) : kUnreachable;
                }
                subscribed = true;
                continue;
            }
            if (as_json)
                std::printf("%s\n", line.c_str());
            else
                std::fputs(render_event(json::parse(line, nullptr, false)).c_str(), stdout);
            if (max_events && ++seen >= max_events) return kOk;
        }
        ssize_t n = recv(fd, tmp, sizeof tmp, 0);
        if (n <= 0) {
            std::fprintf(stderr, "ftnetctl: ftnetd closed the event stream\n");
            return subscribed ? kOk : kUnreachable;
        }
        buf.append(tmp, static_cast<size_t>(n));
    }
}

}  // namespace ftnet::ctl
