// Registration of the tunnel module (engine/modules.def). Its datapath (DATA
// frames both ways) is the core poll loop's input path itself
// (engine/tunnel/datapath/); the one message it registers is DATA_FRAGMENT,
// the pieces of frames too long for a route's path MTU.

#include "engine/core/datapath_registry.h"
#include "engine/core/module.h"
#include "engine/tunnel/control/tunnel_module.h"
#include "engine/tunnel/datapath/reassembly.h"
#include "engine/tunnel/ftnet_wire.h"

namespace ftnet {

ModuleSpec tunnel_module() {
    ModuleSpec s;
    s.name = "tunnel";
    s.config = register_tunnel_config;
    s.datapath = [](DatapathRegistry& r) {
        r.on_message(static_cast<uint8_t>(wire::MsgType::DataFragment), fragment_input, "tunnel");
    };
    s.control = [] { return std::unique_ptr<Module>(new TunnelModule()); };
    return s;
}

}  // namespace ftnet
