// [[resource]] and [[group]]: the cluster's resources and the groups that
// own them (config/schema.md, "Resources").
//
//   [[resource]]
//   name = "ipA"
//   type = "ip_address"        # on a role-3 network, static or DHCP
//   network = "public"
//   address = "198.18.1.50/24" # or "dhcp", or none: as the node's port
//
//   [[resource]]
//   name = "web"
//   type = "network_name"
//   dns_name = "web.ftlab.example"
//   depends = "ipA or ipB"     # over IP Address resources of the group
//   RegisterAllProvidersIP = 0
//   HostRecordTTL = 1200
//   PublishPTRRecords = false
//
//   [[group]]
//   name = "web-group"
//   resources = ["ipA", "ipB", "web"]
//   preferred_owners = ["node1", "node2"]
//
// Every node of a cluster has the same resources and groups. Read on the
// main thread at start-up; the resources module keeps its own copy, which
// `ftnetctl resource set` changes at run time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/net_addr.h"
#include "engine/resources/dependency_expr.h"

namespace ftnet {

class ConfigSections;
struct Config;

enum class ResourceType : uint8_t { IpAddress, NetworkName };
const char* resource_type_name(ResourceType t);

struct IpAddressSpec {
    std::string network;
    bool dhcp = false;
    // No `address`: as the node's port on the network is configured, as the
    // seed describes: leased when the port leases its own (`ipv4 =
    // "dhcp"`); a port with a static address needs the resource to name one.
    bool follow_port = false;
    std::optional<IfAddr> address;  // static: the address and its on-link prefix
};

struct NetworkNameSpec {
    std::string dns_name;
    std::string depends_text;
    DependencyExpr depends;
    bool register_all_providers_ip = false;
    uint32_t host_record_ttl = 1200;  // seconds
    bool publish_ptr = false;
};

struct ResourceConfig {
    std::string name;
    ResourceType type = ResourceType::IpAddress;
    IpAddressSpec ip;     // IpAddress
    NetworkNameSpec dns;  // NetworkName
    int line = 0;
};

struct GroupConfig {
    std::string name;
    std::vector<std::string> resources;
    std::vector<std::string> preferred_owners;  // node names, most preferred first
    int line = 0;
};

struct ResourcesSettings {
    std::vector<ResourceConfig> resources;
    std::vector<GroupConfig> groups;
    const ResourceConfig* find_resource(const std::string& name) const;
    const GroupConfig* find_group(const std::string& name) const;
};

inline constexpr const char* kResourcesSection = "resource";
inline constexpr size_t kMaxResources = 256;
inline constexpr size_t kMaxGroups = 64;

// "198.18.1.50/24", "fd00:1::50/64" (a prefix length is required: it says
// which subnet of the network the address is on) or "dhcp".
// Sets spec.address / spec.dhcp, or returns why not.
std::optional<std::string> parse_ip_setting(const std::string& text, IpAddressSpec& spec);

// `text` ("dhcp" or "ADDR/PREFIX") for an IP Address resource on
// spec.network: parsed into spec, and checked against that network (a
// static address in one of its subnets; DHCP is IPv4). Returns why not.
std::optional<std::string> check_ip_setting(const Config& c, const std::string& text, IpAddressSpec& spec);

void register_resources_config(ConfigSections& s);

}  // namespace ftnet
