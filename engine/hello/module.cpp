// Registration of the endpoint exchange module (engine/modules.def).

#include "engine/core/datapath_registry.h"
#include "engine/core/module.h"
#include "engine/core/worker.h"
#include "engine/hello/control/hello_module.h"
#include "engine/tunnel/ftnet_wire.h"

namespace ftnet {

namespace {

// HELLOs are checked and answered on the control thread.
void hello_input(Worker& w, uint16_t, rte_mbuf* m, const RxResult&) { punt_to_control(w, m); }

}  // namespace

ModuleSpec hello_module() {
    ModuleSpec s;
    s.name = "hello";
    s.datapath = [](DatapathRegistry& r) { r.on_message(static_cast<uint8_t>(wire::MsgType::Hello), hello_input, "hello"); };
    s.control = [] { return std::unique_ptr<Module>(new HelloModule()); };
    return s;
}

}  // namespace ftnet
