// Who may use the management socket, and for what: decided once per
// connection from the peer's credentials (SO_PEERCRED) and its groups.
//   - full: root, the daemon's own user, and members of
//     management.socket_group;
//   - read-only: members of management.read_only_group, or everyone with
//     management.read_only_everyone; they may send requests that only read
//     (Command::reads_only) and follow events;
//   - nobody else: refused at connect with an error line.
//
// Control thread only (the group lookups may read /etc/group).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace ftnet {

enum class MgmtRights { None, ReadOnly, Full };

struct MgmtAccessConfig {
    std::string group;            // full access; empty: root only
    std::string read_only_group;  // read-only access; empty: none
    bool read_only_everyone = false;
};

class MgmtAccess {
  public:
    // Throws std::runtime_error naming a group that does not exist.
    explicit MgmtAccess(const MgmtAccessConfig& c);

    MgmtRights rights(uid_t uid, gid_t gid) const;
    // The decision itself, for given groups (tests).
    MgmtRights rights(uid_t uid, const std::vector<gid_t>& groups) const;

    // The socket file's group and mode that let the allowed peers connect
    // (the peer check above is what enforces the difference).
    gid_t file_group() const { return file_gid_; }
    mode_t file_mode() const { return file_mode_; }
    std::string describe() const;

  private:
    gid_t full_gid_ = static_cast<gid_t>(-1);
    gid_t ro_gid_ = static_cast<gid_t>(-1);
    bool ro_everyone_ = false;
    gid_t file_gid_ = static_cast<gid_t>(-1);
    mode_t file_mode_ = 0600;
    std::string group_name_, ro_group_name_;
};

}  // namespace ftnet
