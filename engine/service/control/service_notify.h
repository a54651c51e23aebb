// The service manager's notification protocol (sd_notify(3)): datagrams
// such as "READY=1\nSTATUS=..." to the UNIX socket named by $NOTIFY_SOCKET
// ('@' for the abstract namespace). Without $NOTIFY_SOCKET (not started by
// systemd with Type=notify) every call does nothing.
//
// Control thread (or main thread before it runs).
#pragma once

#include <cstdint>
#include <string>

namespace ftnet {

class ServiceNotifier {
  public:
    // Reads $NOTIFY_SOCKET and $WATCHDOG_USEC/$WATCHDOG_PID.
    ServiceNotifier();
    ~ServiceNotifier();
    ServiceNotifier(const ServiceNotifier&) = delete;
    ServiceNotifier& operator=(const ServiceNotifier&) = delete;

    bool active() const { return fd_ >= 0; }
    // Sends one state message; false when it could not be sent.
    bool notify(const std::string& state);
    // The watchdog interval systemd expects pings within (0: none).
    uint64_t watchdog_usec() const { return watchdog_usec_; }

  private:
    int fd_ = -1;
    std::string path_;
    uint64_t watchdog_usec_ = 0;
};

}  // namespace ftnet
