// The metrics module's control-thread side: the Prometheus endpoint
// ([metrics] prometheus), rendering the engine's own management commands
// (status, counters, routes, membership) per scrape; the same commands as
// DPDK telemetry commands (/ftnet/..., telemetry_bridge.h); and the
// `metrics` command (where it listens, scrapes served, clients refused).
//
// Control thread only.
#pragma once

#include <memory>

#include "engine/core/module.h"
#include "engine/metrics/control/metrics_server.h"
#include "engine/metrics/control/prometheus_text.h"
#include "engine/metrics/control/telemetry_bridge.h"

namespace ftnet {

class MetricsModule : public Module {
  public:
    void start(Engine& e) override;
    void stop(Engine& e) override;

    // What the endpoint serves, from the registered commands.
    EngineSnapshot snapshot() const;

  private:
    Engine* e_ = nullptr;
    std::unique_ptr<MetricsServer> server_;
    std::unique_ptr<TelemetryBridge> telemetry_;
};

}  // namespace ftnet
