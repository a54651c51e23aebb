// DPDK telemetry commands for the engine's state, so that
// `dpdk-telemetry.py` (or any client of the telemetry socket) shows it
// beside the ethdev statistics:
//   /ftnet/status      the node, uptime, totals
//   /ftnet/counters    per port, per drop reason, per worker
//   /ftnet/routes      a line per route id (peer, network, family, state,
//                      RTT, loss); ",PEER" for one peer's
//   /ftnet/route,ID    one route, every field
//   /ftnet/nodes       a line per node (state, active route)
//   /ftnet/membership  epoch, members, quorum
// DPDK 22.11's telemetry takes dicts of scalars (no dict in a dict) whose
// names are letters, digits, '_' and '/': nested fields are flattened as
// "quorum_has", and other characters become '_'.
// Each is the management command of the same name, run on the control
// thread when asked: the telemetry thread asks through an eventfd in the
// control loop and waits (at most 1 s) for the answer, so nothing is
// computed when nobody asks and what is shown is never stale.
//
// Construction, serve() and destruction: control thread. The callbacks:
// DPDK's telemetry thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

struct rte_tel_data;

namespace ftnet {

class TelemetryBridge {
  public:
    using RunCommand = std::function<nlohmann::json(const std::string& cmd)>;

    explicit TelemetryBridge(RunCommand run);
    ~TelemetryBridge();
    TelemetryBridge(const TelemetryBridge&) = delete;
    TelemetryBridge& operator=(const TelemetryBridge&) = delete;

    // The eventfd the control loop watches; serve() answers what was asked.
    int fd() const { return efd_; }
    void serve();

    // The telemetry thread's side: the command's JSON, or null when the
    // control thread did not answer within a second (or is stopping).
    nlohmann::json ask(const std::string& cmd);

  private:
    RunCommand run_;
    int efd_ = -1;
    std::mutex mu_;
    std::condition_variable cv_;
    std::string question_;
    nlohmann::json answer_;
    uint64_t asked_ = 0, answered_ = 0;
};

// JSON to telemetry data (pure; for the callbacks and tests): an object's
// scalar members, nested objects flattened as "a_b", arrays of scalars
// joined with spaces, other arrays left out; at most the telemetry
// library's entries per dict.
void json_to_tel_dict(const nlohmann::json& j, rte_tel_data* d);
// A telemetry-safe name: letters, digits, '_' and '/' (what DPDK 22.11
// takes); other characters become '_'.
std::string telemetry_name(const std::string& s);

// Registers the /ftnet/... commands (once per process) and points them at
// `b` (nullptr: they answer empty dicts).
void register_telemetry_commands(TelemetryBridge* b);

}  // namespace ftnet
