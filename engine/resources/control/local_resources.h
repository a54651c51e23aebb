// The resources of every group as they are on this node: bringing a group
// online here (its IP Address resources on their ports, then its Network
// Names once their dependencies hold, then their DNS records) and offline
// again, and what each resource's state is and why.
//
// An IP Address resource is online on a port of its network whose subnet
// holds the address (static), or on its network's IPv4 port with a lease
// (DHCP). A node with no port on that subnet (another site) leaves it
// "unavailable": offline without failing anything, so that "ipA or ipB"
// comes online on a site-B node with ipB alone. A Network Name is online
// while its dependency expression holds over the IP Address resources that
// are online here.
//
// Control thread only. What it asks of the DHCP client and the DNS
// registrar goes through the interfaces below, so unit tests can run it
// without them.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/net_addr.h"
#include "engine/resources/control/resource_services.h"
#include "engine/resources/control/resources_config.h"

namespace ftnet {

enum class ResourcePhase : uint8_t { Offline, Unavailable, Pending, Online, Failed };
const char* phase_name(ResourcePhase p);
// "198.18.1.50/24", "dhcp" or "as the port".
std::string setting_text(const IpAddressSpec& s);

class LocalResources {
  public:
    LocalResources(const ResourcesSettings& settings, AddressPlacer& placer, LeaseSource* leases,
                   NameRegistrar* registrar, std::string cluster);

    // What this node should run: a group online or not. `for_good`: going
    // offline because the operator took it offline (DNS records removed).
    // Returns true when any resource changed state.
    bool set_group(const std::string& group, bool online, bool for_good, uint64_t now_ms);
    // A run-time setting of an IP Address resource ("dhcp" or
    // "ADDR/PREFIX", already checked): restarts it if it is online here.
    void apply_setting(const std::string& resource, const IpAddressSpec& spec, uint64_t now_ms);
    // Re-evaluates names (a lease came or went). True when anything changed.
    bool refresh(uint64_t now_ms);
    // Everything offline (no quorum, shutdown); DNS records left alone.
    void all_offline(uint64_t now_ms);

    bool holds(const std::string& group) const;
    // A group's phase here: offline, pending, online, or failed (and why).
    ResourcePhase group_phase(const std::string& group, std::string* why = nullptr) const;
    nlohmann::json group_status(const std::string& group) const;
    nlohmann::json resource_status(const std::string& resource) const;
    const IpAddressSpec* spec(const std::string& resource) const;

    // Set by the owner of a lease callback: something changed outside a call.
    bool take_changed() {
        bool c = changed_;
        changed_ = false;
        return c;
    }

  private:
    struct Ip {
        const ResourceConfig* cfg;
        IpAddressSpec spec;  // the config's, or the run-time setting
        ResourcePhase phase = ResourcePhase::Offline;
        std::string why;
        int port = -1;
        std::optional<IfAddr> placed;  // on the host interface now
        uint32_t lease_handle = 0;
        std::optional<LeaseInfo> lease;
    };
    struct Name {
        const ResourceConfig* cfg;
        ResourcePhase phase = ResourcePhase::Offline;
        std::string why;
        std::vector<IpAddr> registered;  // what the registrar was last asked to keep
    };
    struct Group {
        const GroupConfig* cfg;
        bool online = false;
    };

    void ip_online(Ip& ip, uint64_t now_ms);
    void ip_offline(Ip& ip);
    void place(Ip& ip, const IfAddr& a, uint64_t now_ms);
    void on_lease(const std::string& resource, const std::optional<LeaseInfo>& lease, const std::string& why);
    bool update_names(Group& g, uint64_t now_ms);
    std::vector<IpAddr> name_addresses(const Name& n) const;

    const ResourcesSettings& settings_;
    AddressPlacer& placer_;
    LeaseSource* leases_;
    NameRegistrar* registrar_;
    std::string cluster_;
    std::map<std::string, Ip> ips_;
    std::map<std::string, Name> names_;
    std::map<std::string, Group> groups_;
    bool changed_ = false;
    uint64_t now_ms_ = 0;
};

}  // namespace ftnet
