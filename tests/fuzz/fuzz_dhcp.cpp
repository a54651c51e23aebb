// libFuzzer target: a DHCP server's message as the DHCP client reads it
// (engine/dhcp): decode() either refuses the bytes or gives a message that
// encodes and decodes to the same fields, and feeding it to a client in
// every state the client can be in never crashes and never makes it hold
// an unspecified address.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/dhcp/dhcp_client.h"
#include "engine/dhcp/dhcp_message.h"

using namespace ftnet;
using namespace ftnet::dhcp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto m = decode(data, size);
    if (!m) return 0;
    auto again = decode(encode(*m).data(), encode(*m).size());
    if (!again || again->xid != m->xid || again->type != m->type || !(again->yiaddr == m->yiaddr) ||
        again->lease_s != m->lease_s || again->t1_s != m->t1_s || again->t2_s != m->t2_s || again->server_id != m->server_id ||
        again->prefix_len != m->prefix_len)
        std::abort();
    // A client walked to each state, then given the message (its xid and
    // chaddr made the client's so that it is not ignored at once).
    Client::Io io;
    io.send = [](const Message&, bool) {};
    io.arp_probe = [](const IpAddr&) {};
    io.bound = [](const Lease& l) {
        if (l.addr.is_unspecified() || l.t1_s > l.t2_s || l.t2_s > l.lease_s) std::abort();
    };
    io.lost = [](const std::string&) {};
    const MacAddr mac{{0x00, 0x00, 0x5e, 0x00, 0x53, 0x11}};
    for (int steps = 0; steps < 4; steps++) {
        Client c(io, mac, {0, 'x'}, Timing{}, 1);
        uint64_t now = 1000;
        c.start(now);
        c.tick(now);
        Message msg = *m;
        msg.op = 2;
        msg.chaddr = mac;
        msg.client_id.clear();
        for (int s = 0; s < steps; s++) {
            msg.xid = c.xid();
            c.on_message(msg, mac, now);
            for (int k = 0; k < 5; k++) c.tick(now += 400);
        }
        msg.xid = c.xid();
        c.on_message(msg, mac, now);
        c.tick(now += 1000000);
        c.status(now);
    }
    return 0;
}
