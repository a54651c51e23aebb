// Registration of the membership module (engine/modules.def).

#include "engine/core/module.h"
#include "engine/config/config_sections.h"
#include "engine/membership/control/membership_config.h"
#include "engine/membership/control/membership_module.h"

namespace ftnet {

ModuleSpec membership_module() {
    ModuleSpec s;
    s.name = "membership";
    s.config = register_membership_config;
    s.control = [] { return std::unique_ptr<Module>(new MembershipModule()); };
    return s;
}

}  // namespace ftnet
