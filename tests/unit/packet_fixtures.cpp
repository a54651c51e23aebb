#include "tests/unit/packet_fixtures.h"

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <cstring>
#include <stdexcept>

#include "engine/tunnel/encap_template.h"
#include "engine/neighbor/control/neighbor_wire.h"
#include "engine/tunnel/datapath/encap.h"

namespace ftnet::test {

std::unique_ptr<PeerReplayWindows[]> make_replay_windows(size_t peers) {
    return std::unique_ptr<PeerReplayWindows[]>(new PeerReplayWindows[peers]);
}

MacAddr local_port_mac(uint16_t port) { return MacAddr{{0, 0, 0x5e, 0, 0x53, static_cast<uint8_t>(0x12 + port)}}; }
MacAddr peer2_port_mac(uint16_t port) { return MacAddr{{0, 0, 0x5e, 0, 0x53, static_cast<uint8_t>(0x22 + port)}}; }

IpAddr local_ip(uint16_t port, Family f) { return peer_ip(1, port, f); }

IpAddr peer_ip(uint16_t node, uint16_t port, Family f) {
    unsigned net = 2 + port;  // port 0: cluster (198.18.2/24), 1: storage (198.18.3/24)
    if (f == Family::V4) return IpAddr::v4(198, 18, static_cast<uint8_t>(net), static_cast<uint8_t>(node));
    return *IpAddr::parse("fd00:" + std::to_string(net) + "::" + std::to_string(node));
}

void fill_route(RouteEntry& e, uint16_t id, Family f, uint16_t port, uint16_t peer, const MacAddr& nh) {
    TemplateSpec s;
    s.family = f;
    s.src_mac = local_port_mac(port);
    s.dst_mac = nh;
    s.src_ip = local_ip(port, f);
    s.dst_ip = peer_ip(peer, port, f);
    s.src_node = kLocalNode;
    s.dst_node = peer;
    s.dscp = 48;
    build_encap_template(e, s);
    e.resolved = true;
    e.route_id = id;
    e.port_index = port;
}

std::unique_ptr<RouteTable> make_test_table() {
    auto t = std::make_unique<RouteTable>();
    t->generation = 1;
    t->local_node = kLocalNode;
    t->udp_port = wire::kDefaultUdpPort;
    t->adapter_mtu = 1400;
    std::memcpy(t->adapter_mac, kLocalAdapterMac.b.data(), 6);
    std::fill(std::begin(t->peer_by_node), std::end(t->peer_by_node), kNoPeer);
    for (uint16_t p = 0; p < 2; p++) {
        PortAddrs& pa = t->ports[p];
        std::memcpy(pa.mac, local_port_mac(p).b.data(), 6);
        pa.has_v4 = pa.has_v6 = true;
        std::memcpy(pa.v4, local_ip(p, Family::V4).b.data(), 4);
        std::memcpy(pa.v6, local_ip(p, Family::V6).b.data(), 16);
        std::memcpy(pa.v6_solicited, solicited_node_group(local_ip(p, Family::V6)).b.data(), 16);
    }
    std::memcpy(t->ports[kAdapterIndex].mac, kLocalAdapterMac.b.data(), 6);

    PeerEntry& p2 = t->peers[0];
    p2.node_id = 2;
    p2.adapter_known = true;
    std::memcpy(p2.adapter_mac, kPeer2AdapterMac.b.data(), 6);
    uint16_t id = 0;
    for (uint16_t port : {0, 1})
        for (Family f : {Family::V6, Family::V4}) fill_route(p2.routes[p2.n_routes++], id++, f, port, 2, peer2_port_mac(port));
    PeerEntry& p3 = t->peers[1];
    p3.node_id = 3;
    p3.adapter_known = true;
    std::memcpy(p3.adapter_mac, kPeer3AdapterMac.b.data(), 6);
    fill_route(p3.routes[p3.n_routes++], id++, Family::V6, 0, 3, MacAddr{{0, 0, 0x5e, 0, 0x53, 0x32}});
    t->n_peers = 2;
    t->peer_by_node[2] = 0;
    t->peer_by_node[3] = 1;
    return t;
}

RouteEntry route_towards_local(Family f, uint16_t port, uint16_t from) {
    RouteEntry e{};
    TemplateSpec s;
    s.family = f;
    s.src_mac = peer2_port_mac(port);
    s.dst_mac = local_port_mac(port);
    s.src_ip = peer_ip(from, port, f);
    s.dst_ip = local_ip(port, f);
    s.src_node = from;
    s.dst_node = kLocalNode;
    build_encap_template(e, s);
    e.resolved = true;
    e.route_id = 7;
    e.port_index = port;
    return e;
}

Bytes inner_frame(const MacAddr& dst, const MacAddr& src, size_t size, uint8_t fill) {
    if (size < 42) throw std::invalid_argument("inner frame too small");
    Bytes f(size, fill);
    std::memcpy(f.data(), dst.b.data(), 6);
    std::memcpy(f.data() + 6, src.b.data(), 6);
    f[12] = 0x08;
    f[13] = 0x00;
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(f.data() + 14);
    std::memset(ip, 0, 20);
    ip->version_ihl = 0x45;
    ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(size - 14));
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_ICMP;
    ip->src_addr = rte_cpu_to_be_32(0xa9fe0101);
    ip->dst_addr = rte_cpu_to_be_32(0xa9fe0102);
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    f[34] = 8;  // echo request
    f[35] = 0;
    return f;
}

