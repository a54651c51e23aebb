// The engine's core: brings up DPDK, the ports, ftnet0, the shared dataplane
// state and the workers, creates every module (engine/modules.def), then
// runs the control loop on the main lcore until asked to stop. It owns what
// every module shares (ports, the dataplane, the workers, the control loop,
// the command registry, the control thread's transmit path and drop
// counters) and no feature's state: that lives in the modules.
//
// Thread model:
//   - main thread: start(), then run() becomes the control thread; every
//     module's control part runs on it, through the control loop;
//   - worker lcores: engine/core/worker.h, launched by start();
//   - the EAL interrupt thread: only the LSC callback (link module), which
//     just wakes the control thread.
// Every member below is touched by the main/control thread only, except
// what it shares with workers through `dp_` (engine/core/dataplane.h).
#pragma once

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "drivers/port.h"
#include "engine/config/config.h"
#include "engine/core/adapter_identity.h"
#include "engine/core/command_registry.h"
#include "engine/core/reload_registry.h"
#include "engine/core/control_loop.h"
#include "engine/core/dataplane.h"
#include "engine/core/module.h"
#include "engine/core/worker.h"
#include "engine/core/worker_wakeup.h"

namespace ftnet {

struct EngineError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A frame the control thread sends as it is (ARP, ND, ICMP).
using Frame = std::vector<uint8_t>;

struct PortRuntime {
    PortSpec spec;
    PortHandle handle;
    int cfg_index = -1;  // index into Config::ports; -1 for ftnet0 and host interfaces
    // A physical port: its host interface's index in ports(); a host
    // interface: the physical port's. -1: none.
    int host_peer = -1;
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

    // Brings everything up; throws EngineError/PortError/RegistryError with
    // context. On failure, whatever was brought up is torn down again.
    void start(const std::string& argv0);
    // The control thread: returns after SIGINT/SIGTERM. start() first.
    void run();
    // Stops workers, stops the modules, closes ports (ftnet0 disappears),
    // frees memory, EAL cleanup. Idempotent; called by the destructor.
    void shutdown();

    // One management request in, one JSON result out; throws MgmtError for
    // a bad request (the command registry's dispatch).
    nlohmann::json handle_request(const nlohmann::json& req, bool may_change = true) {
        return commands_.dispatch(req, may_change);
    }

    // --- for modules (control thread) ---
    const Config& config() const { return cfg_; }
    Config& config() { return cfg_; }
    Dataplane& dp() { return *dp_; }
    const Dataplane& dp() const { return *dp_; }
    std::vector<PortRuntime>& ports() { return ports_; }
    const std::vector<PortRuntime>& ports() const { return ports_; }
    size_t adapter_index() const { return adapter_index_; }
    const AdapterInfo& adapter() const { return adapter_; }
    const std::vector<Worker*>& workers() const { return workers_; }
    // How worker w idles: "waits for traffic (...)", or why it cannot.
    const std::string& worker_idle_mode(size_t w) const { return worker_idle_modes_.at(w); }
    uint32_t boot_id() const { return boot_id_; }
    uint64_t start_ms() const { return start_ms_; }
    ControlLoop& loop() { return *loop_; }
    CommandRegistry& commands() { return commands_; }
    ReloadRegistry& reloaders() { return reloaders_; }
    // What SIGHUP does (the reload module sets it; without one it is logged).
    void on_sighup(std::function<void()> f) { sighup_ = std::move(f); }
    rte_mempool* control_pool() { return ctrl_pool_; }

    // Sends a frame as it is on a cluster port, through worker 0's ring
    // from the control thread (counted as a drop when it cannot).
    void send_frame(uint16_t port_index, const Frame& f);
    // Queues a built mbuf for port_index (m->port is set here); false (and
    // m freed, the drop counted) when the ring is full.
    bool send_mbuf(uint16_t port_index, rte_mbuf* m);
    void ctl_drop(DropReason r) { ctl_drops_[static_cast<size_t>(r)].add(); }
    uint64_t ctl_drops(DropReason r) const { return ctl_drops_[static_cast<size_t>(r)].get(); }

    // Tells owner workers to re-judge their routes now (a port's usability
    // or a route's peer link state changed).
    void kick_heartbeats() { ftnet::kick_heartbeats(*dp_); }

    // Wall-clock time (ISO 8601, microseconds) of a TSC reading.
    std::string event_time(uint64_t tsc) const;
    // Streams an event to every event sink (the management socket's
    // subscribers); sinks are added by the modules that deliver them.
    void emit_event(const nlohmann::json& ev);
    void add_event_sink(std::function<void(const nlohmann::json&)> sink) { event_sinks_.push_back(std::move(sink)); }
    // A status field contributed to `ftnetctl status` by a module.
    void add_status(std::function<void(nlohmann::json&)> f) { status_.push_back(std::move(f)); }
    void fill_status(nlohmann::json& out) const {
        for (auto& f : status_) f(out);
    }

    // The module object of type M (nullptr if no such module is built in).
    template <class M>
    M* find_module() const {
        for (auto& m : modules_)
            if (auto* p = dynamic_cast<M*>(m.get())) return p;
        return nullptr;
    }
    template <class M>
    M& module() const {
        M* p = find_module<M>();
        if (!p) throw EngineError("a module depends on another one that is not built in");
        return *p;
    }

  private:
    void init_eal(const std::string& argv0);
    void init_ports();
    void init_adapter();
    void init_dataplane();
    void init_workers();
    // One adapter path (init_adapter: the configured one, or auto's choice),
    // and its undoing when auto falls back to the next.
    void open_adapter(PortDriver drv);
    void close_adapter();
    void remove_adapter_veth();  // the pair open_adapter created, if any
    // The kernel interfaces that stand for the physical ports on the host
    // (port.host_interface), after ftnet0 (engine/core/host_interfaces.cpp).
    void init_host_interfaces();
    void init_modules();
    void launch_workers();

    Config cfg_;
    bool eal_ready_ = false;
    bool workers_launched_ = false;
    bool shut_down_ = false;
    uint64_t start_ms_ = 0;
    uint32_t boot_id_ = 0;

    std::vector<PortRuntime> ports_;  // physical ports in config order, then ftnet0, then host interfaces
    size_t adapter_index_ = 0;
    AdapterInfo adapter_;
    int adapter_ifindex_ = 0;
    bool adapter_veth_ = false;  // ftnet0 is a veth pair this engine created (removed at shutdown)
    rte_mempool* ctrl_pool_ = nullptr;
    uint16_t data_room_ = 0;  // mbuf data room: the largest frame fits one segment

    Dataplane* dp_ = nullptr;
    std::vector<Worker*> workers_;
    std::vector<std::string> worker_idle_modes_;

    std::unique_ptr<ControlLoop> loop_;
    ReloadRegistry reloaders_;
    std::function<void()> sighup_;
    CommandRegistry commands_;
    std::vector<std::unique_ptr<Module>> modules_;
    size_t modules_started_ = 0;
    std::vector<std::function<void(const nlohmann::json&)>> event_sinks_;
    std::vector<std::function<void(nlohmann::json&)>> status_;
    int signal_fd_ = -1;
    // Drops on the control thread, by reason (beside the workers' counters).
    Counter ctl_drops_[kNumDropReasons];
    // Reference points to turn a worker's TSC into wall-clock time.
    uint64_t tsc0_ = 0;
    int64_t realtime0_ns_ = 0;
};

}  // namespace ftnet
