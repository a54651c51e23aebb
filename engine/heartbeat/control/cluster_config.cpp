// The [cluster] section: the heartbeat profile and properties, and the
// cluster key that authenticates every signed message.

#include <sys/stat.h>

#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "engine/config/config_sections.h"
#include "engine/config/reader.h"
#include "engine/heartbeat/control/heartbeat_module.h"

namespace ftnet {

namespace {

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

}  // namespace

void register_cluster_config(ConfigSections& s) { s.add({"cluster", "heartbeat", read_cluster}); }

}  // namespace ftnet
