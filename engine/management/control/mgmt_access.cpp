#include "engine/management/control/mgmt_access.h"

#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

namespace ftnet {

namespace {

constexpr gid_t kNoGroup = static_cast<gid_t>(-1);

gid_t group_id(const std::string& name, const char* key) {
    if (name.empty()) return kNoGroup;
    const struct group* g = getgrnam(name.c_str());
    if (!g) throw std::runtime_error(fmt::format("management.{} \"{}\" does not exist", key, name));
    return g->gr_gid;
}

// The primary and supplementary groups of `uid` (SO_PEERCRED gives only
// the primary one).
std::vector<gid_t> groups_of(uid_t uid, gid_t gid) {
    std::vector<gid_t> out = {gid};
    const struct passwd* pw = getpwuid(uid);
    if (!pw) return out;
    int n = 64;
    std::vector<gid_t> g(static_cast<size_t>(n));
    if (getgrouplist(pw->pw_name, gid, g.data(), &n) < 0) {
        g.resize(static_cast<size_t>(n));
        if (getgrouplist(pw->pw_name, gid, g.data(), &n) < 0) return out;
    }
    g.resize(static_cast<size_t>(n));
    return g;
}

}  // namespace

MgmtAccess::MgmtAccess(const MgmtAccessConfig& c)
    : full_gid_(group_id(c.group, "socket_group")),
      ro_gid_(group_id(c.read_only_group, "read_only_group")),
      ro_everyone_(c.read_only_everyone),
      group_name_(c.group),
      ro_group_name_(c.read_only_group) {
    if (ro_everyone_ || (full_gid_ != kNoGroup && ro_gid_ != kNoGroup && full_gid_ != ro_gid_)) {
        file_mode_ = 0666;
        file_gid_ = full_gid_;
    } else if (full_gid_ != kNoGroup || ro_gid_ != kNoGroup) {
        file_mode_ = 0660;
        file_gid_ = full_gid_ != kNoGroup ? full_gid_ : ro_gid_;
    }
}

MgmtRights MgmtAccess::rights(uid_t uid, const std::vector<gid_t>& groups) const {
    if (uid == 0 || uid == geteuid()) return MgmtRights::Full;
    auto in = [&](gid_t g) { return g != kNoGroup && std::find(groups.begin(), groups.end(), g) != groups.end(); };
    if (in(full_gid_)) return MgmtRights::Full;
    if (ro_everyone_ || in(ro_gid_)) return MgmtRights::ReadOnly;
    return MgmtRights::None;
}

MgmtRights MgmtAccess::rights(uid_t uid, gid_t gid) const {
    if (uid == 0 || uid == geteuid()) return MgmtRights::Full;
    return rights(uid, groups_of(uid, gid));
}

std::string MgmtAccess::describe() const {
    std::string s = group_name_.empty() ? "full access: root" : "full access: root and group " + group_name_;
    if (ro_everyone_)
        s += "; read-only: everyone";
    else if (!ro_group_name_.empty())
        s += "; read-only: group " + ro_group_name_;
    return s;
}

}  // namespace ftnet
