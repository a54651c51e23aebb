// The shared, range-checked reader of the TOML config: every module's
// section reader uses it, so that every error names the file, the line, the
// key, the value and what is allowed, the same way.
//
// Main thread only (config load, `ftnetd --check-config`).
#pragma once

#include <fmt/format.h>
#include <toml++/toml.h>

#include <fmt/ranges.h>

#include <algorithm>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "engine/config/config_loader.h"
#include "engine/core/net_addr.h"

namespace ftnet {

// Walks one TOML document, converting values into the Config and recording
// every problem with its line. Unknown keys are errors: a typo must not be
// silently ignored in a file that decides how a cluster fails over.
class Reader {
  public:
    Reader(std::string source, std::vector<ConfigError>& errors)
        : source_(std::move(source)), errors_(errors) {}

    void error(const toml::node* n, const std::string& key, std::string msg) {
        int line = n ? static_cast<int>(n->source().begin.line) : 0;
        errors_.push_back({source_, line, key, std::move(msg)});
    }
    void error_at(int line, const std::string& key, std::string msg) {
        errors_.push_back({source_, line, key, std::move(msg)});
    }

    // A value as written, for messages about its type; strings in double
    // quotes like every other message.
    static std::string shown(const toml::node& n) {
        if (n.is_table()) return "a table";
        if (n.is_array()) return "an array";
        if (n.is_string()) return fmt::format("\"{}\"", *n.value<std::string>());
        std::ostringstream s;
        n.visit([&](auto& v) {
            if constexpr (toml::is_value<decltype(v)>) s << v;
        });
        return s.str();
    }

    // An optional top-level section such as [eal]: null when absent, and an
    // error (not silence) when the key holds something other than a table.
    const toml::table* section(const toml::table& root, std::string_view key) {
        const toml::node* n = root.get(key);
        if (n && !n->is_table())
            error(n, std::string(key), fmt::format("{} must be a table [{}]", shown(*n), key));
        return n ? n->as_table() : nullptr;
    }

    static std::string join(const std::string& path, std::string_view key) {
        return path.empty() ? std::string(key) : path + "." + std::string(key);
    }

    void check_known(const toml::table& t, const std::string& path, const std::vector<std::string>& known) {
        for (auto& [k, v] : t) {
            if (std::find(known.begin(), known.end(), k.str()) == known.end())
                error(&v, join(path, k.str()),
                      fmt::format("unknown key (allowed here: {})", fmt::join(known, ", ")));
        }
    }
    void check_known(const toml::table& t, const std::string& path,
                     std::initializer_list<std::string_view> known) {
        for (auto& [k, v] : t) {
            if (std::find(known.begin(), known.end(), k.str()) == known.end())
                error(&v, join(path, k.str()),
                      fmt::format("unknown key (allowed here: {})", fmt::join(known, ", ")));
        }
    }

    template <typename T>
    void get_int(const toml::table& t, const std::string& path, std::string_view key, T& out,
                 int64_t lo, int64_t hi, bool required = false) {
        const toml::node* n = t.get(key);
        std::string k = join(path, key);
        if (!n) {
            if (required) error(&t, k, "required key is missing");
            return;
        }
        // Not value<int64_t>() on a float: toml++ converts it, and one out of
        // int64's range (2e48) is undefined behaviour (found by fuzz_config).
        auto v = n->is_integer() ? n->value<int64_t>() : std::nullopt;
        if (!v) {
            error(n, k, fmt::format("{} is not an integer (allowed {}..{})", shown(*n), lo, hi));
            return;
        }
        if (*v < lo || *v > hi) {
            error(n, k, fmt::format("value {} is out of range (allowed {}..{})", *v, lo, hi));
            return;
        }
        out = static_cast<T>(*v);
    }

    void get_bool(const toml::table& t, const std::string& path, std::string_view key, bool& out) {
        const toml::node* n = t.get(key);
        if (!n) return;
        if (!n->is_boolean()) {
            error(n, join(path, key), fmt::format("{} is not true or false", shown(*n)));
            return;
        }
        out = *n->value<bool>();
    }

    bool get_string(const toml::table& t, const std::string& path, std::string_view key,
                    std::string& out, bool required = false, size_t max_len = 255) {
        const toml::node* n = t.get(key);
        std::string k = join(path, key);
        if (!n) {
            if (required) error(&t, k, "required key is missing");
            return false;
        }
        if (!n->is_string()) {
            error(n, k, fmt::format("{} is not a string", shown(*n)));
            return false;
        }
        std::string v = *n->value<std::string>();
        if (v.size() > max_len) {
            error(n, k, fmt::format("\"{}\" is too long ({} characters, at most {})", v, v.size(),
                                    max_len));
            return false;
        }
        out = std::move(v);
        return true;
    }

    void get_string_array(const toml::table& t, const std::string& path, std::string_view key,
                          std::vector<std::string>& out) {
        const toml::node* n = t.get(key);
        if (!n) return;
        const toml::array* a = n->as_array();
        if (!a) {
            error(n, join(path, key), fmt::format("{} is not an array of strings", shown(*n)));
            return;
        }
        out.clear();
        for (size_t i = 0; i < a->size(); i++) {
            const toml::node* e = a->get(i);
            if (!e->is_string()) {
                error(e, fmt::format("{}[{}]", join(path, key), i),
                      fmt::format("{} is not a string", shown(*e)));
                continue;
            }
            out.push_back(*e->value<std::string>());
        }
    }

    template <typename T>
    std::optional<T> get_parsed(const toml::table& t, const std::string& path,
                                std::string_view key, std::optional<T> (*parse)(std::string_view),
                                const char* what) {
        std::string s;
        if (!get_string(t, path, key, s)) return std::nullopt;
        auto v = parse(s);
        if (!v) error(t.get(key), join(path, key), fmt::format("\"{}\" is not {}", s, what));
        return v;
    }

    // Arrays of tables ([[port]]); also accepts a single [port] table.
    // path is the parent's key ("peer[0]"), empty at the top level.
    std::vector<const toml::table*> tables(const toml::table& parent, const std::string& path,
                                           std::string_view key) {
        std::vector<const toml::table*> out;
        const toml::node* n = parent.get(key);
        std::string k = join(path, key);
        if (!n) return out;
        if (auto* tb = n->as_table()) {
            out.push_back(tb);
        } else if (auto* a = n->as_array()) {
            for (size_t i = 0; i < a->size(); i++) {
                if (auto* e = a->get(i)->as_table())
                    out.push_back(e);
                else
                    error(a->get(i), fmt::format("{}[{}]", k, i),
                          fmt::format("{} is not a table", shown(*a->get(i))));
            }
        } else {
            error(n, k, fmt::format("{} is not a table or an array of tables", shown(*n)));
        }
        return out;
    }

    const std::string& source() const { return source_; }

  private:
    std::string source_;
    std::vector<ConfigError>& errors_;
};

// Value checks shared by sections.
std::optional<IpAddr> parse_ip(std::string_view s);
bool valid_ifname(const std::string& s);
bool valid_token(const std::string& s);  // letters, digits, '-' and '_'
bool valid_pci(const std::string& s);
bool same_pci(const std::string& a, const std::string& b);

}  // namespace ftnet
