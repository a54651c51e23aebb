// Registration of the tunnel module (engine/modules.def). Its datapath (DATA
// frames both ways) is the core poll loop's input path itself
// (engine/tunnel/datapath/), so it registers no message handler.

#include "engine/core/module.h"
#include "engine/tunnel/control/tunnel_module.h"

namespace ftnet {

ModuleSpec tunnel_module() {
    ModuleSpec s;
    s.name = "tunnel";
    s.config = register_tunnel_config;
    s.control = [] { return std::unique_ptr<Module>(new TunnelModule()); };
    return s;
}

}  // namespace ftnet
