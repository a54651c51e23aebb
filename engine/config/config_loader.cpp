#include "engine/config/config_loader.h"

#include <fmt/format.h>

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <charconv>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "engine/common/adapter_identity.h"
#include "engine/common/ftnet_wire.h"
#include "engine/common/limits.h"

namespace ftnet {

const char* port_driver_name(PortDriver d) {
    switch (d) {
    case PortDriver::Pci: return "pci";
    case PortDriver::AfXdp: return "af_xdp";
    case PortDriver::AfPacket: return "af_packet";
    case PortDriver::Tap: return "tap";
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
        auto v = n->value<int64_t>();
        if (!n->is_integer() || !v) {
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

std::optional<IpAddr> parse_ip(std::string_view s) { return IpAddr::parse(s); }

std::optional<PortDriver> parse_driver(std::string_view s) {
    for (auto d : {PortDriver::Pci, PortDriver::AfXdp, PortDriver::AfPacket, PortDriver::Tap,
                   PortDriver::Ring, PortDriver::Null})
        if (s == port_driver_name(d)) return d;
    return std::nullopt;
}

bool valid_ifname(const std::string& s) {
    if (s.empty() || s.size() > 15) return false;
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; });
}

bool valid_token(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    });
}

bool valid_pci(const std::string& s) {
    // dddd:bb:dd.f or bb:dd.f
    auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
    std::string t = s.size() == 7 ? "0000:" + s : s;
    if (t.size() != 12 || t[4] != ':' || t[7] != ':' || t[10] != '.') return false;
    for (int i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (!hex(t[i])) return false;
    return t[11] >= '0' && t[11] <= '7';
}

// "03:00.0" and "0000:03:00.0" (in any case) name the same device.
bool same_pci(const std::string& a, const std::string& b) {
    auto norm = [](const std::string& s) {
        std::string t = s.size() == 7 ? "0000:" + s : s;
        for (char& ch : t) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        return t;
    };
    return norm(a) == norm(b);
}

void read_node(Reader& r, const toml::table& root, Config& c) {
    const toml::table* t = r.section(root, "node");
    if (!t) {
        if (!root.get("node")) r.error_at(0, "node", "required table [node] is missing");
        return;
    }
    r.check_known(*t, "node", {"id", "name", "cluster"});
    r.get_int(*t, "node", "id", c.node.id, 1, kMaxNodeId, true);
    if (r.get_string(*t, "node", "name", c.node.name, true, 31) && !valid_token(c.node.name))
        r.error(t->get("name"), "node.name",
                fmt::format("\"{}\" may hold only letters, digits, '-' and '_'", c.node.name));
    if (r.get_string(*t, "node", "cluster", c.node.cluster, false, 31) && !valid_token(c.node.cluster))
        r.error(t->get("cluster"), "node.cluster",
                fmt::format("\"{}\" may hold only letters, digits, '-' and '_'", c.node.cluster));
}

void read_eal(Reader& r, const toml::table& root, Config& c) {
    const toml::table* t = r.section(root, "eal");
    if (!t) return;
    auto& e = c.eal;
    r.check_known(*t, "eal", {"lcores", "main_lcore", "memory_mb", "no_huge", "file_prefix",
                              "in_memory", "log_level", "extra_args"});
    if (r.get_string(*t, "eal", "lcores", e.lcores) && !parse_lcore_list(e.lcores))
        r.error(t->get("lcores"), "eal.lcores",
                fmt::format("\"{}\" is not an EAL lcore list (e.g. \"0-1\" or \"0@(0-1),1@(0-1)\")",
                            e.lcores));
    r.get_int(*t, "eal", "main_lcore", e.main_lcore, 0, 1023);
    r.get_int(*t, "eal", "memory_mb", e.memory_mb, 64, 1 << 20);
    r.get_bool(*t, "eal", "no_huge", e.no_huge);
    if (r.get_string(*t, "eal", "file_prefix", e.file_prefix, false, 64) && !valid_token(e.file_prefix))
        r.error(t->get("file_prefix"), "eal.file_prefix",
                fmt::format("\"{}\" may hold only letters, digits, '-' and '_'", e.file_prefix));
    r.get_bool(*t, "eal", "in_memory", e.in_memory);
    if (r.get_string(*t, "eal", "log_level", e.log_level)) {
        static const std::set<std::string> levels = {"emerg", "alert", "crit", "error", "warning",
                                                      "notice", "info", "debug"};
        if (!levels.count(e.log_level))
            r.error(t->get("log_level"), "eal.log_level",
                    fmt::format("\"{}\" is not one of emerg, alert, crit, error, warning, notice, "
                                "info, debug",
                                e.log_level));
    }
    r.get_string_array(*t, "eal", "extra_args", e.extra_args);
}

void read_dataplane(Reader& r, const toml::table& root, Config& c) {
    const toml::table* t = r.section(root, "dataplane");
    if (!t) return;
    auto& d = c.dataplane;
    r.check_known(*t, "dataplane", {"workers", "burst", "mbufs", "idle_sleep_max_us", "idle_polls"});
    if (const toml::node* n = t->get("workers")) {
        const toml::array* a = n->as_array();
        if (!a) {
            r.error(n, "dataplane.workers",
                    fmt::format("{} is not a list of 1..{} worker lcore ids", Reader::shown(*n),
                                kMaxWorkers));
        } else if (a->empty() || a->size() > kMaxWorkers) {
            r.error(n, "dataplane.workers",
                    fmt::format("{} worker lcores listed (allowed 1..{})", a->size(), kMaxWorkers));
        } else {
            d.workers.clear();
            for (size_t i = 0; i < a->size(); i++) {
                const toml::node* e = a->get(i);
                auto v = e->value<int64_t>();
                std::string k = fmt::format("dataplane.workers[{}]", i);
                if (!e->is_integer() || !v)
                    r.error(e, k, fmt::format("{} is not an lcore id (allowed 0..1023)",
                                              Reader::shown(*e)));
                else if (*v < 0 || *v > 1023)
                    r.error(e, k, fmt::format("value {} is out of range (allowed 0..1023)", *v));
                else
                    d.workers.push_back(static_cast<unsigned>(*v));
            }
        }
    }
    r.get_int(*t, "dataplane", "burst", d.burst, 1, kMaxBurst);
    r.get_int(*t, "dataplane", "mbufs", d.mbufs, 1023, 1048575);
    r.get_int(*t, "dataplane", "idle_sleep_max_us", d.idle_sleep_max_us, 0, 100000);
    r.get_int(*t, "dataplane", "idle_polls", d.idle_polls, 1, 10000000);
}

void read_tunnel(Reader& r, const toml::table& root, Config& c) {
    const toml::table* t = r.section(root, "tunnel");
    if (!t) return;
    r.check_known(*t, "tunnel", {"udp_port", "dscp", "ttl"});
    r.get_int(*t, "tunnel", "udp_port", c.tunnel.udp_port, 1, 65535);
    r.get_int(*t, "tunnel", "dscp", c.tunnel.dscp, 0, 63);
    r.get_int(*t, "tunnel", "ttl", c.tunnel.ttl, 1, 255);
}

void read_adapter(Reader& r, const toml::table& root, Config& c) {
    const toml::table* t = r.section(root, "adapter");
    if (!t) return;
    auto& a = c.adapter;
    r.check_known(*t, "adapter", {"name", "driver", "mtu", "queues"});
    if (r.get_string(*t, "adapter", "name", a.name) && !valid_ifname(a.name))
        r.error(t->get("name"), "adapter.name",
                fmt::format("\"{}\" is not a valid interface name (1..15 of letters, digits, "
                            "'-', '_', '.')",
                            a.name));
    std::string drv;
    if (r.get_string(*t, "adapter", "driver", drv)) {
        auto d = parse_driver(drv);
        if (!d || (*d != PortDriver::Tap && *d != PortDriver::Ring && *d != PortDriver::Null))
            r.error(t->get("driver"), "adapter.driver",
                    fmt::format("\"{}\" is not an adapter driver (allowed: tap, ring, null)", drv));
        else
            a.driver = *d;
    }
    r.get_int(*t, "adapter", "mtu", a.mtu, 1280, 9000);
    r.get_int(*t, "adapter", "queues", a.queues, 0, kMaxWorkers);
}

void read_management(Reader& r, const toml::table& root, Config& c) {
    const toml::table* t = r.section(root, "management");
    if (!t) return;
    auto& m = c.management;
    r.check_known(*t, "management", {"socket", "socket_group", "cluster_log", "log_lines"});
    if (r.get_string(*t, "management", "socket", m.socket, false, 107) &&
        (m.socket.empty() || m.socket[0] != '/'))
        r.error(t->get("socket"), "management.socket",
                fmt::format("\"{}\" must be an absolute path", m.socket));
    r.get_string(*t, "management", "socket_group", m.socket_group, false, 32);
    if (r.get_string(*t, "management", "cluster_log", m.cluster_log, false, 4096) &&
        !m.cluster_log.empty() && m.cluster_log[0] != '/')
        r.error(t->get("cluster_log"), "management.cluster_log",
                fmt::format("\"{}\" must be an absolute path, or \"\" for no file", m.cluster_log));
    r.get_int(*t, "management", "log_lines", m.log_lines, 100, 1000000);
}

std::optional<std::array<uint8_t, 16>> parse_key_hex(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    if (s.size() != 32) return std::nullopt;
    std::array<uint8_t, 16> k{};
    for (size_t i = 0; i < 16; i++) {
        unsigned v = 0;
        auto [p, ec] = std::from_chars(s.data() + 2 * i, s.data() + 2 * i + 2, v, 16);
        if (ec != std::errc() || p != s.data() + 2 * i + 2) return std::nullopt;
        k[i] = static_cast<uint8_t>(v);
    }
    return k;
}

void read_cluster(Reader& r, const toml::table& root, Config& c) {
    const toml::table* t = r.section(root, "cluster");
    if (!t) {
        r.error_at(0, "cluster.key",
                   "a [cluster] table with key or key_file is required: heartbeats and HELLOs are "
                   "authenticated with the cluster key");
        return;
    }
    r.check_known(*t, "cluster", {"profile", "key", "key_file", "SameSubnetDelay", "SameSubnetThreshold",
                                  "CrossSubnetDelay", "CrossSubnetThreshold", "RouteRecoveryThreshold", "StallGrace",
                                  "FlapThreshold", "FlapWindow", "FlapHoldDown", "FlapHoldDownMax"});
    HeartbeatProfile profile = HeartbeatProfile::Classic;
    std::string pname;
    if (r.get_string(*t, "cluster", "profile", pname)) {
        if (auto p = parse_profile(pname))
            profile = *p;
        else
            r.error(t->get("profile"), "cluster.profile",
                    fmt::format("\"{}\" is not a heartbeat profile (allowed: classic, fast)", pname));
    }
    // Defaults of the chosen profile, then each property through the same
    // validation as `ftnetctl cluster set`.
    c.cluster.properties = ClusterProperties::defaults(profile);
    for (const std::string& name : property_names()) {
        const toml::node* n = t->get(name);
        if (!n) continue;
        auto v = n->value<int64_t>();
        if (!n->is_integer() || !v) {
            r.error(n, "cluster." + name, fmt::format("{} is not an integer", r.shown(*n)));
            continue;
        }
        if (auto err = set_property(c.cluster.properties, name, *v, false)) r.error(n, "cluster." + name, *err);
    }
    if (auto conflict = properties_consistent(c.cluster.properties)) {
        const toml::node* n = t->get(conflict->name);
        r.error(n ? n : t, "cluster." + conflict->name, conflict->message);
    }
    std::string key, key_file;
    bool has_key = r.get_string(*t, "cluster", "key", key, false, 64);
    bool has_file = r.get_string(*t, "cluster", "key_file", key_file, false, 4096);
    if (has_key && has_file) {
        r.error(t->get("key_file"), "cluster.key_file", "give either key or key_file, not both");
    } else if (has_key) {
        if (auto k = parse_key_hex(key)) {
            c.cluster.key = *k;
            c.cluster.key_source = "cluster.key";
        } else {
            r.error(t->get("key"), "cluster.key", "must be 32 hexadecimal digits (a 128-bit key)");
        }
    } else if (has_file) {
        struct stat st;
        std::ifstream f(key_file);
        if (key_file.empty() || key_file[0] != '/') {
            r.error(t->get("key_file"), "cluster.key_file", fmt::format("\"{}\" must be an absolute path", key_file));
        } else if (stat(key_file.c_str(), &st) != 0 || !f) {
            r.error(t->get("key_file"), "cluster.key_file", fmt::format("cannot read \"{}\"", key_file));
        } else if (st.st_mode & 077) {
            r.error(t->get("key_file"), "cluster.key_file",
                    fmt::format("\"{}\" is accessible to group or other users (mode {:04o}); chmod 600 it", key_file,
                                st.st_mode & 07777));
        } else {
            std::stringstream ss;
            ss << f.rdbuf();
            if (auto k = parse_key_hex(ss.str())) {
                c.cluster.key = *k;
                c.cluster.key_source = key_file;
            } else {
                r.error(t->get("key_file"), "cluster.key_file",
                        fmt::format("\"{}\" must hold 32 hexadecimal digits (a 128-bit key)", key_file));
            }
        }
    } else {
        r.error(t, "cluster.key",
                "required (or key_file): heartbeats and HELLOs are authenticated with the cluster key");
    }
}

void read_networks(Reader& r, const toml::table& root, Config& c) {
    auto list = r.tables(root, "", "network");
    if (list.size() > kMaxNetworks)
        r.error(root.get("network"), "network",
                fmt::format("{} networks defined, at most {}", list.size(), kMaxNetworks));
    for (size_t i = 0; i < list.size(); i++) {
        const toml::table& t = *list[i];
        std::string path = fmt::format("network[{}]", i);
        NetworkConfig n;
        n.line = static_cast<int>(t.source().begin.line);
        r.check_known(t, path, {"name", "role", "metric", "subnets"});
        if (r.get_string(t, path, "name", n.name, true, 31) && !valid_token(n.name))
            r.error(t.get("name"), path + ".name",
                    fmt::format("\"{}\" may hold only letters, digits, '-' and '_'", n.name));
        int64_t role = static_cast<int64_t>(n.role);
        r.get_int(t, path, "role", role, 0, 3);
        if (role != 0 && role != 1 && role != 3)
            r.error(t.get("role"), path + ".role",
                    fmt::format("value {} is not a role (allowed 0 = not used by the cluster, "
                                "1 = cluster only, 3 = cluster and client)",
                                role));
        else
            n.role = static_cast<NetworkRole>(role);
        r.get_int(t, path, "metric", n.metric, 0, 999999);
        std::vector<std::string> subnets;
        r.get_string_array(t, path, "subnets", subnets);  // reports non-strings
        // Walk the array itself, so that each error has its element's index and line.
        const toml::array* sa = t.get("subnets") ? t.get("subnets")->as_array() : nullptr;
        for (size_t j = 0; sa && j < sa->size(); j++) {
            const toml::node* e = sa->get(j);
            if (!e->is_string()) continue;
            std::string s = *e->value<std::string>();
            auto p = IpPrefix::parse(s);
            if (!p)
                r.error(e, fmt::format("{}.subnets[{}]", path, j),
                        fmt::format("\"{}\" is not a prefix like 198.18.1.0/24 or fd00:1::/64", s));
            else
                n.subnets.push_back(*p);
        }
        for (auto& other : c.networks)
            if (other.name == n.name && !n.name.empty())
                r.error(t.get("name"), path + ".name",
                        fmt::format("\"{}\" is already defined on line {}", n.name, other.line));
        c.networks.push_back(std::move(n));
    }
}

void read_address(Reader& r, const toml::table& t, const std::string& path, std::string_view key,
                  Family fam, std::optional<IfAddr>& out) {
    std::string s;
    if (!r.get_string(t, path, key, s)) return;
    auto a = IfAddr::parse(s);
    std::string k = Reader::join(path, key);
    if (!a) {
        r.error(t.get(key), k, fmt::format("\"{}\" is not an address like {}", s,
                                           fam == Family::V4 ? "198.18.1.1/24" : "fd00:1::1/64"));
        return;
    }
    if (a->addr.family != fam) {
        r.error(t.get(key), k, fmt::format("\"{}\" is not an {} address", s, family_name(fam)));
        return;
    }
    if (a->addr.is_unspecified() || a->addr.is_multicast()) {
        r.error(t.get(key), k, fmt::format("\"{}\" is not a unicast address", s));
        return;
    }
    out = *a;
}

void read_ip(Reader& r, const toml::table& t, const std::string& path, std::string_view key,
             Family fam, std::optional<IpAddr>& out) {
    auto a = r.get_parsed<IpAddr>(t, path, key, parse_ip, "an IP address");
    if (!a) return;
    if (a->family != fam) {
        r.error(t.get(key), Reader::join(path, key),
                fmt::format("\"{}\" is not an {} address", a->str(), family_name(fam)));
        return;
    }
    if (a->is_unspecified() || a->is_multicast()) {
        r.error(t.get(key), Reader::join(path, key),
                fmt::format("\"{}\" is not a unicast address", a->str()));
        return;
    }
    out = *a;
}

void read_ports(Reader& r, const toml::table& root, Config& c) {
    auto list = r.tables(root, "", "port");
    if (list.empty()) r.error_at(0, "port", "at least one [[port]] (a cluster network port) is required");
    if (list.size() + 1 > kMaxPorts)
        r.error(root.get("port"), "port",
                fmt::format("{} ports defined, at most {}", list.size(), kMaxPorts - 1));
    for (size_t i = 0; i < list.size(); i++) {
        const toml::table& t = *list[i];
        std::string path = fmt::format("port[{}]", i);
        PortConfig p;
        p.line = static_cast<int>(t.source().begin.line);
        r.check_known(t, path, {"name", "driver", "iface", "pci", "devargs", "network", "ipv4",
                                "ipv6", "gateway4", "gateway6", "rx_queues", "rx_desc", "tx_desc",
                                "mtu"});
        if (r.get_string(t, path, "name", p.name, true, 31) && !valid_token(p.name))
            r.error(t.get("name"), path + ".name",
                    fmt::format("\"{}\" may hold only letters, digits, '-' and '_'", p.name));
        std::string drv;
        bool driver_ok = false;  // without a driver, which of iface/pci is required is unknown
        if (r.get_string(t, path, "driver", drv, true)) {
            auto d = parse_driver(drv);
            if (!d || *d == PortDriver::Tap) {
                r.error(t.get("driver"), path + ".driver",
                        fmt::format("\"{}\" is not a port driver (allowed: pci, af_xdp, af_packet, "
                                    "ring, null)",
                                    drv));
            } else {
                p.driver = *d;
                driver_ok = true;
            }
        }
        bool kernel_iface =
            driver_ok && (p.driver == PortDriver::AfPacket || p.driver == PortDriver::AfXdp);
        if (r.get_string(t, path, "iface", p.iface, kernel_iface) && !valid_ifname(p.iface))
            r.error(t.get("iface"), path + ".iface",
                    fmt::format("\"{}\" is not a valid interface name", p.iface));
        if (r.get_string(t, path, "pci", p.pci, driver_ok && p.driver == PortDriver::Pci) &&
            !valid_pci(p.pci))
            r.error(t.get("pci"), path + ".pci",
                    fmt::format("\"{}\" is not a PCI address like 0000:03:00.0", p.pci));
        if (r.get_string(t, path, "devargs", p.devargs, false, 1024) &&
            p.devargs.find_first_of(" \t\n") != std::string::npos)
            r.error(t.get("devargs"), path + ".devargs", "must not contain white space");
        r.get_string(t, path, "network", p.network, true);
        read_address(r, t, path, "ipv4", Family::V4, p.ipv4);
        read_address(r, t, path, "ipv6", Family::V6, p.ipv6);
        read_ip(r, t, path, "gateway4", Family::V4, p.gateway4);
        read_ip(r, t, path, "gateway6", Family::V6, p.gateway6);
        r.get_int(t, path, "rx_queues", p.rx_queues, 1, kMaxWorkers);
        r.get_int(t, path, "rx_desc", p.rx_desc, 64, 16384);
        r.get_int(t, path, "tx_desc", p.tx_desc, 64, 16384);
        r.get_int(t, path, "mtu", p.mtu, 1280, 9600);

        if (!p.network.empty()) {
            const NetworkConfig* net = c.find_network(p.network);
            if (!net) {
                r.error(t.get("network"), path + ".network",
                        fmt::format("\"{}\" is not a defined [[network]]", p.network));
            } else if (net->role != NetworkRole::None) {
                if (!p.ipv4 && !p.ipv6)
                    r.error(&t, path,
                            fmt::format("port on network \"{}\" needs an ipv4 or ipv6 address",
                                        p.network));
                for (auto* a : {&p.ipv4, &p.ipv6}) {
                    if (!*a || net->subnets.empty()) continue;
                    bool inside = std::any_of(net->subnets.begin(), net->subnets.end(),
                                              [&](auto& s) { return s.contains((*a)->addr); });
                    if (!inside)
                        r.error(t.get((*a)->addr.is_v6() ? "ipv6" : "ipv4"),
                                path + ((*a)->addr.is_v6() ? ".ipv6" : ".ipv4"),
                                fmt::format("{} is not inside any subnet of network \"{}\"",
                                            (*a)->addr.str(), p.network));
                }
            }
        }
        for (auto [gw, addr, key] : {std::tuple{&p.gateway4, &p.ipv4, "gateway4"},
                                     std::tuple{&p.gateway6, &p.ipv6, "gateway6"}}) {
            if (!*gw) continue;
            if (!*addr)
                r.error(t.get(key), path + "." + key,
                        "a gateway needs a port address of the same family");
            else if (!(*addr)->subnet().contains(**gw))
                r.error(t.get(key), path + "." + key,
                        fmt::format("{} is not on the port's subnet {}", (*gw)->str(),
                                    (*addr)->subnet().str()));
        }
        size_t min_mtu = c.adapter.mtu + wire::kEthHdrLen + wire::kMaxOverhead;
        if (p.mtu < min_mtu)
            r.error(t.get("mtu") ? t.get("mtu") : &t, path + ".mtu",
                    fmt::format("value {} cannot carry adapter.mtu {} (needs at least {}: {} "
                                "bytes of tunnel overhead)",
                                p.mtu, c.adapter.mtu, min_mtu, min_mtu - c.adapter.mtu));
        for (auto& other : c.ports) {
            if (other.name == p.name && !p.name.empty())
                r.error(t.get("name"), path + ".name",
                        fmt::format("\"{}\" is already defined on line {}", p.name, other.line));
            if (kernel_iface && other.iface == p.iface && !p.iface.empty())
                r.error(t.get("iface"), path + ".iface",
                        fmt::format("\"{}\" is already used by port \"{}\"", p.iface, other.name));
            if (p.driver == PortDriver::Pci && other.driver == PortDriver::Pci && !p.pci.empty() &&
                same_pci(other.pci, p.pci))
                r.error(t.get("pci"), path + ".pci",
                        fmt::format("\"{}\" is already used by port \"{}\"", p.pci, other.name));
        }
        c.ports.push_back(std::move(p));
    }
}

void read_peers(Reader& r, const toml::table& root, Config& c) {
    auto list = r.tables(root, "", "peer");
    if (list.size() > kMaxPeers)
        r.error(root.get("peer"), "peer",
                fmt::format("{} peers defined, at most {}", list.size(), kMaxPeers));
    for (size_t i = 0; i < list.size(); i++) {
        const toml::table& t = *list[i];
        std::string path = fmt::format("peer[{}]", i);
        PeerConfig p;
        p.line = static_cast<int>(t.source().begin.line);
        r.check_known(t, path, {"id", "name", "endpoint"});
        r.get_int(t, path, "id", p.id, 1, kMaxNodeId, true);
        if (r.get_string(t, path, "name", p.name, true, 31) && !valid_token(p.name))
            r.error(t.get("name"), path + ".name",
                    fmt::format("\"{}\" may hold only letters, digits, '-' and '_'", p.name));
        if (p.id == c.node.id && p.id != 0)
            r.error(t.get("id"), path + ".id",
                    fmt::format("{} is this node's own id (node.id)", p.id));
        for (auto& other : c.peers)
            if (other.id == p.id && p.id != 0)
                r.error(t.get("id"), path + ".id",
                        fmt::format("{} is already used by peer \"{}\" on line {}", p.id,
                                    other.name, other.line));
        // Names identify nodes in logs and in HELLO: they must be unique too.
        if (!p.name.empty() && p.name == c.node.name)
            r.error(t.get("name"), path + ".name",
                    fmt::format("\"{}\" is this node's own name (node.name)", p.name));
        for (auto& other : c.peers)
            if (other.name == p.name && !p.name.empty())
                r.error(t.get("name"), path + ".name",
                        fmt::format("\"{}\" is already used by the peer on line {}", p.name,
                                    other.line));
        auto eps = r.tables(t, path, "endpoint");
        if (eps.empty()) r.error(&t, path + ".endpoint", "a peer needs at least one [[peer.endpoint]]");
        for (size_t j = 0; j < eps.size(); j++) {
            const toml::table& et = *eps[j];
            std::string epath = fmt::format("{}.endpoint[{}]", path, j);
            PeerEndpoint ep;
            r.check_known(et, epath, {"network", "ipv4", "ipv6"});
            if (r.get_string(et, epath, "network", ep.network, true) && !c.find_network(ep.network))
                r.error(et.get("network"), epath + ".network",
                        fmt::format("\"{}\" is not a defined [[network]]", ep.network));
            read_ip(r, et, epath, "ipv4", Family::V4, ep.ipv4);
            read_ip(r, et, epath, "ipv6", Family::V6, ep.ipv6);
            if (!ep.ipv4 && !ep.ipv6 && !et.get("ipv4") && !et.get("ipv6"))
                r.error(&et, epath, "an endpoint needs an ipv4 or ipv6 address");
            // Every endpoint address must lie in a subnet of its network, so
            // that the route builder can tell same-subnet from routed paths.
            const NetworkConfig* net = c.find_network(ep.network);
            for (auto [a, key] : {std::pair{&ep.ipv4, "ipv4"}, std::pair{&ep.ipv6, "ipv6"}}) {
                if (!*a || !net || net->subnets.empty()) continue;
                bool inside = std::any_of(net->subnets.begin(), net->subnets.end(),
                                          [&](auto& s) { return s.contains(**a); });
                if (!inside)
                    r.error(et.get(key), epath + "." + key,
                            fmt::format("{} is not inside any subnet of network \"{}\"",
                                        (*a)->str(), ep.network));
            }
            p.endpoints.push_back(std::move(ep));
        }
        c.peers.push_back(std::move(p));
    }
}

void cross_checks(Reader& r, const toml::table& root, Config& c) {
    // EAL refuses --in-memory with --no-huge (which implies legacy memory):
    // say so here rather than at start-up.
    if (c.eal.in_memory && c.eal.no_huge)
        r.error(root.at_path("eal.in_memory").node(), "eal.in_memory",
                "cannot be combined with eal.no_huge = true (DPDK needs hugepages for in-memory mode); "
                "drop one, and give each engine its own eal.file_prefix instead");
    auto lcores = parse_lcore_list(c.eal.lcores);
    if (lcores) {
        auto has = [&](unsigned id) { return std::find(lcores->begin(), lcores->end(), id) != lcores->end(); };
        // Report at the key that was written; a default that does not fit is
        // reported at eal.lcores, the key that made it wrong.
        auto node_or = [&](const char* key, const toml::node* fallback) {
            const toml::node* n = root.at_path(key).node();
            return n ? n : fallback;
        };
        const toml::node* lcores_n = root.at_path("eal.lcores").node();
        if (!has(c.eal.main_lcore))
            r.error(node_or("eal.main_lcore", lcores_n), "eal.main_lcore",
                    fmt::format("lcore {} is not in eal.lcores \"{}\"", c.eal.main_lcore, c.eal.lcores));
        const toml::node* workers_n = node_or("dataplane.workers", lcores_n);
        const toml::array* wa = workers_n ? workers_n->as_array() : nullptr;
        std::set<unsigned> seen;
        for (size_t i = 0; i < c.dataplane.workers.size(); i++) {
            unsigned w = c.dataplane.workers[i];
            // The worker's own element, when every element was read (then
            // indexes match); else the list.
            const toml::node* n = wa && wa->size() == c.dataplane.workers.size() ? wa->get(i) : workers_n;
            if (!has(w))
                r.error(n, "dataplane.workers",
                        fmt::format("worker lcore {} is not in eal.lcores \"{}\"", w, c.eal.lcores));
            if (w == c.eal.main_lcore)
                r.error(n, "dataplane.workers",
                        fmt::format("lcore {} is the main lcore (it runs the control thread)", w));
            if (!seen.insert(w).second)
                r.error(n, "dataplane.workers", fmt::format("lcore {} is listed twice", w));
        }
    }
    bool any_cluster_port = std::any_of(c.ports.begin(), c.ports.end(), [&](auto& p) {
        auto* n = c.find_network(p.network);
        return n && n->role != NetworkRole::None;
    });
    if (!c.ports.empty() && !any_cluster_port)
        r.error_at(0, "port", "no port is on a network with role 1 or 3: the cluster has no path");
}

ConfigResult load(const toml::table& root, const std::string& source) {
    ConfigResult res;
    Reader r(source, res.errors);
    Config c;
    c.path = source;
    r.check_known(root, "", {"node", "eal", "dataplane", "tunnel", "adapter", "management",
                             "cluster", "network", "port", "peer"});
    read_node(r, root, c);
    read_eal(r, root, c);
    read_dataplane(r, root, c);
    read_tunnel(r, root, c);
    read_adapter(r, root, c);
    read_management(r, root, c);
    read_cluster(r, root, c);
    read_networks(r, root, c);
    read_ports(r, root, c);
    read_peers(r, root, c);
    cross_checks(r, root, c);
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
