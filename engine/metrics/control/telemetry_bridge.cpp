#include "engine/metrics/control/telemetry_bridge.h"

#include <fmt/format.h>
#include <rte_telemetry.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <stdexcept>

namespace ftnet {

using nlohmann::json;

TelemetryBridge::TelemetryBridge(RunCommand run) : run_(std::move(run)) {
    efd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (efd_ < 0) throw std::runtime_error("telemetry: eventfd failed");
}

TelemetryBridge::~TelemetryBridge() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        answered_ = asked_;  // whoever waits gives up
        answer_ = nullptr;
    }
    cv_.notify_all();
    close(efd_);
}

json TelemetryBridge::ask(const std::string& cmd) {
    std::unique_lock<std::mutex> lock(mu_);
    // One question at a time (the telemetry thread asks one by one anyway).
    const uint64_t ticket = ++asked_;
    question_ = cmd;
    answer_ = nullptr;
    const uint64_t one = 1;
    if (write(efd_, &one, sizeof one) < 0) return nullptr;
    if (!cv_.wait_for(lock, std::chrono::seconds(1), [&] { return answered_ >= ticket; })) {
        answered_ = ticket;  // a late answer is for nobody
        return nullptr;
    }
    return std::move(answer_);
}

void TelemetryBridge::serve() {
    uint64_t n;
    while (read(efd_, &n, sizeof n) > 0) {
    }
    std::string cmd;
    uint64_t ticket;
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (answered_ >= asked_) return;
        cmd = question_;
        ticket = asked_;
    }
    json a;
    try {
        a = run_(cmd);
    } catch (const std::exception& e) {
        a = {{"error", e.what()}};
    }
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (asked_ != ticket || answered_ >= ticket) return;  // the asker gave up
        answer_ = std::move(a);
        answered_ = ticket;
    }
    cv_.notify_all();
}

std::string telemetry_name(const std::string& s) {
    std::string o;
    for (char c : s) o += std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '/' ? c : '_';
    return o.empty() ? "_" : o;
}

namespace {

void add_scalar(rte_tel_data* d, const std::string& name, const json& v) {
    const std::string k = telemetry_name(name);
    if (v.is_boolean()) rte_tel_data_add_dict_int(d, k.c_str(), v.get<bool>() ? 1 : 0);
    else if (v.is_number_unsigned()) rte_tel_data_add_dict_u64(d, k.c_str(), v.get<uint64_t>());
    else if (v.is_number_integer()) rte_tel_data_add_dict_int(d, k.c_str(), static_cast<int>(v.get<int64_t>()));
    else if (v.is_number_float()) rte_tel_data_add_dict_string(d, k.c_str(), std::to_string(v.get<double>()).c_str());
    else if (v.is_string()) rte_tel_data_add_dict_string(d, k.c_str(), v.get<std::string>().substr(0, RTE_TEL_MAX_STRING_LEN - 1).c_str());
}

void flatten(const json& j, const std::string& prefix, rte_tel_data* d) {
    for (auto& [k, v] : j.items()) {
        const std::string name = prefix.empty() ? k : prefix + "_" + k;
        if (v.is_object()) {
            flatten(v, name, d);
        } else if (v.is_array()) {
            std::string joined;
            bool scalars = true;
            for (auto& x : v) {
                if (x.is_structured()) {
                    scalars = false;
                    continue;
                }
                if (!joined.empty()) joined += ' ';
                joined += x.is_string() ? x.get<std::string>() : x.dump();
            }
            if (scalars) add_scalar(d, name, json(joined));
        } else {
            add_scalar(d, name, v);
        }
    }
}

}  // namespace

void json_to_tel_dict(const json& j, rte_tel_data* d) {
    rte_tel_data_start_dict(d);
    if (j.is_object()) flatten(j, "", d);
}

