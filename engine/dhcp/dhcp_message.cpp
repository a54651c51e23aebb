#include "engine/dhcp/dhcp_message.h"

#include <cstring>

namespace ftnet::dhcp {

namespace {

constexpr uint8_t kCookie[4] = {99, 130, 83, 99};
constexpr size_t kFixed = 236;       // op .. file, before the cookie
constexpr size_t kMinMessage = 300;  // BOOTP's minimum, which some relays still expect

enum Opt : uint8_t {
    kPad = 0,
    kSubnetMask = 1,
    kRouter = 3,
    kDns = 6,
    kHostname = 12,
    kRequestedIp = 50,
    kLeaseTime = 51,
    kMsgType = 53,
    kServerId = 54,
    kParamRequest = 55,
    kMessage = 56,
    kT1 = 58,
    kT2 = 59,
    kClientId = 61,
    kEnd = 255,
};

void put32(std::vector<uint8_t>& v, uint32_t x) {
    for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<uint8_t>(x >> s));
}

uint32_t get32(const uint8_t* p) {
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

void put_addr(std::vector<uint8_t>& v, const IpAddr& a) { v.insert(v.end(), a.b.begin(), a.b.begin() + 4); }

void option(std::vector<uint8_t>& v, uint8_t code, const void* data, size_t len) {
    v.push_back(code);
    v.push_back(static_cast<uint8_t>(len));
    const auto* d = static_cast<const uint8_t*>(data);
    v.insert(v.end(), d, d + len);
}

}  // namespace

const char* type_name(MsgType t) {
    switch (t) {
    case MsgType::Discover: return "DHCPDISCOVER";
    case MsgType::Offer: return "DHCPOFFER";
    case MsgType::Request: return "DHCPREQUEST";
    case MsgType::Decline: return "DHCPDECLINE";
    case MsgType::Ack: return "DHCPACK";
    case MsgType::Nak: return "DHCPNAK";
    case MsgType::Release: return "DHCPRELEASE";
    case MsgType::Inform: return "DHCPINFORM";
    }
    return "DHCP?";
}

std::optional<uint8_t> mask_to_prefix(const uint8_t mask[4]) {
    const uint32_t m = get32(mask);
    const uint8_t len = static_cast<uint8_t>(__builtin_popcount(m));
    const uint32_t want = len == 0 ? 0 : ~uint32_t{0} << (32 - len);
    if (m != want) return std::nullopt;
    return len;
}

std::vector<uint8_t> encode(const Message& m) {
    std::vector<uint8_t> v;
    v.reserve(kMinMessage + 64);
    v.push_back(m.op);
    v.push_back(1);  // htype: Ethernet
    v.push_back(6);  // hlen
    v.push_back(0);  // hops
    put32(v, m.xid);
    v.push_back(static_cast<uint8_t>(m.secs >> 8));
    v.push_back(static_cast<uint8_t>(m.secs));
    v.push_back(m.broadcast ? 0x80 : 0);
    v.push_back(0);
    for (const IpAddr* a : {&m.ciaddr, &m.yiaddr, &m.siaddr, &m.giaddr}) put_addr(v, *a);
    v.insert(v.end(), m.chaddr.b.begin(), m.chaddr.b.end());
    v.resize(kFixed, 0);  // chaddr padding, sname, file
    v.insert(v.end(), kCookie, kCookie + 4);
    const uint8_t type = static_cast<uint8_t>(m.type);
    option(v, kMsgType, &type, 1);
    if (!m.client_id.empty()) option(v, kClientId, m.client_id.data(), std::min<size_t>(m.client_id.size(), 255));
    if (m.requested_ip) option(v, kRequestedIp, m.requested_ip->b.data(), 4);
    if (m.server_id) option(v, kServerId, m.server_id->b.data(), 4);
    auto seconds = [&](uint8_t code, const std::optional<uint32_t>& s) {
        if (!s) return;
        uint8_t b[4] = {static_cast<uint8_t>(*s >> 24), static_cast<uint8_t>(*s >> 16), static_cast<uint8_t>(*s >> 8),
                        static_cast<uint8_t>(*s)};
        option(v, code, b, 4);
    };
    seconds(kLeaseTime, m.lease_s);
    seconds(kT1, m.t1_s);
    seconds(kT2, m.t2_s);
    if (!m.dns_servers.empty()) {
        std::vector<uint8_t> b;
        for (size_t i = 0; i < m.dns_servers.size() && i < 63; i++) put_addr(b, m.dns_servers[i]);
        option(v, kDns, b.data(), b.size());
    }
    if (m.prefix_len) {
        const uint32_t mask = *m.prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - *m.prefix_len);
        uint8_t b[4] = {static_cast<uint8_t>(mask >> 24), static_cast<uint8_t>(mask >> 16), static_cast<uint8_t>(mask >> 8),
                        static_cast<uint8_t>(mask)};
        option(v, kSubnetMask, b, 4);
    }
    if (m.router) option(v, kRouter, m.router->b.data(), 4);
    if (!m.message.empty()) option(v, kMessage, m.message.data(), std::min<size_t>(m.message.size(), 255));
    if (!m.hostname.empty()) option(v, kHostname, m.hostname.data(), std::min<size_t>(m.hostname.size(), 63));
    if (m.param_request) {
        const uint8_t want[] = {kSubnetMask, kRouter, kDns, kLeaseTime, kT1, kT2};
        option(v, kParamRequest, want, sizeof want);
    }
    v.push_back(kEnd);
    if (v.size() < kMinMessage) v.resize(kMinMessage, kPad);
    return v;
}

