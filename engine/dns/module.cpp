// Registration of the DNS module (engine/modules.def).

#include "engine/config/config_sections.h"
#include "engine/core/module.h"
#include "engine/dns/control/dns_config.h"
#include "engine/dns/control/dns_module.h"

namespace ftnet {

ModuleSpec dns_module() {
    ModuleSpec s;
    s.name = "dns";
    s.config = register_dns_config;
    s.control = [] { return std::unique_ptr<Module>(new DnsModule()); };
    return s;
}

}  // namespace ftnet
