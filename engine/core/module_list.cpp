// The module list: engine/modules.def read as declarations and as a table.

#include <fmt/format.h>

#include <set>

#include "engine/core/module.h"
#include "engine/core/registry_error.h"

namespace ftnet {

#define X(id, name, help)
#define FTNET_MODULE(name) ModuleSpec name##_module();
#include "engine/modules.def"
#undef FTNET_MODULE

void check_module_specs(const std::vector<ModuleSpec>& specs) {
    std::set<std::string> seen;
    for (auto& m : specs) {
        if (!m.name || !*m.name) throw RegistryError("a module without a name");
        if (!seen.insert(m.name).second) throw RegistryError(fmt::format("module {} is registered twice", m.name));
        if (!m.config && !m.datapath && !m.control)
            throw RegistryError(fmt::format("module {} registers nothing (no config, datapath or control part)", m.name));
    }
}

const std::vector<ModuleSpec>& module_specs() {
    static const std::vector<ModuleSpec> all = [] {
        std::vector<ModuleSpec> v = {
#define FTNET_MODULE(name) name##_module(),
#include "engine/modules.def"
#undef FTNET_MODULE
        };
        check_module_specs(v);
        return v;
    }();
    return all;
}
#undef X

}  // namespace ftnet
