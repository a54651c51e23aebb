// The [tunnel] section: the UDP port, DSCP and TTL of tunnel packets.

#include <fmt/format.h>
#include <toml++/toml.h>

#include "engine/config/config_sections.h"
#include "engine/config/reader.h"
#include "engine/tunnel/control/tunnel_module.h"

namespace ftnet {

namespace {

void read_tunnel(Reader& r, const toml::table& root, Config& c) {
    const toml::table* t = r.section(root, "tunnel");
    if (!t) return;
    r.check_known(*t, "tunnel", {"udp_port", "dscp", "ttl"});
    r.get_int(*t, "tunnel", "udp_port", c.tunnel.udp_port, 1, 65535);
    r.get_int(*t, "tunnel", "dscp", c.tunnel.dscp, 0, 63);
    r.get_int(*t, "tunnel", "ttl", c.tunnel.ttl, 1, 255);
}

}  // namespace

void register_tunnel_config(ConfigSections& s) { s.add({"tunnel", "tunnel", read_tunnel}); }

}  // namespace ftnet