std::optional<Message> decode(const uint8_t* p, size_t len) {
    if (len < kFixed + 4 || std::memcmp(p + kFixed, kCookie, 4) != 0) return std::nullopt;
    if (p[1] != 1 || p[2] != 6) return std::nullopt;  // Ethernet only
    Message m;
    m.op = p[0];
    m.xid = get32(p + 4);
    m.secs = static_cast<uint16_t>(p[8] << 8 | p[9]);
    m.broadcast = p[10] & 0x80;
    IpAddr* fields[] = {&m.ciaddr, &m.yiaddr, &m.siaddr, &m.giaddr};
    for (int i = 0; i < 4; i++) *fields[i] = IpAddr::from_v4_bytes(p + 12 + 4 * i);
    std::memcpy(m.chaddr.b.data(), p + 28, 6);
    bool have_type = false;
    size_t i = kFixed + 4;
    while (i < len) {
        const uint8_t code = p[i++];
        if (code == kPad) continue;
        if (code == kEnd) break;
        if (i >= len) return std::nullopt;
        const size_t olen = p[i++];
        if (i + olen > len) return std::nullopt;
        const uint8_t* d = p + i;
        i += olen;
        auto addr = [&](std::optional<IpAddr>& out) {
            if (olen >= 4) out = IpAddr::from_v4_bytes(d);
        };
        switch (code) {
        case kMsgType:
            if (olen != 1 || d[0] < 1 || d[0] > 8) return std::nullopt;
            m.type = static_cast<MsgType>(d[0]);
            have_type = true;
            break;
        case kServerId: addr(m.server_id); break;
        case kRequestedIp: addr(m.requested_ip); break;
        case kRouter: addr(m.router); break;
        case kSubnetMask:
            if (olen == 4) m.prefix_len = mask_to_prefix(d);
            break;
        case kDns:
            for (size_t k = 0; k + 4 <= olen; k += 4) m.dns_servers.push_back(IpAddr::from_v4_bytes(d + k));
            break;
        case kLeaseTime:
            if (olen == 4) m.lease_s = get32(d);
            break;
        case kT1:
            if (olen == 4) m.t1_s = get32(d);
            break;
        case kT2:
            if (olen == 4) m.t2_s = get32(d);
            break;
        case kClientId: m.client_id.assign(d, d + olen); break;
        case kMessage: m.message.assign(reinterpret_cast<const char*>(d), olen); break;
        case kHostname: m.hostname.assign(reinterpret_cast<const char*>(d), olen); break;
        case kParamRequest: m.param_request = true; break;
        default: break;  // options a client does not need
        }
    }
    if (!have_type) return std::nullopt;
    return m;
}

}  // namespace ftnet::dhcp
