#include "engine/core/net_addr.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstdio>

namespace ftnet {

std::optional<MacAddr> MacAddr::parse(std::string_view s) {
    // Accept ':' or '-' separators, as Linux and Windows print them.
    if (s.size() != 17) return std::nullopt;
    MacAddr m;
    for (int i = 0; i < 6; i++) {
        if (i > 0 && s[i * 3 - 1] != ':' && s[i * 3 - 1] != '-') return std::nullopt;
        unsigned v = 0;
        auto part = s.substr(i * 3, 2);
        auto [p, ec] = std::from_chars(part.data(), part.data() + 2, v, 16);
        if (ec != std::errc() || p != part.data() + 2) return std::nullopt;
        m.b[i] = static_cast<uint8_t>(v);
    }
    return m;
}

std::string MacAddr::str() const {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4],
                  b[5]);
    return buf;
}

std::string MacAddr::windows_str() const {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02X-%02X-%02X-%02X-%02X-%02X", b[0], b[1], b[2], b[3], b[4],
                  b[5]);
    return buf;
}

std::optional<IpAddr> IpAddr::parse(std::string_view s) {
    if (s.empty() || s.size() > 45) return std::nullopt;
    std::string z(s);
    IpAddr a;
    if (z.find(':') != std::string::npos) {
        a.family = Family::V6;
        if (inet_pton(AF_INET6, z.c_str(), a.b.data()) != 1) return std::nullopt;
    } else {
        a.family = Family::V4;
        if (inet_pton(AF_INET, z.c_str(), a.b.data()) != 1) return std::nullopt;
    }
    return a;
}

IpAddr IpAddr::v4(uint8_t a, uint8_t b1, uint8_t c, uint8_t d) {
    IpAddr r;
    r.family = Family::V4;
    r.b[0] = a;
    r.b[1] = b1;
    r.b[2] = c;
    r.b[3] = d;
    return r;
}

IpAddr IpAddr::from_v4_bytes(const void* p) {
    IpAddr r;
    r.family = Family::V4;
    std::memcpy(r.b.data(), p, 4);
    return r;
}

IpAddr IpAddr::from_v6_bytes(const void* p) {
    IpAddr r;
    r.family = Family::V6;
    std::memcpy(r.b.data(), p, 16);
    return r;
}

std::string IpAddr::str() const {
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(is_v6() ? AF_INET6 : AF_INET, b.data(), buf, sizeof buf);
    return buf;
}

bool IpAddr::is_unspecified() const {
    for (size_t i = 0; i < size(); i++)
        if (b[i]) return false;
    return true;
}

bool IpAddr::is_link_local() const {
    if (is_v6()) return b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
    return b[0] == 169 && b[1] == 254;
}

bool IpAddr::is_multicast() const {
    if (is_v6()) return b[0] == 0xff;
    return (b[0] & 0xf0) == 0xe0;
}

static std::optional<uint8_t> parse_len(std::string_view s, unsigned max) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v > max) return std::nullopt;
    return static_cast<uint8_t>(v);
}

std::optional<IpPrefix> IpPrefix::parse(std::string_view s) {
    auto slash = s.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto a = IpAddr::parse(s.substr(0, slash));
    if (!a) return std::nullopt;
    auto len = parse_len(s.substr(slash + 1), a->is_v6() ? 128 : 32);
    if (!len) return std::nullopt;
    IpPrefix p{*a, *len};
    // Normalise host bits away so that equal subnets compare equal.
    for (size_t i = 0; i < a->size(); i++) {
        int bits = static_cast<int>(*len) - static_cast<int>(i * 8);
        if (bits >= 8) continue;
        p.addr.b[i] &= bits <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - bits));
    }
    return p;
}

std::string IpPrefix::str() const { return addr.str() + "/" + std::to_string(len); }

bool IpPrefix::contains(const IpAddr& a) const {
    if (a.family != addr.family) return false;
    unsigned full = len / 8, rest = len % 8;
    if (std::memcmp(a.b.data(), addr.b.data(), full) != 0) return false;
    if (rest == 0) return true;
    uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
    return (a.b[full] & mask) == (addr.b[full] & mask);
}

std::string IpPrefix::v4_mask_str() const {
    uint32_t m = len == 0 ? 0 : 0xffffffffu << (32 - len);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", m >> 24, (m >> 16) & 0xff, (m >> 8) & 0xff,
                  m & 0xff);
    return buf;
}

std::optional<IfAddr> IfAddr::parse(std::string_view s, uint8_t default_v4_len,
                                    uint8_t default_v6_len) {
    auto slash = s.find('/');
    auto a = IpAddr::parse(s.substr(0, slash));
    if (!a) return std::nullopt;
    IfAddr r{*a, a->is_v6() ? default_v6_len : default_v4_len};
    if (slash != std::string_view::npos) {
        auto len = parse_len(s.substr(slash + 1), a->is_v6() ? 128 : 32);
        if (!len) return std::nullopt;
        r.prefix_len = *len;
    }
    return r;
}

IpPrefix IfAddr::subnet() const {
    auto p = IpPrefix::parse(addr.str() + "/" + std::to_string(prefix_len));
    return p ? *p : IpPrefix{addr, prefix_len};
}

std::string IfAddr::str() const { return addr.str() + "/" + std::to_string(prefix_len); }

}  // namespace ftnet
