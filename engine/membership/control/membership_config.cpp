#include "engine/membership/control/membership_config.h"

#include "engine/config/config_sections.h"
#include "engine/config/reader.h"

namespace ftnet {

namespace {

void read_membership(Reader& r, const toml::table& root, Config& c) {
    MembershipSettings& s = c.section<MembershipSettings>(kMembershipSection);
    const toml::table* t = r.section(root, kMembershipSection);
    if (!t) return;
    r.check_known(*t, kMembershipSection, {"witness_file", "witness_lease_ms"});
    if (r.get_string(*t, kMembershipSection, "witness_file", s.witness_file, false, 4096) && !s.witness_file.empty() &&
        s.witness_file.front() != '/')
        r.error(t->get("witness_file"), "membership.witness_file", "must be an absolute path");
    r.get_int(*t, kMembershipSection, "witness_lease_ms", s.witness_lease_ms, 500, 60000);
}

}  // namespace

void register_membership_config(ConfigSections& s) { s.add({kMembershipSection, "membership", read_membership}); }

}  // namespace ftnet
