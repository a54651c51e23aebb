#include "engine/dhcp/control/dhcp_config.h"

#include "engine/config/config_sections.h"
#include "engine/config/reader.h"

namespace ftnet {

namespace {

void read_dhcp(Reader& r, const toml::table& root, Config& c) {
    DhcpSettings& s = c.section<DhcpSettings>(kDhcpSection);
    const toml::table* t = r.section(root, kDhcpSection);
    if (!t) return;
    const std::string p = kDhcpSection;
    r.check_known(*t, p, {"retransmit_initial_ms", "retransmit_max_ms", "request_tries", "probe_count", "probe_interval_ms",
                          "decline_wait_ms"});
    r.get_int(*t, p, "retransmit_initial_ms", s.retransmit_initial_ms, 100, 64000);
    r.get_int(*t, p, "retransmit_max_ms", s.retransmit_max_ms, 1000, 600000);
    r.get_int(*t, p, "request_tries", s.request_tries, 1, 16);
    r.get_int(*t, p, "probe_count", s.probe_count, 0, 10);
    r.get_int(*t, p, "probe_interval_ms", s.probe_interval_ms, 10, 5000);
    r.get_int(*t, p, "decline_wait_ms", s.decline_wait_ms, 100, 600000);
    if (s.retransmit_max_ms < s.retransmit_initial_ms)
        r.error(t->get("retransmit_max_ms"), p + ".retransmit_max_ms",
                "is below retransmit_initial_ms: the back-off would shrink");
}

}  // namespace

void register_dhcp_config(ConfigSections& s) { s.add({kDhcpSection, "dhcp", read_dhcp}); }

}  // namespace ftnet
