#include "engine/host_path/control/host_path_module.h"

#include "engine/core/command_registry.h"
#include "engine/cluster_log/control/cluster_log.h"
#include "engine/core/engine.h"
#include "engine/core/kernel_netlink.h"
#include "engine/tunnel/control/tunnel_module.h"

namespace ftnet {

using nlohmann::json;

void HostPathModule::start(Engine& e) {
    e_ = &e;
    e.module<TunnelModule>().add_plan_listener([this] { follow_leases(); });
    e.commands().add({"hosts", "host_path",
                      "host interfaces: the kernel interfaces that stand for the cluster ports, and what they carried",
                      {}, true, [this](const json&) { return cmd_hosts(); }});
}

void HostPathModule::follow_leases() {
    const auto& ports = e_->ports();
    for (size_t i = 0; i < ports.size(); i++) {
        if (ports[i].cfg_index < 0 || ports[i].host_peer < 0) continue;
        const PortConfig& pc = e_->config().ports[static_cast<size_t>(ports[i].cfg_index)];
        if (!pc.ipv4_dhcp) continue;
        std::optional<IfAddr>& had = leased_[i];
        const bool same = had.has_value() == pc.ipv4.has_value() &&
                          (!had || (had->addr == pc.ipv4->addr && had->prefix_len == pc.ipv4->prefix_len));
        if (same) continue;
        const int ifindex = netlink::ifindex(pc.host_interface);
        if (ifindex == 0) continue;
        try {
            if (had) netlink::del_address(ifindex, had->addr, had->prefix_len);
            had.reset();
            if (pc.ipv4) {
                netlink::add_address(ifindex, pc.ipv4->addr, pc.ipv4->prefix_len);
                had = pc.ipv4;
            }
            clog::info("PORT", "host interface {}: {}", pc.host_interface,
                       had ? "now " + had->str() + " (the port's lease)" : std::string("no IPv4 address (no lease)"));
        } catch (const std::exception& ex) {
            clog::warn("PORT", "host interface {}: {}", pc.host_interface, ex.what());
        }
    }
}

json HostPathModule::cmd_hosts() const {
    const Dataplane& dp = e_->dp();
    const auto& ports = e_->ports();
    auto sum_drop = [&](DropReason r) {
        uint64_t n = 0;
        for (uint16_t w = 0; w < dp.n_workers; w++) n += dp.counters[w]->drops[static_cast<size_t>(r)].get();
        return n;
    };
    json out = json::array();
    for (size_t i = 0; i < ports.size(); i++) {
        const PortRuntime& p = ports[i];
        if (p.cfg_index < 0 || p.host_peer < 0) continue;
        const PortConfig& pc = e_->config().ports[static_cast<size_t>(p.cfg_index)];
        const size_t h = static_cast<size_t>(p.host_peer);
        uint64_t to_pkts = 0, to_bytes = 0, from_pkts = 0, from_bytes = 0;
        for (uint16_t w = 0; w < dp.n_workers; w++) {
            const PortCounters& c = dp.counters[w]->port[h];
            to_pkts += c.tx_pkts.get();
            to_bytes += c.tx_bytes.get();
            from_pkts += c.rx_pkts.get();
            from_bytes += c.rx_bytes.get();
        }
        json addrs = json::array();
        for (const auto* a : {&pc.ipv4, &pc.ipv6})
            if (*a) addrs.push_back((*a)->str());
        out.push_back({{"port", pc.name},
                       {"interface", pc.host_interface},
                       {"driver", port_driver_name(ports[h].spec.driver)},
                       {"mac", ports[h].handle.mac.str()},
                       {"mtu", pc.mtu},
                       {"addresses", addrs},
                       {"queues", ports[h].handle.nb_rxq},
                       {"to_host", {{"pkts", to_pkts}, {"bytes", to_bytes}}},
                       {"from_host", {{"pkts", from_pkts}, {"bytes", from_bytes}}}});
    }
    // Drops are counted per reason, not per port.
    if (!out.empty())
        out.back()["drops_all_ports"] = {{"host-if-full", sum_drop(DropReason::host_if_full)},
                                         {"host-txq-full", sum_drop(DropReason::host_txq_full)},
                                         {"host-port-down", sum_drop(DropReason::host_port_down)},
                                         {"host-copy-no-mbuf", sum_drop(DropReason::host_copy_no_mbuf)}};
    return out;
}

}  // namespace ftnet
