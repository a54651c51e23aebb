#include "engine/hello/control/endpoint_exchange.h"

#include <rte_byteorder.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "engine/cluster_log/control/cluster_log.h"

namespace ftnet {

namespace {

void put_name(char* dst, size_t cap, const std::string& s) {
    std::memset(dst, 0, cap);
    std::memcpy(dst, s.data(), std::min(s.size(), cap - 1));
}

std::optional<std::string> get_name(const char* src, size_t cap) {
    size_t n = strnlen(src, cap);
    if (n == cap) return std::nullopt;  // must be NUL-terminated
    std::string s(src, n);
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return std::nullopt;
    return s;
}

}  // namespace

wire::HelloPayload encode_hello(const AdapterInfo& a, bool want_reply) {
    wire::HelloPayload h{};
    std::memcpy(h.adapter_mac, a.mac.b.data(), 6);
    std::memcpy(h.apipa, a.apipa.b.data(), 4);
    std::memcpy(h.link_local, a.link_local.b.data(), 16);
    h.adapter_mtu = rte_cpu_to_be_16(a.mtu);
    h.boot_id = rte_cpu_to_be_32(a.boot_id);
    h.flags = rte_cpu_to_be_32(want_reply ? wire::kHelloWantReply : 0);
    put_name(h.node_name, sizeof h.node_name, a.node_name);
    put_name(h.cluster_name, sizeof h.cluster_name, a.cluster);
    return h;
}

std::optional<AdapterInfo> decode_hello(const uint8_t* p, size_t len, bool* want_reply) {
    if (len < sizeof(wire::HelloPayload)) return std::nullopt;
    wire::HelloPayload h;
    std::memcpy(&h, p, sizeof h);
    AdapterInfo a;
    std::memcpy(a.mac.b.data(), h.adapter_mac, 6);
    a.apipa = IpAddr::from_v4_bytes(h.apipa);
    a.link_local = IpAddr::from_v6_bytes(h.link_local);
    a.mtu = rte_be_to_cpu_16(h.adapter_mtu);
    a.boot_id = rte_be_to_cpu_32(h.boot_id);
    auto name = get_name(h.node_name, sizeof h.node_name);
    auto cluster = get_name(h.cluster_name, sizeof h.cluster_name);
    if (!name || !cluster || a.mac.is_zero() || a.mac.is_multicast() || !a.apipa.is_link_local() ||
        !a.link_local.is_link_local() || a.mtu < 1280 || a.mtu > 9000)
        return std::nullopt;
    a.node_name = *name;
    a.cluster = *cluster;
    if (want_reply) *want_reply = rte_be_to_cpu_32(h.flags) & wire::kHelloWantReply;
    return a;
}

EndpointExchange::Outcome EndpointExchange::on_hello(uint16_t node, const std::string& expected_name,
                                                     const uint8_t* payload, size_t len,
                                                     const std::string& via, uint64_t now_ms) {
    Outcome out;
    bool want_reply = false;
    auto a = decode_hello(payload, len, &want_reply);
    if (!a) {
        clog::warn("FTNET", "malformed HELLO from node {} via {} ignored", node, via);
        return out;
    }
    if (a->cluster != local_.cluster) {
        clog::warn("FTNET", "HELLO from node {} ({}) via {} is for cluster \"{}\", not \"{}\": ignored",
                   node, a->node_name, via, a->cluster, local_.cluster);
        return out;
    }
    if (a->node_name != expected_name)
        clog::warn("FTNET", "node {} calls itself \"{}\" but the config names it \"{}\"", node,
                   a->node_name, expected_name);
    PeerState& p = peers_[node];
    bool restarted = p.known && p.adapter.boot_id != a->boot_id;
    out.changed = !p.known || p.adapter.mac != a->mac || p.adapter.apipa != a->apipa ||
                  p.adapter.link_local != a->link_local;
    if (!p.known || restarted || out.changed)
        clog::info("FTNET",
                   "Virtual adapter endpoint exchange with {} (node {}){}: MAC {}, APIPA {}, "
                   "link-local {}, MTU {}, endpoint pair {}",
                   a->node_name, node, restarted ? " after its restart" : "", a->mac.windows_str(),
                   a->apipa.str(), a->link_local.str(), a->mtu, via);
    p.known = true;
    p.adapter = *a;
    p.last_heard_ms = now_ms;
    p.via = via;
    // Once a peer is known, back off to the refresh interval.
    if (p.next_send_ms > now_ms + t_.refresh_ms || out.changed) p.next_send_ms = now_ms;
    out.reply = want_reply;
    return out;
}

bool EndpointExchange::due(uint16_t node, uint64_t now_ms) {
    PeerState& p = peers_[node];
    if (now_ms < p.next_send_ms) return false;
    p.next_send_ms = now_ms + (p.known ? t_.refresh_ms : t_.hello_ms);
    return true;
}

bool EndpointExchange::wants_reply(uint16_t node) const {
    auto it = peers_.find(node);
    return it == peers_.end() || !it->second.known;
}

const EndpointExchange::PeerState* EndpointExchange::peer(uint16_t node) const {
    auto it = peers_.find(node);
    return it == peers_.end() ? nullptr : &it->second;
}

}  // namespace ftnet
