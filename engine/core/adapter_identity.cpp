#include "engine/core/adapter_identity.h"

namespace ftnet {

MacAddr derive_adapter_mac(const MacAddr& first_port_mac) {
    MacAddr m = first_port_mac;
    m.b[0] = static_cast<uint8_t>((m.b[0] | 0x02) & ~0x01);
    return m;
}

static void apipa_octets(uint16_t node_id, uint8_t& a, uint8_t& b) {
    unsigned i = node_id == 0 ? 0 : node_id - 1u;
    a = static_cast<uint8_t>(1 + i / 254);
    b = static_cast<uint8_t>(1 + i % 254);
}

IpAddr derive_apipa(uint16_t node_id) {
    uint8_t a, b;
    apipa_octets(node_id, a, b);
    return IpAddr::v4(169, 254, a, b);
}

IpAddr derive_link_local(uint16_t node_id) {
    uint8_t a, b;
    apipa_octets(node_id, a, b);
    IpAddr r;
    r.family = Family::V6;
    r.b[0] = 0xfe;
    r.b[1] = 0x80;
    r.b[10] = 0xa9;
    r.b[11] = 0xfe;
    r.b[13] = a;
    r.b[15] = b;
    return r;
}

}  // namespace ftnet
