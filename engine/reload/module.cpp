// Registration of the reload module (engine/modules.def): `reload` and
// SIGHUP read the config file again and apply what can change while running.

#include "engine/core/module.h"
#include "engine/reload/control/reload_module.h"

namespace ftnet {

ModuleSpec reload_module() {
    ModuleSpec s;
    s.name = "reload";
    s.control = [] { return std::unique_ptr<Module>(new ReloadModule()); };
    return s;
}

}  // namespace ftnet
