#include "engine/service/control/service_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace ftnet {

ServiceNotifier::ServiceNotifier() {
    const char* s = std::getenv("NOTIFY_SOCKET");
    if (s && (s[0] == '/' || s[0] == '@') && std::strlen(s) < sizeof(sockaddr_un::sun_path)) {
        path_ = s;
        fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    }
    const char* wd = std::getenv("WATCHDOG_USEC");
    const char* wd_pid = std::getenv("WATCHDOG_PID");
    // The watchdog is ours unless it names another process.
    if (wd && (!wd_pid || std::strtoul(wd_pid, nullptr, 10) == static_cast<unsigned long>(getpid())))
        watchdog_usec_ = std::strtoull(wd, nullptr, 10);
}

ServiceNotifier::~ServiceNotifier() {
    if (fd_ >= 0) close(fd_);
}

bool ServiceNotifier::notify(const std::string& state) {
    if (fd_ < 0) return false;
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, path_.data(), path_.size());
    if (a.sun_path[0] == '@') a.sun_path[0] = '\0';
    const socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path_.size());
    return sendto(fd_, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&a), len) ==
           static_cast<ssize_t>(state.size());
}

}  // namespace ftnet
