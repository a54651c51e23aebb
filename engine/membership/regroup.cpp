#include "engine/membership/regroup.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace ftnet::membership {

using nlohmann::json;

std::vector<std::string> digest_differences(const Digest& a, const Digest& b) {
    std::vector<std::string> out;
    for (auto& [k, v] : a) {
        auto it = b.find(k);
        if (it == b.end() || it->second != v) out.push_back(k);
    }
    for (auto& [k, v] : b)
        if (!a.count(k)) out.push_back(k);
    return out;
}

// CBOR: compact, self-describing, and decoded without exceptions leaking.
std::vector<uint8_t> encode(const RegroupMsg& m) {
    json j = {{"k", static_cast<int>(m.kind)}, {"e", m.epoch}};
    if (!m.members.empty()) j["m"] = m.members;
    if (!m.digest.empty()) j["d"] = m.digest;
    if (m.highest) j["h"] = m.highest;
    if (!m.reason.empty()) j["r"] = m.reason;
    return json::to_cbor(j);
}

std::optional<RegroupMsg> decode(const uint8_t* data, size_t len) {
    json j = json::from_cbor(data, data + len, true, false);
    if (!j.is_object() || !j.contains("k") || !j.contains("e")) return std::nullopt;
    try {
        RegroupMsg m;
        const int k = j["k"].get<int>();
        if (k < 1 || k > 5) return std::nullopt;
        m.kind = static_cast<RegroupMsg::Kind>(k);
        m.epoch = j["e"].get<uint64_t>();
        if (j.contains("m")) m.members = j["m"].get<std::vector<uint16_t>>();
        if (j.contains("d")) m.digest = j["d"].get<Digest>();
        if (j.contains("h")) m.highest = j["h"].get<uint64_t>();
        if (j.contains("r")) m.reason = j["r"].get<std::string>();
        if (!std::is_sorted(m.members.begin(), m.members.end()) ||
            std::adjacent_find(m.members.begin(), m.members.end()) != m.members.end())
            return std::nullopt;
        if ((m.kind == RegroupMsg::Kind::Prepare || m.kind == RegroupMsg::Kind::Commit) && m.members.empty())
            return std::nullopt;
        return m;
    } catch (const json::exception&) {
        return std::nullopt;
    }
}

Regroup::Regroup(RegroupIo& io, uint16_t self, uint16_t incarnation, Digest digest)
    : io_(io), self_(self), incarnation_(incarnation), digest_(std::move(digest)) {}

std::vector<uint16_t> Regroup::desired() const {
    std::vector<uint16_t> d{self_};
    for (uint16_t n : reachable_)
        if (!excluded_.count(n)) d.push_back(n);
    std::sort(d.begin(), d.end());
    return d;
}

bool Regroup::is_coordinator() const { return desired().front() == self_; }

void Regroup::set_reachable(const std::set<uint16_t>& reachable, uint64_t now_us) {
    std::set<uint16_t> r = reachable;
    r.erase(self_);
    if (r == reachable_) return;
    reachable_ = std::move(r);
    maybe_start(now_us);
}

void Regroup::peer_restarted(uint16_t peer, uint64_t now_us) {
    excluded_.erase(peer);  // it may come back with another config
    restarted_.insert(peer);
    maybe_start(now_us);
}

void Regroup::set_digest(Digest d, uint64_t now_us) {
    if (d == digest_) return;
    digest_ = std::move(d);
    excluded_.clear();
    // Every node we reach hears the new digest at once; whoever refused
    // us before re-admits us if it now matches (on_message, Request).
    for (uint16_t n : reachable_) {
        stats_.requests_sent++;
        reply(n, RegroupMsg::Kind::Request, view_.epoch);
    }
    last_request_us_ = now_us;
    maybe_start(now_us);
}

