// The [security] section, and the cluster key of [cluster] (key, key_file,
// key_id), which most clusters need alone.

#include "engine/security/control/key_config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cstdint>

#include "engine/config/config_sections.h"
#include "engine/config/reader.h"
#include "engine/security/control/key_material.h"
#include "engine/security/key_ring.h"

namespace ftnet {

namespace {

// key or key_file (exactly one) of table t at `path`; errors name the key.
bool read_key_material(Reader& r, const toml::table& t, const std::string& path, ClusterKey& out) {
    std::string key, key_file;
    // No length limit here: a too-long key is refused below without
    // echoing it (error messages must never show key material).
    const bool has_key = r.get_string(t, path, "key", key, false, SIZE_MAX);
    const bool has_file = r.get_string(t, path, "key_file", key_file, false, 4096);
    if (has_key && has_file) {
        r.error(t.get("key_file"), path + ".key_file", "give either key or key_file, not both");
        return false;
    }
    if (has_key) {
        auto k = parse_key_hex(key);
        if (!k) {
            r.error(t.get("key"), path + ".key", "must be 32 or 64 hexadecimal digits (a 128- or 256-bit AES key)");
            return false;
        }
        out.bytes = *k;
        out.source = path + ".key";
        return true;
    }
    if (has_file) {
        std::string why;
        auto k = read_key_file(key_file, &why);
        if (!k) {
            r.error(t.get("key_file"), path + ".key_file", why);
            return false;
        }
        out.bytes = *k;
        out.source = key_file;
        return true;
    }
    return false;
}

void read_security(Reader& r, const toml::table& root, Config& c) {
    SecurityConfig& s = c.section<SecurityConfig>(kSecuritySection);
    s = SecurityConfig{};
    // The cluster key of [cluster] (its other keys are the heartbeat module's).
    if (const toml::table* ct = root["cluster"].as_table()) {
        ClusterKey k;
        k.id = 1;
        r.get_int(*ct, "cluster", "key_id", k.id, 1, kMaxKeyId);
        if (read_key_material(r, *ct, "cluster", k)) s.keys.push_back(k);
    }
    const toml::table* t = r.section(root, kSecuritySection);
    bool primary_given = false;
    if (t) {
        r.check_known(*t, kSecuritySection, {"encrypt", "primary_key", "state_dir", "keys"});
        r.get_bool(*t, kSecuritySection, "encrypt", s.encrypt);
        if (t->get("primary_key")) {
            primary_given = true;
            r.get_int(*t, kSecuritySection, "primary_key", s.primary, 1, kMaxKeyId);
        }
        if (r.get_string(*t, kSecuritySection, "state_dir", s.state_dir, false, 1024) &&
            (s.state_dir.empty() || s.state_dir[0] != '/'))
            r.error(t->get("state_dir"), "security.state_dir", fmt::format("\"{}\" must be an absolute path", s.state_dir));
        if (const toml::node* kn = t->get("keys")) {
            const toml::array* arr = kn->as_array();
            if (!arr) {
                r.error(kn, "security.keys", "must be an array of tables [[security.keys]]");
            } else {
                for (size_t i = 0; i < arr->size(); i++) {
                    const std::string path = fmt::format("security.keys[{}]", i);
                    const toml::table* kt = (*arr)[i].as_table();
                    if (!kt) {
                        r.error(&(*arr)[i], path, "must be a table with id and key or key_file");
                        continue;
                    }
                    r.check_known(*kt, path, {"id", "key", "key_file"});
                    ClusterKey k;
                    r.get_int(*kt, path, "id", k.id, 1, kMaxKeyId, true);
                    if (!read_key_material(r, *kt, path, k)) {
                        if (!kt->get("key") && !kt->get("key_file"))
                            r.error(kt, path + ".key", "required (or key_file)");
                        continue;
                    }
                    if (k.id == 0) continue;
                    auto dup = std::find_if(s.keys.begin(), s.keys.end(), [&](const ClusterKey& o) { return o.id == k.id; });
                    if (dup != s.keys.end()) {
                        r.error(kt->get("id"), path + ".id", fmt::format("key id {} is already given by {}", k.id, dup->source));
                        continue;
                    }
                    s.keys.push_back(k);
                }
            }
        }
    }
    if (s.keys.empty()) {
        const toml::table* ct = root["cluster"].as_table();
        const bool tried = ct && (ct->get("key") || ct->get("key_file"));  // already reported why not
        if (!tried) {
            const std::string msg = "required (or cluster.key_file, or [[security.keys]]): every ftnet message is "
                                    "sealed with a cluster key";
            if (ct)
                r.error(ct, "cluster.key", msg);
            else
                r.error_at(0, "cluster.key", msg);
        }
        return;
    }
    if (s.keys.size() > kMaxKeys) {
        r.error(t ? t->get("keys") : nullptr, "security.keys",
                fmt::format("{} keys given; at most {} are held at once", s.keys.size(), kMaxKeys));
    }
    if (!primary_given) {
        if (s.keys.size() == 1) {
            s.primary = s.keys[0].id;
        } else {
            r.error(t, "security.primary_key", "required when several keys are given: which one this node seals with");
        }
    } else if (std::none_of(s.keys.begin(), s.keys.end(), [&](const ClusterKey& k) { return k.id == s.primary; })) {
        r.error(t->get("primary_key"), "security.primary_key",
                fmt::format("{} is not the id of a configured key", s.primary));
    }
}

}  // namespace

void register_security_config(ConfigSections& s) { s.add({kSecuritySection, "security", read_security}); }

}  // namespace ftnet
