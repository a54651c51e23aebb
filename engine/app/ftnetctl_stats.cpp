#include "engine/app/ftnetctl_stats.h"

#include <fmt/format.h>

namespace ftnet::ctl {

using nlohmann::json;

namespace {

uint64_t u(const json& j, const char* key) { return j.is_object() ? j.value(key, uint64_t{0}) : 0; }

double rate(uint64_t a, uint64_t b, double s) { return b >= a && s > 0 ? static_cast<double>(b - a) / s : 0.0; }

}  // namespace

std::string render_stats(const json& c) {
    std::string out = fmt::format("{:<16} {:>14} {:>16} {:>14} {:>16} {:>10}\n", "port", "rx packets", "rx bytes",
                                  "tx packets", "tx bytes", "missed");
    for (auto& p : c["ports"])
        out += fmt::format("{:<16} {:>14} {:>16} {:>14} {:>16} {:>10}\n", p.value("name", std::string()), u(p, "rx_packets"),
                           u(p, "rx_bytes"), u(p, "tx_packets"), u(p, "tx_bytes"), u(p, "hw_imissed"));
    out += fmt::format("\n{:<8} {:>6} {:>14} {:>14} {:>10}\n", "worker", "lcore", "packets", "cycles/pkt", "sleeps");
    for (auto& w : c["workers"])
        out += fmt::format("{:<8} {:>6} {:>14} {:>14.1f} {:>10}\n", u(w, "index"), u(w, "lcore"), u(w, "packets"),
                           w.value("cycles_per_packet", 0.0), u(w, "sleeps"));
    std::string drops;
    for (auto& [name, n] : c["drops"].items())
        if (n.get<uint64_t>()) drops += fmt::format("  {:<32} {:>14}\n", name, n.get<uint64_t>());
    out += "\ndrops by reason" + std::string(drops.empty() ? ": none\n" : ":\n" + drops);
    return out;
}

json stats_rates(const json& a, const json& b, double s) {
    json ports = json::array();
    for (size_t i = 0; i < b["ports"].size() && i < a["ports"].size(); i++) {
        const json &x = a["ports"][i], &y = b["ports"][i];
        ports.push_back({{"name", y.value("name", std::string())},
                         {"rx_pps", rate(u(x, "rx_packets"), u(y, "rx_packets"), s)},
                         {"tx_pps", rate(u(x, "tx_packets"), u(y, "tx_packets"), s)},
                         {"rx_mbps", rate(u(x, "rx_bytes"), u(y, "rx_bytes"), s) * 8 / 1e6},
                         {"tx_mbps", rate(u(x, "tx_bytes"), u(y, "tx_bytes"), s) * 8 / 1e6},
                         {"missed_ps", rate(u(x, "hw_imissed"), u(y, "hw_imissed"), s)}});
    }
    json workers = json::array();
    for (size_t i = 0; i < b["workers"].size() && i < a["workers"].size(); i++)
        workers.push_back({{"index", i}, {"pps", rate(u(a["workers"][i], "packets"), u(b["workers"][i], "packets"), s)}});
    json drops = json::object();
    for (auto& [name, n] : b["drops"].items()) {
        const uint64_t before = a["drops"].value(name, uint64_t{0});
        if (n.get<uint64_t>() > before) drops[name] = rate(before, n.get<uint64_t>(), s);
    }
    return {{"seconds", s}, {"ports", ports}, {"workers", workers}, {"drops_per_s", drops}};
}

std::string render_rates(const json& r) {
    std::string out = fmt::format("{:<16} {:>12} {:>12} {:>11} {:>11} {:>10}\n", "port", "rx pkt/s", "tx pkt/s",
                                  "rx Mbit/s", "tx Mbit/s", "missed/s");
    for (auto& p : r["ports"])
        out += fmt::format("{:<16} {:>12.0f} {:>12.0f} {:>11.2f} {:>11.2f} {:>10.0f}\n", p.value("name", std::string()),
                           p.value("rx_pps", 0.0), p.value("tx_pps", 0.0), p.value("rx_mbps", 0.0), p.value("tx_mbps", 0.0),
                           p.value("missed_ps", 0.0));
    std::string workers;
    for (auto& w : r["workers"]) workers += fmt::format("  worker {}: {:.0f} pkt/s", w.value("index", 0), w.value("pps", 0.0));
    out += workers + "\n";
    if (r["drops_per_s"].empty()) return out + "drops: none\n";
    for (auto& [name, v] : r["drops_per_s"].items()) out += fmt::format("drops {:<32} {:>10.1f}/s\n", name, v.get<double>());
    return out;
}

}  // namespace ftnet::ctl
