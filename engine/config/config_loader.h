// Reading and validating the TOML config.
//
// Called on the main thread at start-up and by `ftnetd --check-config`;
// never on a worker. Every error names the file, the line, the key, the value
// and what is allowed, and a file with any error yields no Config at all.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/config/config.h"

namespace ftnet {

struct ConfigError {
    std::string source;  // file name
    int line = 0;        // 1-based; 0 when the error concerns the whole file
    std::string key;     // dotted path: "port[2].ipv4"
    std::string message;

    std::string str() const;  // "node1.toml:12: port[2].ipv4: ..."
};

struct ConfigResult {
    std::optional<Config> config;
    std::vector<ConfigError> errors;
};

ConfigResult load_config_file(const std::string& path);
ConfigResult load_config_string(std::string_view toml_text, const std::string& source_name);

// The lcore ids named by an EAL --lcores/-l style list ("0-1", "0,2",
// "0@(0-1),1@(0-1)", "(0,1)@0"); nullopt when it cannot be read.
std::optional<std::vector<unsigned>> parse_lcore_list(std::string_view s);

}  // namespace ftnet
