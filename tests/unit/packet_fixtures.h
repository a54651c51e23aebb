// Shared fixtures for the mbuf-based unit tests: a small two-peer route
// table as node 1 sees it, frames built the way node 2 would send them, and
// helpers to move frames between byte vectors and mbufs.
#pragma once

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/unit/test_keys.h"
#include "engine/security/replay_windows.h"
#include "engine/tunnel/ftnet_wire.h"
#include "engine/core/net_addr.h"
#include "engine/tunnel/route_table.h"

namespace ftnet::test {

using Bytes = std::vector<uint8_t>;

// Node 1's view: ports 0 "cluster" (198.18.2.1, fd00:2::1) and 1 "storage"
// (198.18.3.1, fd00:3::1), port 2 = ftnet0. Peer node 2 (adapter MAC
// 02:00:5e:00:53:21) has routes, best first: cluster v6 (id 0), cluster v4
// (id 1), storage v6 (id 2), storage v4 (id 3). Peer node 3 (adapter
// 02:00:5e:00:53:31) has one route: cluster v6 to fd00:2::3 (id 4).
inline constexpr uint16_t kLocalNode = 1;
inline constexpr uint16_t kAdapterIndex = 2;
inline const MacAddr kLocalAdapterMac{{0x02, 0x00, 0x5e, 0x00, 0x53, 0x11}};
inline const MacAddr kPeer2AdapterMac{{0x02, 0x00, 0x5e, 0x00, 0x53, 0x21}};
inline const MacAddr kPeer3AdapterMac{{0x02, 0x00, 0x5e, 0x00, 0x53, 0x31}};
MacAddr local_port_mac(uint16_t port);  // 00:00:5e:00:53:12 / :13
MacAddr peer2_port_mac(uint16_t port);  // 00:00:5e:00:53:22 / :23
IpAddr local_ip(uint16_t port, Family f);
IpAddr peer_ip(uint16_t node, uint16_t port, Family f);

std::unique_ptr<RouteTable> make_test_table();
// A route from this node (kLocalNode) to `peer` on `port` (remote address
// peer_ip(peer, port, f)), resolved to next-hop MAC nh.
void fill_route(RouteEntry& e, uint16_t id, Family f, uint16_t port, uint16_t peer, const MacAddr& nh);

// Outer headers as node `from` builds them towards node 1 on `port`.
RouteEntry route_towards_local(Family f, uint16_t port, uint16_t from = 2);

// An inner Ethernet + IPv4 + ICMP echo frame of exactly `size` bytes (>= 42).
Bytes inner_frame(const MacAddr& dst, const MacAddr& src, size_t size, uint8_t fill = 0xab);

// Replay windows for the first `peers` peers of a table, all empty.
std::unique_ptr<PeerReplayWindows[]> make_replay_windows(size_t peers = 4);

// A complete tunnel packet from node `from` to node 1, built with the
// engine's own encap_frame() on an mbuf from `pool`, sealed with
// test_keys() in sequence space 0.
Bytes tunnel_packet(rte_mempool* pool, Family f, uint16_t port, const Bytes& inner,
                    wire::MsgType type = wire::MsgType::Data, uint16_t from = 2);

// Recomputes the outer IPv4 header checksum and the UDP checksum (IPv6
// always, IPv4 only when it is non-zero) after a test mutated a packet, so
// that the check under test is the one that fails.
void fix_checksums(Bytes& pkt);

rte_mbuf* to_mbuf(rte_mempool* pool, const Bytes& b);
Bytes to_bytes(const rte_mbuf* m);

// A pool shared by the tests of one binary (created on first use).
rte_mempool* test_pool();

// An in-process port (net_ring) made of two rings: what the test enqueues
// on rx the port receives; what is sent on it ends up on tx. Started, one
// queue each way, mbufs from `pool`.
struct RingPort {
    rte_ring* rx = nullptr;
    rte_ring* tx = nullptr;
    uint16_t port_id = 0;
};
RingPort make_ring_port(const std::string& name, rte_mempool* pool, unsigned ring_size = 1024);
// Stops and closes the port, frees what is left on its rings, frees them.
void free_ring_port(RingPort& p);
void drain_ring(rte_ring* r);

}  // namespace ftnet::test