rte_mbuf* to_mbuf(rte_mempool* pool, const Bytes& b) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    if (!m) throw std::runtime_error("mbuf pool empty");
    char* p = rte_pktmbuf_append(m, static_cast<uint16_t>(b.size()));
    if (!p) throw std::runtime_error("frame larger than an mbuf");
    std::memcpy(p, b.data(), b.size());
    return m;
}

Bytes to_bytes(const rte_mbuf* m) {
    Bytes b(m->pkt_len);
    const void* p = rte_pktmbuf_read(m, 0, m->pkt_len, b.data());
    if (p != b.data()) std::memcpy(b.data(), p, m->pkt_len);
    return b;
}

Bytes tunnel_packet(rte_mempool* pool, Family f, uint16_t port, const Bytes& inner, wire::MsgType type, uint16_t from) {
    RouteEntry e = route_towards_local(f, port, from);
    e.tmpl[outer_l4_off(f) + 8 + 1] = static_cast<uint8_t>(type);
    rte_mbuf* m = to_mbuf(pool, inner);
    DropReason why;
    if (!encap_frame(m, e, 0x12345, test_keys(), 0, next_test_seq(), &why)) throw std::runtime_error("encap failed");
    Bytes b = to_bytes(m);
    rte_pktmbuf_free(m);
    return b;
}

void fix_checksums(Bytes& pkt) {
    uint16_t type = static_cast<uint16_t>(pkt[12] << 8 | pkt[13]);
    if (type == RTE_ETHER_TYPE_IPV4 && pkt.size() >= 34) {
        auto* ip = reinterpret_cast<rte_ipv4_hdr*>(pkt.data() + 14);
        size_t ihl = (ip->version_ihl & 0xf) * 4u;
        ip->hdr_checksum = 0;
        if (pkt.size() >= 14 + ihl) ip->hdr_checksum = static_cast<uint16_t>(~rte_raw_cksum(ip, ihl));
        if (ip->next_proto_id == IPPROTO_UDP && pkt.size() >= 14 + ihl + 8) {
            auto* udp = reinterpret_cast<rte_udp_hdr*>(pkt.data() + 14 + ihl);
            if (udp->dgram_cksum != 0 && rte_be_to_cpu_16(ip->total_length) + 14u <= pkt.size()) {
                udp->dgram_cksum = 0;
                udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
            }
        }
    } else if (type == RTE_ETHER_TYPE_IPV6 && pkt.size() >= 62) {
        auto* ip = reinterpret_cast<rte_ipv6_hdr*>(pkt.data() + 14);
        if (ip->proto == IPPROTO_UDP && rte_be_to_cpu_16(ip->payload_len) + 54u <= pkt.size()) {
            auto* udp = reinterpret_cast<rte_udp_hdr*>(pkt.data() + 54);
            udp->dgram_cksum = 0;
            udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip, udp);
        }
    }
}

RingPort make_ring_port(const std::string& name, rte_mempool* pool, unsigned ring_size) {
    RingPort p;
    p.rx = rte_ring_create((name + "_rx").c_str(), ring_size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    p.tx = rte_ring_create((name + "_tx").c_str(), ring_size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    int id = p.rx && p.tx ? rte_eth_from_rings(name.c_str(), &p.rx, 1, &p.tx, 1, SOCKET_ID_ANY) : -1;
    if (id < 0) throw std::runtime_error("cannot create ring port " + name);
    p.port_id = static_cast<uint16_t>(id);
    rte_eth_conf conf{};
    if (rte_eth_dev_configure(p.port_id, 1, 1, &conf) != 0 ||
        rte_eth_rx_queue_setup(p.port_id, 0, 512, SOCKET_ID_ANY, nullptr, pool) != 0 ||
        rte_eth_tx_queue_setup(p.port_id, 0, 512, SOCKET_ID_ANY, nullptr) != 0 || rte_eth_dev_start(p.port_id) != 0)
        throw std::runtime_error("cannot start ring port " + name);
    return p;
}

void drain_ring(rte_ring* r) {
    void* m;
    while (rte_ring_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
}

void free_ring_port(RingPort& p) {
    rte_eth_dev_stop(p.port_id);
    rte_eth_dev_close(p.port_id);
    for (rte_ring* r : {p.rx, p.tx}) {
        drain_ring(r);
        rte_ring_free(r);
    }
    p = RingPort{};
}

rte_mempool* test_pool() {
    static rte_mempool* p = rte_pktmbuf_pool_create("unit_test_pool", 8191, 0, 0, 4096, SOCKET_ID_ANY);
    if (!p) throw std::runtime_error("cannot create the test mbuf pool");
    return p;
}

}  // namespace ftnet::test
