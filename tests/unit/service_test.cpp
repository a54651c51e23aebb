// The service manager's notifications (engine/service/control/service_notify.h)
// received on a socket standing in for systemd's.
#include "engine/service/control/service_notify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace ftnet {
namespace {

class FakeSystemd {
  public:
    explicit FakeSystemd(bool abstract) {
        fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        name_ = "ftnet-notify-test-" + std::to_string(getpid()) + (abstract ? "-a" : "-p");
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        socklen_t len;
        if (abstract) {
            std::memcpy(a.sun_path + 1, name_.data(), name_.size());
            len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name_.size());
            env_ = "@" + name_;
        } else {
            env_ = "/tmp/" + name_;
            unlink(env_.c_str());
            std::memcpy(a.sun_path, env_.data(), env_.size());
            len = sizeof a;
        }
        EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), len), 0);
        timeval tv{2, 0};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~FakeSystemd() {
        close(fd_);
        if (env_[0] == '/') unlink(env_.c_str());
    }
    const std::string& env() const { return env_; }
    std::string next() {
        char buf[4096];
        ssize_t n = recv(fd_, buf, sizeof buf, 0);
        return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
    }

  private:
    int fd_ = -1;
    std::string name_, env_;
};

TEST(ServiceNotify, StatesReachThePathOrAbstractSocketSystemdNames) {
    for (bool abstract : {false, true}) {
        FakeSystemd sd(abstract);
        setenv("NOTIFY_SOCKET", sd.env().c_str(), 1);
        setenv("WATCHDOG_USEC", "3000000", 1);
        unsetenv("WATCHDOG_PID");
        ServiceNotifier n;
        ASSERT_TRUE(n.active()) << sd.env();
        EXPECT_EQ(n.watchdog_usec(), 3000000u);
        EXPECT_TRUE(n.notify("READY=1\nSTATUS=running"));
        EXPECT_EQ(sd.next(), "READY=1\nSTATUS=running");
        EXPECT_TRUE(n.notify("WATCHDOG=1"));
        EXPECT_EQ(sd.next(), "WATCHDOG=1");
    }
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
}

TEST(ServiceNotify, OutsideSystemdNothingIsSentAndAnotherProcesssWatchdogIsNotOurs) {
    unsetenv("NOTIFY_SOCKET");
    ServiceNotifier none;
    EXPECT_FALSE(none.active());
    EXPECT_FALSE(none.notify("READY=1"));
    setenv("NOTIFY_SOCKET", "relative/path", 1);  // not a socket systemd would name
    EXPECT_FALSE(ServiceNotifier().active());
    setenv("WATCHDOG_USEC", "5000000", 1);
    setenv("WATCHDOG_PID", "1", 1);
    EXPECT_EQ(ServiceNotifier().watchdog_usec(), 0u);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
}

}  // namespace
}  // namespace ftnet
