// What the resources module asks of other parts of ftnetd, as interfaces:
// placing a client address on this node (the resources module itself),
// DHCP leases (engine/dhcp) and DNS registration (engine/dns). Modules that
// provide one derive from it; the resources module finds them with
// Engine::find_module<Interface>() and works without them (a resource that
// needs one fails with the reason), and unit tests pass fakes.
//
// Control thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/net_addr.h"

namespace ftnet {

// Where a client address can go on this node, and what puts it there.
class AddressPlacer {
  public:
    virtual ~AddressPlacer() = default;
    // The port of `network` whose subnet holds `a` (static), or the IPv4
    // port of `network` (a == nullopt: DHCP); -1 and why when none.
    virtual int port_for(const std::string& network, const std::optional<IpAddr>& a, std::string* why) const = 0;
    // Whether the port leases its own address (`ipv4 = "dhcp"`): a resource
    // that follows its port is then leased too.
    virtual bool port_is_dhcp(uint16_t port) const = 0;
    // Throws std::runtime_error with the reason.
    virtual void add(uint16_t port, const IfAddr& a, uint64_t now_ms) = 0;
    virtual void remove(uint16_t port, const IfAddr& a) = 0;
};

// DHCP leases for resources (engine/dhcp). A lease arrives, or is lost,
// through the callback given to acquire().
struct LeaseInfo {
    IfAddr addr;
    IpAddr server;
    std::optional<IpAddr> router;
    uint32_t lease_s = 0;
    nlohmann::json detail;  // what `resource show` prints of it
};
class LeaseSource {
  public:
    using Notify = std::function<void(const std::optional<LeaseInfo>& lease, const std::string& why)>;
    virtual ~LeaseSource() = default;
    // Starts acquiring on `port` with a stable client identifier; returns a
    // handle for release(). nullopt lease: lost or not obtained (why).
    virtual uint32_t acquire(uint16_t port, const std::string& client_id, Notify n) = 0;
    // Releases the lease (DHCPRELEASE) and forgets the handle.
    virtual void release(uint32_t handle) = 0;
    virtual nlohmann::json status(uint32_t handle) const = 0;
};

// DNS registration of Network Names (engine/dns).
class NameRegistrar {
  public:
    virtual ~NameRegistrar() = default;
    // Keep `fqdn`'s A/AAAA records (and PTRs when asked) equal to `addrs`.
    virtual void set(const std::string& fqdn, const std::vector<IpAddr>& addrs, uint32_t ttl, bool ptr) = 0;
    // Stop updating it, records left as they are (a failover: the new
    // owner registers) or removed (`remove`: the name is offline for good).
    virtual void stop(const std::string& fqdn, bool remove) = 0;
    virtual nlohmann::json status(const std::string& fqdn) const = 0;
};

}  // namespace ftnet
