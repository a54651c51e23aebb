// DHCPv4 messages (RFC 2131, options RFC 2132): the fixed BOOTP part and
// the options a client sends and reads. No library in Debian does this for
// a client that lives in someone else's packet engine (dhcpcd and ISC's
// dhclient are programs, not libraries), so the codec is ours, small and
// fuzzed (tests/fuzz/fuzz_dhcp.cpp).
//
// Pure; any thread. decode() never reads past `len` and refuses what is
// not a well-formed DHCP message (no magic cookie, an option running past
// the end, no message type).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/net_addr.h"

namespace ftnet::dhcp {

inline constexpr uint16_t kServerPort = 67;
inline constexpr uint16_t kClientPort = 68;

enum class MsgType : uint8_t {
    Discover = 1,
    Offer = 2,
    Request = 3,
    Decline = 4,
    Ack = 5,
    Nak = 6,
    Release = 7,
    Inform = 8,
};
const char* type_name(MsgType t);

struct Message {
    uint8_t op = 1;  // 1 request (client), 2 reply (server)
    uint32_t xid = 0;
    uint16_t secs = 0;
    bool broadcast = false;  // the flags' B bit: answer by broadcast (we have no address yet)
    IpAddr ciaddr, yiaddr, siaddr, giaddr;
    MacAddr chaddr;
    MsgType type = MsgType::Discover;
    // Options (absent when not given).
    std::optional<IpAddr> server_id;      // 54
    std::optional<IpAddr> requested_ip;   // 50
    std::optional<uint8_t> prefix_len;    // 1, as a prefix length
    std::optional<IpAddr> router;         // 3, the first
    std::vector<IpAddr> dns_servers;      // 6
    std::optional<uint32_t> lease_s;      // 51
    std::optional<uint32_t> t1_s;         // 58
    std::optional<uint32_t> t2_s;         // 59
    std::vector<uint8_t> client_id;       // 61 (type byte included)
    std::string message;                  // 56, a server's reason (NAK)
    std::string hostname;                 // 12
    bool param_request = false;           // send option 55 (what we read)
};

std::vector<uint8_t> encode(const Message& m);
std::optional<Message> decode(const uint8_t* p, size_t len);

// A subnet mask as a prefix length; nullopt when it is not contiguous.
std::optional<uint8_t> mask_to_prefix(const uint8_t mask[4]);

}  // namespace ftnet::dhcp
