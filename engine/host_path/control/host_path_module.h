// The host path's control side: the `hosts` command, which shows each host
// interface (the kernel interface that stands for a physical port), what it
// carried each way and what it dropped; and a port's leased IPv4 address
// (`ipv4 = "dhcp"`) kept on its host interface as the lease changes.
//
// Control thread only.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "engine/core/net_addr.h"

#include "engine/core/module.h"

namespace ftnet {

class HostPathModule : public Module {
  public:
    void start(Engine& e) override;

  private:
    nlohmann::json cmd_hosts() const;
    void follow_leases();
    Engine* e_ = nullptr;
    std::map<size_t, std::optional<IfAddr>> leased_;  // per DHCP port: what its host interface has
};

}  // namespace ftnet
