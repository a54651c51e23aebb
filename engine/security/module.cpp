// Registration of the security module (engine/modules.def). Its workers'
// part (admission, sealing) is inline in the tunnel's receive and send
// stages, not a message handler: every message type goes through it.

#include "engine/config/config_sections.h"
#include "engine/core/module.h"
#include "engine/security/control/key_config.h"
#include "engine/security/control/security_module.h"

namespace ftnet {

ModuleSpec security_module() {
    ModuleSpec s;
    s.name = "security";
    s.config = register_security_config;
    s.control = [] { return std::unique_ptr<Module>(new SecurityModule()); };
    return s;
}

}  // namespace ftnet
