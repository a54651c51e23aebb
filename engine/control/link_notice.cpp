// Far-side notification of link loss (LINK_NOTICE): when this node sees its
// end of routes fail at once (carrier lost, or the operator set a port down),
// it tells each peer over routes that still work, so that the peer stops
// sending on them within about one RTT instead of after Threshold x Delay of
// missed heartbeats. When the link returns it says so too; the route then
// recovers through its heartbeats as usual (hysteresis).
//
// Control thread only. Notices are authenticated with the cluster key and
// accepted only with the sender's current boot id and a sequence above the
// last one accepted: a captured notice replayed later changes nothing.

#include <fmt/format.h>

#include <cstring>
#include <vector>

#include "engine/control/cluster_log.h"
#include "engine/control/engine.h"

namespace ftnet {

namespace {

void put_addr(uint8_t out[16], const IpAddr& a) {
    std::memset(out, 0, 16);
    std::memcpy(out, a.b.data(), a.is_v6() ? 16 : 4);
}

bool same_addr(const uint8_t in[16], const IpAddr& a) {
    static constexpr uint8_t kZero[12] = {};
    if (a.is_v6()) return std::memcmp(in, a.b.data(), 16) == 0;
    return std::memcmp(in, a.b.data(), 4) == 0 && std::memcmp(in + 4, kZero, 12) == 0;
}

}  // namespace

void Engine::send_link_notices(size_t port_index, bool up, uint8_t reason) {
    for (const PeerConfig& peer : cfg_.peers) {
        std::vector<wire::LinkNoticeEntry> entries;
        for (const RouteDesc& r : routes_) {
            if (r.peer_node != peer.id || r.port_cfg != port_index || entries.size() >= wire::kMaxLinkNoticeEntries) continue;
            wire::LinkNoticeEntry e{};
            e.family = r.family == Family::V6 ? 6 : 4;
            e.state = up ? wire::kLinkNoticeUp : wire::kLinkNoticeDown;
            e.reason = up ? 0 : reason;
            put_addr(e.sender_addr, r.local);
            put_addr(e.receiver_addr, r.remote);
            entries.push_back(e);
        }
        if (entries.empty()) continue;
        std::vector<uint8_t> payload(sizeof(wire::LinkNoticeHeader) + entries.size() * sizeof(wire::LinkNoticeEntry));
        wire::LinkNoticeHeader hdr{};
        const uint32_t seq = ++notice_seq_;
        hdr.boot_id = rte_cpu_to_be_32(boot_id_);
        hdr.seq = rte_cpu_to_be_32(seq);
        hdr.count = static_cast<uint8_t>(entries.size());
        std::memcpy(payload.data(), &hdr, sizeof hdr);
        std::memcpy(payload.data() + sizeof hdr, entries.data(), entries.size() * sizeof(wire::LinkNoticeEntry));
        // Over every route to the peer that still works (not this port), so
        // that one lost frame does not lose the news.
        std::vector<std::string> via;
        for (const RouteDesc& r : routes_) {
            if (r.peer_node != peer.id || r.port_cfg == port_index || !route_is_up(r)) continue;
            if (send_tunnel(r, wire::MsgType::LinkNotice, payload.data(), payload.size(), seq)) via.push_back(route_title(cfg_, r));
        }
        if (via.empty()) {
            clog::info("ROUTE", "cannot tell node {} ({}) that {} route(s) on port {} are {}: no other route to it is up",
                       peer.name, peer.id, entries.size(), ports_[port_index].spec.name, up ? "back" : "down");
            continue;
        }
        clog::info("ROUTE", "told node {} ({}) that our end of {} route(s) on port {} is {} (notice {}, over {})", peer.name,
                   peer.id, entries.size(), ports_[port_index].spec.name, up ? "up again" : "down", seq, via.front());
    }
}

void Engine::handle_link_notice(uint16_t port_index, const RxResult& c, const uint8_t* frame) {
    const uint16_t node = rte_be_to_cpu_16(c.hdr->src_node);
    const uint8_t* p = frame + c.payload_off;
    wire::LinkNoticeHeader hdr;
    if (c.payload_len < sizeof hdr) {
        ctl_drop(DropReason::ctl_malformed);
        return;
    }
    std::memcpy(&hdr, p, sizeof hdr);
    if (hdr.count == 0 || hdr.count > wire::kMaxLinkNoticeEntries ||
        c.payload_len != sizeof hdr + hdr.count * sizeof(wire::LinkNoticeEntry)) {
        ctl_drop(DropReason::ctl_malformed);
        return;
    }
    const uint32_t boot = rte_be_to_cpu_32(hdr.boot_id), seq = rte_be_to_cpu_32(hdr.seq);
    // The sender's current life: what its HELLO or its heartbeat requests
    // said. A notice from another life is a replay.
    bool current = false;
    if (const auto* ps = endpoints_->peer(node); ps && ps->known && ps->adapter.boot_id == boot) current = true;
    for (const RouteDesc& r : routes_)
        if (r.peer_node == node && dp_->route_live[r.id].peer_boot.load(std::memory_order_relaxed) == boot) current = true;
    auto seen = notice_seen_.find(node);
    if (!current || seq == 0 ||
        (seen != notice_seen_.end() && seen->second.first == boot && static_cast<int32_t>(seq - seen->second.second) <= 0)) {
        ctl_drop(DropReason::ctl_replay);
        notice_rejected_++;
        return;
    }
    notice_seen_[node] = {boot, seq};
    std::string peer_name = fmt::format("node {}", node);
    for (const PeerConfig& pc : cfg_.peers)
        if (pc.id == node) peer_name = pc.name;
    bool changed = false;
    for (unsigned i = 0; i < hdr.count; i++) {
        wire::LinkNoticeEntry e;
        std::memcpy(&e, p + sizeof hdr + i * sizeof e, sizeof e);
        const Family fam = e.family == 6 ? Family::V6 : Family::V4;
        if ((e.family != 4 && e.family != 6) || e.state > wire::kLinkNoticeUp) {
            ctl_drop(DropReason::ctl_malformed);
            continue;
        }
        const RouteDesc* route = nullptr;
        for (const RouteDesc& r : routes_)
            if (r.peer_node == node && r.family == fam && same_addr(e.receiver_addr, r.local) && same_addr(e.sender_addr, r.remote))
                route = &r;
        if (!route) {
            ctl_drop(DropReason::ctl_malformed);
            continue;
        }
        RouteLive& live = dp_->route_live[route->id];
        const bool down = e.state == wire::kLinkNoticeDown;
        if (live.peer_link_down.load(std::memory_order_relaxed) == down) continue;
        live.peer_link_down.store(down, std::memory_order_release);
        changed = true;
        clog::info("ROUTE", "{}: {} reports its end {} (notice {} via port {}){}", route_title(cfg_, *route), peer_name,
                   down ? (e.reason == wire::kLinkReasonAdmin ? "set down by its operator" : "lost its link") : "has link again",
                   seq, ports_[port_index].spec.name, down ? ": route down at once" : "");
    }
    if (changed) kick_heartbeats();
}

}  // namespace ftnet
