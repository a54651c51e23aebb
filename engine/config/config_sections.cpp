#include "engine/config/config_sections.h"

#include <fmt/format.h>

#include <algorithm>

#include "engine/core/module.h"
#include "engine/core/registry_error.h"

namespace ftnet {

void ConfigSections::add(ConfigSection s) {
    if (s.key.empty()) throw RegistryError(fmt::format("module {}: a config section needs a key", s.module));
    if (!s.read)
        throw RegistryError(fmt::format("module {}: config section [{}] has no reader", s.module, s.key));
    for (auto& x : sections_)
        if (x.key == s.key)
            throw RegistryError(fmt::format("module {}: config section [{}] is already read by module {}", s.module,
                                            s.key, x.module));
    // Keep the topology sections last: insert a module's before them.
    if (s.after_modules) {
        sections_.push_back(std::move(s));
        return;
    }
    auto it = std::find_if(sections_.begin(), sections_.end(), [](auto& x) { return x.after_modules; });
    sections_.insert(it, std::move(s));
}

std::vector<std::string> ConfigSections::keys() const {
    std::vector<std::string> out;
    for (auto& s : sections_) out.push_back(s.key);
    return out;
}

const ConfigSections& config_sections() {
    static const ConfigSections all = [] {
        ConfigSections s;
        register_core_config(s);
        for (const ModuleSpec& m : module_specs())
            if (m.config) m.config(s);
        return s;
    }();
    return all;
}

}  // namespace ftnet
