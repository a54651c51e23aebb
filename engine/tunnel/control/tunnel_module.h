// The tunnel module's control part: the routes to every peer (planned from
// the config), the route table the workers read (built from them and
// published with RCU), the frames workers hand to the control thread
// (ControlFrames), and the authenticated tunnel messages the control thread
// sends (HELLO, LINK_NOTICE). Commands: `routes`, `nodes`. Config: [tunnel].
//
// Control thread only. Other modules reach it with
// engine.module<TunnelModule>() and may keep the reference: it lives until
// shutdown.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <vector>

#include "engine/core/module.h"
#include "engine/core/reload_registry.h"
#include "engine/core/rcu_publish.h"
#include "engine/tunnel/control/control_frames.h"
#include "engine/tunnel/control/route_plan.h"
#include "engine/tunnel/ftnet_wire.h"
#include "engine/tunnel/route_table.h"

namespace ftnet {

class Engine;
class NeighborModule;

// What a module adds to each peer's entry in the route table it publishes.
using PeerTableFiller = std::function<void(PeerEntry& e, uint16_t peer_node)>;
// Whether a route's next hop is resolved (and its MAC); the neighbour
// module answers.
using NextHopLookup = std::function<std::optional<MacAddr>(uint16_t port_index, const IpAddr& next_hop)>;
// A route's path MTU (IP bytes) as measured, 0 while unknown (the port's
// MTU is used); the path MTU module answers.
using PathMtuLookup = std::function<uint16_t(uint16_t route_id)>;

class TunnelModule : public Module {
  public:
    void start(Engine& e) override;
    void ready(Engine& e) override;
    void stop(Engine& e) override;

    const std::vector<RouteDesc>& routes() const { return routes_; }
    const RouteDesc* route_by_id(uint16_t id) const;
    bool route_is_up(const RouteDesc& r) const { return route_down_reason(r) == nullptr; }
    const char* route_down_reason(const RouteDesc& r) const;
    // The route workers pick for a peer (best up), or nullptr.
    const RouteDesc* active_route(uint16_t peer_node) const;
    // The route workers send on when no route answers (nullptr: none).
    const RouteDesc* last_resort_route(uint16_t peer_node) const;

    // A sealed tunnel message on route r, in the control thread's sequence
    // space; false when it could not be sent (unresolved, no key, no mbuf,
    // ring full: counted).
    bool send_tunnel(const RouteDesc& r, wire::MsgType type, const void* payload, size_t len);

    // The table changed: publish a new one after this loop iteration.
    void mark_dirty() { dirty_ = true; }
    uint64_t table_generation() const { return table_generation_; }

    ControlFrames& control_frames() { return frames_; }
    void add_peer_filler(PeerTableFiller f) { fillers_.push_back(std::move(f)); }
    // What a module adds to the whole table once the peers are in it.
    void add_table_filler(std::function<void(RouteTable&)> f) { table_fillers_.push_back(std::move(f)); }
    void set_next_hop_lookup(NextHopLookup l) { lookup_ = std::move(l); }
    void set_path_mtu_lookup(PathMtuLookup l) { pmtu_lookup_ = std::move(l); }
    // The path MTU a route's frames are sized for: measured, or the port's.
    uint16_t path_mtu(const RouteDesc& r) const;
    // What a module adds to each route in `routes` (path MTU, ...).
    void add_route_annotator(std::function<void(const RouteDesc&, nlohmann::json&)> f) { annotators_.push_back(std::move(f)); }
    // Called when a route changes health (heartbeat module), for modules
    // that act on it (endpoint exchange).
    void add_route_listener(std::function<void(const RouteDesc&, bool up)> f) { listeners_.push_back(std::move(f)); }
    void route_changed(const RouteDesc& r, bool up) {
        for (auto& f : listeners_) f(r, up);
    }

    // The worker's view of one route; false while its next hop is unresolved.
    bool fill_route_entry(RouteEntry& e, const RouteDesc& r) const;

    // Addresses that change at run time (DHCP leases, engine/dhcp): a
    // port's own IPv4 (nullopt: no lease) and its gateway (the lease's
    // router, unless the config names one), or a peer's IPv4 on a network
    // where it leases its address. The routes are planned again (a route
    // that stays keeps its id and state), every plan listener is told, and
    // the table follows. A port or endpoint that is not `ipv4 = "dhcp"` is
    // refused (false).
    bool set_port_ipv4(size_t port_cfg, const std::optional<IfAddr>& a, const std::optional<IpAddr>& router);
    bool set_peer_ipv4(uint16_t peer_node, const std::string& network, const std::optional<IpAddr>& a);
    // After every new plan (routes added or removed, addresses changed):
    // modules with per-route or per-address state bring it up to date.
    void add_plan_listener(std::function<void()> f) { plan_listeners_.push_back(std::move(f)); }

    // A network's role or metric as the operator sets it at run time
    // (`network set`, a reload): checked by every guard first (a module
    // that needs the network as it is answers why not), then the routes
    // are planned again and ranked at once; the routes that stay keep
    // their ids, state and traffic. Throws MgmtError naming the reason.
    // metric nullopt with metric_auto: automatic (network_metrics.h).
    struct NetworkChange {
        std::optional<NetworkRole> role;
        std::optional<uint32_t> metric;
        bool metric_auto = false;
    };
    void change_network(const std::string& name, const NetworkChange& c, const std::string& by);
    using NetworkGuard = std::function<std::optional<std::string>(const NetworkConfig& next)>;
    void add_network_guard(NetworkGuard g) { network_guards_.push_back(std::move(g)); }

    // Peers added, removed or changed while running (a reload appends new
    // ones to Config::peers and marks removed ones, so every index stays):
    // modules with per-peer state bring theirs up to date, after the routes
    // to them exist.
    void add_peer_listener(std::function<void()> f) { peer_listeners_.push_back(std::move(f)); }

  private:
    RouteTable* build_route_table();
    void replan(const std::string& why);
    void publish();
    void drain_control_ring(uint64_t now_ms);
    void register_commands();
    nlohmann::json route_json(const RouteDesc& r) const;
    nlohmann::json cmd_routes() const;
    nlohmann::json cmd_nodes() const;
    nlohmann::json cmd_networks() const;
    nlohmann::json cmd_network(const nlohmann::json& args);
    void reload_networks(const Config& next, ReloadReport& report);
    void reload_peers(const Config& next, ReloadReport& report);

    Engine* e_ = nullptr;
    RouteIdMap route_ids_;
    std::vector<RouteDesc> routes_;
    uint64_t table_generation_ = 0;
    bool dirty_ = false;
    RcuPublisher<RouteTable> tables_;
    ControlFrames frames_;
    std::vector<PeerTableFiller> fillers_;
    std::vector<std::function<void(RouteTable&)>> table_fillers_;
    NextHopLookup lookup_;
    PathMtuLookup pmtu_lookup_;
    std::vector<std::function<void(const RouteDesc&, nlohmann::json&)>> annotators_;
    std::vector<std::function<void(const RouteDesc&, bool)>> listeners_;
    std::vector<std::function<void()>> plan_listeners_;
    std::vector<bool> static_gateway4_;  // per port: gateway4 came from the config
    std::vector<NetworkGuard> network_guards_;
    std::vector<std::function<void()>> peer_listeners_;
};

// Registration (engine/modules.def).
void register_tunnel_config(ConfigSections& s);

}  // namespace ftnet
