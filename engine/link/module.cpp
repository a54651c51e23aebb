// Registration of the link module (engine/modules.def).

#include "engine/core/datapath_registry.h"
#include "engine/core/module.h"
#include "engine/core/worker.h"
#include "engine/link/datapath/link_notice_input.h"
#include "engine/link/control/link_module.h"
#include "engine/tunnel/ftnet_wire.h"

namespace ftnet {

namespace {

void notice_input(Worker& w, uint16_t, rte_mbuf* m, const RxResult& c) { link_notice_input(w, m, c); }

}  // namespace

ModuleSpec link_module() {
    ModuleSpec s;
    s.name = "link";
    s.datapath = [](DatapathRegistry& r) { r.on_message(static_cast<uint8_t>(wire::MsgType::LinkNotice), notice_input, "link"); };
    s.control = [] { return std::unique_ptr<Module>(new LinkModule()); };
    return s;
}

}  // namespace ftnet
