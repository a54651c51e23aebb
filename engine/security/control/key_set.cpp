#include "engine/security/control/key_set.h"

#include <fmt/format.h>

#include <algorithm>

#include "engine/security/key_ring.h"

namespace ftnet {

namespace {

std::vector<ClusterKey>::iterator held(SecurityConfig& s, uint8_t id) {
    return std::find_if(s.keys.begin(), s.keys.end(), [&](const ClusterKey& k) { return k.id == id; });
}

std::optional<std::string> bad_id(uint8_t id) {
    if (id < 1 || id > kMaxKeyId) return fmt::format("key id {} is out of range (1..{})", id, kMaxKeyId);
    return std::nullopt;
}

}  // namespace

std::optional<std::string> key_add(SecurityConfig& s, ClusterKey k) {
    if (auto e = bad_id(k.id)) return e;
    if (held(s, k.id) != s.keys.end()) return fmt::format("key {} is already held; retire it first", k.id);
    if (k.bytes.size() != 16 && k.bytes.size() != 32) return std::string("a key is 16 or 32 bytes (AES-128 or AES-256)");
    if (s.keys.size() >= kMaxKeys) return fmt::format("{} keys are held already (at most {})", s.keys.size(), kMaxKeys);
    s.keys.push_back(std::move(k));
    return std::nullopt;
}

std::optional<std::string> key_use(SecurityConfig& s, uint8_t id) {
    if (auto e = bad_id(id)) return e;
    if (held(s, id) == s.keys.end()) return fmt::format("key {} is not held; add it first", id);
    s.primary = id;
    return std::nullopt;
}

std::optional<std::string> key_retire(SecurityConfig& s, uint8_t id) {
    if (auto e = bad_id(id)) return e;
    auto it = held(s, id);
    if (it == s.keys.end()) return fmt::format("key {} is not held", id);
    if (id == s.primary) return fmt::format("key {} is the one this node seals with; `key use` another first", id);
    s.keys.erase(it);
    return std::nullopt;
}

}  // namespace ftnet