void Regroup::maybe_start(uint64_t now_us) {
    const std::vector<uint16_t> want = desired();
    bool stale = false;
    for (uint16_t n : want) stale |= restarted_.count(n) > 0;
    if (!is_coordinator()) {
        // Our view is not what we reach, and the coordinator may not know:
        // ask it (it may have left us out while we could not reach it).
        const bool promise_pending = promised_ > view_.epoch && now_us - promised_at_us_ < kCommitTimeoutUs;
        if (view_.members != want && !promise_pending &&
            (last_request_us_ == 0 || now_us - last_request_us_ >= kRequestIntervalUs)) {
            last_request_us_ = now_us;
            stats_.requests_sent++;
            reply(want.front(), RegroupMsg::Kind::Request, view_.epoch);
        }
        return;
    }
    if (coordinating_) {
        if (round_members_ == want && !stale) return;  // this round already asks for it
    } else if (view_.members == want && !stale) {
        return;
    }
    start_round(now_us);
}

void Regroup::start_round(uint64_t now_us) {
    if (coordinating_) stats_.rounds_restarted++;
    max_round_ = std::max(max_round_, epoch_round(promised_)) + 1;
    round_epoch_ = make_epoch(max_round_, incarnation_, self_);
    round_members_ = desired();
    round_started_us_ = now_us;
    accepted_ = {self_};
    promised_ = round_epoch_;
    promised_at_us_ = now_us;
    coordinating_ = true;
    // Whoever restarted learns the new view in this round.
    for (uint16_t n : round_members_) restarted_.erase(n);
    stats_.rounds_started++;
    if (round_members_.size() == 1) {
        commit(now_us);
        return;
    }
    RegroupMsg m;
    m.kind = RegroupMsg::Kind::Prepare;
    m.epoch = round_epoch_;
    m.members = round_members_;
    m.digest = digest_;
    const std::vector<uint8_t> bytes = encode(m);
    for (uint16_t n : round_members_)
        if (n != self_) io_.send(n, bytes);
}

void Regroup::commit(uint64_t) {
    coordinating_ = false;
    stats_.rounds_committed++;
    RegroupMsg m;
    m.kind = RegroupMsg::Kind::Commit;
    m.epoch = round_epoch_;
    m.members = round_members_;
    const std::vector<uint8_t> bytes = encode(m);
    for (uint16_t n : round_members_)
        if (n != self_) io_.send(n, bytes);
    // Members of our last view that this one leaves out hear it too: one we
    // cannot reach may still reach us, and must not go on believing it is
    // a member.
    for (uint16_t n : view_.members)
        if (n != self_ && !std::binary_search(round_members_.begin(), round_members_.end(), n)) io_.send(n, bytes);
    install(round_epoch_, round_members_);
}

void Regroup::stand_alone(uint64_t now_us) {
    max_round_ = std::max(max_round_, epoch_round(promised_)) + 1;
    round_epoch_ = make_epoch(max_round_, incarnation_, self_);
    round_members_ = {self_};
    round_started_us_ = now_us;
    accepted_ = {self_};
    promised_ = round_epoch_;
    promised_at_us_ = now_us;
    coordinating_ = true;
    stats_.rounds_started++;
    commit(now_us);
}

void Regroup::install(uint64_t epoch, const std::vector<uint16_t>& members) {
    view_.epoch = epoch;
    view_.members = members;
    stats_.views_installed++;
    io_.installed(view_);
}

void Regroup::reply(uint16_t to, RegroupMsg::Kind kind, uint64_t epoch, uint64_t highest, const std::string& reason) {
    RegroupMsg m;
    m.kind = kind;
    m.epoch = epoch;
    m.highest = highest;
    m.reason = reason;
    if (kind == RegroupMsg::Kind::Request) m.digest = digest_;  // lets a node that refused us take us back
    io_.send(to, encode(m));
}

