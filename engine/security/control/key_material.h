// Cluster key material as an operator writes it: 32 or 64 hexadecimal
// digits (AES-128 or AES-256), inline or in a file only root may read.
// Shared by the config reader and `ftnetctl key add`.
//
// Pure (key_file reads the file); main thread or control thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ftnet {

// 16 or 32 bytes, or nullopt when s (surrounding whitespace allowed) is not
// 32 or 64 hexadecimal digits.
std::optional<std::vector<uint8_t>> parse_key_hex(std::string_view s);

// The key in file `path`, or the reason it cannot be used (not absolute,
// unreadable, readable by group or others, not a key) in *error.
std::optional<std::vector<uint8_t>> read_key_file(const std::string& path, std::string* error);

}  // namespace ftnet
