// The host interfaces: for each physical port with `host_interface`, a
// kernel TAP that stands for the port on the host (the exception path of
// engine/host_path/). It has the port's MAC, MTU and addresses, so the host
// sends and receives on it as if it owned the NIC: ssh and monitoring reach
// a host whose NICs DPDK owns. Main thread, at start.

#include <fmt/format.h>

#include "drivers/mempool.h"
#include "drivers/numa_topology.h"
#include "engine/cluster_log/control/cluster_log.h"
#include "engine/core/engine.h"
#include "engine/core/kernel_netlink.h"

namespace ftnet {

void Engine::init_host_interfaces() {
    const uint16_t n_workers = static_cast<uint16_t>(cfg_.dataplane.workers.size());
    const size_t n_physical = cfg_.ports.size();
    for (size_t i = 0; i < n_physical; i++) {
        const PortConfig& pc = cfg_.ports[i];
        if (pc.host_interface.empty()) continue;
        if (!datapath_registry().host_input)
            throw EngineError(fmt::format("port {}: host_interface needs the host path module, which is not built in", pc.name));
        const std::string& name = pc.host_interface;
        // A TAP goes away with the process that opened it: one that exists
        // belongs to someone else.
        if (netlink::ifindex(name) != 0)
            throw EngineError(fmt::format("port[{}].host_interface: interface {} already exists (another ftnetd, or "
                                          "the host's own?); remove it or choose another name",
                                          i, name));
        PortRuntime pr;
        pr.spec.name = "host_" + pc.name;
        pr.spec.driver = PortDriver::Tap;
        pr.spec.iface = name;
        pr.spec.mac = ports_[i].handle.mac;
        pr.spec.rx_queues = n_workers;
        pr.spec.tx_queues = n_workers;
        pr.spec.mtu = static_cast<uint16_t>(pc.mtu);
        pr.spec.rx_wakeup = cfg_.dataplane.idle_sleep_max_us > 0 && cfg_.dataplane.idle_wakeup;
        adjust_queue_counts(pr.spec);
        pr.host_peer = static_cast<int>(i);
        ports_.push_back(pr);
        const size_t hi = ports_.size() - 1;
        ports_[i].host_peer = static_cast<int>(hi);
        PortRuntime& p = ports_.back();
        p.handle = probe_port(p.spec);
        p.probed = true;
        if (p.handle.socket < 0) p.handle.socket = ports_[i].handle.socket;
        const int ifindex = netlink::ifindex(name);
        if (ifindex == 0) throw EngineError(fmt::format("the TAP PMD did not create {}", name));
        // Before it comes up: no EUI-64 link-local address of the kernel's.
        // The engine answers neighbour solicitations for the port's address
        // only, so an address the engine does not know would be unreachable.
        netlink::set_ipv6_addr_gen_none(ifindex);
        start_port(p.handle, p.spec, pool_for_socket(p.handle.socket, cfg_.dataplane.mbufs, data_room_));
        p.link_up = true;
        netlink::set_mtu(ifindex, pc.mtu);
        std::string addrs;
        for (const auto* a : {&pc.ipv4, &pc.ipv6}) {
            if (!*a) continue;
            netlink::add_address(ifindex, (*a)->addr, (*a)->prefix_len);
            addrs += fmt::format("{}{}/{}", addrs.empty() ? "" : ", ", (*a)->addr.str(), (*a)->prefix_len);
        }
        // The network's other subnets (other sites) are reached through the
        // port's gateway, as the tunnel's routes are: the host's services
        // answer clients there, and reach servers there (DNS).
        std::string routes;
        if (const NetworkConfig* net = cfg_.find_network(pc.network)) {
            for (const IpPrefix& sn : net->subnets) {
                const std::optional<IfAddr>& own = sn.addr.is_v6() ? pc.ipv6 : pc.ipv4;
                const std::optional<IpAddr>& gw = sn.addr.is_v6() ? pc.gateway6 : pc.gateway4;
                if (!own || !gw || own->subnet().contains(sn.addr)) continue;
                netlink::add_route(ifindex, sn, *gw);
                routes += fmt::format("{}{} via {}", routes.empty() ? "" : ", ", sn.str(), gw->str());
            }
        }
        clog::info("PORT", "host interface {} for port {}: MAC {}, MTU {}, {}{}; the host's own traffic on the port "
                   "goes through it",
                   name, pc.name, p.handle.mac.str(), pc.mtu, addrs.empty() ? "no addresses" : addrs,
                   routes.empty() ? "" : "; routes " + routes);
    }
}

}  // namespace ftnet
