#include "engine/metrics/control/prometheus_text.h"

#include <fmt/format.h>

#include <map>
#include <vector>

namespace ftnet {

using nlohmann::json;

std::string prometheus_label(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

namespace {

// Samples grouped by metric, each metric's HELP and TYPE once, in the
// order the metrics were first seen.
class Exposition {
  public:
    void add(const std::string& name, const char* type, const char* help, const std::string& labels, double value) {
        auto it = index_.find(name);
        if (it == index_.end()) {
            it = index_.emplace(name, metrics_.size()).first;
            metrics_.push_back({name, type, help, {}});
        }
        metrics_[it->second].samples.push_back(fmt::format("{}{} {}", name, labels.empty() ? "" : "{" + labels + "}", number(value)));
    }
    std::string str() const {
        std::string out;
        for (const Metric& m : metrics_) {
            out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", m.name, m.help, m.name, m.type);
            for (const std::string& s : m.samples) out += s + "\n";
        }
        return out;
    }

  private:
    static std::string number(double v) {
        if (v == static_cast<double>(static_cast<int64_t>(v)) && v < 9.0e15 && v > -9.0e15)
            return fmt::format("{}", static_cast<int64_t>(v));
        return fmt::format("{}", v);
    }
    struct Metric {
        std::string name;
        const char* type;
        const char* help;
        std::vector<std::string> samples;
    };
    std::vector<Metric> metrics_;
    std::map<std::string, size_t> index_;
};

double num(const json& j, const char* key) {
    if (!j.is_object() || !j.contains(key)) return 0;
    const json& v = j[key];
    if (v.is_number()) return v.get<double>();
    if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
    return 0;
}

std::string str(const json& j, const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

std::string label(const char* k, const std::string& v) { return fmt::format("{}=\"{}\"", k, prometheus_label(v)); }

void node_metrics(Exposition& x, const json& s) {
    if (!s.is_object()) return;
    const json node = s.value("node", json::object());
    x.add("ftnet_info", "gauge", "The node and its engine (always 1).",
          label("node", str(node, "name")) + "," + label("node_id", fmt::format("{}", num(node, "id"))) + "," +
              label("cluster", str(node, "cluster")) + "," + label("version", str(s, "version")) + "," + label("dpdk", str(s, "dpdk")),
          1);
    x.add("ftnet_uptime_seconds", "gauge", "Seconds since ftnetd started.", "", num(s, "uptime_s"));
    x.add("ftnet_peers", "gauge", "Configured peers.", "", num(s, "peers"));
}

void counter_metrics(Exposition& x, const json& c) {
    if (!c.is_object()) return;
    for (const json& p : c.value("ports", json::array())) {
        const std::string l = label("port", str(p, "name"));
        x.add("ftnet_port_rx_packets_total", "counter", "Frames the workers received on the port.", l, num(p, "rx_packets"));
        x.add("ftnet_port_rx_bytes_total", "counter", "Bytes the workers received on the port.", l, num(p, "rx_bytes"));
        x.add("ftnet_port_tx_packets_total", "counter", "Frames the workers sent on the port.", l, num(p, "tx_packets"));
        x.add("ftnet_port_tx_bytes_total", "counter", "Bytes the workers sent on the port.", l, num(p, "tx_bytes"));
        x.add("ftnet_port_hw_imissed_total", "counter", "Frames the NIC dropped for want of descriptors (DPDK imissed).", l,
              num(p, "hw_imissed"));
        x.add("ftnet_port_hw_rx_nombuf_total", "counter", "Receive mbuf allocation failures (DPDK rx_nombuf).", l,
              num(p, "hw_rx_nombuf"));
        if (p.contains("kernel") && p["kernel"].is_object())
            for (auto& [k, v] : p["kernel"].items())
                if (v.is_number())
                    x.add("ftnet_port_kernel_dropped_total", "counter",
                          "Frames the kernel side of an af_packet/af_xdp port or of ftnet0 dropped.", l + "," + label("where", k),
                          v.get<double>());
    }
    if (c.contains("drops") && c["drops"].is_object())
        for (auto& [reason, n] : c["drops"].items())
            x.add("ftnet_drops_total", "counter", "Frames dropped, by reason (`ftnetctl counters`).", label("reason", reason),
                  n.is_number() ? n.get<double>() : 0);
    for (const json& w : c.value("workers", json::array())) {
        const std::string l = label("worker", fmt::format("{}", num(w, "index")));
        x.add("ftnet_worker_packets_total", "counter", "Frames a worker handled in busy loop iterations.", l, num(w, "packets"));
        x.add("ftnet_worker_loops_total", "counter", "A worker's poll loop iterations.", l, num(w, "loops"));
        x.add("ftnet_worker_busy_loops_total", "counter", "Iterations that received, sent or heartbeated.", l, num(w, "busy_loops"));
        x.add("ftnet_worker_cycles_per_packet", "gauge", "A worker's busy TSC cycles per frame since start.", l,
              num(w, "cycles_per_packet"));
        x.add("ftnet_worker_heartbeat_stalls_total", "counter", "Times a worker was late to send heartbeats.", l, num(w, "stalls"));
    }
}

void route_metrics(Exposition& x, const json& routes) {
    if (!routes.is_array()) return;
    for (const json& r : routes) {
        const std::string l = label("route", fmt::format("{}", num(r, "id"))) + "," + label("peer", str(r, "peer")) + "," +
                              label("network", str(r, "network")) + "," + label("family", str(r, "family"));
        const json hb = r.value("heartbeat", json::object());
        x.add("ftnet_route_up", "gauge", "1 when the route is up.", l, str(r, "state") == "up" ? 1 : 0);
        x.add("ftnet_route_in_use", "gauge", "1 when the route carries its peer's traffic.", l, num(r, "in_use"));
        x.add("ftnet_route_rank", "gauge", "The route's rank among its peer's routes (1 best).", l, num(r, "rank"));
        x.add("ftnet_route_rtt_seconds", "gauge", "Smoothed heartbeat round-trip time.", l, num(hb, "rtt_smoothed_us") / 1e6);
        x.add("ftnet_route_heartbeat_requests_sent_total", "counter", "Heartbeat requests sent on the route.", l,
              num(hb, "requests_sent"));
        x.add("ftnet_route_heartbeat_replies_received_total", "counter", "Heartbeat replies received on the route.", l,
              num(hb, "replies_received"));
        x.add("ftnet_route_heartbeat_periods_missed_total", "counter", "Heartbeat periods with no reply in time.", l,
              num(hb, "periods_missed"));
        x.add("ftnet_route_heartbeat_loss_ratio", "gauge", "Share of heartbeat requests not answered, since start.", l,
              num(hb, "loss_pct") / 100.0);
        x.add("ftnet_route_flaps_total", "counter", "Times the route went down.", l, num(r, "flaps"));
        x.add("ftnet_route_tx_packets_total", "counter", "Tunnel frames sent on the route.", l, num(r, "tx_packets"));
        x.add("ftnet_route_tx_bytes_total", "counter", "Inner bytes sent on the route.", l, num(r, "tx_bytes"));
        x.add("ftnet_route_rx_packets_total", "counter", "Tunnel frames received on the route.", l, num(r, "rx_packets"));
        x.add("ftnet_route_rx_bytes_total", "counter", "Inner bytes received on the route.", l, num(r, "rx_bytes"));
    }
}

void membership_metrics(Exposition& x, const json& m) {
    if (!m.is_object()) return;
    x.add("ftnet_membership_epoch", "gauge", "The epoch of the membership view this node holds.", "", num(m, "epoch"));
    x.add("ftnet_membership_members", "gauge", "Members of that view.", "",
          m.contains("members") && m["members"].is_array() ? static_cast<double>(m["members"].size()) : 0);
    const json q = m.value("quorum", json::object());
    x.add("ftnet_membership_quorum", "gauge", "1 when this node's partition has quorum.", "", num(q, "has"));
    x.add("ftnet_membership_votes", "gauge", "Votes this node's partition holds.", "", num(q, "votes"));
    x.add("ftnet_membership_votes_needed", "gauge", "Votes quorum needs.", "", num(q, "needed"));
    x.add("ftnet_membership_regrouping", "gauge", "1 while a regroup round is under way.", "", num(m, "regrouping"));
}

}  // namespace

std::string render_prometheus(const EngineSnapshot& s) {
    Exposition x;
    node_metrics(x, s.status);
    counter_metrics(x, s.counters);
    route_metrics(x, s.routes);
    membership_metrics(x, s.membership);
    return x.str();
}

}  // namespace ftnet
