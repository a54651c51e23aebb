// Far-side notification of link loss (LINK_NOTICE): when this node sees its
// end of routes fail at once (carrier lost, or the operator set a port down),
// it tells each peer over routes that still work, so that the peer stops
// sending on them within about one RTT instead of after Threshold x Delay of
// missed heartbeats. When the link returns it says so too; the route then
// recovers through its heartbeats as usual (hysteresis).
//
// Control thread only (sending). Receiving is the workers' job
// (engine/link/datapath/link_notice_input.cpp): notices are authenticated with the
// cluster key and accepted only with the sender's current boot id and a
// sequence above the last one accepted, so a captured notice replayed later
// changes nothing.

#include <fmt/format.h>

#include <cstring>
#include <vector>

#include "engine/cluster_log/control/cluster_log.h"
#include "engine/core/engine.h"
#include "engine/link/control/link_module.h"
#include "engine/tunnel/control/tunnel_module.h"

namespace ftnet {

namespace {

void put_addr(uint8_t out[16], const IpAddr& a) {
    std::memset(out, 0, 16);
    std::memcpy(out, a.b.data(), a.is_v6() ? 16 : 4);
}

}  // namespace

void LinkModule::send_link_notices(size_t port_index, bool up, uint8_t reason) {
    const Config& cfg_ = e_->config();
    for (const PeerConfig& peer : cfg_.peers) {
        std::vector<wire::LinkNoticeEntry> entries;
        for (const RouteDesc& r : tunnel_->routes()) {
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
        hdr.boot_id = rte_cpu_to_be_32(e_->boot_id());
        hdr.seq = rte_cpu_to_be_32(seq);
        hdr.count = static_cast<uint8_t>(entries.size());
        std::memcpy(payload.data(), &hdr, sizeof hdr);
        std::memcpy(payload.data() + sizeof hdr, entries.data(), entries.size() * sizeof(wire::LinkNoticeEntry));
        // Over every route to the peer that still works (not this port), so
        // that one lost frame does not lose the news.
        std::vector<std::string> via;
        for (const RouteDesc& r : tunnel_->routes()) {
            if (r.peer_node != peer.id || r.port_cfg == port_index || !tunnel_->route_is_up(r)) continue;
            if (tunnel_->send_tunnel(r, wire::MsgType::LinkNotice, payload.data(), payload.size())) via.push_back(route_title(cfg_, r));
        }
        if (via.empty()) {
            clog::info("ROUTE", "cannot tell node {} ({}) that {} route(s) on port {} are {}: no other route to it is up",
                       peer.name, peer.id, entries.size(), e_->ports()[port_index].spec.name, up ? "back" : "down");
            continue;
        }
        clog::info("ROUTE", "told node {} ({}) that our end of {} route(s) on port {} is {} (notice {}, over {})", peer.name,
                   peer.id, entries.size(), e_->ports()[port_index].spec.name, up ? "up again" : "down", seq, via.front());
    }
}

}  // namespace ftnet
