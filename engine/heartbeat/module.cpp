// Registration of the heartbeat module (engine/modules.def).

#include "engine/core/datapath_registry.h"
#include "engine/core/module.h"
#include "engine/core/worker.h"
#include "engine/heartbeat/datapath/heartbeat.h"
#include "engine/heartbeat/control/heartbeat_module.h"
#include "engine/tunnel/ftnet_wire.h"

namespace ftnet {

ModuleSpec heartbeat_module() {
    ModuleSpec s;
    s.name = "heartbeat";
    s.config = register_cluster_config;
    s.datapath = [](DatapathRegistry& r) {
        r.on_message(static_cast<uint8_t>(wire::MsgType::HeartbeatReq), heartbeat_input, "heartbeat");
        r.on_message(static_cast<uint8_t>(wire::MsgType::HeartbeatRep), heartbeat_input, "heartbeat");
        r.add_poller(heartbeat_poll, "heartbeat");
    };
    s.control = [] { return std::unique_ptr<Module>(new HeartbeatModule()); };
    return s;
}

}  // namespace ftnet
