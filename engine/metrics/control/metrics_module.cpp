#include "engine/metrics/control/metrics_module.h"

#include "engine/cluster_log/control/cluster_log.h"
#include "engine/core/command_registry.h"
#include "engine/core/control_loop.h"
#include "engine/core/engine.h"
#include "engine/core/mono_clock.h"
#include "engine/metrics/control/metrics_config.h"

namespace ftnet {

using nlohmann::json;

void MetricsModule::start(Engine& e) {
    e_ = &e;
    const MetricsSettings* s = e.config().find_section<MetricsSettings>(kMetricsSection);
    e.commands().add({"metrics", "metrics", "the Prometheus endpoint: where it listens, scrapes served", {}, true, [this](const json&) {
                          if (!server_) return json{{"prometheus", nullptr}};
                          const auto& st = server_->stats();
                          const MetricsSettings* s = e_->config().find_section<MetricsSettings>(kMetricsSection);
                          return json{{"prometheus", s->listen},
                                      {"scrapes", st.scrapes},
                                      {"errors", st.errors},
                                      {"refused", st.refused},
                                      {"timed_out", st.timed_out},
                                      {"clients", server_->clients()}};
                      }});
    telemetry_ = std::make_unique<TelemetryBridge>([this](const std::string& cmd) {
        return e_->commands().dispatch(json{{"cmd", cmd}});
    });
    e.loop().add_fd(telemetry_->fd(), "metrics", [this](uint32_t) { telemetry_->serve(); });
    register_telemetry_commands(telemetry_.get());
    if (!s || s->listen.empty()) return;
    server_ = std::make_unique<MetricsServer>(*s, [this] { return render_prometheus(snapshot()); });
    server_->attach(e.loop().epoll_fd());
    e.loop().add_fd_owner("metrics", [this](int fd, uint32_t ev) { return server_ && server_->on_event(fd, ev); });
    e.loop().add_timer("metrics", 1000, [this](uint64_t now_ms) {
        if (server_) server_->expire(now_ms);
    });
    clog::info("METRICS", "Prometheus endpoint on {} (GET /metrics)", s->listen);
}

void MetricsModule::stop(Engine& e) {
    server_.reset();
    if (telemetry_) {
        register_telemetry_commands(nullptr);  // waits for a question in flight
        e.loop().remove_fd(telemetry_->fd());
        telemetry_.reset();
    }
}

EngineSnapshot MetricsModule::snapshot() const {
    // A module that is not there (or fails) leaves its part out.
    auto run = [this](const char* cmd) {
        try {
            return e_->commands().dispatch(json{{"cmd", cmd}});
        } catch (const std::exception&) {
            return json();
        }
    };
    return {run("status"), run("counters"), run("routes"), run("membership")};
}

}  // namespace ftnet
