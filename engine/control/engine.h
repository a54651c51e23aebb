// The engine: brings up DPDK, the ports, ftnet0 and the workers, then runs
// the control thread (on the main lcore) until asked to stop.
//
// Thread model:
//   - main thread: start(), then run() becomes the control thread: the
//     management socket, ARP/ND/ICMP for our addresses, endpoint exchange,
//     link monitoring, and building/publishing route tables;
//   - worker lcores: datapath/worker.h, launched by start();
//   - the EAL interrupt thread: only the LSC callback, which just wakes the
//     control thread.
// Every member below is touched by the main/control thread only, except
// what it shares with workers through `dp_` (engine/common/dataplane.h).
#pragma once

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "drivers/port.h"
#include "engine/common/dataplane.h"
#include "engine/common/ftnet_wire.h"
#include "engine/config/config.h"
#include "engine/control/endpoint_exchange.h"
#include "engine/control/kernel_netlink.h"
#include "engine/control/mgmt_server.h"
#include "engine/control/neighbor_table.h"
#include "engine/control/route_plan.h"
#include "engine/datapath/classify.h"
#include "engine/datapath/worker.h"

namespace ftnet {

struct EngineError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct PortRuntime {
    PortSpec spec;
    PortHandle handle;
    int cfg_index = -1;  // index into Config::ports; -1 for ftnet0
    bool probed = false;
    bool link_up = false;   // carrier, as last reported
    bool admin_up = true;   // `ftnetctl link NAME down|up`
    uint64_t changed_ms = 0;
};

class Engine {
  public:
    explicit Engine(Config cfg);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Brings everything up; throws EngineError/PortError with context. On
    // failure, whatever was brought up is torn down again by shutdown().
    void start(const std::string& argv0);
    // The control thread: returns after SIGINT/SIGTERM. start() first.
    void run();
    // Stops workers, closes ports (ftnet0 disappears), frees memory, EAL
    // cleanup. Idempotent; called by the destructor.
    void shutdown();

    // Management commands (engine/control/mgmt_commands.cpp): one JSON
    // request in, one JSON result out; throws MgmtError for a bad request.
    nlohmann::json handle_request(const nlohmann::json& req);

  private:
    // start-up (engine_start.cpp)
    void init_eal(const std::string& argv0);
    void init_ports();
    void init_adapter();
    void init_dataplane();
    void init_workers();
    void init_control();

    // control thread (control_loop.cpp)
    void on_tick(uint64_t now);
    void drain_control_ring(uint64_t now);
    void handle_control_frame(uint16_t port_index, rte_mbuf* m, uint64_t now);
    void handle_hello(uint16_t port_index, const RxResult& c, const uint8_t* frame, uint64_t now);
    void on_link_event(const std::string& ifname, bool up, uint64_t now);
    void refresh_link(size_t port_index, bool up, uint64_t now);
    void set_port_usable(size_t port_index);
    void send_frame(uint16_t port_index, const Frame& f);
    // An authenticated tunnel message on route r; seq 0: the next HELLO sequence.
    bool send_tunnel(const RouteDesc& r, wire::MsgType type, const void* payload, size_t len, uint32_t seq = 0);
    void send_hellos(uint64_t now);
    void drain_route_events();
    void handle_route_event(const RouteEvent& ev);
    void report_stall(const RouteEvent& ev);
    void update_reachability(uint16_t peer_node, const char* why);
    void kick_heartbeats();
    // Far-side notification (link_notice.cpp): our ends of routes on port
    // `port_index` lost (or regained) their link; tell each peer over a
    // route that still works.
    void send_link_notices(size_t port_index, bool up, uint8_t reason);
    std::string event_time(uint64_t tsc) const;
    void emit_event(nlohmann::json ev);

    // route tables (route_publisher.cpp)
    RouteTable* build_route_table();
    // The worker's view of one route; false while its next hop is unresolved.
    bool fill_route_entry(RouteEntry& e, const RouteDesc& r) const;
    void publish_routes();
    void reclaim_routes(bool wait);
    bool route_is_up(const RouteDesc& r) const;
    const char* route_down_reason(const RouteDesc& r) const;
    const RouteDesc* active_route(uint16_t peer_node) const;
    // The route workers send on when no route answers (nullptr: none).
    const RouteDesc* last_resort_route(uint16_t peer_node) const;

    // management (mgmt_commands.cpp)
    nlohmann::json cmd_status();
    nlohmann::json cmd_routes();
    nlohmann::json cmd_interfaces();
    nlohmann::json cmd_counters();
    nlohmann::json cmd_nodes();
    nlohmann::json cmd_neighbors();
    nlohmann::json cmd_log(const nlohmann::json& args);
    nlohmann::json cmd_link(const nlohmann::json& args);
    nlohmann::json cmd_cluster(const nlohmann::json& args);
    nlohmann::json route_json(const RouteDesc& r);

    Config cfg_;
    bool eal_ready_ = false;
    bool workers_launched_ = false;
    bool shut_down_ = false;
    uint64_t start_ms_ = 0;
    uint32_t boot_id_ = 0;

    std::vector<PortRuntime> ports_;  // physical ports in config order, then ftnet0
    size_t adapter_index_ = 0;
    AdapterInfo adapter_;
    int adapter_ifindex_ = 0;
    rte_mempool* ctrl_pool_ = nullptr;
    uint16_t data_room_ = 0;  // mbuf data room: the largest frame fits one segment

    Dataplane* dp_ = nullptr;
    std::vector<Worker*> workers_;

    RouteIdMap route_ids_;
    std::vector<RouteDesc> routes_;
    uint64_t table_generation_ = 0;
    bool routes_dirty_ = false;
    struct Retired {
        RouteTable* table;
        uint64_t token;
    };
    std::vector<Retired> retired_;

    std::unique_ptr<NeighborTable> neighbors_;
    std::unique_ptr<EndpointExchange> endpoints_;
    std::unique_ptr<netlink::LinkWatcher> link_watcher_;
    std::unique_ptr<MgmtServer> mgmt_;
    int signal_fd_ = -1;
    int lsc_fd_ = -1;  // eventfd the LSC callback writes
    uint64_t last_poll_ms_ = 0;
    // Drops on the control thread, by reason (beside the workers' counters).
    Counter ctl_drops_[kNumDropReasons];
    void ctl_drop(DropReason r) { ctl_drops_[static_cast<size_t>(r)].add(); }
    uint32_t hello_seq_ = 0;
    uint32_t notice_seq_ = 0;
    // Rate limits of the stall reports in the cluster log.
    uint64_t stall_report_ms_ = 0, silence_report_ms_ = 0;
    uint64_t stall_reports_suppressed_ = 0, silence_reports_suppressed_ = 0;
    std::map<uint16_t, bool> peer_reachable_;
    std::map<uint16_t, int> peer_active_;  // route id each peer's traffic uses, -1: none
    std::map<uint16_t, int> peer_last_resort_;  // route id used as a last resort, -1: none
    // Reference points to turn a worker's TSC into wall-clock time.
    uint64_t tsc0_ = 0;
    int64_t realtime0_ns_ = 0;
};

}  // namespace ftnet