namespace {

std::mutex g_mu;
TelemetryBridge* g_bridge = nullptr;

json ask(const std::string& cmd) {
    std::lock_guard<std::mutex> lock(g_mu);
    return g_bridge ? g_bridge->ask(cmd) : json();
}

int tel_flat(const char* cmd, const char*, rte_tel_data* d) {
    const std::string name = std::string(cmd).substr(std::string("/ftnet/").size());
    json_to_tel_dict(ask(name), d);
    return 0;
}

std::string fixed(double v) { return fmt::format("{:.3f}", v); }

// One line per route: who, where, state and how it does.
int tel_routes(const char*, const char* params, rte_tel_data* d) {
    rte_tel_data_start_dict(d);
    const json routes = ask("routes");
    if (!routes.is_array()) return 0;
    for (const json& r : routes) {
        if (params && *params && r.value("peer", std::string()) != params) continue;
        const json hb = r.value("heartbeat", json::object());
        const std::string line = fmt::format(
            "{} {} {} {}{} rtt_ms={} loss_pct={} tx={} rx={}", r.value("peer", std::string()), r.value("network", std::string()),
            r.value("family", std::string()), r.value("state", std::string()), r.value("in_use", false) ? " in_use" : "",
            fixed(hb.value("rtt_smoothed_us", 0.0) / 1000.0), fixed(hb.value("loss_pct", 0.0)), r.value("tx_packets", uint64_t{0}),
            r.value("rx_packets", uint64_t{0}));
        if (rte_tel_data_add_dict_string(d, telemetry_name(std::to_string(r.value("id", 0))).c_str(),
                                         line.substr(0, RTE_TEL_MAX_STRING_LEN - 1).c_str()) != 0)
            break;
    }
    return 0;
}

// Every field of one route.
int tel_route(const char*, const char* params, rte_tel_data* d) {
    const json routes = ask("routes");
    if (params && *params && routes.is_array())
        for (const json& r : routes)
            if (std::to_string(r.value("id", -1)) == params) {
                json flat = r;
                if (flat.contains("heartbeat")) flat["heartbeat"].erase("rtt_histogram");
                json_to_tel_dict(flat, d);
                return 0;
            }
    rte_tel_data_start_dict(d);
    return 0;
}

// One line per node.
int tel_nodes(const char*, const char*, rte_tel_data* d) {
    rte_tel_data_start_dict(d);
    const json nodes = ask("nodes");
    if (!nodes.is_array()) return 0;
    for (const json& n : nodes) {
        std::string line = n.value("state", std::string());
        if (!n.value("local", false))
            line += fmt::format(" routes_up={}/{} via {}", n.value("routes_up", 0), n.value("routes", 0),
                                n.value("active_route", std::string()));
        if (rte_tel_data_add_dict_string(d, telemetry_name(n.value("name", std::string())).c_str(),
                                         line.substr(0, RTE_TEL_MAX_STRING_LEN - 1).c_str()) != 0)
            break;
    }
    return 0;
}

}  // namespace

void register_telemetry_commands(TelemetryBridge* b) {
    {
        std::lock_guard<std::mutex> lock(g_mu);
        g_bridge = b;
    }
    static const bool registered = [] {
        rte_telemetry_register_cmd("/ftnet/status", tel_flat, "ftnet: the node, its engine and a summary of every module");
        rte_telemetry_register_cmd("/ftnet/counters", tel_flat, "ftnet: per port, per drop reason and per worker counters");
        rte_telemetry_register_cmd("/ftnet/membership", tel_flat, "ftnet: membership epoch, members and quorum");
        rte_telemetry_register_cmd("/ftnet/routes", tel_routes, "ftnet: a line per route id. Parameters: a peer's name");
        rte_telemetry_register_cmd("/ftnet/route", tel_route, "ftnet: every field of one route. Parameters: its id");
        rte_telemetry_register_cmd("/ftnet/nodes", tel_nodes, "ftnet: a line per node: state, active route");
        return true;
    }();
    (void)registered;
}

}  // namespace ftnet
