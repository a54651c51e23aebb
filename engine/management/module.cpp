// Registration of the management module (engine/modules.def).

#include "engine/core/module.h"
#include "engine/management/control/management_module.h"

namespace ftnet {

ModuleSpec management_module() {
    ModuleSpec s;
    s.name = "management";
    s.config = register_management_config;
    s.control = [] { return std::unique_ptr<Module>(new ManagementModule()); };
    return s;
}

}  // namespace ftnet
