// Which top-level keys of two TOML documents differ (a section, an array of
// tables, a value): compared by their canonical TOML text, so comments,
// spacing and key order within a table do not count.
//
// Pure; control thread and tests.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <vector>

namespace ftnet {

std::vector<std::string> changed_top_level_keys(const toml::table& before, const toml::table& after);

}  // namespace ftnet
