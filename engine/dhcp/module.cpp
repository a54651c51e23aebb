// Registration of the DHCP module (engine/modules.def).

#include "engine/config/config_sections.h"
#include "engine/core/module.h"
#include "engine/dhcp/control/dhcp_config.h"
#include "engine/dhcp/control/dhcp_module.h"

namespace ftnet {

ModuleSpec dhcp_module() {
    ModuleSpec s;
    s.name = "dhcp";
    s.config = register_dhcp_config;
    s.control = [] { return std::unique_ptr<Module>(new DhcpModule()); };
    return s;
}

}  // namespace ftnet
