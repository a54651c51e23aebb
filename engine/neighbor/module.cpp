// Registration of the neighbour module (engine/modules.def).

#include "engine/core/module.h"
#include "engine/neighbor/control/neighbor_module.h"

namespace ftnet {

ModuleSpec neighbor_module() {
    ModuleSpec s;
    s.name = "neighbor";
    s.control = [] { return std::unique_ptr<Module>(new NeighborModule()); };
    return s;
}

}  // namespace ftnet
