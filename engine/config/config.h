// The node's configuration, as read from one TOML file (config/schema.md
// documents every key, its default and its limits).
//
// Plain values with named defaults. Built once by the config loader on the
// main thread, then read-only but for the DHCP-leased addresses (ports' and
// peers' ipv4 with ipv4_dhcp), which the control thread writes: workers
// never see it, they see the tables the control thread builds from it.
#pragma once

#include <any>
#include <array>
#include <map>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/net_addr.h"
#include "engine/heartbeat/cluster_properties.h"

namespace ftnet {

enum class PortDriver : uint8_t { Pci, AfXdp, AfPacket, Tap, VirtioUser, Ring, Null };

const char* port_driver_name(PortDriver d);

// Network roles, as in Windows failover clustering.
enum class NetworkRole : uint8_t { None = 0, ClusterOnly = 1, ClusterAndClient = 3 };

struct NodeConfig {
    uint16_t id = 0;  // required, 1..kMaxNodeId
    std::string name;
    std::string cluster = "ftnet";
};

struct EalConfig {
    std::string lcores = "0-1";  // EAL --lcores syntax
    unsigned main_lcore = 0;
    unsigned memory_mb = 512;
    bool no_huge = false;
    std::string file_prefix = "ftnet";
    bool in_memory = false;
    std::string log_level = "notice";
    std::vector<std::string> extra_args;
};

struct DataplaneConfig {
    std::vector<unsigned> workers = {1};  // worker lcore ids
    unsigned burst = 32;
    unsigned mbufs = 16383;  // per NUMA socket in use
    // Idle back-off: after idle_polls empty polls a worker sleeps, doubling the
    // sleep up to idle_sleep_max_us. 0 busy-polls (dedicated cores).
    unsigned idle_sleep_max_us = 0;
    unsigned idle_polls = 256;
    // While backing off, wait on the rx queues' fds (tap rx interrupts,
    // af_packet/af_xdp sockets) up to the next heartbeat instead of
    // sleeping idle_sleep_max_us at a time, where every queue can signal.
    bool idle_wakeup = true;
};

struct TunnelConfig {
    uint16_t udp_port = 3343;
    uint8_t dscp = 0;  // of tunnelled data; heartbeats and HELLOs always carry CS6 (network control)
    unsigned ttl = 64;
};

struct AdapterConfig {
    std::string name = "ftnet0";
    // "auto" (the default): af_xdp, the fastest path measured
    // (bench/README.md), and tap where af_xdp cannot start. tap, af_packet,
    // af_xdp when chosen explicitly; ring/null for benches.
    PortDriver driver = PortDriver::AfXdp;
    bool driver_auto = true;
    unsigned mtu = 1400;
    unsigned queues = 0;  // 0: one per worker
};

struct ManagementConfig {
    std::string socket = "/run/ftnet/ftnetd.sock";
    std::string socket_group;  // members may use the socket; empty: root only
    std::string read_only_group;  // members may send requests that only read
    bool read_only_everyone = false;  // anyone may (the socket file becomes 0666)
    std::string cluster_log = "/var/log/ftnet/cluster.log";
    unsigned log_lines = 2000;  // kept in memory for `ftnetctl log`
};

struct PortConfig {
    std::string name;
    PortDriver driver = PortDriver::AfPacket;
    std::string iface;    // kernel interface for af_packet / af_xdp
    std::string pci;      // PCI address for pci
    std::string devargs;  // extra driver arguments, appended verbatim
    // The kernel interface that stands for this port on the host (exception
    // path: the host's own traffic, e.g. ssh to the port's address); empty:
    // none, frames that are not the engine's are dropped.
    std::string host_interface;
    std::string network;  // name of the [[network]] this port is on
    // The port's addresses. With ipv4_dhcp (`ipv4 = "dhcp"`) ipv4 is what
    // the port's current DHCP lease gives (engine/dhcp), unset without one:
    // written by the control thread at run time, and the routes follow.
    std::optional<IfAddr> ipv4;
    std::optional<IfAddr> ipv6;
    bool ipv4_dhcp = false;
    std::optional<IpAddr> gateway4;  // next hop for cross-subnet routes (or the lease's router)
    std::optional<IpAddr> gateway6;
    unsigned rx_queues = 1;
    unsigned rx_desc = 1024;
    unsigned tx_desc = 1024;
    unsigned mtu = 1500;
    int line = 0;  // where it was defined, for later messages
};

struct NetworkConfig {
    std::string name;
    NetworkRole role = NetworkRole::ClusterOnly;
    uint32_t metric = 1000;  // lower is preferred
    bool metric_auto = true;  // not set by the operator: engine/config/network_metrics.h
    std::vector<IpPrefix> subnets;  // the subnets (sites) this network spans
    int line = 0;
};

struct PeerEndpoint {
    std::string network;
    // With ipv4_dhcp (`ipv4 = "dhcp"`) the peer leases its address here and
    // tells us over the reliable session: ipv4 is its latest word, unset
    // until then (written by the control thread at run time).
    std::optional<IpAddr> ipv4;
    std::optional<IpAddr> ipv6;
    bool ipv4_dhcp = false;
};

struct PeerConfig {
    uint16_t id = 0;
    std::string name;
    std::vector<PeerEndpoint> endpoints;
    int line = 0;
    // Taken out by a reload (engine/tunnel/control/network_commands.cpp):
    // the entry keeps its index (route table, replay windows, sessions) but
    // has no routes and is no node of the cluster any more.
    bool removed = false;
};

struct ClusterConfig {
    ClusterProperties properties;  // heartbeat profile and properties
    // (The cluster keys are the security module's: engine/security/control/key_config.h.)
};

struct Config {
    std::string path;  // the file it came from
    NodeConfig node;
    EalConfig eal;
    DataplaneConfig dataplane;
    TunnelConfig tunnel;
    AdapterConfig adapter;
    ManagementConfig management;
    ClusterConfig cluster;
    std::vector<PortConfig> ports;
    std::vector<NetworkConfig> networks;
    std::vector<PeerConfig> peers;

    // Sections of modules that keep their settings to themselves: a
    // module's reader stores its own struct under its key, and the module
    // reads it back with section<T>(key). A new module adds nothing here.
    std::map<std::string, std::any> module_sections;
    template <class T>
    T& section(const std::string& key) {
        std::any& a = module_sections[key];
        if (!a.has_value()) a = T{};
        return std::any_cast<T&>(a);
    }
    template <class T>
    const T* find_section(const std::string& key) const {
        auto it = module_sections.find(key);
        return it == module_sections.end() ? nullptr : std::any_cast<T>(&it->second);
    }

    const NetworkConfig* find_network(const std::string& name) const;
    // Peers not removed by a reload.
    size_t active_peers() const {
        size_t n = 0;
        for (auto& p : peers) n += !p.removed;
        return n;
    }
};

}  // namespace ftnet
