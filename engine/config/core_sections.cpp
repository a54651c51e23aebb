// The core's config sections: the node, EAL, the data plane, the virtual
// adapter, and the topology every module builds on ([[network]], [[port]],
// [[peer]]), with the checks across them.

#include <sys/stat.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "engine/config/config_sections.h"
#include "engine/config/network_metrics.h"
#include "engine/config/reader.h"
#include "engine/core/adapter_identity.h"
#include "engine/core/limits.h"
#include "engine/tunnel/ftnet_wire.h"
#include "engine/core/module.h"

namespace ftnet {

namespace {

std::optional<PortDriver> parse_driver(std::string_view s) {
    for (auto d : {PortDriver::Pci, PortDriver::AfXdp, PortDriver::AfPacket, PortDriver::Tap,
                   PortDriver::VirtioUser, PortDriver::Ring, PortDriver::Null})
        if (s == port_driver_name(d)) return d;
    return std::nullopt;
}

void read_node(Reader& r, const toml::table& root, Config& c) {
    const toml::table* t = r.section(root, "node");
    if (!t) {
        if (!root.get("node")) r.error_at(0, "node", "required table [node] is missing");
        return;
    }
    r.check_known(*t, "node", {"id", "name", "cluster"});
    r.get_int(*t, "node", "id", c.node.id, 1, kMaxNodeId, true);
    if (r.get_string(*t, "node", "name", c.node.name, true, 31) && !valid_token(c.node.name))
        r.error(t->get("name"), "node.name",
                fmt::format("\"{}\" may hold only letters, digits, '-' and '_'", c.node.name));
    if (r.get_string(*t, "node", "cluster", c.node.cluster, false, 31) && !valid_token(c.node.cluster))
        r.error(t->get("cluster"), "node.cluster",
                fmt::format("\"{}\" may hold only letters, digits, '-' and '_'", c.node.cluster));
}

void read_eal(Reader& r, const toml::table& root, Config& c) {
    const toml::table* t = r.section(root, "eal");
    if (!t) return;
    auto& e = c.eal;
    r.check_known(*t, "eal", {"lcores", "main_lcore", "memory_mb", "no_huge", "file_prefix",
                              "in_memory", "log_level", "extra_args"});
    if (r.get_string(*t, "eal", "lcores", e.lcores) && !parse_lcore_list(e.lcores))
        r.error(t->get("lcores"), "eal.lcores",
                fmt::format("\"{}\" is not an EAL lcore list (e.g. \"0-1\" or \"0@(0-1),1@(0-1)\")",
                            e.lcores));
    r.get_int(*t, "eal", "main_lcore", e.main_lcore, 0, 1023);
    r.get_int(*t, "eal", "memory_mb", e.memory_mb, 64, 1 << 20);
    r.get_bool(*t, "eal", "no_huge", e.no_huge);
    if (r.get_string(*t, "eal", "file_prefix", e.file_prefix, false, 64) && !valid_token(e.file_prefix))
        r.error(t->get("file_prefix"), "eal.file_prefix",
                fmt::format("\"{}\" may hold only letters, digits, '-' and '_'", e.file_prefix));
    r.get_bool(*t, "eal", "in_memory", e.in_memory);
    if (r.get_string(*t, "eal", "log_level", e.log_level)) {
        static const std::set<std::string> levels = {"emerg", "alert", "crit", "error", "warning",
                                                      "notice", "info", "debug"};
        if (!levels.count(e.log_level))
            r.error(t->get("log_level"), "eal.log_level",
                    fmt::format("\"{}\" is not one of emerg, alert, crit, error, warning, notice, "
                                "info, debug",
                                e.log_level));
    }
    r.get_string_array(*t, "eal", "extra_args", e.extra_args);
}

void read_dataplane(Reader& r, const toml::table& root, Config& c) {
    const toml::table* t = r.section(root, "dataplane");
    if (!t) return;
    auto& d = c.dataplane;
    r.check_known(*t, "dataplane", {"workers", "burst", "mbufs", "idle_sleep_max_us", "idle_polls", "idle_wakeup"});
    if (const toml::node* n = t->get("workers")) {
        const toml::array* a = n->as_array();
        if (!a) {
            r.error(n, "dataplane.workers",
                    fmt::format("{} is not a list of 1..{} worker lcore ids", Reader::shown(*n),
                                kMaxWorkers));
        } else if (a->empty() || a->size() > kMaxWorkers) {
            r.error(n, "dataplane.workers",
                    fmt::format("{} worker lcores listed (allowed 1..{})", a->size(), kMaxWorkers));
        } else {
            d.workers.clear();
            for (size_t i = 0; i < a->size(); i++) {
                const toml::node* e = a->get(i);
                auto v = e->is_integer() ? e->value<int64_t>() : std::nullopt;  // a float: UB in toml++ when huge
                std::string k = fmt::format("dataplane.workers[{}]", i);
                if (!e->is_integer() || !v)
                    r.error(e, k, fmt::format("{} is not an lcore id (allowed 0..1023)",
                                              Reader::shown(*e)));
                else if (*v < 0 || *v > 1023)
                    r.error(e, k, fmt::format("value {} is out of range (allowed 0..1023)", *v));
                else
                    d.workers.push_back(static_cast<unsigned>(*v));
            }
        }
    }
    r.get_int(*t, "dataplane", "burst", d.burst, 1, kMaxBurst);
    r.get_int(*t, "dataplane", "mbufs", d.mbufs, 1023, 1048575);
    r.get_int(*t, "dataplane", "idle_sleep_max_us", d.idle_sleep_max_us, 0, 100000);
    r.get_int(*t, "dataplane", "idle_polls", d.idle_polls, 1, 10000000);
    r.get_bool(*t, "dataplane", "idle_wakeup", d.idle_wakeup);
}

void read_adapter(Reader& r, const toml::table& root, Config& c) {
    const toml::table* t = r.section(root, "adapter");
    if (!t) return;
    auto& a = c.adapter;
    r.check_known(*t, "adapter", {"name", "driver", "mtu", "queues"});
    if (r.get_string(*t, "adapter", "name", a.name) && !valid_ifname(a.name))
        r.error(t->get("name"), "adapter.name",
                fmt::format("\"{}\" is not a valid interface name (1..15 of letters, digits, "
                            "'-', '_', '.')",
                            a.name));
    std::string drv;
    if (r.get_string(*t, "adapter", "driver", drv) && drv != "auto") {
        auto d = parse_driver(drv);
        if (!d || *d == PortDriver::Pci) {
            r.error(t->get("driver"), "adapter.driver",
                    fmt::format("\"{}\" is not an adapter driver (allowed: auto, tap, virtio_user, af_packet, af_xdp, ring, null)", drv));
        } else {
            a.driver = *d;
            a.driver_auto = false;
        }
    }
    r.get_int(*t, "adapter", "mtu", a.mtu, 1280, 9000);
    // af_packet/af_xdp: ftnet0 is one end of a veth pair, the engine drives
    // the other, named NAME-dp: the name must leave room for the suffix.
    // "auto" then takes the TAP PMD.
    if (a.driver_auto && a.name.size() > 12) a.driver = PortDriver::Tap;
    if ((a.driver == PortDriver::AfPacket || a.driver == PortDriver::AfXdp) && a.name.size() > 12)
        r.error(t->get("name"), "adapter.name",
                fmt::format("\"{}\" is longer than 12 characters: with driver {} the engine's end of the veth is "
                            "\"{}-dp\", and interface names have at most 15",
                            a.name, port_driver_name(a.driver), a.name));
    r.get_int(*t, "adapter", "queues", a.queues, 0, kMaxWorkers);
}

void read_networks(Reader& r, const toml::table& root, Config& c) {
    auto list = r.tables(root, "", "network");
    if (list.size() > kMaxNetworks)
        r.error(root.get("network"), "network",
                fmt::format("{} networks defined, at most {}", list.size(), kMaxNetworks));
    for (size_t i = 0; i < list.size(); i++) {
        const toml::table& t = *list[i];
        std::string path = fmt::format("network[{}]", i);
        NetworkConfig n;
        n.line = static_cast<int>(t.source().begin.line);
        r.check_known(t, path, {"name", "role", "metric", "subnets"});
        if (r.get_string(t, path, "name", n.name, true, 31) && !valid_token(n.name))
            r.error(t.get("name"), path + ".name",
                    fmt::format("\"{}\" may hold only letters, digits, '-' and '_'", n.name));
        int64_t role = static_cast<int64_t>(n.role);
        r.get_int(t, path, "role", role, 0, 3);
        if (role != 0 && role != 1 && role != 3)
            r.error(t.get("role"), path + ".role",
                    fmt::format("value {} is not a role (allowed 0 = not used by the cluster, "
                                "1 = cluster only, 3 = cluster and client)",
                                role));
        else
            n.role = static_cast<NetworkRole>(role);
        n.metric_auto = !t.contains("metric");
        r.get_int(t, path, "metric", n.metric, 0, 999999);
        std::vector<std::string> subnets;
        r.get_string_array(t, path, "subnets", subnets);  // reports non-strings
        // Walk the array itself, so that each error has its element's index and line.
        const toml::array* sa = t.get("subnets") ? t.get("subnets")->as_array() : nullptr;
        for (size_t j = 0; sa && j < sa->size(); j++) {
            const toml::node* e = sa->get(j);
            if (!e->is_string()) continue;
            std::string s = *e->value<std::string>();
            auto p = IpPrefix::parse(s);
            if (!p)
                r.error(e, fmt::format("{}.subnets[{}]", path, j),
                        fmt::format("\"{}\" is not a prefix like 198.18.1.0/24 or fd00:1::/64", s));
            else
                n.subnets.push_back(*p);
        }
        for (auto& other : c.networks)
            if (other.name == n.name && !n.name.empty())
                r.error(t.get("name"), path + ".name",
                        fmt::format("\"{}\" is already defined on line {}", n.name, other.line));
        c.networks.push_back(std::move(n));
    }
}

void read_address(Reader& r, const toml::table& t, const std::string& path, std::string_view key,
                  Family fam, std::optional<IfAddr>& out) {
    std::string s;
    if (!r.get_string(t, path, key, s)) return;
    auto a = IfAddr::parse(s);
    std::string k = Reader::join(path, key);
    if (!a) {
        r.error(t.get(key), k, fmt::format("\"{}\" is not an address like {}", s,
                                           fam == Family::V4 ? "198.18.1.1/24" : "fd00:1::1/64"));
        return;
    }
    if (a->addr.family != fam) {
        r.error(t.get(key), k, fmt::format("\"{}\" is not an {} address", s, family_name(fam)));
        return;
    }
    if (a->addr.is_unspecified() || a->addr.is_multicast()) {
        r.error(t.get(key), k, fmt::format("\"{}\" is not a unicast address", s));
        return;
    }
    out = *a;
}

void read_ip(Reader& r, const toml::table& t, const std::string& path, std::string_view key,
             Family fam, std::optional<IpAddr>& out) {
    auto a = r.get_parsed<IpAddr>(t, path, key, parse_ip, "an IP address");
    if (!a) return;
    if (a->family != fam) {
        r.error(t.get(key), Reader::join(path, key),
                fmt::format("\"{}\" is not an {} address", a->str(), family_name(fam)));
        return;
    }
    if (a->is_unspecified() || a->is_multicast()) {
        r.error(t.get(key), Reader::join(path, key),
                fmt::format("\"{}\" is not a unicast address", a->str()));
        return;
    }
    out = *a;
}

void read_ports(Reader& r, const toml::table& root, Config& c) {
    auto list = r.tables(root, "", "port");
    if (list.empty()) r.error_at(0, "port", "at least one [[port]] (a cluster network port) is required");
    if (list.size() + 1 > kMaxPorts)
        r.error(root.get("port"), "port",
                fmt::format("{} ports defined, at most {}", list.size(), kMaxPorts - 1));
    size_t host_interfaces = 0;
    for (auto* t : list) host_interfaces += t->contains("host_interface");
    // Each host interface is an engine port of its own, beside ftnet0.
    if (list.size() <= kMaxPorts - 1 && list.size() + host_interfaces + 1 > kMaxPorts)
        r.error(root.get("port"), "port",
                fmt::format("{} ports with {} host interfaces make {} engine ports with ftnet0, at most {}",
                            list.size(), host_interfaces, list.size() + host_interfaces + 1, kMaxPorts));
    for (size_t i = 0; i < list.size(); i++) {
        const toml::table& t = *list[i];
        std::string path = fmt::format("port[{}]", i);
        PortConfig p;
        p.line = static_cast<int>(t.source().begin.line);
        r.check_known(t, path, {"name", "driver", "iface", "pci", "devargs", "network", "ipv4",
                                "ipv6", "gateway4", "gateway6", "rx_queues", "rx_desc", "tx_desc",
                                "mtu", "host_interface"});
        if (r.get_string(t, path, "name", p.name, true, 31) && !valid_token(p.name))
            r.error(t.get("name"), path + ".name",
                    fmt::format("\"{}\" may hold only letters, digits, '-' and '_'", p.name));
        std::string drv;
        bool driver_ok = false;  // without a driver, which of iface/pci is required is unknown
        if (r.get_string(t, path, "driver", drv, true)) {
            auto d = parse_driver(drv);
            if (!d || *d == PortDriver::Tap || *d == PortDriver::VirtioUser) {
                r.error(t.get("driver"), path + ".driver",
                        fmt::format("\"{}\" is not a port driver (allowed: pci, af_xdp, af_packet, "
                                    "ring, null)",
                                    drv));
            } else {
                p.driver = *d;
                driver_ok = true;
            }
        }
        bool kernel_iface =
            driver_ok && (p.driver == PortDriver::AfPacket || p.driver == PortDriver::AfXdp);
        if (r.get_string(t, path, "iface", p.iface, kernel_iface) && !valid_ifname(p.iface))
            r.error(t.get("iface"), path + ".iface",
                    fmt::format("\"{}\" is not a valid interface name", p.iface));
        if (r.get_string(t, path, "pci", p.pci, driver_ok && p.driver == PortDriver::Pci) &&
            !valid_pci(p.pci))
            r.error(t.get("pci"), path + ".pci",
                    fmt::format("\"{}\" is not a PCI address like 0000:03:00.0", p.pci));
        if (r.get_string(t, path, "devargs", p.devargs, false, 1024) &&
            p.devargs.find_first_of(" \t\n") != std::string::npos)
            r.error(t.get("devargs"), path + ".devargs", "must not contain white space");
        if (r.get_string(t, path, "host_interface", p.host_interface, false) && !valid_ifname(p.host_interface))
            r.error(t.get("host_interface"), path + ".host_interface",
                    fmt::format("\"{}\" is not a valid interface name", p.host_interface));
        if (!p.host_interface.empty() && p.host_interface == c.adapter.name)
            r.error(t.get("host_interface"), path + ".host_interface",
                    fmt::format("\"{}\" is adapter.name", p.host_interface));
        if (!p.host_interface.empty() && p.host_interface == p.iface)
            r.error(t.get("host_interface"), path + ".host_interface",
                    fmt::format("\"{}\" is the port's own iface", p.host_interface));
        r.get_string(t, path, "network", p.network, true);
        // "dhcp": the engine leases the port's IPv4 address (engine/dhcp).
        if (auto v = t.get("ipv4"); v && v->value<std::string>() && *v->value<std::string>() == "dhcp")
            p.ipv4_dhcp = true;
        else
            read_address(r, t, path, "ipv4", Family::V4, p.ipv4);
        read_address(r, t, path, "ipv6", Family::V6, p.ipv6);
        read_ip(r, t, path, "gateway4", Family::V4, p.gateway4);
        read_ip(r, t, path, "gateway6", Family::V6, p.gateway6);
        r.get_int(t, path, "rx_queues", p.rx_queues, 1, kMaxWorkers);
        r.get_int(t, path, "rx_desc", p.rx_desc, 64, 16384);
        r.get_int(t, path, "tx_desc", p.tx_desc, 64, 16384);
        r.get_int(t, path, "mtu", p.mtu, 1280, 9600);

        if (!p.network.empty()) {
            const NetworkConfig* net = c.find_network(p.network);
            if (!net) {
                r.error(t.get("network"), path + ".network",
                        fmt::format("\"{}\" is not a defined [[network]]", p.network));
            } else if (net->role != NetworkRole::None) {
                if (!p.ipv4 && !p.ipv6 && !p.ipv4_dhcp)
                    r.error(&t, path,
                            fmt::format("port on network \"{}\" needs an ipv4 or ipv6 address",
                                        p.network));
                for (auto* a : {&p.ipv4, &p.ipv6}) {
                    if (!*a || net->subnets.empty()) continue;
                    bool inside = std::any_of(net->subnets.begin(), net->subnets.end(),
                                              [&](auto& s) { return s.contains((*a)->addr); });
                    if (!inside)
                        r.error(t.get((*a)->addr.is_v6() ? "ipv6" : "ipv4"),
                                path + ((*a)->addr.is_v6() ? ".ipv6" : ".ipv4"),
                                fmt::format("{} is not inside any subnet of network \"{}\"",
                                            (*a)->addr.str(), p.network));
                }
            }
        }
        for (auto [gw, addr, key] : {std::tuple{&p.gateway4, &p.ipv4, "gateway4"},
                                     std::tuple{&p.gateway6, &p.ipv6, "gateway6"}}) {
            if (!*gw) continue;
            if (gw == &p.gateway4 && p.ipv4_dhcp) continue;  // checked against the lease's subnet when it comes
            if (!*addr)
                r.error(t.get(key), path + "." + key,
                        "a gateway needs a port address of the same family");
            else if (!(*addr)->subnet().contains(**gw))
                r.error(t.get(key), path + "." + key,
                        fmt::format("{} is not on the port's subnet {}", (*gw)->str(),
                                    (*addr)->subnet().str()));
        }
        size_t min_mtu = c.adapter.mtu + wire::kEthHdrLen + wire::kMaxOverhead;
        if (p.mtu < min_mtu)
            r.error(t.get("mtu") ? t.get("mtu") : &t, path + ".mtu",
                    fmt::format("value {} cannot carry adapter.mtu {} (needs at least {}: {} "
                                "bytes of tunnel overhead)",
                                p.mtu, c.adapter.mtu, min_mtu, min_mtu - c.adapter.mtu));
        for (auto& other : c.ports) {
            if (other.name == p.name && !p.name.empty())
                r.error(t.get("name"), path + ".name",
                        fmt::format("\"{}\" is already defined on line {}", p.name, other.line));
            // A host interface is a kernel interface the engine creates: no
            // other port may use its name, as a host interface or an iface.
            if (!p.host_interface.empty() && (p.host_interface == other.host_interface || p.host_interface == other.iface))
                r.error(t.get("host_interface"), path + ".host_interface",
                        fmt::format("\"{}\" is already used by port \"{}\"", p.host_interface, other.name));
            if (kernel_iface && !p.iface.empty() && p.iface == other.host_interface)
                r.error(t.get("iface"), path + ".iface",
                        fmt::format("\"{}\" is the host interface of port \"{}\"", p.iface, other.name));
            if (kernel_iface && other.iface == p.iface && !p.iface.empty())
                r.error(t.get("iface"), path + ".iface",
                        fmt::format("\"{}\" is already used by port \"{}\"", p.iface, other.name));
            if (p.driver == PortDriver::Pci && other.driver == PortDriver::Pci && !p.pci.empty() &&
                same_pci(other.pci, p.pci))
                r.error(t.get("pci"), path + ".pci",
                        fmt::format("\"{}\" is already used by port \"{}\"", p.pci, other.name));
        }
        c.ports.push_back(std::move(p));
    }
}

void read_peers(Reader& r, const toml::table& root, Config& c) {
    auto list = r.tables(root, "", "peer");
    if (list.size() > kMaxPeers)
        r.error(root.get("peer"), "peer",
                fmt::format("{} peers defined, at most {}", list.size(), kMaxPeers));
    for (size_t i = 0; i < list.size(); i++) {
        const toml::table& t = *list[i];
        std::string path = fmt::format("peer[{}]", i);
        PeerConfig p;
        p.line = static_cast<int>(t.source().begin.line);
        r.check_known(t, path, {"id", "name", "endpoint"});
        r.get_int(t, path, "id", p.id, 1, kMaxNodeId, true);
        if (r.get_string(t, path, "name", p.name, true, 31) && !valid_token(p.name))
            r.error(t.get("name"), path + ".name",
                    fmt::format("\"{}\" may hold only letters, digits, '-' and '_'", p.name));
        if (p.id == c.node.id && p.id != 0)
            r.error(t.get("id"), path + ".id",
                    fmt::format("{} is this node's own id (node.id)", p.id));
        for (auto& other : c.peers)
            if (other.id == p.id && p.id != 0)
                r.error(t.get("id"), path + ".id",
                        fmt::format("{} is already used by peer \"{}\" on line {}", p.id,
                                    other.name, other.line));
        // Names identify nodes in logs and in HELLO: they must be unique too.
        if (!p.name.empty() && p.name == c.node.name)
            r.error(t.get("name"), path + ".name",
                    fmt::format("\"{}\" is this node's own name (node.name)", p.name));
        for (auto& other : c.peers)
            if (other.name == p.name && !p.name.empty())
                r.error(t.get("name"), path + ".name",
                        fmt::format("\"{}\" is already used by the peer on line {}", p.name,
                                    other.line));
        auto eps = r.tables(t, path, "endpoint");
        if (eps.empty()) r.error(&t, path + ".endpoint", "a peer needs at least one [[peer.endpoint]]");
        for (size_t j = 0; j < eps.size(); j++) {
            const toml::table& et = *eps[j];
            std::string epath = fmt::format("{}.endpoint[{}]", path, j);
            PeerEndpoint ep;
            r.check_known(et, epath, {"network", "ipv4", "ipv6"});
            if (r.get_string(et, epath, "network", ep.network, true) && !c.find_network(ep.network))
                r.error(et.get("network"), epath + ".network",
                        fmt::format("\"{}\" is not a defined [[network]]", ep.network));
            // "dhcp": the peer leases its address on this network, and tells
            // us (engine/dhcp's port leases, over the reliable session).
            if (auto v = et.get("ipv4"); v && v->value<std::string>() && *v->value<std::string>() == "dhcp")
                ep.ipv4_dhcp = true;
            else
                read_ip(r, et, epath, "ipv4", Family::V4, ep.ipv4);
            read_ip(r, et, epath, "ipv6", Family::V6, ep.ipv6);
            if (!ep.ipv4 && !ep.ipv6 && !ep.ipv4_dhcp && !et.get("ipv4") && !et.get("ipv6"))
                r.error(&et, epath, "an endpoint needs an ipv4 or ipv6 address");
            // Every endpoint address must lie in a subnet of its network, so
            // that the route builder can tell same-subnet from routed paths.
            const NetworkConfig* net = c.find_network(ep.network);
            for (auto ak : {std::pair{&ep.ipv4, "ipv4"}, std::pair{&ep.ipv6, "ipv6"}}) {
                // (not a structured binding: clang 14, which builds the fuzz targets, cannot capture one)
                const auto* a = ak.first;
                const char* key = ak.second;
                if (!*a || !net || net->subnets.empty()) continue;
                bool inside = std::any_of(net->subnets.begin(), net->subnets.end(),
                                          [&](auto& s) { return s.contains(**a); });
                if (!inside)
                    r.error(et.get(key), epath + "." + key,
                            fmt::format("{} is not inside any subnet of network \"{}\"",
                                        (*a)->str(), ep.network));
            }
            p.endpoints.push_back(std::move(ep));
        }
        c.peers.push_back(std::move(p));
    }
}

void cross_checks(Reader& r, const toml::table& root, Config& c) {
    // EAL refuses --in-memory with --no-huge (which implies legacy memory):
    // say so here rather than at start-up.
    if (c.eal.in_memory && c.eal.no_huge)
        r.error(root.at_path("eal.in_memory").node(), "eal.in_memory",
                "cannot be combined with eal.no_huge = true (DPDK needs hugepages for in-memory mode); "
                "drop one, and give each engine its own eal.file_prefix instead");
    auto lcores = parse_lcore_list(c.eal.lcores);
    if (lcores) {
        auto has = [&](unsigned id) { return std::find(lcores->begin(), lcores->end(), id) != lcores->end(); };
        // Report at the key that was written; a default that does not fit is
        // reported at eal.lcores, the key that made it wrong.
        auto node_or = [&](const char* key, const toml::node* fallback) {
            const toml::node* n = root.at_path(key).node();
            return n ? n : fallback;
        };
        const toml::node* lcores_n = root.at_path("eal.lcores").node();
        if (!has(c.eal.main_lcore))
            r.error(node_or("eal.main_lcore", lcores_n), "eal.main_lcore",
                    fmt::format("lcore {} is not in eal.lcores \"{}\"", c.eal.main_lcore, c.eal.lcores));
        const toml::node* workers_n = node_or("dataplane.workers", lcores_n);
        const toml::array* wa = workers_n ? workers_n->as_array() : nullptr;
        std::set<unsigned> seen;
        for (size_t i = 0; i < c.dataplane.workers.size(); i++) {
            unsigned w = c.dataplane.workers[i];
            // The worker's own element, when every element was read (then
            // indexes match); else the list.
            const toml::node* n = wa && wa->size() == c.dataplane.workers.size() ? wa->get(i) : workers_n;
            if (!has(w))
                r.error(n, "dataplane.workers",
                        fmt::format("worker lcore {} is not in eal.lcores \"{}\"", w, c.eal.lcores));
            if (w == c.eal.main_lcore)
                r.error(n, "dataplane.workers",
                        fmt::format("lcore {} is the main lcore (it runs the control thread)", w));
            if (!seen.insert(w).second)
                r.error(n, "dataplane.workers", fmt::format("lcore {} is listed twice", w));
        }
    }
    bool any_cluster_port = std::any_of(c.ports.begin(), c.ports.end(), [&](auto& p) {
        auto* n = c.find_network(p.network);
        return n && n->role != NetworkRole::None;
    });
    if (!c.ports.empty() && !any_cluster_port)
        r.error_at(0, "port", "no port is on a network with role 1 or 3: the cluster has no path");
    assign_auto_metrics(c);
}

}  // namespace

void register_core_config(ConfigSections& s) {
    s.add({"node", "core", read_node});
    s.add({"eal", "core", read_eal});
    s.add({"dataplane", "core", read_dataplane});
    s.add({"adapter", "core", read_adapter});
    s.add({"network", "core", read_networks, nullptr, true});
    s.add({"port", "core", read_ports, nullptr, true});
    s.add({"peer", "core", read_peers, cross_checks, true});
}

}  // namespace ftnet
