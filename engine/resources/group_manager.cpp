#include "engine/resources/group_manager.h"

#include <algorithm>

namespace ftnet::resources {

GroupManager::GroupManager(std::vector<GroupSpec> groups) : groups_(std::move(groups)) {
    for (auto& g : groups_) table_.groups[g.name];
}

void GroupManager::set_view(uint64_t epoch, const std::vector<uint16_t>& members, bool manage, uint64_t now_us) {
    if (epoch != view_epoch_) {
        reports_.clear();
        view_since_us_ = now_us;
    }
    view_epoch_ = epoch;
    members_ = members;
    manage_ = manage;
}

void GroupManager::on_report(uint16_t from, uint64_t epoch, uint64_t seq, const Holdings& h) {
    if (epoch != view_epoch_) return;
    if (!std::binary_search(members_.begin(), members_.end(), from)) return;
    reports_[from] = {seq, h};
}

void GroupManager::adopt(const OwnerTable& t) {
    OwnerTable next = t;
    // Groups the sender does not know (another config is refused by
    // membership, but keep every record of ours).
    for (auto& g : groups_) next.groups[g.name];
    table_ = std::move(next);
}

bool GroupManager::request_move(const std::string& group, uint16_t node, std::string* why) {
    auto it = table_.groups.find(group);
    if (it == table_.groups.end()) {
        *why = "no group \"" + group + "\"";
        return false;
    }
    if (!std::binary_search(members_.begin(), members_.end(), node)) {
        *why = "node " + std::to_string(node) + " is not a member of this partition";
        return false;
    }
    GroupRecord& r = it->second;
    if (r.owner == node && r.moving_to == 0) {
        *why = "the group is already owned by node " + std::to_string(node);
        return false;
    }
    r.moving_to = node == r.owner ? 0 : node;
    move_seq_[group] = table_.seq + 1;  // the revision that will carry it
    dirty_ = true;
    return true;
}

bool GroupManager::request_admin(const std::string& group, bool online, std::string* why) {
    auto it = table_.groups.find(group);
    if (it == table_.groups.end()) {
        *why = "no group \"" + group + "\"";
        return false;
    }
    if (it->second.admin_online != online) {
        it->second.admin_online = online;
        dirty_ = true;
    }
    return true;
}

void GroupManager::set_setting(const std::string& resource, const std::string& value) {
    auto& s = table_.settings[resource];
    if (s != value) {
        s = value;
        dirty_ = true;
    }
}

bool GroupManager::reports_complete(uint64_t now_us) const {
    if (now_us - view_since_us_ >= kReportWaitUs) return true;
    for (uint16_t m : members_)
        if (!reports_.count(m)) return false;
    return true;
}

uint16_t GroupManager::choose_owner(const GroupSpec& g, const std::set<uint16_t>& holders) const {
    auto in_view = [&](uint16_t n) { return std::binary_search(members_.begin(), members_.end(), n); };
    // A member that still holds it: moving it elsewhere would take it
    // offline for nothing (several: the most preferred of them).
    if (!holders.empty()) {
        for (uint16_t p : g.preferred)
            if (holders.count(p)) return p;
        return *holders.begin();
    }
    for (uint16_t p : g.preferred)
        if (in_view(p)) return p;
    return members_.empty() ? 0 : members_.front();
}

bool GroupManager::decide(uint64_t now_us) {
    if (!manage_ || !reports_complete(now_us)) return false;
    if (table_.epoch != view_epoch_) {
        table_.epoch = view_epoch_;
        table_.seq = 0;
        dirty_ = true;
        // A move carried over from an earlier view: this view's first
        // revision asks the owner again.
        for (auto& [name, r] : table_.groups)
            if (r.moving_to) move_seq_[name] = 1;
    }
    auto in_view = [&](uint16_t n) { return n != 0 && std::binary_search(members_.begin(), members_.end(), n); };
    for (const GroupSpec& g : groups_) {
        GroupRecord& r = table_.groups[g.name];
        const GroupRecord before = r;
        std::set<uint16_t> holders;
        for (auto& [node, rep] : reports_)
            if (rep.holds.count(g.name)) holders.insert(node);
        if (r.moving_to != 0) {
            auto owner_report = reports_.find(r.owner);
            const bool owner_let_go = !in_view(r.owner) || (owner_report != reports_.end() &&
                                                             owner_report->second.seq >= move_seq_[g.name] &&
                                                             !owner_report->second.holds.count(g.name));
            if (!in_view(r.moving_to)) {
                r.moving_to = 0;  // the target left: the move is off
            } else if (owner_let_go && (holders.empty() || (holders.size() == 1 && *holders.begin() == r.moving_to))) {
                r.owner = r.moving_to;
                r.moving_to = 0;
            }
        }
        // The member that holds it is its owner: naming another would
        // bring it online there before this one let go (a new manager with
        // an older table, a partition healed).
        if (!in_view(r.owner) || (!holders.empty() && !holders.count(r.owner))) r.owner = choose_owner(g, holders);
        if (!(r == before)) dirty_ = true;
    }
    if (!dirty_) return false;
    dirty_ = false;
    table_.seq++;
    return true;
}

bool wants_online(const OwnerTable& t, const std::string& group, uint16_t self) {
    auto it = t.groups.find(group);
    if (it == t.groups.end()) return false;
    const GroupRecord& r = it->second;
    return r.owner == self && r.moving_to == 0 && r.admin_online;
}

}  // namespace ftnet::resources
