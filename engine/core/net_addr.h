// Value types for link-layer and IP addresses, with parsing and printing.
//
// Pure values, no DPDK: any thread may use them. Parsing is for the edges
// (config, management socket); the fast path only compares the raw bytes.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace ftnet {

enum class Family : uint8_t { V4 = 4, V6 = 6 };

inline const char* family_name(Family f) { return f == Family::V6 ? "IPv6" : "IPv4"; }

struct MacAddr {
    std::array<uint8_t, 6> b{};

    static std::optional<MacAddr> parse(std::string_view s);
    std::string str() const;          // 02:00:5e:00:53:01
    std::string windows_str() const;  // 02-00-5E-00-53-01, as ipconfig prints it
    bool is_zero() const { return b == std::array<uint8_t, 6>{}; }
    bool is_multicast() const { return b[0] & 0x01; }
    bool operator==(const MacAddr&) const = default;
};

struct IpAddr {
    Family family = Family::V4;
    std::array<uint8_t, 16> b{};  // IPv4 uses the first 4 bytes, network order

    static std::optional<IpAddr> parse(std::string_view s);
    static IpAddr v4(uint8_t a, uint8_t b1, uint8_t c, uint8_t d);
    static IpAddr from_v4_bytes(const void* p);
    static IpAddr from_v6_bytes(const void* p);

    std::string str() const;
    size_t size() const { return family == Family::V6 ? 16 : 4; }
    bool is_v6() const { return family == Family::V6; }
    bool is_unspecified() const;
    bool is_link_local() const;  // 169.254/16 or fe80::/10
    bool is_multicast() const;   // 224/4 or ff00::/8
    bool operator==(const IpAddr& o) const {
        return family == o.family && std::memcmp(b.data(), o.b.data(), size()) == 0;
    }
};

struct IpPrefix {
    IpAddr addr;
    uint8_t len = 0;

    // "198.18.1.0/24" or "fd00:1::/64". An address without "/len" is refused.
    static std::optional<IpPrefix> parse(std::string_view s);
    std::string str() const;
    bool contains(const IpAddr& a) const;
    // The mask as a dotted quad, for the ipconfig-style display.
    std::string v4_mask_str() const;
};

// An interface address: an address plus the length of its on-link prefix
// ("198.18.1.1/24"). A bare address takes the given default length.
struct IfAddr {
    IpAddr addr;
    uint8_t prefix_len = 0;

    static std::optional<IfAddr> parse(std::string_view s, uint8_t default_v4_len = 24,
                                       uint8_t default_v6_len = 64);
    IpPrefix subnet() const;
    std::string str() const;
};

}  // namespace ftnet
