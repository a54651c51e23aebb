#include "tests/integration/forge.h"

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "engine/security/aead.h"
#include "engine/security/control/key_material.h"
#include "engine/security/key_ring.h"
#include "engine/tunnel/encap_template.h"
#include "engine/tunnel/protected_message.h"

namespace ftnet::itest {

namespace {

// config/lab/node*.toml's [cluster] key.
constexpr const char* kLabKeyHex = "66746e65742d6c61622d6b65792d3031";

MacAddr lab_mac(int node, int net) { return MacAddr{{0, 0, 0x5e, 0, 0x53, static_cast<uint8_t>(0x10 * node + net)}}; }
IpAddr lab_ip(int node, int net, Family f) {
    if (f == Family::V4) return IpAddr::v4(198, 18, static_cast<uint8_t>(net), static_cast<uint8_t>(node));
    return *IpAddr::parse("fd00:" + std::to_string(net) + "::" + std::to_string(node));
}

const KeyRing& ring(bool lab, bool encrypt, uint8_t id) {
    static KeyRing r;
    if (!aead_init()) throw std::runtime_error("intel-ipsec-mb cannot run here");
    r = KeyRing();
    std::vector<uint8_t> k = *parse_key_hex(kLabKeyHex);
    if (!lab) k[0] ^= 0x5a;
    r.add(id, k.data(), k.size(), true);
    r.encrypt = encrypt;
    return r;
}

void fix_checksums(Frame& f) {
    if (f[12] == 0x08) {
        auto* ip = reinterpret_cast<rte_ipv4_hdr*>(&f[14]);
        ip->hdr_checksum = 0;
        ip->hdr_checksum = rte_ipv4_cksum(ip);
        auto* udp = reinterpret_cast<rte_udp_hdr*>(&f[34]);
        if (udp->dgram_cksum != 0) {
            udp->dgram_cksum = 0;
            udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
        }
    } else {
        auto* ip = reinterpret_cast<rte_ipv6_hdr*>(&f[14]);
        auto* udp = reinterpret_cast<rte_udp_hdr*>(&f[54]);
        udp->dgram_cksum = 0;
        udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip, udp);
    }
}

}  // namespace

Frame forge_message(const Forged& g, const Frame& payload) {
    static uint64_t counter = 1000;
    RouteEntry r{};
    TemplateSpec s;
    s.family = g.family;
    s.src_mac = lab_mac(g.from, g.net);
    s.dst_mac = lab_mac(g.to, g.net);
    s.src_ip = lab_ip(g.from, g.net, g.family);
    s.dst_ip = lab_ip(g.to, g.net, g.family);
    s.src_node = static_cast<uint16_t>(g.from);
    s.dst_node = static_cast<uint16_t>(g.to);
    build_encap_template(r, s);
    Frame out(message_len(g.family, payload.size()));
    const uint64_t seq = g.seq ? g.seq : (uint64_t{0xfff0} << 48 | ++counter);
    build_message(out.data(), r, static_cast<wire::MsgType>(g.type), payload.data(), payload.size(),
                  ring(g.lab_key, g.encrypt, g.key_id), g.space, seq);
    if (g.source) {
        const IpAddr a = *IpAddr::parse(g.source);
        std::memcpy(&out[g.family == Family::V6 ? 22 : 26], a.b.data(), a.size());
        fix_checksums(out);
    }
    return out;
}

Frame inner_marker(uint16_t port, uint32_t marker) {
    Frame f(14 + 20 + 8 + 4, 0);
    const uint8_t eth[14] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x66, 0x08, 0x00};
    std::memcpy(&f[0], eth, sizeof eth);
    uint8_t ip[20] = {0x45, 0, 0, 20 + 8 + 4, 0, 0, 0x40, 0, 64, 17, 0, 0, 169, 254, 9, 9, 169, 254, 255, 255};
    reinterpret_cast<rte_ipv4_hdr*>(ip)->hdr_checksum = rte_ipv4_cksum(reinterpret_cast<rte_ipv4_hdr*>(ip));
    std::memcpy(&f[14], ip, sizeof ip);
    const uint8_t udp[8] = {0x30, 0x39, static_cast<uint8_t>(port >> 8), static_cast<uint8_t>(port), 0, 12, 0, 0};
    std::memcpy(&f[34], udp, sizeof udp);
    for (int i = 0; i < 4; i++) f[42 + i] = static_cast<uint8_t>(marker >> (24 - 8 * i));
    return f;
}

void rewrite_onto_network(Frame& f, int net) {
    const bool v6 = f[12] == 0x86;
    // Which nodes: from the last byte of each MAC (0x10 * node + network).
    const int dst_node = f[5] >> 4, src_node = f[11] >> 4;
    std::memcpy(&f[0], lab_mac(dst_node, net).b.data(), 6);
    std::memcpy(&f[6], lab_mac(src_node, net).b.data(), 6);
    const Family fam = v6 ? Family::V6 : Family::V4;
    const IpAddr s = lab_ip(src_node, net, fam), d = lab_ip(dst_node, net, fam);
    std::memcpy(&f[v6 ? 22 : 26], s.b.data(), s.size());
    std::memcpy(&f[v6 ? 38 : 30], d.b.data(), d.size());
    fix_checksums(f);
}

void from_attacker_mac(Frame& f) {
    const uint8_t mac[6] = {0x02, 0, 0, 0, 0x09, 0x99};
    std::memcpy(&f[6], mac, 6);
}

void from_attacker_mac(std::vector<Frame>& fs) {
    for (Frame& f : fs) from_attacker_mac(f);
}

}  // namespace ftnet::itest
