// Registration of the resources module (engine/modules.def).

#include "engine/config/config_sections.h"
#include "engine/core/module.h"
#include "engine/resources/control/resources_config.h"
#include "engine/resources/control/resources_module.h"

namespace ftnet {

ModuleSpec resources_module() {
    ModuleSpec s;
    s.name = "resources";
    s.config = register_resources_config;
    s.control = [] { return std::unique_ptr<Module>(new ResourcesModule()); };
    return s;
}

}  // namespace ftnet
