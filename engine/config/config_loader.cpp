#include "engine/config/config_loader.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>

#include "engine/config/config_sections.h"
#include "engine/config/reader.h"

namespace ftnet {

const char* port_driver_name(PortDriver d) {
    switch (d) {
    case PortDriver::Pci: return "pci";
    case PortDriver::AfXdp: return "af_xdp";
    case PortDriver::AfPacket: return "af_packet";
    case PortDriver::Tap: return "tap";
    case PortDriver::VirtioUser: return "virtio_user";
    case PortDriver::Ring: return "ring";
    case PortDriver::Null: return "null";
    }
    return "?";
}

const NetworkConfig* Config::find_network(const std::string& name) const {
    for (auto& n : networks)
        if (n.name == name) return &n;
    return nullptr;
}

std::string ConfigError::str() const {
    std::string s = source;
    if (line > 0) s += fmt::format(":{}", line);
    s += ": ";
    if (!key.empty()) s += key + ": ";
    return s + message;
}

std::optional<std::vector<unsigned>> parse_lcore_list(std::string_view s) {
    // Split at top-level commas; for each item keep the part before '@'
    // (the lcore ids), strip one level of parentheses, then read "A" or "A-B"
    // items separated by commas.
    std::vector<unsigned> out;
    auto read_ids = [](std::string_view ids, std::vector<unsigned>& out) -> bool {
        if (!ids.empty() && ids.front() == '(') {
            if (ids.back() != ')') return false;
            ids = ids.substr(1, ids.size() - 2);
        }
        size_t pos = 0;
        while (pos <= ids.size()) {
            size_t comma = ids.find(',', pos);
            auto item = ids.substr(pos, comma == std::string_view::npos ? std::string_view::npos
                                                                          : comma - pos);
            unsigned a = 0, b = 0;
            auto dash = item.find('-');
            auto first = item.substr(0, dash);
            auto [p1, e1] = std::from_chars(first.data(), first.data() + first.size(), a);
            if (e1 != std::errc() || p1 != first.data() + first.size() || first.empty()) return false;
            b = a;
            if (dash != std::string_view::npos) {
                auto second = item.substr(dash + 1);
                auto [p2, e2] = std::from_chars(second.data(), second.data() + second.size(), b);
                if (e2 != std::errc() || p2 != second.data() + second.size() || b < a) return false;
            }
            if (b > 1023) return false;
            for (unsigned i = a; i <= b; i++) out.push_back(i);
            if (comma == std::string_view::npos) break;
            pos = comma + 1;
        }
        return true;
    };
    int depth = 0;
    size_t start = 0;
    for (size_t i = 0; i <= s.size(); i++) {
        if (i < s.size() && s[i] == '(') depth++;
        if (i < s.size() && s[i] == ')') depth--;
        if (depth < 0) return std::nullopt;
        if (i == s.size() || (s[i] == ',' && depth == 0)) {
            auto item = s.substr(start, i - start);
            // "lcores@cpus": the cpu set is not returned, but must be readable
            // too, or EAL would refuse the list only at start-up.
            auto at = item.find('@');
            std::vector<unsigned> cpus;
            if (!read_ids(item.substr(0, at), out) ||
                (at != std::string_view::npos && !read_ids(item.substr(at + 1), cpus)))
                return std::nullopt;
            start = i + 1;
        }
    }
    if (depth != 0 || out.empty()) return std::nullopt;
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

namespace {

// Every registered section reads its part (absent or not: a reader decides
// whether its section is required), then every section's checks across
// sections run; a top-level key no module reads is an error.
ConfigResult load(const toml::table& root, const std::string& source) {
    ConfigResult res;
    Reader r(source, res.errors);
    Config c;
    c.path = source;
    const ConfigSections& sections = config_sections();
    r.check_known(root, "", sections.keys());
    for (auto& s : sections.all()) s.read(r, root, c);
    for (auto& s : sections.all())
        if (s.check) s.check(r, root, c);
    if (res.errors.empty()) res.config = std::move(c);
    std::stable_sort(res.errors.begin(), res.errors.end(),
                     [](auto& a, auto& b) { return a.line < b.line; });
    return res;
}

}  // namespace

ConfigResult load_config_string(std::string_view text, const std::string& source_name) {
    try {
        toml::table root = toml::parse(text, source_name);
        return load(root, source_name);
    } catch (const toml::parse_error& e) {
        ConfigResult res;
        res.errors.push_back({source_name, static_cast<int>(e.source().begin.line), "",
                              fmt::format("TOML syntax error: {}", e.description())});
        return res;
    }
}

ConfigResult load_config_file(const std::string& path) {
    try {
        toml::table root = toml::parse_file(path);
        return load(root, path);
    } catch (const toml::parse_error& e) {
        ConfigResult res;
        std::string desc(e.description());
        int line = static_cast<int>(e.source().begin.line);
        if (desc.find("File could not be opened") != std::string::npos) {
            line = 0;
            desc = "cannot open the file for reading";
        } else {
            desc = "TOML syntax error: " + desc;
        }
        res.errors.push_back({path, line, "", desc});
        return res;
    }
}

}  // namespace ftnet