#include "engine/security/control/key_material.h"

#include <fmt/format.h>

#include "engine/config/private_file.h"

#include <cctype>
#include <charconv>

namespace ftnet {

std::optional<std::vector<uint8_t>> parse_key_hex(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    if (s.size() != 32 && s.size() != 64) return std::nullopt;
    std::vector<uint8_t> k(s.size() / 2);
    for (size_t i = 0; i < k.size(); i++) {
        unsigned v = 0;
        auto [p, ec] = std::from_chars(s.data() + 2 * i, s.data() + 2 * i + 2, v, 16);
        if (ec != std::errc() || p != s.data() + 2 * i + 2) return std::nullopt;
        k[i] = static_cast<uint8_t>(v);
    }
    return k;
}

std::optional<std::vector<uint8_t>> read_key_file(const std::string& path, std::string* error) {
    auto text = read_private_file(path, error);
    if (!text) return std::nullopt;
    auto k = parse_key_hex(*text);
    if (!k) *error = fmt::format("\"{}\" must hold 32 or 64 hexadecimal digits (a 128- or 256-bit key)", path);
    return k;
}

}  // namespace ftnet
