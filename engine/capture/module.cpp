// Registration of the capture module (engine/modules.def): live capture of
// the running engine's ports with dpdk-dumpcap / dpdk-pdump.

#include "engine/capture/control/capture_module.h"
#include "engine/core/module.h"

namespace ftnet {

ModuleSpec capture_module() {
    ModuleSpec s;
    s.name = "capture";
    s.control = [] { return std::unique_ptr<Module>(new CaptureModule()); };
    return s;
}

}  // namespace ftnet
