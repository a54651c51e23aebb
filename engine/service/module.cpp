// Registration of the service module (engine/modules.def): readiness,
// status and watchdog for the service manager (systemd Type=notify).

#include "engine/core/module.h"
#include "engine/service/control/service_module.h"

namespace ftnet {

ModuleSpec service_module() {
    ModuleSpec s;
    s.name = "service";
    s.control = [] { return std::unique_ptr<Module>(new ServiceModule()); };
    return s;
}

}  // namespace ftnet
