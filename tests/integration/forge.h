// Frames a host on the lab's networks writes by hand (the probe namespace:
// a plain kernel host, not a member): ftnet v2 messages sealed with the lab
// key or with a wrong one, for any lab node and network, and captured
// frames rewritten onto another network, as an attacker on the wire would.
//
// Lab addressing (scripts/topology.sh, config/lab): network k (1 public,
// 2 cluster, 3 storage), node n: MAC 00:00:5e:00:53:<n><k>, 198.18.k.n,
// fd00:k::n. Test thread only.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/core/net_addr.h"

namespace ftnet::itest {

using Frame = std::vector<uint8_t>;

struct Forged {
    Family family = Family::V4;
    int from = 2, to = 1;  // node ids
    int net = 2;           // lab network
    uint8_t type = 1;      // wire::MsgType
    uint8_t key_id = 1;    // the lab key's id
    bool lab_key = true;   // false: the same id, another cluster's key (the tag is wrong)
    bool encrypt = false;
    uint8_t space = 7;     // a sequence space the real node 2 never uses (it has 1 worker)
    uint64_t seq = 0;      // 0: a fresh one
    // Outer source address instead of node `from`'s (a spoofed source).
    const char* source = nullptr;
};

// The whole frame, sealed (or mis-sealed) as described.
Frame forge_message(const Forged& f, const Frame& payload);

// An inner Ethernet broadcast carrying UDP to 169.254.255.255:port with
// `marker` in its payload: if it ever reached a node's ftnet0, a capture
// there would show it.
Frame inner_marker(uint16_t port, uint32_t marker);

// A captured frame between two lab nodes moved onto network `net`: MACs and
// addresses of the same nodes there, checksums recomputed.
void rewrite_onto_network(Frame& f, int net);

// The frame sent with the attacker's own source MAC: the lab's switch is a
// learning bridge, and a frame with a node's source MAC would steal that
// node's traffic (MAC spoofing, which switch port security stops; ftnet
// does not rely on MACs, so the attacks here spoof addresses only).
void from_attacker_mac(Frame& f);
void from_attacker_mac(std::vector<Frame>& fs);

}  // namespace ftnet::itest
