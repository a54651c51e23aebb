#include "engine/config/reader.h"

#include <algorithm>
#include <cctype>

namespace ftnet {

std::optional<IpAddr> parse_ip(std::string_view s) { return IpAddr::parse(s); }

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

}  // namespace ftnet
