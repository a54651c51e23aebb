// Registration of the reliable session module (engine/modules.def).

#include "engine/core/datapath_registry.h"
#include "engine/core/module.h"
#include "engine/core/worker.h"
#include "engine/session/control/session_module.h"
#include "engine/tunnel/ftnet_wire.h"

namespace ftnet {

namespace {

// Session segments are the control thread's: workers hand them over
// admitted (authentic, fresh, decrypted) and never wait for them.
void session_input(Worker& w, uint16_t, rte_mbuf* m, const RxResult&) { punt_to_control(w, m); }

}  // namespace

ModuleSpec session_module() {
    ModuleSpec s;
    s.name = "session";
    s.datapath = [](DatapathRegistry& r) {
        r.on_message(static_cast<uint8_t>(wire::MsgType::Session), session_input, "session");
    };
    s.control = [] { return std::unique_ptr<Module>(new SessionModule()); };
    return s;
}

}  // namespace ftnet
