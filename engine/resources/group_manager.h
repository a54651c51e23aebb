// Who owns each resource group: the decision of the partition's manager,
// and the table it replicates to every member.
//
// The manager is the lowest node id of the membership view, and only while
// its partition has quorum (engine/membership). It keeps one record per
// group (owner, a move in progress, whether the operator wants it online,
// the owner's last report), decides owners from the view and from what
// every member reports it holds, and sends the whole table to every member
// over the reliable session whenever it changes. Members act on the table
// of their own view's epoch only.
//
// The rules, per group, each time the view, a report or a request changes:
//   - a group held by a member that is not its owner is taken offline there
//     (the table names someone else);
//   - a move to T waits until the old owner has reported on a table that
//     asked it to let go, and no member but T holds the group, then names
//     T: offline before online;
//   - the member that holds a group is its owner, whatever an older table
//     says (a new manager, a partition healed);
//   - an owner that left the view (killed, cut off) is replaced by the
//     member that still holds the group, else the first preferred owner in
//     the view, else the lowest member id;
//   - after a new view nothing is decided until every member has reported
//     for that view (or kReportWaitUs passed): a new manager must not name
//     an owner while another member may still hold the group.
// A member without quorum never acts on any table: it takes everything
// offline itself.
//
// Pure: no clock, no I/O. Control thread (or a unit test) only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ftnet::resources {

inline constexpr uint64_t kReportWaitUs = 3000000;

// A group as the config gives it: its name and preferred owners (node ids,
// most preferred first).
struct GroupSpec {
    std::string name;
    std::vector<uint16_t> preferred;
};

// What the manager records for a group.
struct GroupRecord {
    uint16_t owner = 0;      // 0: nobody
    uint16_t moving_to = 0;  // 0: no move in progress
    bool admin_online = true;
    bool operator==(const GroupRecord&) const = default;
};

// The replicated table: decided in view `epoch`, revision `seq` of it.
struct OwnerTable {
    uint64_t epoch = 0;
    uint64_t seq = 0;
    std::map<std::string, GroupRecord> groups;
    // Resource settings changed at run time (`resource set`): "dhcp" or
    // "ADDR/PREFIX", by resource name; they replace the config's everywhere.
    std::map<std::string, std::string> settings;
};

// Whether a member holds a group: it is online, coming online or going
// offline there (anything but fully offline).
using Holdings = std::set<std::string>;

class GroupManager {
  public:
    explicit GroupManager(std::vector<GroupSpec> groups);

    // The view in force on this node; `manage`: this node is the lowest
    // member and its partition has quorum. Starts waiting for reports.
    void set_view(uint64_t epoch, const std::vector<uint16_t>& members, bool manage, uint64_t now_us);
    // What `from` holds, as it reported for view `epoch` (older views are
    // ignored) after acting on revision `seq` of that view's table (0: none
    // yet).
    void on_report(uint16_t from, uint64_t epoch, uint64_t seq, const Holdings& h);
    // A table from the manager: kept, so that this node carries on from it
    // if it becomes the manager.
    void adopt(const OwnerTable& t);

    // Operator requests (the manager's only); false and why when refused.
    bool request_move(const std::string& group, uint16_t node, std::string* why);
    bool request_admin(const std::string& group, bool online, std::string* why);
    void set_setting(const std::string& resource, const std::string& value);

    // Decides; true when the table changed (send it to every member).
    bool decide(uint64_t now_us);

    bool managing() const { return manage_; }
    // Every member has reported for this view (or the wait is over).
    bool reports_complete(uint64_t now_us) const;
    const OwnerTable& table() const { return table_; }
    const std::vector<GroupSpec>& groups() const { return groups_; }

  private:
    uint16_t choose_owner(const GroupSpec& g, const std::set<uint16_t>& holders) const;

    std::vector<GroupSpec> groups_;
    OwnerTable table_;
    uint64_t view_epoch_ = 0;
    std::vector<uint16_t> members_;
    bool manage_ = false;
    bool dirty_ = false;  // changed since the table was last sent
    uint64_t view_since_us_ = 0;
    struct Report {
        uint64_t seq;
        Holdings holds;
    };
    std::map<uint16_t, Report> reports_;  // of members, for view_epoch_
    // A move asked in table revision move_seq_[group] completes once the
    // owner reported on that revision or a later one.
    std::map<std::string, uint64_t> move_seq_;
};

// What the table asks of `self` for one group: be online there.
bool wants_online(const OwnerTable& t, const std::string& group, uint16_t self);

}  // namespace ftnet::resources
