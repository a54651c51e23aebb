// What the configuration says about message protection
// (docs/wire-format.md 10.5, config/schema.md [security]):
//
//   [cluster] key = "<32 or 64 hex>" | key_file = "/etc/ftnet/key", key_id = 1
//   [security] encrypt = false, primary_key = 1, state_dir = "/var/lib/ftnet"
//   [[security.keys]] id = 2, key = ... | key_file = ...   (more keys, for a rotation)
//
// Read by the security module's config section; main thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ftnet {

class ConfigSections;

struct ClusterKey {
    uint8_t id = 0;
    std::vector<uint8_t> bytes;  // 16 (AES-128) or 32 (AES-256)
    std::string source;          // "cluster.key", "security.keys[1].key" or a file path, for messages
};

struct SecurityConfig {
    std::vector<ClusterKey> keys;  // at least one once read without errors
    uint8_t primary = 0;           // the id of the key this node seals with
    bool encrypt = false;          // encrypt payloads (else authenticate only)
    std::string state_dir = "/var/lib/ftnet";  // where the epoch file lives
};

inline constexpr const char* kSecuritySection = "security";
inline constexpr uint8_t kMaxKeyId = 254;  // 255 is kept back for a future "no key"

void register_security_config(ConfigSections& s);

}  // namespace ftnet
