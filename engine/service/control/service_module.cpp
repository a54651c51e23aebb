#include "engine/service/control/service_module.h"

#include <fmt/format.h>

#include <algorithm>

#include "engine/cluster_log/control/cluster_log.h"
#include "engine/core/engine.h"

namespace ftnet {

using nlohmann::json;

void ServiceModule::start(Engine& e) {
    e_ = &e;
    notifier_ = std::make_unique<ServiceNotifier>();
    if (!notifier_->active()) return;
    if (const uint64_t wd = notifier_->watchdog_usec()) {
        // Pinged from the control loop itself, at a third of the interval:
        // a stuck control thread misses them and systemd restarts us.
        const uint64_t every_ms = std::max<uint64_t>(wd / 3000, 10);
        e.loop().add_timer("service", every_ms, [this](uint64_t) { notifier_->notify("WATCHDOG=1"); });
        clog::info("ENGINE", "systemd watchdog: {} ms, pinged every {} ms", wd / 1000, every_ms);
    }
}

std::string ServiceModule::status_line() const {
    json s;
    try {
        s = e_->handle_request({{"cmd", "status"}});
    } catch (const std::exception&) {
        return "running";
    }
    std::string out = "running";
    if (s.contains("routes_up"))
        out += fmt::format(": routes {} up of {}", s.value("routes_up", 0), s.value("routes", 0));
    if (s.contains("peers_reachable"))
        out += fmt::format(", peers {} reachable of {}", s.value("peers_reachable", 0), s.value("peers", 0));
    if (s.contains("quorum")) out += s.value("quorum", false) ? ", quorum" : ", no quorum";
    return out;
}

void ServiceModule::running(Engine& e) {
    if (!notifier_->active()) return;
    notifier_->notify(fmt::format("READY=1\nSTATUS=running: management socket {}", e.config().management.socket));
    e.loop().add_timer("service", 1000, [this](uint64_t) {
        const std::string s = status_line();
        if (s != last_status_ && notifier_->notify("STATUS=" + s)) last_status_ = s;
    });
}

void ServiceModule::stop(Engine&) {
    if (notifier_ && notifier_->active()) notifier_->notify("STOPPING=1\nSTATUS=stopping");
}

}  // namespace ftnet
