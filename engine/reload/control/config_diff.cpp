#include "engine/reload/control/config_diff.h"

#include <set>
#include <sstream>

namespace ftnet {

namespace {

std::string canonical(const toml::node* n) {
    if (!n) return "<absent>";
    std::ostringstream os;
    if (const toml::table* t = n->as_table())
        os << toml::toml_formatter(*t);
    else if (const toml::array* a = n->as_array())
        os << toml::toml_formatter(*a);
    else
        n->visit([&](auto&& v) { os << toml::toml_formatter(v); });
    return os.str();
}

}  // namespace

std::vector<std::string> changed_top_level_keys(const toml::table& before, const toml::table& after) {
    std::set<std::string> keys;
    for (auto& [k, v] : before) keys.insert(std::string(k.str()));
    for (auto& [k, v] : after) keys.insert(std::string(k.str()));
    std::vector<std::string> out;
    for (auto& k : keys)
        if (canonical(before.get(k)) != canonical(after.get(k))) out.push_back(k);
    return out;
}

}  // namespace ftnet
