#include "engine/session/control/session_module.h"

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_random.h>

#include <cstring>

#include "engine/cluster_log/control/cluster_log.h"
#include "engine/core/engine.h"
#include "engine/core/mono_clock.h"
#include "engine/core/command_registry.h"
#include "engine/core/registry_error.h"
#include "engine/tunnel/control/route_plan.h"
#include "engine/tunnel/control/tunnel_module.h"

namespace ftnet {

using nlohmann::json;
using session::MessageStatus;
using session::SendRefusal;

namespace {

constexpr uint64_t kTickMs = 2;
constexpr uint16_t kNoSessionRoute = 0xffff;

// A probe message: its number, then bytes that follow from it.
constexpr size_t kProbeHeader = 8;
uint8_t probe_byte(uint64_t number, size_t i) { return static_cast<uint8_t>(number * 131 + i * 7); }

}  // namespace

// One peer's session and what the module keeps beside it.
struct SessionModule::Peer : session::SessionIo {
    SessionModule* m = nullptr;
    uint16_t node = 0;
    size_t index = 0;  // in Config::peers, RouteTable::peers and Dataplane::replay
    std::string name;
    std::unique_ptr<session::ReliableSession> s;
    uint16_t route = kNoSessionRoute;  // the route id last used
    std::map<uint64_t, Completion> completions;
    bool dirty = false;
    uint64_t tx_unsent = 0;  // segments the tunnel could not take (no route, no buffer): tried again

    // session-probe, sending side: the next number; receiving side: what arrived.
    uint64_t probe_next = 1;
    uint64_t probe_expected = 1, probe_received = 0, probe_out_of_order = 0, probe_bad = 0;

