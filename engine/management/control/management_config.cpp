// The [management] section: the socket, who may use it, the cluster log.

#include <fmt/format.h>
#include <toml++/toml.h>

#include "engine/config/config_sections.h"
#include "engine/config/reader.h"
#include "engine/management/control/management_module.h"

namespace ftnet {

namespace {

void read_management(Reader& r, const toml::table& root, Config& c) {
    const toml::table* t = r.section(root, "management");
    if (!t) return;
    auto& m = c.management;
    r.check_known(*t, "management", {"socket", "socket_group", "read_only_group", "read_only_everyone", "cluster_log", "log_lines"});
    if (r.get_string(*t, "management", "socket", m.socket, false, 107) &&
        (m.socket.empty() || m.socket[0] != '/'))
        r.error(t->get("socket"), "management.socket",
                fmt::format("\"{}\" must be an absolute path", m.socket));
    r.get_string(*t, "management", "socket_group", m.socket_group, false, 32);
    r.get_string(*t, "management", "read_only_group", m.read_only_group, false, 32);
    r.get_bool(*t, "management", "read_only_everyone", m.read_only_everyone);
    if (r.get_string(*t, "management", "cluster_log", m.cluster_log, false, 4096) &&
        !m.cluster_log.empty() && m.cluster_log[0] != '/')
        r.error(t->get("cluster_log"), "management.cluster_log",
                fmt::format("\"{}\" must be an absolute path, or \"\" for no file", m.cluster_log));
    r.get_int(*t, "management", "log_lines", m.log_lines, 100, 1000000);
}

}  // namespace

void register_management_config(ConfigSections& s) { s.add({"management", "management", read_management}); }

}  // namespace ftnet
