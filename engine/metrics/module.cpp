// Registration of the metrics module (engine/modules.def): the Prometheus
// endpoint.

#include "engine/config/config_sections.h"
#include "engine/core/module.h"
#include "engine/metrics/control/metrics_config.h"
#include "engine/metrics/control/metrics_module.h"

namespace ftnet {

ModuleSpec metrics_module() {
    ModuleSpec s;
    s.name = "metrics";
    s.config = register_metrics_config;
    s.control = [] { return std::unique_ptr<Module>(new MetricsModule()); };
    return s;
}

}  // namespace ftnet
