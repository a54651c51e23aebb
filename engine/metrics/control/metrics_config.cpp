#include "engine/metrics/control/metrics_config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <charconv>

#include "engine/config/config_sections.h"
#include "engine/config/reader.h"
#include "engine/core/net_addr.h"

namespace ftnet {

namespace {

// "ADDR:PORT" or "[ADDR6]:PORT" into s; false when it is neither.
bool parse_tcp(const std::string& v, MetricsSettings& s) {
    std::string host, port;
    if (!v.empty() && v[0] == '[') {
        const size_t close = v.find("]:");
        if (close == std::string::npos) return false;
        host = v.substr(1, close - 1);
        port = v.substr(close + 2);
    } else {
        const size_t colon = v.rfind(':');
        if (colon == std::string::npos || v.find(':') != colon) return false;
        host = v.substr(0, colon);
        port = v.substr(colon + 1);
    }
    const auto addr = IpAddr::parse(host);
    unsigned p = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (!addr || ec != std::errc() || end != port.data() + port.size() || p == 0 || p > 65535) return false;
    s.tcp = true;
    s.host = host;
    s.port = p;
    return true;
}

void read_metrics(Reader& r, const toml::table& root, Config& c) {
    const toml::table* t = r.section(root, kMetricsSection);
    if (!t) return;
    MetricsSettings& s = c.section<MetricsSettings>(kMetricsSection);
    r.check_known(*t, kMetricsSection, {"prometheus", "max_clients"});
    std::string v;
    if (r.get_string(*t, kMetricsSection, "prometheus", v, false, 200)) {
        s.listen = v;
        if (v.rfind("unix:", 0) == 0) {
            s.unix_path = v.substr(5);
            if (s.unix_path.empty() || s.unix_path[0] != '/' || s.unix_path.size() > 107)
                r.error(t->get("prometheus"), "metrics.prometheus",
                        fmt::format("\"{}\": a UNIX socket is unix:/absolute/path (at most 107 characters)", v));
        } else if (!parse_tcp(v, s)) {
            r.error(t->get("prometheus"), "metrics.prometheus",
                    fmt::format("\"{}\" is not ADDRESS:PORT ([ADDRESS]:PORT for IPv6) or unix:/PATH", v));
        }
    }
    r.get_int(*t, kMetricsSection, "max_clients", s.max_clients, 1, 256);
}

}  // namespace

void register_metrics_config(ConfigSections& s) { s.add({kMetricsSection, "metrics", read_metrics}); }

}  // namespace ftnet
