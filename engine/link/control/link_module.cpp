#include "engine/link/control/link_module.h"

#include <fmt/format.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "engine/cluster_log/control/cluster_log.h"
#include "engine/core/engine.h"
#include "engine/core/mono_clock.h"
#include "engine/neighbor/control/neighbor_module.h"
#include "engine/tunnel/control/tunnel_module.h"

namespace ftnet {

using nlohmann::json;

namespace {

constexpr uint64_t kLinkPollMs = 100;

// Runs on the EAL interrupt thread: only wake the control thread, which
// re-reads the link state itself.
int on_lsc_event(uint16_t, rte_eth_event_type, void* fd_ptr, void*) {
    eventfd_write(*static_cast<int*>(fd_ptr), 1);
    return 0;
}

}  // namespace

void LinkModule::start(Engine& e) {
    e_ = &e;
    tunnel_ = &e.module<TunnelModule>();
    neighbors_ = &e.module<NeighborModule>();
    const uint64_t now = mono_ms();
    lsc_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    auto& ports = e.ports();
    for (size_t i = 0; i < ports.size(); i++) {
        if (ports[i].cfg_index < 0) continue;  // ftnet0, host interfaces
        PortRuntime& p = ports[i];
        bool up = true;
        switch (p.handle.link_source) {
        case LinkSource::KernelNetlink:
            if (!watcher_) watcher_ = std::make_unique<netlink::LinkWatcher>();
            up = netlink::link_is_up(p.handle.kernel_iface).value_or(false);
            break;
        case LinkSource::LscInterrupt:
            rte_eth_dev_callback_register(p.handle.port_id, RTE_ETH_EVENT_INTR_LSC, on_lsc_event, &lsc_fd_);
            [[fallthrough]];
        case LinkSource::Poll: {
            rte_eth_link link{};
            up = rte_eth_link_get_nowait(p.handle.port_id, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
            break;
        }
        case LinkSource::AlwaysUp:
            break;
        }
        p.link_up = up;
        p.changed_ms = now;
        set_port_usable(i);
        clog::info("PORT", "port {} link is {}", p.spec.name, up ? "up" : "down");
    }
    ControlLoop& loop = e.loop();
    poll_timer_ = loop.add_timer("link", kLinkPollMs, [this](uint64_t t) { poll_links(t); });
    // An LSC interrupt: re-read the NICs' link state now.
    loop.add_fd(lsc_fd_, "link", [this](uint32_t) {
        eventfd_t v;
        eventfd_read(lsc_fd_, &v);
        e_->loop().fire_soon(poll_timer_);
    });
    if (watcher_)
        loop.add_fd(watcher_->fd(), "link", [this](uint32_t) {
            const uint64_t t = mono_ms();
            watcher_->drain([&](const std::string& ifname, bool up) { on_link_event(ifname, up, t); });
        });
    e.commands().add({"link",
                      "link",
                      "set a cluster port administratively down or up",
                      {{"port", ArgType::String, true, "the port's config name", {}},
                       {"state", ArgType::String, true, "up or down", {}}},
                      false,
                      [this](const json& args) { return cmd_link(args); }});
    e.commands().add({"interfaces", "link", "ftnet0 and the cluster ports: addresses, link, queues", {}, true,
                      [this](const json&) { return cmd_interfaces(); }});
}

void LinkModule::stop(Engine& e) {
    for (auto& p : e.ports())
        if (p.probed && p.handle.link_source == LinkSource::LscInterrupt)
            rte_eth_dev_callback_unregister(p.handle.port_id, RTE_ETH_EVENT_INTR_LSC, on_lsc_event, &lsc_fd_);
    if (watcher_) e.loop().remove_fd(watcher_->fd());
    watcher_.reset();
    if (lsc_fd_ >= 0) {
        e.loop().remove_fd(lsc_fd_);
        close(lsc_fd_);
    }
    lsc_fd_ = -1;
}

void LinkModule::poll_links(uint64_t now) {
    auto& ports = e_->ports();
    for (size_t i = 0; i < ports.size(); i++) {
        if (ports[i].cfg_index < 0) continue;  // ftnet0, host interfaces
        const PortHandle& h = ports[i].handle;
        if (h.link_source != LinkSource::Poll && h.link_source != LinkSource::LscInterrupt) continue;
        rte_eth_link link{};
        if (rte_eth_link_get_nowait(h.port_id, &link) == 0) refresh_link(i, link.link_status == RTE_ETH_LINK_UP, now);
    }
}

void LinkModule::on_link_event(const std::string& ifname, bool up, uint64_t now) {
    auto& ports = e_->ports();
    for (size_t i = 0; i < ports.size(); i++) {
        const PortHandle& h = ports[i].handle;
        if (h.link_source != LinkSource::KernelNetlink) continue;
        if (ifname.empty()) {  // events were lost: ask again
            refresh_link(i, netlink::link_is_up(h.kernel_iface).value_or(false), now);
        } else if (h.kernel_iface == ifname) {
            refresh_link(i, up, now);
        }
    }
}

void LinkModule::refresh_link(size_t i, bool up, uint64_t now) {
    PortRuntime& p = e_->ports()[i];
    if (p.link_up == up) return;
    p.link_up = up;
    p.changed_ms = now;
    set_port_usable(i);
    clog::info("PORT", "port {} link {}", p.spec.name, up ? "up" : "down");
    e_->emit_event({{"time", e_->event_time(rte_rdtsc())}, {"type", "link"}, {"port", p.spec.name}, {"state", up ? "up" : "down"}});
    for (auto& r : tunnel_->routes())
        if (r.port_cfg == i)
            clog::info("ROUTE", "{} is {}", route_title(e_->config(), r),
                       tunnel_->route_is_up(r) ? "up" : fmt::format("down ({})", tunnel_->route_down_reason(r)));
    if (up) neighbors_->link_up(static_cast<uint16_t>(i), now);
    if (p.admin_up) send_link_notices(i, up, wire::kLinkReasonLink);
}

void LinkModule::set_port_usable(size_t i) {
    Dataplane& dp = e_->dp();
    const PortRuntime& p = e_->ports()[i];
    dp.port_live[i].admin_down.store(!p.admin_up, std::memory_order_relaxed);
    dp.port_live[i].usable.store(p.link_up && p.admin_up, std::memory_order_release);
    e_->kick_heartbeats();
}

json LinkModule::cmd_link(const json& args) {
    const std::string name = args["port"], state = args["state"];
    if (state != "up" && state != "down") throw MgmtError(fmt::format("state \"{}\" is not up or down", state));
    auto& ports = e_->ports();
    for (size_t i = 0; i < ports.size(); i++) {
        if (ports[i].cfg_index < 0 || ports[i].spec.name != name) continue;
        const bool up = state == "up";
        if (ports[i].admin_up != up) {
            ports[i].admin_up = up;
            set_port_usable(i);
            clog::info("PORT", "port {} set administratively {} by the operator", name, state);
            e_->emit_event({{"time", e_->event_time(rte_rdtsc())}, {"type", "link"}, {"port", name}, {"state", state}, {"admin", true}});
            if (up && ports[i].link_up) neighbors_->link_up(static_cast<uint16_t>(i), mono_ms());
            if (ports[i].link_up) send_link_notices(i, up, wire::kLinkReasonAdmin);
        }
        return {{"port", name}, {"admin", state}, {"link", ports[i].link_up ? "up" : "down"}};
    }
    throw MgmtError(fmt::format("no cluster port named \"{}\"", name));
}

json LinkModule::cmd_interfaces() const {
    const Config& cfg = e_->config();
    const AdapterInfo& a = e_->adapter();
    const auto& ports = e_->ports();
    json pairs = json::array();
    for (auto& r : tunnel_->routes())
        pairs.push_back({{"local", r.local.str()}, {"remote", r.remote.str()}, {"peer", cfg.peers[r.peer_cfg].name},
                         {"network", cfg.networks[r.network_cfg].name}, {"family", family_name(r.family)}});
    json adapter = {
        {"name", cfg.adapter.name},
        {"description", "ftnet Failover Cluster Virtual Adapter"},
        {"driver", port_driver_name(ports[e_->adapter_index()].spec.driver)},
        {"mac", a.mac.str()},
        {"mac_windows", a.mac.windows_str()},
        {"apipa", a.apipa.str()},
        {"apipa_mask", "255.255.0.0"},
        {"link_local", a.link_local.str()},
        {"mtu", cfg.adapter.mtu},
        {"dhcp", false},
        {"autoconfiguration", true},
        {"mac_from_port", ports.front().spec.name},
        {"endpoint_pairs", pairs},
    };
    json phys = json::array();
    for (size_t i = 0; i < ports.size(); i++) {
        if (ports[i].cfg_index < 0) continue;  // ftnet0, host interfaces
        const PortRuntime& p = ports[i];
        const PortConfig& pc = cfg.ports[static_cast<size_t>(p.cfg_index)];
        phys.push_back({
            {"name", pc.name},
            {"driver", port_driver_name(pc.driver)},
            {"device", p.handle.device},
            {"iface", pc.iface},
            {"host_interface", pc.host_interface},
            {"network", pc.network},
            {"mac", p.handle.mac.str()},
            {"ipv4", pc.ipv4 ? pc.ipv4->str() : ""},
            {"ipv6", pc.ipv6 ? pc.ipv6->str() : ""},
            {"gateway4", pc.gateway4 ? pc.gateway4->str() : ""},
            {"gateway6", pc.gateway6 ? pc.gateway6->str() : ""},
            {"mtu", pc.mtu},
            {"link", p.link_up ? "up" : "down"},
            {"admin", p.admin_up ? "up" : "down"},
            {"numa_socket", p.handle.socket},
            {"rx_queues", p.handle.nb_rxq},
            {"tx_queues", p.handle.nb_txq},
            {"checksum_offload", p.handle.tx_csum_offload},
        });
    }
    return {{"adapter", adapter}, {"ports", phys}};
}

}  // namespace ftnet
