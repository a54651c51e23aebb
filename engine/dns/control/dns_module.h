// The DNS module: registers Network Names by TSIG-signed dynamic updates
// (dns_registrar.h) to the zone's primary named in [dns], for the resources
// module (it is that module's NameRegistrar). Its UDP socket is an ordinary
// kernel socket: the server is reached through the host's own stack, so
// through a port's host interface (engine/host_path/) or the host's other
// networks, never through a worker.
//
// Commands: `dns` (every name: state, records, server, errors). Events:
// "dns" when a name is registered, removed, refused or retried.
//
// Control thread only.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>

#include "engine/core/module.h"
#include "engine/dns/control/dns_registrar.h"
#include "engine/resources/control/resource_services.h"

namespace ftnet {

class Engine;

class DnsModule : public Module, public NameRegistrar {
  public:
    ~DnsModule() override;
    void start(Engine& e) override;
    void stop(Engine& e) override;

    // NameRegistrar
    void set(const std::string& fqdn, const std::vector<IpAddr>& addrs, uint32_t ttl, bool ptr) override;
    void stop(const std::string& fqdn, bool remove) override;
    nlohmann::json status(const std::string& fqdn) const override;

  private:
    bool send(const std::vector<uint8_t>& wire, std::string* why);
    void readable();

    Engine* e_ = nullptr;
    const DnsSettings* s_ = nullptr;
    int fd_ = -1;
    std::unique_ptr<DnsRegistrar> registrar_;
};

}  // namespace ftnet
