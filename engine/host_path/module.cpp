// Registration of the host path module (engine/modules.def): the exception
// path for the host's own traffic on DPDK-owned ports.

#include "engine/core/datapath_registry.h"
#include "engine/core/module.h"
#include "engine/host_path/control/host_path_module.h"
#include "engine/host_path/datapath/host_path.h"

namespace ftnet {

ModuleSpec host_path_module() {
    ModuleSpec s;
    s.name = "host_path";
    s.datapath = [](DatapathRegistry& r) { r.set_host_path(host_input, host_output, "host_path"); };
    s.control = [] { return std::unique_ptr<Module>(new HostPathModule()); };
    return s;
}

}  // namespace ftnet
