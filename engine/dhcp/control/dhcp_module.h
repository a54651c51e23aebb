// The DHCP module: DHCPv4 clients on the control thread, one per leased
// address (an IP Address resource in DHCP mode), sending and receiving
// through the engine's ports: requests leave as frames on the port's wire
// (Engine::send_frame), replies to UDP port 68 and the ARP answers to its
// probes come back from the workers as control frames. It is the resources
// module's LeaseSource, and it leases the ports' own addresses (`ipv4 =
// "dhcp"`): the routes follow each lease (TunnelModule::set_port_ipv4), and
// every peer is told over the reliable session (SessionType::PortLeases) so
// that its routes to this node follow too.
//
// Commands: `dhcp` (every client: port, client id, state, lease, timers).
//
// Control thread only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/core/module.h"
#include "engine/dhcp/dhcp_client.h"
#include "engine/resources/control/resource_services.h"

namespace ftnet {

class Engine;
class SessionModule;
class TunnelModule;
struct ControlFrame;

class DhcpModule : public Module, public LeaseSource {
  public:
    ~DhcpModule() override;
    void start(Engine& e) override;
    void running(Engine& e) override;
    void stop(Engine& e) override;

    // LeaseSource
    uint32_t acquire(uint16_t port, const std::string& client_id, Notify n) override;
    void release(uint32_t handle) override;
    nlohmann::json status(uint32_t handle) const override;

  private:
    void lease_ports();
    void tell_leases(uint16_t peer);
    void on_leases(uint16_t peer, const uint8_t* data, size_t len);

    struct Entry {
        uint16_t port;
        std::string client_id;
        Notify notify;
        std::unique_ptr<dhcp::Client> client;
    };
    void on_frame(const ControlFrame& f);
    void send(Entry& en, const dhcp::Message& m, bool broadcast);
    nlohmann::json entry_json(const Entry& en) const;

    Engine* e_ = nullptr;
    TunnelModule* tunnel_ = nullptr;
    SessionModule* session_ = nullptr;
    dhcp::Timing timing_;
    std::map<uint32_t, Entry> clients_;
    uint32_t next_handle_ = 1;
    uint64_t frames_in_ = 0, frames_ignored_ = 0;
};

}  // namespace ftnet
