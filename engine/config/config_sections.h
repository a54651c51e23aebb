// Config sections, registered by the modules that own them: the top-level
// TOML key, its reader (which fills the module's part of Config and reports
// every problem through the shared Reader) and, optionally, a check across
// sections that runs after every section has been read.
//
// Registration: once, from the module list (engine/modules.def), the first
// time a config is loaded. A key registered twice, or without a reader, is a
// RegistryError. Pure: main thread, config load and --check-config.
#pragma once

#include <toml++/toml.h>

#include <any>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/config/config.h"

namespace ftnet {

class Reader;

struct ConfigSection {
    using Fn = std::function<void(Reader&, const toml::table& root, Config&)>;
    std::string key;     // "tunnel" for [tunnel], "port" for [[port]]
    std::string module;  // who reads it, for messages
    Fn read;             // runs whether or not the section is present
    Fn check = nullptr;  // optional: after every section has been read
    // The core's topology sections ([[network]], [[port]], [[peer]]) are
    // read after every module's, so that their errors follow the sections
    // they depend on in the same order as the file describes them.
    bool after_modules = false;
};

class ConfigSections {
  public:
    void add(ConfigSection s);
    const std::vector<ConfigSection>& all() const { return sections_; }
    std::vector<std::string> keys() const;

  private:
    std::vector<ConfigSection> sections_;
};

// Every section of the core and of every module in engine/modules.def.
const ConfigSections& config_sections();

// The core's own sections (engine/config/core_sections.cpp).
void register_core_config(ConfigSections& s);

}  // namespace ftnet
