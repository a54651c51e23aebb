#include "engine/management/control/management_module.h"

#include <fmt/format.h>
#include <rte_ethdev.h>
#include <rte_version.h>

#include <fstream>

#include "drivers/socket_drops.h"
#include "engine/cluster_log/control/cluster_log.h"
#include "engine/core/drop_reason.h"
#include "engine/core/engine.h"
#include "engine/core/mono_clock.h"

namespace ftnet {

using nlohmann::json;

namespace {

// A kernel interface's counter (/sys/class/net/IFACE/statistics/NAME), or
// -1 when it cannot be read (no such interface in this namespace).
int64_t kernel_stat(const std::string& iface, const char* name) {
    std::ifstream f("/sys/class/net/" + iface + "/statistics/" + name);
    int64_t v = -1;
    if (!(f >> v)) return -1;
    return v;
}

}  // namespace

void ManagementModule::start(Engine& e) {
    e_ = &e;
    const Config& cfg = e.config();
    MgmtAccessConfig access{cfg.management.socket_group, cfg.management.read_only_group,
                            cfg.management.read_only_everyone};
    server_ = std::make_unique<MgmtServer>(cfg.management.socket, access,
                                           [&e](const json& r, bool may_change) { return e.handle_request(r, may_change); });
    server_->attach(e.loop().epoll_fd());
    e.loop().add_fd_owner("management", [this](int fd, uint32_t ev) { return server_->on_event(fd, ev, mono_ms()); });
    e.loop().add_timer("management", 1000, [this](uint64_t now) {
        if (server_) server_->expire(now);
    });
    e.add_event_sink([this](const json& ev) {
        if (server_) server_->broadcast(ev);
    });
    e.commands().add({"status", "management", "the node, its engine and a summary of every module", {}, true,
                      [this](const json&) { return cmd_status(); }});
    e.commands().add({"counters", "management", "per port, per worker and per drop reason counters", {}, true,
                      [this](const json&) { return cmd_counters(); }});
    e.commands().add({"help", "management", "every command with its arguments", {}, true,
                      [&e](const json&) { return e.commands().describe(); }});
    e.commands().add({"version", "management", "ftnetd's version, its management protocol, DPDK's version", {}, true,
                      [](const json&) {
                          return json{{"ftnetd", FTNET_VERSION}, {"protocol", MgmtServer::kProtocolVersion},
                                      {"dpdk", rte_version()}};
                      }});
}

void ManagementModule::stop(Engine&) { server_.reset(); }

json ManagementModule::cmd_status() const {
    const Config& cfg_ = e_->config();
    const Dataplane* dp_ = &e_->dp();
    const auto& ports_ = e_->ports();
    uint64_t rx = 0, tx = 0, drops = 0;
    for (uint16_t w = 0; w < dp_->n_workers; w++) {
        const WorkerCounters& c = *dp_->counters[w];
        for (size_t i = 0; i < ports_.size(); i++) {
            rx += c.port[i].rx_pkts.get();
            tx += c.port[i].tx_pkts.get();
        }
        for (auto& d : c.drops) drops += d.get();
    }
    for (size_t d = 0; d < kNumDropReasons; d++) drops += e_->ctl_drops(static_cast<DropReason>(d));
    json out = {
        {"node", {{"id", cfg_.node.id}, {"name", cfg_.node.name}, {"cluster", cfg_.node.cluster}}},
        {"version", FTNET_VERSION},
        {"dpdk", rte_version()},
        {"config", cfg_.path},
        {"uptime_s", (mono_ms() - e_->start_ms()) / 1000},
        {"workers", dp_->n_workers},
        {"ports", ports_.size() - 1},
        {"peers", cfg_.active_peers()},
        {"rx_packets", rx},
        {"tx_packets", tx},
        {"drops", drops},
        {"control_tx_dropped", e_->ctl_drops(DropReason::ctl_tx_no_mbuf) + e_->ctl_drops(DropReason::ctl_tx_ring_full)},
        {"event_subscribers", server_ ? server_->subscribers() : 0},
        {"management", server_ ? mgmt_json() : json()},
    };
    e_->fill_status(out);
    return out;
}

json ManagementModule::mgmt_json() const {
    const MgmtServer::Stats& st = server_->stats();
    return {{"socket", server_->path()},
            {"protocol", MgmtServer::kProtocolVersion},
            {"access", server_->access().describe()},
            {"clients", server_->clients()},
            {"accepted", st.accepted},
            {"requests", st.requests},
            {"errors", st.errors},
            {"denied", st.denied},
            {"refused_busy", st.refused_busy},
            {"refused_access", st.refused_access},
            {"closed_idle", st.closed_idle},
            {"closed_slow", st.closed_slow},
            {"closed_overlong", st.closed_overlong}};
}

json ManagementModule::cmd_counters() const {
    const Dataplane* dp_ = &e_->dp();
    const auto& ports_ = e_->ports();
    const auto& workers_ = e_->workers();
    json ports = json::array();
    for (size_t i = 0; i < ports_.size(); i++) {
        uint64_t v[4] = {};
        for (uint16_t w = 0; w < dp_->n_workers; w++) {
            const PortCounters& c = dp_->counters[w]->port[i];
            v[0] += c.rx_pkts.get();
            v[1] += c.rx_bytes.get();
            v[2] += c.tx_pkts.get();
            v[3] += c.tx_bytes.get();
        }
        rte_eth_stats st{};
        rte_eth_stats_get(ports_[i].handle.port_id, &st);
        // What the kernel dropped before the engine saw it: frames a port's
        // socket ring had no room for (rx_ring_full), and on ftnet0 frames
        // the host could not queue to the engine (the TAP's or the veth's
        // queue, or the engine end's ring, was full: the engine did not read
        // fast enough) and frames the engine wrote that the host stack
        // dropped. Not engine drops, but part of the account a sender needs
        // (sent = delivered + every counted drop).
        json host = nullptr;
        const PortDriver drv = ports_[i].spec.driver;
        const uint64_t ring_full = socket_rx_ring_drops(ports_[i].handle, drv);
        if (drv == PortDriver::AfPacket || drv == PortDriver::AfXdp) host = {{"rx_ring_full", ring_full}};
        if (i == e_->adapter_index() && drv != PortDriver::Ring && drv != PortDriver::Null) {
            const std::string& ftnet0 = e_->config().adapter.name;
            int64_t h2e = kernel_stat(ftnet0, "tx_dropped"), e2h = kernel_stat(ftnet0, "rx_dropped");
            if (drv == PortDriver::AfPacket || drv == PortDriver::AfXdp) {
                // The veth's engine end (NAME-dp): its rx_dropped holds what
                // XDP could not hand the af_xdp socket; an af_packet ring's
                // overflows are only in the socket's own statistics.
                const std::string& end = ports_[i].spec.iface;
                const int64_t erx = kernel_stat(end, "rx_dropped"), etx = kernel_stat(end, "tx_dropped");
                h2e = h2e < 0 || erx < 0 ? -1 : h2e + erx + (drv == PortDriver::AfPacket ? static_cast<int64_t>(ring_full) : 0);
                e2h = e2h < 0 || etx < 0 ? -1 : e2h + etx;
            }
            if (h2e >= 0 && e2h >= 0) {
                host["host_to_engine_dropped"] = h2e;
                host["engine_to_host_dropped"] = e2h;
            }
        }
        ports.push_back({{"name", ports_[i].spec.name},
                         {"kernel", host},
                         {"rx_packets", v[0]},
                         {"rx_bytes", v[1]},
                         {"tx_packets", v[2]},
                         {"tx_bytes", v[3]},
                         {"hw_ipackets", st.ipackets},
                         {"hw_opackets", st.opackets},
                         {"hw_imissed", st.imissed},
                         {"hw_ierrors", st.ierrors},
                         {"hw_oerrors", st.oerrors},
                         {"hw_rx_nombuf", st.rx_nombuf}});
    }
    json drops = json::object();
    for (size_t d = 0; d < kNumDropReasons; d++) {
        uint64_t n = e_->ctl_drops(static_cast<DropReason>(d));
        for (uint16_t w = 0; w < dp_->n_workers; w++) n += dp_->counters[w]->drops[d].get();
        drops[drop_reason_name(static_cast<DropReason>(d))] = n;
    }
    json workers = json::array();
    for (uint16_t w = 0; w < dp_->n_workers; w++) {
        const WorkerCounters& c = *dp_->counters[w];
        uint64_t pkts = c.busy_pkts.get(), cyc = c.busy_cycles.get();
        workers.push_back({{"index", w},
                           {"lcore", workers_[w]->lcore},
                           {"loops", c.loops.get()},
                           {"busy_loops", c.busy_loops.get()},
                           {"packets", pkts},
                           {"cycles_per_packet", pkts ? static_cast<double>(cyc) / static_cast<double>(pkts) : 0.0},
                           {"sleeps", c.sleeps.get()},
                           {"woken_by_traffic", c.woken_by_traffic.get()},
                           {"woken_for_work", c.woken_for_work.get()},
                           {"idle", e_->worker_idle_mode(w)},
                           {"to_control", c.to_control.get()},
                           {"from_control", c.from_control.get()},
                           {"flooded", c.flooded.get()},
                           {"tx_last_resort", c.tx_last_resort.get()},
                           {"stalls", c.hb_stalls.get()},
                           {"stalled_ms", static_cast<double>(c.hb_stall_cycles.get()) * 1000.0 / static_cast<double>(dp_->tsc_hz)},
                           {"stall_max_ms", static_cast<double>(c.hb_stall_max_cycles.get()) * 1000.0 / static_cast<double>(dp_->tsc_hz)},
                           {"all_routes_silent", c.hb_all_silent.get()}});
    }
    return {{"ports", ports}, {"drops", drops}, {"workers", workers},
            {"control_tx_dropped", e_->ctl_drops(DropReason::ctl_tx_no_mbuf) + e_->ctl_drops(DropReason::ctl_tx_ring_full)}};
}

}  // namespace ftnet
