// Registration of the traffic policy module (engine/modules.def).

#include "engine/config/config_sections.h"
#include "engine/core/datapath_registry.h"
#include "engine/core/module.h"
#include "engine/policy/control/policy_config.h"
#include "engine/policy/control/policy_module.h"
#include "engine/policy/datapath/policy_stage.h"

namespace ftnet {

ModuleSpec policy_module() {
    ModuleSpec s;
    s.name = "policy";
    s.config = register_policy_config;
    s.datapath = [](DatapathRegistry& r) { r.set_policy(policy_tx, policy_rx, "policy"); };
    s.control = [] { return std::unique_ptr<Module>(new PolicyModule()); };
    return s;
}

}  // namespace ftnet