    bool transmit(const uint8_t* seg, size_t len) override {
        const RouteDesc* r = m->tunnel_->active_route(node);
        if (!r) r = m->tunnel_->last_resort_route(node);
        if (!r || !m->tunnel_->send_tunnel(*r, wire::MsgType::Session, seg, len)) {
            tx_unsent++;
            return false;
        }
        return true;
    }
    void deliver(uint16_t type, const uint8_t* data, size_t len) override {
        if (type == static_cast<uint16_t>(SessionType::Probe)) {
            m->on_probe(*this, data, len);
            return;
        }
        auto it = m->handlers_.find(type);
        if (it != m->handlers_.end()) it->second.second(node, data, len);
    }
    void completed(uint64_t id, MessageStatus st) override {
        auto it = completions.find(id);
        if (it == completions.end()) return;
        Completion done = std::move(it->second);
        completions.erase(it);
        if (done) done(st);
    }
    void peer_incarnation(uint16_t old_inc, uint16_t new_inc) override {
        // Its present life is proven (a challenge answered, or a restart
        // seen): every message of an earlier one is too old from now on.
        if (PeerReplayWindows* w = m->e_->dp().replay) w[index].epoch_floor.store(new_inc, std::memory_order_release);
        if (old_inc == 0) {
            clog::info("SESSION", "Session with {} (node {}) established: its incarnation {}, ours {}", name, node, new_inc,
                       s->local_incarnation());
        } else {
            clog::warn("SESSION", "{} (node {}) started again (incarnation {} -> {}): its session starts over; "
                       "messages it had not acknowledged are reported as not delivered",
                       name, node, old_inc, new_inc);
            // The probe streams start over with the session.
            probe_next = probe_expected = 1;
        }
        m->e_->emit_event({{"time", m->e_->event_time(rte_rdtsc())},
                           {"type", "session"},
                           {"peer", node},
                           {"name", name},
                           {"state", old_inc == 0 ? "established" : "reset"},
                           {"old_incarnation", old_inc},
                           {"incarnation", new_inc}});
        for (auto& l : m->restart_listeners_) l(node, old_inc, new_inc);
    }
};

SessionModule::SessionModule() = default;
SessionModule::~SessionModule() = default;

void SessionModule::add_peers() {
    const Config& cfg = e_->config();
    // What one segment may carry: every path carries wire::kMinPathMtu
    // (a routed path may carry no more: engine/pmtu/), so a segment with its
    // headers fits in that, whatever the route in use.
    const size_t seg_data = wire::kMinPathMtu - wire::ip_packet_len(true, sizeof(session::SegHeader));
    for (size_t i = 0; i < cfg.peers.size(); i++) {
        const PeerConfig& pc = cfg.peers[i];
        if (peers_.count(pc.id)) continue;
        auto p = std::make_unique<Peer>();
        p->m = this;
        p->node = pc.id;
        p->index = i;
        p->name = pc.name;
        p->s = std::make_unique<session::ReliableSession>(*p, e_->dp().epoch, seg_data, rte_rand());
        peers_.emplace(pc.id, std::move(p));
    }
}

void SessionModule::start(Engine& e) {
    e_ = &e;
    tunnel_ = &e.module<TunnelModule>();
    add_peers();
    // A reload added peers: a session with each.
    tunnel_->add_peer_listener([this] { add_peers(); });
    tunnel_->control_frames().on_message(static_cast<uint8_t>(wire::MsgType::Session), "session",
                                         [this](const ControlFrame& f) { on_frame(f); });
    e.loop().add_final_hook("session", [this](uint64_t) { flush_dirty(); });
    // The route in use went down (or a better one came up): what is
    // outstanding goes out on the next one now, not at the next tick.
    tunnel_->add_route_listener([this](const RouteDesc& r, bool) {
        auto it = peers_.find(r.peer_node);
        if (it == peers_.end()) return;
        check_route(*it->second, mono_us());
        it->second->dirty = any_dirty_ = true;
    });
    e.commands().add({"session", "session",
                      "the reliable session with every peer: state, incarnations, route in use, messages, window, RTT",
                      {}, true, [this](const json&) { return cmd_session(); }});
    e.commands().add({"session-probe",
                      "session",
                      "send numbered test messages to a peer over its session; the peer checks order, loss and "
                      "duplicates (`session` shows both ends' counts)",
                      {{"peer", ArgType::UnsignedInteger, true, "the peer's node id", {}},
                       {"count", ArgType::UnsignedInteger, true, "how many messages (1-1000000)", {}},
                       {"size", ArgType::UnsignedInteger, false, "bytes per message (8-4194304, default 64)", {}}},
                      false, [this](const json& a) { return cmd_probe(a); }});
}

void SessionModule::running(Engine& e) {
    e.loop().add_timer("session", kTickMs, [this](uint64_t) { tick(); });
}

void SessionModule::stop(Engine&) {
    for (auto& [id, p] : peers_) p->s->close();
}

void SessionModule::on_message(SessionType type, const std::string& owner, MessageHandler h) {
    const auto t = static_cast<uint16_t>(type);
    if (t == static_cast<uint16_t>(SessionType::Probe))
        throw RegistryError("session message type " + std::to_string(t) + " is the session's own probe; " + owner +
                            " cannot claim it");
    auto [it, fresh] = handlers_.emplace(t, std::make_pair(owner, std::move(h)));
    if (!fresh)
        throw RegistryError("session message type " + std::to_string(t) + " claimed by both " + it->second.first +
                            " and " + owner);
}

bool SessionModule::send(uint16_t peer, SessionType type, const void* data, size_t len, Completion done, std::string* why) {
    auto it = peers_.find(peer);
    if (it == peers_.end()) {
        if (why) *why = "no peer " + std::to_string(peer);
        return false;
    }
    Peer& p = *it->second;
    SendRefusal refusal;
    const uint64_t id =
        p.s->send(static_cast<uint16_t>(type), static_cast<const uint8_t*>(data), len, mono_us(), &refusal);
    if (id == 0) {
        if (why)
            *why = refusal == SendRefusal::TooBig
                       ? "message of " + std::to_string(len) + " bytes is larger than " + std::to_string(session::kMaxMessage)
                       : "the session to " + p.name + " has " + std::to_string(p.s->queued_bytes()) +
                             " bytes outstanding (limit " + std::to_string(session::kMaxQueuedBytes) + ")";
        return false;
    }
    if (done) p.completions.emplace(id, std::move(done));
    p.dirty = any_dirty_ = true;
    return true;
}

uint16_t SessionModule::peer_incarnation(uint16_t peer) const {
    auto it = peers_.find(peer);
    return it == peers_.end() ? 0 : it->second->s->peer_incarnation();
}

void SessionModule::on_frame(const ControlFrame& f) {
    // Admitted by the worker that received it (engine/security/datapath/admit.h):
    // authentic, fresh, for us, decrypted.
    const uint16_t node = rte_be_to_cpu_16(f.c.hdr->src_node);
    auto it = peers_.find(node);
    if (it == peers_.end()) return;
    Peer& p = *it->second;
    p.s->on_segment(f.frame + f.c.payload_off, f.c.payload_len, mono_us());
    p.dirty = any_dirty_ = true;
}

void SessionModule::check_route(Peer& p, uint64_t now_us) {
    const RouteDesc* r = tunnel_->active_route(p.node);
    const uint16_t id = r ? r->id : kNoSessionRoute;
    if (r) {
        const uint32_t srtt_ns = e_->dp().route_live[r->id].rtt_srtt_ns.load(std::memory_order_relaxed);
        if (srtt_ns) p.s->set_rtt(srtt_ns / 1000);
    }
    if (id == p.route) return;
    // Another route (or a route again after none): what is outstanding goes
    // out on it now instead of after its timeout.
    const bool had_one = p.route != kNoSessionRoute || p.s->in_flight() > 0;
    p.route = id;
    if (had_one && r) {
        p.s->route_changed(now_us);
        p.dirty = any_dirty_ = true;
    }
}

void SessionModule::tick() {
    const uint64_t now = mono_us();
    for (auto& [id, p] : peers_) {
        check_route(*p, now);
        if (p->s->next_due_us() <= now) p->dirty = any_dirty_ = true;
    }
    flush_dirty();
}

void SessionModule::flush_dirty() {
    if (!any_dirty_) return;
    any_dirty_ = false;
    const uint64_t now = mono_us();
    for (auto& [id, p] : peers_) {
        if (!p->dirty) continue;
        p->dirty = false;
        check_route(*p, now);
        p->s->flush(now);
    }
}

void SessionModule::on_probe(Peer& p, const uint8_t* data, size_t len) {
    uint64_t number = 0;
    if (len < kProbeHeader) {
        p.probe_bad++;
        return;
    }
    std::memcpy(&number, data, sizeof number);
    for (size_t i = kProbeHeader; i < len; i++)
        if (data[i] != probe_byte(number, i)) {
            p.probe_bad++;
            return;
        }
    p.probe_received++;
    // A number other than the next one is a loss, a reorder or a duplicate:
    // the session must never let one through.
    if (number != p.probe_expected) p.probe_out_of_order++;
    p.probe_expected = number + 1;
}

json SessionModule::cmd_probe(const json& args) {
    const uint64_t peer = args["peer"].get<uint64_t>();
    const uint64_t count = args["count"].get<uint64_t>();
    const uint64_t size = args.value("size", uint64_t{64});
    auto it = peers_.find(static_cast<uint16_t>(peer));
    if (peer > 0xffff || it == peers_.end()) throw MgmtError("no peer with node id " + std::to_string(peer));
    if (count < 1 || count > 1000000) throw MgmtError("count must be 1-1000000 (got " + std::to_string(count) + ")");
    if (size < kProbeHeader || size > session::kMaxMessage)
        throw MgmtError("size must be 8-" + std::to_string(session::kMaxMessage) + " (got " + std::to_string(size) + ")");
    Peer& p = *it->second;
    std::vector<uint8_t> msg(size);
    uint64_t queued = 0;
    std::string why;
    const uint64_t first = p.probe_next;
    for (; queued < count; queued++) {
        const uint64_t number = p.probe_next;
        std::memcpy(msg.data(), &number, sizeof number);
        for (size_t i = kProbeHeader; i < size; i++) msg[i] = probe_byte(number, i);
        if (!send(p.node, SessionType::Probe, msg.data(), msg.size(), {}, &why)) break;
        p.probe_next++;
    }
    return {{"peer", p.node}, {"queued", queued}, {"first", first}, {"refused", queued < count ? why : ""}};
}

json SessionModule::cmd_session() const {
    json out = json::array();
    const Config& cfg = e_->config();
    for (auto& [id, p] : peers_) {
        const session::ReliableSession& s = *p->s;
        const session::SessionStats& st = s.stats();
        const RouteDesc* r = tunnel_->route_by_id(p->route);
        json j;
        j["peer"] = p->node;
        j["name"] = p->name;
        j["state"] = s.established() ? "established" : "connecting";
        j["incarnation"] = s.local_incarnation();
        j["peer_incarnation"] = s.peer_incarnation();
        j["route"] = p->route != kNoSessionRoute && r ? route_title(cfg, *r) : std::string();
        j["msgs_sent"] = st.msgs_sent;
        j["msgs_acked"] = st.msgs_acked;
        j["msgs_delivered"] = st.msgs_delivered;
        j["segs_sent"] = st.segs_sent;
        j["segs_retransmitted"] = st.segs_retransmitted;
        j["timeouts"] = st.timeouts;
        j["route_changes"] = st.route_changes;
        j["segs_received"] = st.segs_received;
        j["segs_duplicate"] = st.segs_duplicate;
        j["segs_stale"] = st.segs_stale;
        j["segs_out_of_window"] = st.segs_out_of_window;
        j["segs_malformed"] = st.segs_malformed;
        j["segs_unverified"] = st.segs_unverified;
        j["acks_sent"] = st.acks_sent;
        j["resets"] = st.resets;
        j["tx_unsent"] = p->tx_unsent;
        j["in_flight"] = s.in_flight();
        j["queued_segments"] = s.queued_segments();
        j["queued_bytes"] = s.queued_bytes();
        j["window"] = s.peer_window();
        j["srtt_us"] = s.srtt_us();
        j["rto_us"] = s.rto_us();
        j["probe_sent"] = p->probe_next - 1;
        j["probe_received"] = p->probe_received;
        j["probe_out_of_order"] = p->probe_out_of_order;
        j["probe_bad"] = p->probe_bad;
        out.push_back(std::move(j));
    }
    return out;
}

}  // namespace ftnet
