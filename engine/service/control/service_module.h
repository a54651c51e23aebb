// The service module: tells the service manager (systemd, Type=notify)
// when ftnetd is ready (every module started, workers running, the
// management socket listening), what it is doing (STATUS=, once a second:
// routes up, peers reachable, membership), that it is stopping, and pings
// the watchdog from the control loop (WatchdogSec=): a control thread that
// hangs gets the daemon restarted. Does nothing outside systemd.
//
// Control thread only.
#pragma once

#include <memory>
#include <string>

#include "engine/core/module.h"
#include "engine/service/control/service_notify.h"

namespace ftnet {

class ServiceModule : public Module {
  public:
    void start(Engine& e) override;
    void running(Engine& e) override;
    void stop(Engine& e) override;

  private:
    std::string status_line() const;

    Engine* e_ = nullptr;
    std::unique_ptr<ServiceNotifier> notifier_;
    std::string last_status_;
};

}  // namespace ftnet
