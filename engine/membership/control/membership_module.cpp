#include "engine/membership/control/membership_module.h"

#include <rte_cycles.h>
#include <time.h>

#include <algorithm>

#include "engine/cluster_log/control/cluster_log.h"
#include "engine/core/engine.h"
#include "engine/core/mono_clock.h"
#include "engine/membership/control/config_digest.h"
#include "engine/membership/control/membership_config.h"
#include "engine/session/control/session_module.h"
#include "engine/tunnel/control/tunnel_module.h"

namespace ftnet {

using nlohmann::json;
using membership::View;

namespace {

constexpr uint64_t kTickMs = 10;

uint64_t unix_ms() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

}  // namespace

MembershipModule::MembershipModule() = default;
MembershipModule::~MembershipModule() = default;

void MembershipModule::start(Engine& e) {
    e_ = &e;
    tunnel_ = &e.module<TunnelModule>();
    session_ = &e.module<SessionModule>();
    const Config& cfg = e.config();
    regroup_ = std::make_unique<membership::Regroup>(*this, cfg.node.id, e.dp().epoch, config_digest(cfg));
    if (const auto* ms = cfg.find_section<MembershipSettings>(kMembershipSection); ms && !ms->witness_file.empty())
        witness_ = std::make_unique<FileWitness>(ms->witness_file, ms->witness_lease_ms);
    session_->on_message(SessionType::Membership, "membership", [this](uint16_t peer, const uint8_t* d, size_t n) {
        regroup_->on_message(peer, d, n, mono_us());
    });
    session_->on_peer_restart([this](uint16_t peer, uint16_t old_inc, uint16_t) {
        if (old_inc != 0) regroup_->peer_restarted(peer, mono_us());
    });
    // A route that changes health may change who is reachable: regroup at
    // once rather than at the next tick.
    tunnel_->add_route_listener([this](const RouteDesc&, bool) { update_reachable(); });
    // A reload added nodes: the digest every node compares now names them
    // (the others reload the same file, one after the other).
    tunnel_->add_peer_listener([this] {
        regroup_->set_digest(config_digest(e_->config()), mono_us());
        clog::info("MEMBERSHIP", "config digest updated by a reload: {} node(s) configured", e_->config().peers.size() + 1);
    });
    e.commands().add({"membership", "membership",
                      "the membership view this node holds (epoch, members), quorum and why, the witness", {}, true,
                      [this](const json&) { return cmd_membership(); }});
    e.add_status([this](json& s) {
        s["membership_epoch"] = regroup_->view().epoch;
        s["quorum"] = quorum_.has;
    });
}

void MembershipModule::running(Engine& e) {
    e.loop().add_timer("membership", kTickMs, [this](uint64_t) { tick(); });
}

std::string MembershipModule::node_name(uint16_t id) const {
    const Config& cfg = e_->config();
    if (id == cfg.node.id) return cfg.node.name;
    for (auto& p : cfg.peers)
        if (p.id == id) return p.name;
    return "node " + std::to_string(id);
}

std::string MembershipModule::members_text(const std::vector<uint16_t>& m) const {
    std::string s;
    for (uint16_t id : m) s += (s.empty() ? "" : ", ") + node_name(id);
    return s;
}

void MembershipModule::update_reachable() {
    std::set<uint16_t> r;
    for (auto& p : e_->config().peers)
        if (!p.removed && tunnel_->active_route(p.id) && session_->peer_incarnation(p.id) != 0) r.insert(p.id);
    regroup_->set_reachable(r, mono_us());
}

void MembershipModule::tick() {
    update_reachable();
    regroup_->tick(mono_us());
    witness_tick(unix_ms());
}

void MembershipModule::witness_tick(uint64_t now_ms) {
    if (!witness_) return;
    const View& v = regroup_->view();
    if (v.epoch == 0) return;
    // The coordinator (lowest member) takes or renews it every third of the
    // lease; every member reads who holds it.
    bool ours = false;
    // Only a partition the witness would give quorum takes or renews it: a
    // cut-off minority that keeps renewing would keep the majority side
    // from ever taking it.
    const unsigned total = static_cast<unsigned>(e_->config().active_peers() + 2), needed = total / 2 + 1;
    const bool could_win = v.members.size() + 1 >= needed;
    if (v.members.front() == e_->config().node.id && could_win) {
        if (now_ms - witness_last_try_ms_ >= witness_->lease_ms() / 3 || !witness_ours_ || witness_epoch_ != v.epoch) {
            witness_last_try_ms_ = now_ms;
            witness_epoch_ = v.epoch;
            ours = witness_->acquire(e_->config().node.id, v.epoch, v.members, now_ms);
            if (!ours) {
                auto rec = witness_->read();
                ours = rec && rec->expires_ms > now_ms && std::binary_search(v.members.begin(), v.members.end(), rec->node);
                witness_holder_ = rec ? node_name(rec->node) : "";
            } else {
                witness_holder_ = node_name(e_->config().node.id);
            }
        } else {
            ours = witness_ours_;
        }
    } else {
        auto rec = witness_->read();
        ours = rec && rec->expires_ms > now_ms && std::binary_search(v.members.begin(), v.members.end(), rec->node);
        witness_holder_ = rec && rec->expires_ms > now_ms ? node_name(rec->node) : "";
    }
    if (ours != witness_ours_) {
        witness_ours_ = ours;
        update_quorum(ours ? "this partition holds the witness" : "this partition lost the witness");
    }
}

void MembershipModule::update_quorum(const char* why) {
    const View& v = regroup_->view();
    Quorum q;
    q.total = static_cast<unsigned>(e_->config().active_peers() + 1) + (witness_ ? 1 : 0);
    q.needed = q.total / 2 + 1;
    q.witness_ours = witness_ && witness_ours_;
    q.votes = static_cast<unsigned>(v.members.size()) + (q.witness_ours ? 1 : 0);
    q.has = q.votes >= q.needed;
    if (!q.has)
        q.reason = fmt::format("this partition has {} of {} votes ({} node{}{}), needs {}", q.votes, q.total,
                               v.members.size(), v.members.size() == 1 ? "" : "s",
                               witness_ ? (q.witness_ours ? " and the witness" : "; the witness is not ours") : "",
                               q.needed);
    const bool changed = !quorum_known_ || q.has != quorum_.has || q.votes != quorum_.votes;
    quorum_ = q;
    quorum_known_ = true;
    if (!changed) return;
    if (q.has)
        clog::info("MEMBERSHIP", "Quorum: {} of {} votes (needs {}){}", q.votes, q.total, q.needed,
                   q.witness_ours ? ", the witness included" : "");
    else
        clog::warn("MEMBERSHIP", "No quorum: {}; this partition owns nothing until it has quorum", q.reason);
    e_->emit_event({{"time", e_->event_time(rte_rdtsc())},
                    {"type", "membership"},
                    {"epoch", v.epoch},
                    {"members", v.members},
                    {"quorum", q.has},
                    {"votes", q.votes},
                    {"needed", q.needed},
                    {"reason", q.has ? std::string(why) : q.reason}});
    for (auto& l : listeners_) l();
}

void MembershipModule::send(uint16_t to, const std::vector<uint8_t>& msg) {
    std::string why;
    if (!session_->send(to, SessionType::Membership, msg.data(), msg.size(), {}, &why))
        clog::warn("MEMBERSHIP", "cannot send a regroup message to {}: {}", node_name(to), why);
}

void MembershipModule::installed(const View& v) {
    clog::info("MEMBERSHIP", "View epoch {} (round {}, coordinated by {}): {}", v.epoch, membership::epoch_round(v.epoch),
               node_name(membership::epoch_coordinator(v.epoch)), members_text(v.members));
    quorum_known_ = false;  // every view is reported with its quorum
    if (witness_) witness_tick(unix_ms());
    update_quorum("new view");
}

void MembershipModule::refused(uint16_t node, const std::string& why) {
    clog::warn("MEMBERSHIP", "{} (node {}) is refused into the membership: {}", node_name(node), node, why);
    e_->emit_event({{"time", e_->event_time(rte_rdtsc())},
                    {"type", "membership"},
                    {"refused", node},
                    {"name", node_name(node)},
                    {"reason", why}});
}

json MembershipModule::cmd_membership() const {
    const View& v = regroup_->view();
    json members = json::array();
    for (uint16_t id : v.members) members.push_back({{"id", id}, {"name", node_name(id)}});
    json excluded = json::array();
    for (auto& [id, why] : regroup_->excluded()) excluded.push_back({{"id", id}, {"name", node_name(id)}, {"reason", why}});
    json reachable = json::array();
    for (uint16_t id : regroup_->reachable()) reachable.push_back(id);
    const auto& st = regroup_->stats();
    json out = {{"epoch", v.epoch},
                {"round", membership::epoch_round(v.epoch)},
                {"coordinator", membership::epoch_coordinator(v.epoch)},
                {"members", members},
                {"regrouping", regroup_->coordinating() || regroup_->promised() > v.epoch},
                {"reachable", reachable},
                {"excluded", excluded},
                {"quorum",
                 {{"has", quorum_.has},
                  {"votes", quorum_.votes},
                  {"total", quorum_.total},
                  {"needed", quorum_.needed},
                  {"reason", quorum_.reason}}},
                {"stats",
                 {{"rounds_started", st.rounds_started},
                  {"rounds_committed", st.rounds_committed},
                  {"rounds_restarted", st.rounds_restarted},
                  {"views_installed", st.views_installed},
                  {"prepares_refused", st.prepares_refused},
                  {"malformed", st.malformed}}}};
    if (witness_)
        out["witness"] = {{"file", witness_->path()},
                          {"lease_ms", witness_->lease_ms()},
                          {"ours", witness_ours_},
                          {"holder", witness_holder_},
                          {"error", witness_->error()}};
    return out;
}

}  // namespace ftnet