void Regroup::on_message(uint16_t from, const uint8_t* data, size_t len, uint64_t now_us) {
    std::optional<RegroupMsg> m = decode(data, len);
    if (!m || from == self_) {
        stats_.malformed++;
        return;
    }
    max_round_ = std::max(max_round_, epoch_round(std::max(m->epoch, m->highest)));
    switch (m->kind) {
    case RegroupMsg::Kind::Prepare: {
        if (epoch_coordinator(m->epoch) != from || !std::binary_search(m->members.begin(), m->members.end(), self_)) {
            stats_.malformed++;
            return;
        }
        const std::vector<std::string> diff = digest_differences(digest_, m->digest);
        if (!diff.empty()) {
            std::string why = "its config differs from ours in";
            for (auto& s : diff) why += " [" + s + "]";
            stats_.prepares_refused++;
            reply(from, RegroupMsg::Kind::Nack, m->epoch, promised_, why);
            // Refused both ways: it coordinates no view of ours either (a
            // lowest id with another config must not shut the others out).
            if (!excluded_.count(from)) {
                excluded_[from] = why;
                io_.refused(from, why);
            }
            maybe_start(now_us);
            return;
        }
        excluded_.erase(from);  // its config matches ours (again)
        if (m->epoch <= promised_) {
            stats_.prepares_refused++;
            reply(from, RegroupMsg::Kind::Nack, m->epoch, promised_);
            return;
        }
        promised_ = m->epoch;
        promised_at_us_ = now_us;
        if (coordinating_) {
            coordinating_ = false;  // a newer round supersedes ours
            stats_.rounds_restarted++;
        }
        reply(from, RegroupMsg::Kind::Accept, m->epoch);
        return;
    }
    case RegroupMsg::Kind::Accept:
        if (!coordinating_ || m->epoch != round_epoch_) return;  // a round we gave up
        if (!std::binary_search(round_members_.begin(), round_members_.end(), from)) return;
        accepted_.insert(from);
        if (accepted_.size() == round_members_.size()) commit(now_us);
        return;
    case RegroupMsg::Kind::Nack:
        if (!coordinating_ || m->epoch != round_epoch_) return;
        if (!m->reason.empty()) {
            excluded_[from] = m->reason;
            io_.refused(from, m->reason);
        }
        start_round(now_us);  // without it, or above its promise
        return;
    case RegroupMsg::Kind::Request: {
        // A node refused for another config whose digest now matches ours
        // (it reloaded, or we did): it is wanted again.
        if (excluded_.count(from) && !m->digest.empty() && digest_differences(digest_, m->digest).empty())
            excluded_.erase(from);
        // A node whose view differs from ours: a round, unless one is under
        // way, or it is refused, or it already holds our view (it reaches a
        // node we do not: a round would not change anything).
        // A node we cannot reach (yet) is not ours to add: a round would
        // leave it out again, and again at its next request.
        const bool holds_ours = m->epoch == view_.epoch &&
                                std::binary_search(view_.members.begin(), view_.members.end(), from);
        const std::vector<uint16_t> want = desired();
        const bool wanted = std::binary_search(want.begin(), want.end(), from);
        if (!coordinating_ && is_coordinator() && wanted && !holds_ours) start_round(now_us);
        return;
    }
    case RegroupMsg::Kind::Commit:
        // Only the round this node promised last; anything older was
        // superseded here and must not be installed.
        if (m->epoch <= view_.epoch) return;
        if (!std::binary_search(m->members.begin(), m->members.end(), self_)) {
            // A view of our view's members leaves us out (from its
            // coordinator, or relayed by a member: we may not reach the
            // coordinator): we are no member of it, so we hold a view of
            // our own (without quorum, unless alone is enough) until a
            // round takes us back.
            if (std::binary_search(view_.members.begin(), view_.members.end(), from) && m->epoch > promised_)
                stand_alone(now_us);
            return;
        }
        if (epoch_coordinator(m->epoch) != from || m->epoch != promised_) return;
        const std::vector<uint16_t> before = view_.members;
        install(m->epoch, m->members);
        // Relay it to those of our last view it leaves out: they may reach
        // us but not the coordinator.
        const std::vector<uint8_t> relay = encode(*m);
        for (uint16_t n : before)
            if (n != self_ && n != from && !std::binary_search(m->members.begin(), m->members.end(), n)) io_.send(n, relay);
        maybe_start(now_us);  // what changed meanwhile
        return;
    }
}

void Regroup::tick(uint64_t now_us) {
    if (coordinating_ && now_us - round_started_us_ >= kRoundTimeoutUs) {
        start_round(now_us);
        return;
    }
    // Promised a round that never committed: its coordinator is gone.
    if (!coordinating_ && promised_ > view_.epoch && now_us - promised_at_us_ >= kCommitTimeoutUs && is_coordinator()) {
        start_round(now_us);
        return;
    }
    maybe_start(now_us);
}

}  // namespace ftnet::membership
