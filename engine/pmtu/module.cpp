// Registration of the path MTU module (engine/modules.def).

#include "engine/core/datapath_registry.h"
#include "engine/core/module.h"
#include "engine/core/worker.h"
#include "engine/pmtu/control/pmtu_module.h"
#include "engine/tunnel/ftnet_wire.h"

namespace ftnet {

namespace {

// Probes and replies are rare (a few per route per search) and answered on
// the control thread.
void pmtu_input(Worker& w, uint16_t, rte_mbuf* m, const RxResult&) { punt_to_control(w, m); }

}  // namespace

ModuleSpec pmtu_module() {
    ModuleSpec s;
    s.name = "pmtu";
    s.datapath = [](DatapathRegistry& r) {
        r.on_message(static_cast<uint8_t>(wire::MsgType::PmtuProbe), pmtu_input, "pmtu");
        r.on_message(static_cast<uint8_t>(wire::MsgType::PmtuReply), pmtu_input, "pmtu");
    };
    s.control = [] { return std::unique_ptr<Module>(new PmtuModule()); };
    return s;
}

}  // namespace ftnet
