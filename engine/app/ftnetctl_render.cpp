#include "engine/app/ftnetctl_render.h"

#include <fmt/format.h>

namespace ftnet::ctl {

using nlohmann::json;

namespace {

std::string human_bytes(uint64_t b) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(b);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    return u == 0 ? fmt::format("{} B", b) : fmt::format("{:.1f} {}", v, units[u]);
}

// "   Description . . . . . . . . . . . : value", as ipconfig aligns it.
std::string dotted(const std::string& label, const std::string& value) {
    std::string s = "   " + label;
    while (s.size() < 38) s += (s.size() % 2) ? ' ' : '.';
    return s + ": " + value + "\n";
}

std::string render_routes(const json& routes) {
    std::string out;
    for (auto& r : routes) {
        std::string state = r["state"] == "up" ? "up" : fmt::format("down ({})", r["reason"].get<std::string>());
        if (r.value("held_down_s", 0.0) > 0)
            state += fmt::format(", held down for another {:.1f} s after {} downs", r["held_down_s"].get<double>(),
                                 r.value("flaps", 0));
        if (r["in_use"].get<bool>()) state += ", in use";
        if (r.value("last_resort", false)) state += ", in use as last resort";
        out += fmt::format("{} {}\n", r["title"].get<std::string>(), state);
        out += fmt::format("    to {} (node {}), rank {}, port {}, next hop {} {}\n", r["peer"].get<std::string>(),
                           r["peer_id"].get<int>(), r["rank"].get<int>(), r["port"].get<std::string>(),
                           r["next_hop"].get<std::string>(),
                           r["next_hop_mac"].get<std::string>().empty() ? "(unresolved)" : r["next_hop_mac"].get<std::string>());
        if (r.contains("heartbeat")) {
            const json& h = r["heartbeat"];
            std::string since = r.value("last_change", std::string()).empty()
                                    ? "never"
                                    : fmt::format("{} ({:.1f} s ago)", r["last_change"].get<std::string>(),
                                                  r["last_change_s_ago"].get<double>());
            const uint64_t late = h.value("replies_late", uint64_t{0});
            out += fmt::format("    heartbeat every {} ms, down after {}: RTT {:.3f} ms (smoothed {:.3f}), loss {:.1f}%, "
                               "{} sent / {} answered{}, last change {}\n",
                               h["delay_ms"].get<int>(), h["threshold"].get<int>(), h["rtt_last_us"].get<double>() / 1000,
                               h["rtt_smoothed_us"].get<double>() / 1000, h["loss_pct"].get<double>(),
                               h["requests_sent"].get<uint64_t>(), h["replies_received"].get<uint64_t>(),
                               late ? fmt::format(" ({} more too late)", late) : "", since);
        }
        if (r.contains("path_mtu")) {
            const json& m = r["path_mtu"];
            const uint64_t frag = r.value("tx_fragmented", uint64_t{0}), reasm = r.value("rx_reassembled", uint64_t{0});
            out += fmt::format("    path MTU {} ({}; port MTU {}): frames up to {} bytes go whole{}\n", m["pmtu"].get<int>(),
                               m["state"] == "done" ? "measured" : m["state"].get<std::string>(), m["port_mtu"].get<int>(),
                               m["largest_frame_whole"].get<int>(),
                               frag || reasm ? fmt::format(", {} sent as {} fragments, {} rebuilt from the peer's", frag,
                                                           r.value("tx_fragments", uint64_t{0}), reasm)
                                             : "");
        }
        out += fmt::format("    tx {} pkts ({}), rx {} pkts ({})\n", r["tx_packets"].get<uint64_t>(),
                           human_bytes(r["tx_bytes"].get<uint64_t>()), r["rx_packets"].get<uint64_t>(),
                           human_bytes(r["rx_bytes"].get<uint64_t>()));
    }
    if (routes.empty()) out = "no routes\n";
    return out;
}

std::string render_cluster(const json& c) {
    std::string out = fmt::format("heartbeat profile: {}\n", c["profile"].get<std::string>());
    for (auto& p : c["properties"])
        out += fmt::format("  {:<24} {:>6} {:<10} (allowed {}..{}, default {}): {}\n", p["name"].get<std::string>(),
                           p["value"].get<uint64_t>(), p["unit"].get<std::string>(), p["min"].get<uint64_t>(),
                           p["max"].get<uint64_t>(), p["default"].get<uint64_t>(), p["help"].get<std::string>());
    return out;
}

std::string render_interfaces(const json& j) {
    const json& a = j["adapter"];
    std::string out = fmt::format("Ethernet adapter {}:\n\n", a["name"].get<std::string>());
    out += dotted("Description", a["description"].get<std::string>());
    out += dotted("Physical Address", a["mac_windows"].get<std::string>());
    out += dotted("DHCP Enabled", a["dhcp"].get<bool>() ? "Yes" : "No");
    out += dotted("Autoconfiguration Enabled", a["autoconfiguration"].get<bool>() ? "Yes" : "No");
    out += dotted("Link-local IPv6 Address",
                  fmt::format("{}%{}(Preferred)", a["link_local"].get<std::string>(), a["name"].get<std::string>()));
    out += dotted("Autoconfiguration IPv4 Address", a["apipa"].get<std::string>() + "(Preferred)");
    out += dotted("Subnet Mask", a["apipa_mask"].get<std::string>());
    out += dotted("MTU", std::to_string(a["mtu"].get<int>()));
    out += dotted("MAC derived from port", a["mac_from_port"].get<std::string>());
    bool first = true;
    for (auto& p : a["endpoint_pairs"]) {
        std::string v = fmt::format("{} <-> {} ({}, {}, {})", p["local"].get<std::string>(), p["remote"].get<std::string>(),
                                    p["network"].get<std::string>(), p["family"].get<std::string>(),
                                    p["peer"].get<std::string>());
        out += first ? dotted("Endpoint pairs", v) : std::string(40, ' ') + v + "\n";
        first = false;
    }
    for (auto& p : j["ports"]) {
        out += fmt::format("\nEthernet adapter {} ({}):\n\n", p["name"].get<std::string>(), p["device"].get<std::string>());
        out += dotted("Description", fmt::format("cluster network {} via {}{}", p["network"].get<std::string>(),
                                                 p["driver"].get<std::string>(),
                                                 p["iface"].get<std::string>().empty() ? "" : " on " + p["iface"].get<std::string>()));
        out += dotted("Physical Address", p["mac"].get<std::string>());
        if (!p["ipv6"].get<std::string>().empty()) out += dotted("IPv6 Address", p["ipv6"].get<std::string>());
        if (!p["ipv4"].get<std::string>().empty()) out += dotted("IPv4 Address", p["ipv4"].get<std::string>());
        if (!p["gateway6"].get<std::string>().empty()) out += dotted("Default Gateway (IPv6)", p["gateway6"].get<std::string>());
        if (!p["gateway4"].get<std::string>().empty()) out += dotted("Default Gateway (IPv4)", p["gateway4"].get<std::string>());
        out += dotted("Media State", fmt::format("link {}, admin {}", p["link"].get<std::string>(), p["admin"].get<std::string>()));
        out += dotted("MTU", std::to_string(p["mtu"].get<int>()));
        out += dotted("Queues / NUMA socket", fmt::format("{} rx, {} tx / {}", p["rx_queues"].get<int>(),
                                                          p["tx_queues"].get<int>(), p["numa_socket"].get<int>()));
    }
    return out;
}

std::string render_status(const json& s) {
    std::string out;
    out += fmt::format("node      {} (id {}), cluster {}\n", s["node"]["name"].get<std::string>(),
                       s["node"]["id"].get<int>(), s["node"]["cluster"].get<std::string>());
    out += fmt::format("version   ftnet {} on {}\n", s["version"].get<std::string>(), s["dpdk"].get<std::string>());
    out += fmt::format("config    {}\n", s["config"].get<std::string>());
    out += fmt::format("uptime    {} s\n", s["uptime_s"].get<uint64_t>());
    out += fmt::format("workers   {}\n", s["workers"].get<int>());
    out += fmt::format("ports     {}\n", s["ports"].get<int>());
    out += fmt::format("peers     {} reachable of {}\n", s["peers_reachable"].get<int>(), s["peers"].get<int>());
    out += fmt::format("routes    {} up of {}\n", s["routes_up"].get<int>(), s["routes"].get<int>());
    if (s.contains("membership_epoch"))
        out += fmt::format("view      epoch {}, {}\n", s["membership_epoch"].get<uint64_t>(),
                           s.value("quorum", false) ? "quorum" : "no quorum (ftnetctl membership says why)");
    out += fmt::format("packets   rx {}, tx {}, dropped {}\n", s["rx_packets"].get<uint64_t>(),
                       s["tx_packets"].get<uint64_t>(), s["drops"].get<uint64_t>());
    return out;
}

std::string render_counters(const json& c) {
    std::string out = fmt::format("{:<12} {:>12} {:>12} {:>12} {:>12} {:>10} {:>10}\n", "port", "rx pkts", "rx bytes",
                                  "tx pkts", "tx bytes", "hw missed", "hw errors");
    for (auto& p : c["ports"])
        out += fmt::format("{:<12} {:>12} {:>12} {:>12} {:>12} {:>10} {:>10}\n", p["name"].get<std::string>(),
                           p["rx_packets"].get<uint64_t>(), p["rx_bytes"].get<uint64_t>(), p["tx_packets"].get<uint64_t>(),
                           p["tx_bytes"].get<uint64_t>(), p["hw_imissed"].get<uint64_t>(),
                           p["hw_ierrors"].get<uint64_t>() + p["hw_oerrors"].get<uint64_t>());
    for (auto& p : c["ports"]) {
        const json k = p.value("kernel", json());
        if (!k.is_object()) continue;
        const uint64_t in = k.value("host_to_engine_dropped", uint64_t{0}), back = k.value("engine_to_host_dropped", uint64_t{0});
        const uint64_t ring = k.value("rx_ring_full", uint64_t{0});
        if (in || back)
            out += fmt::format("{}: the host's side dropped {} frame(s) it could not queue to the engine (queue full) and "
                               "{} the engine delivered\n",
                               p["name"].get<std::string>(), in, back);
        else if (ring)
            out += fmt::format("{}: the kernel dropped {} frame(s) for the engine: the port's socket ring was full\n",
                               p["name"].get<std::string>(), ring);
    }
    out += "\ndrops (non-zero):\n";
    bool any = false;
    for (auto& [name, v] : c["drops"].items())
        if (v.get<uint64_t>()) {
            out += fmt::format("  {:<22} {}\n", name, v.get<uint64_t>());
            any = true;
        }
    if (!any) out += "  none\n";
    out += "\nworkers:\n";
    for (auto& w : c["workers"])
    {
        out += fmt::format("  worker {} (lcore {}): {} packets, {:.0f} cycles/packet, {} loops ({} busy), {} sleeps\n",
                           w["index"].get<int>(), w["lcore"].get<int>(), w["packets"].get<uint64_t>(),
                           w["cycles_per_packet"].get<double>(), w["loops"].get<uint64_t>(),
                           w["busy_loops"].get<uint64_t>(), w["sleeps"].get<uint64_t>());
        if (w.contains("idle"))
            out += fmt::format("    when idle: {} (woken {} times by traffic, {} for work)\n", w["idle"].get<std::string>(),
                               w.value("woken_by_traffic", uint64_t{0}), w.value("woken_for_work", uint64_t{0}));
        if (w.value("stalls", uint64_t{0}) || w.value("all_routes_silent", uint64_t{0}) || w.value("tx_last_resort", uint64_t{0}))
            out += fmt::format("    {} stalls ({:.1f} ms in all, longest {:.1f} ms), {} all-routes-silent episodes, "
                               "{} frames sent as last resort\n",
                               w.value("stalls", uint64_t{0}), w.value("stalled_ms", 0.0), w.value("stall_max_ms", 0.0),
                               w.value("all_routes_silent", uint64_t{0}), w.value("tx_last_resort", uint64_t{0}));
    }
    return out;
}

std::string render_nodes(const json& nodes) {
    std::string out;
    for (auto& n : nodes) {
        if (n["local"].get<bool>()) {
            out += fmt::format("{} (node {}): this node, ftnet0 {} {} {}\n", n["name"].get<std::string>(), n["id"].get<int>(),
                               n["adapter_mac"].get<std::string>(), n["apipa"].get<std::string>(),
                               n["link_local"].get<std::string>());
            continue;
        }
        const std::string resort = n.value("last_resort_route", std::string());
        out += fmt::format("{} (node {}): {}, {} of {} routes up{}{}\n", n["name"].get<std::string>(), n["id"].get<int>(),
                           n["state"].get<std::string>(), n["routes_up"].get<int>(), n["routes"].get<int>(),
                           n["active_route"].get<std::string>().empty() ? "" : ", using " + n["active_route"].get<std::string>(),
                           resort.empty() ? "" : "; no route answering; sending on " + resort + " as last resort");
        if (n["adapter_known"].get<bool>())
            out += fmt::format("    ftnet0 {} {} {}\n", n["adapter_mac"].get<std::string>(), n["apipa"].get<std::string>(),
                               n["link_local"].get<std::string>());
        else
            out += "    ftnet0 not yet announced (no endpoint exchange)\n";
    }
    return out;
}

std::string render_neighbors(const json& v) {
    std::string out;
    for (auto& e : v)
        out += fmt::format("{:<12} {:<28} {:<18} {}\n", e["port"].get<std::string>(), e["address"].get<std::string>(),
                           e["mac"].get<std::string>().empty() ? "-" : e["mac"].get<std::string>(),
                           e["state"].get<std::string>());
    return out.empty() ? "no neighbours\n" : out;
}

// `hosts`: each host interface, its addresses and what it carried.
std::string render_hosts(const json& v) {
    std::string out;
    for (auto& h : v) {
        std::string addrs;
        for (auto& a : h["addresses"]) addrs += (addrs.empty() ? "" : ", ") + a.get<std::string>();
        out += fmt::format("{} for port {} ({}, {} queues): MAC {}, MTU {}, {}\n", h["interface"].get<std::string>(),
                           h["port"].get<std::string>(), h["driver"].get<std::string>(), h["queues"].get<int>(),
                           h["mac"].get<std::string>(), h["mtu"].get<int>(), addrs.empty() ? "no addresses" : addrs);
        out += fmt::format("    to the host {} pkts ({}), from the host {} pkts ({})\n", h["to_host"]["pkts"].get<uint64_t>(),
                           human_bytes(h["to_host"]["bytes"].get<uint64_t>()), h["from_host"]["pkts"].get<uint64_t>(),
                           human_bytes(h["from_host"]["bytes"].get<uint64_t>()));
        if (h.contains("drops_all_ports")) {
            std::string d;
            for (auto& [k, n] : h["drops_all_ports"].items())
                if (n.get<uint64_t>()) d += fmt::format("{}{} {}", d.empty() ? "" : ", ", k, n.get<uint64_t>());
            out += "drops (all host interfaces): " + (d.empty() ? std::string("none") : d) + "\n";
        }
    }
    return out.empty() ? "no host interfaces (port.host_interface)\n" : out;
}

}  // namespace

// `key`: one line per key, the sealing one marked.
std::string render_keys(const json& r) {
    std::string out = fmt::format("epoch {}, payloads {}\n", r.value("epoch", 0),
                                  r.value("encrypt", false) ? "encrypted" : "authenticated, not encrypted");
    for (auto& k : r.value("keys", json::array()))
        out += fmt::format("key {:>3} {}  {:<11}  {} messages received  ({})\n", k.value("id", 0),
                           k.value("primary", false) ? "*" : " ", k.value("cipher", std::string()),
                           k.value("rx_messages", uint64_t{0}), k.value("source", std::string()));
    return out;
}

std::string render_session(const json& peers) {
    std::string out;
    for (auto& p : peers) {
        const std::string route = p.value("route", std::string());
        out += fmt::format("{} (node {}): {}, incarnation {} (ours {}){}\n", p["name"].get<std::string>(), p["peer"].get<int>(),
                           p["state"].get<std::string>(), p["peer_incarnation"].get<uint64_t>(),
                           p["incarnation"].get<uint64_t>(), route.empty() ? ", no route" : ", on " + route);
        out += fmt::format("    messages: {} sent, {} acknowledged, {} received; {} in flight, {} queued ({}), window {}\n",
                           p["msgs_sent"].get<uint64_t>(), p["msgs_acked"].get<uint64_t>(), p["msgs_delivered"].get<uint64_t>(),
                           p["in_flight"].get<uint64_t>(), p["queued_segments"].get<uint64_t>(),
                           human_bytes(p["queued_bytes"].get<uint64_t>()), p["window"].get<uint64_t>());
        out += fmt::format("    segments: {} sent, {} retransmitted ({} timeouts, {} route changes), {} received, "
                           "{} duplicate, {} stale, {} unverified, {} malformed; RTT {:.3f} ms, timeout {:.1f} ms, {} resets\n",
                           p["segs_sent"].get<uint64_t>(), p["segs_retransmitted"].get<uint64_t>(), p["timeouts"].get<uint64_t>(),
                           p["route_changes"].get<uint64_t>(), p["segs_received"].get<uint64_t>(),
                           p["segs_duplicate"].get<uint64_t>(), p["segs_stale"].get<uint64_t>(),
                           p.value("segs_unverified", uint64_t{0}), p["segs_malformed"].get<uint64_t>(), static_cast<double>(p["srtt_us"].get<uint64_t>()) / 1000.0,
                           static_cast<double>(p["rto_us"].get<uint64_t>()) / 1000.0, p["resets"].get<uint64_t>());
        if (p["probe_sent"].get<uint64_t>() || p["probe_received"].get<uint64_t>())
            out += fmt::format("    probes: {} sent, {} received ({} out of order, {} damaged)\n", p["probe_sent"].get<uint64_t>(),
                               p["probe_received"].get<uint64_t>(), p["probe_out_of_order"].get<uint64_t>(),
                               p["probe_bad"].get<uint64_t>());
    }
    return out;
}

std::string render_membership(const json& m) {
    std::string members;
    for (auto& x : m["members"]) members += (members.empty() ? "" : ", ") + x["name"].get<std::string>();
    const json& q = m["quorum"];
    std::string out = fmt::format("view epoch {} (round {}, coordinator node {}): {}{}\n", m["epoch"].get<uint64_t>(),
                                  m["round"].get<uint64_t>(), m["coordinator"].get<int>(), members.empty() ? "none yet" : members,
                                  m["regrouping"].get<bool>() ? "; regrouping" : "");
    if (q["has"].get<bool>())
        out += fmt::format("quorum: {} of {} votes (needs {})\n", q["votes"].get<int>(), q["total"].get<int>(), q["needed"].get<int>());
    else
        out += fmt::format("no quorum: {}\n", q["reason"].get<std::string>());
    if (m.contains("witness")) {
        const json& w = m["witness"];
        out += fmt::format("witness {} (lease {} ms): {}{}\n", w["file"].get<std::string>(), w["lease_ms"].get<int>(),
                           w["ours"].get<bool>() ? "held by this partition" :
                           w["holder"].get<std::string>().empty() ? "free" : "held by " + w["holder"].get<std::string>(),
                           w["error"].get<std::string>().empty() ? "" : " (" + w["error"].get<std::string>() + ")");
    }
    for (auto& x : m["excluded"])
        out += fmt::format("refused: {} (node {}): {}\n", x["name"].get<std::string>(), x["id"].get<int>(),
                           x["reason"].get<std::string>());
    return out;
}

std::string join_strings(const json& a) {
    std::string s;
    for (auto& x : a) s += (s.empty() ? "" : ", ") + x.get<std::string>();
    return s;
}

// `dns`: the server, then one line per name.
std::string render_dns(const json& r) {
    if (!r.value("configured", false)) return "DNS registration is not configured (no [dns] section)\n";
    std::string out = fmt::format("server {}, zone {}, key {}\n", r.value("server", std::string()), r.value("zone", std::string()),
                                  r.value("key", std::string()));
    for (auto& n : r["names"]) {
        std::string records;
        for (auto& a : n["records"]) records += (records.empty() ? "" : ", ") + a.get<std::string>();
        out += fmt::format("  {:<28} {:<10} {} (TTL {}){}\n", n.value("name", std::string()), n.value("state", std::string()),
                           records.empty() ? "no records" : records, n.value("ttl", 0),
                           n.contains("last_error") ? "; " + n["last_error"].get<std::string>() : "");
    }
    return out;
}

// `dhcp`: one line per client.
std::string render_dhcp(const json& r) {
    std::string out;
    for (auto& c : r["clients"]) {
        out += fmt::format("{:<24} port {:<8} {:<10} {}", c.value("client_id", std::string()), c.value("port", std::string()),
                           c.value("state", std::string()), c.value("address", std::string("no lease")));
        if (c.contains("server"))
            out += fmt::format(" from {}, renew in {:.0f} s, expires in {:.0f} s", c["server"].get<std::string>(),
                               c.value("renew_in_s", 0.0), c.value("expires_in_s", 0.0));
        if (c.contains("last_event")) out += " (" + c["last_event"].get<std::string>() + ")";
        out += "\n";
    }
    return out.empty() ? "no DHCP clients (no DHCP resource is online on this node)\n" : out;
}

// `policy show`: the rules in the order they are tried, then the classes;
// `policy test`: one line per frame.
std::string render_policy(const json& r) {
    std::string out;
    if (r.is_array()) {
        for (auto& f : r)
            out += fmt::format("frame {:>4} ({:>5} bytes): {}{}\n", f.value("frame", 0), f.value("bytes", 0),
                               f["rule"].is_null() ? std::string("no rule") : "rule " + f["rule"].get<std::string>() + ", " +
                                                                                f.value("action", std::string()),
                               f.contains("networks") ? " to " + join_strings(f["networks"]) : "");
        return out;
    }
    out += fmt::format("policy generation {}, {} reload(s), {} refused; payload database: {}\n", r.value("generation", 0),
                       r.value("reloads", 0), r.value("reloads_refused", 0), r.value("database", std::string("none")));
    if (r.contains("last_error")) out += "last refused reload: " + r["last_error"].get<std::string>() + "\n";
    out += fmt::format("{:<20} {:>8} {:<7} {:>12} {:>14}  {}\n", "Rule", "Priority", "Action", "Hits", "Bytes", "Matches");
    for (auto& x : r["rules"]) {
        std::string action = x.value("action", std::string());
        if (x.contains("networks")) action += " to " + join_strings(x["networks"]);
        out += fmt::format("{:<20} {:>8} {:<7} {:>12} {:>14}  {}\n", x.value("name", std::string()), x.value("priority", 0),
                           action, x.value("hits", uint64_t{0}), x.value("bytes", uint64_t{0}), x.value("match", std::string()));
    }
    if (!r["classes"].empty()) {
        out += "Traffic classes:\n";
        for (auto& c : r["classes"]) {
            const std::string dscp = c.contains("dscp") ? fmt::format("dscp {}", c["dscp"].get<int>()) : "dscp (tunnel's)";
            out += fmt::format("  {:<18} {:>12} frames {:>14} bytes  {:<16} priority {}\n", c.value("name", std::string()),
                               c.value("pkts", uint64_t{0}), c.value("bytes", uint64_t{0}), dscp, c.value("priority", 0));
        }
    }
    return out;
}

// `group list` as a table, `group show` as the table row and each resource.
std::string render_group(const json& r) {
    auto row = [](const json& g) {
        std::string state = g.value("state", std::string());
        if (g.contains("moving_to")) state += " (moving to " + g["moving_to"].get<std::string>() + ")";
        if (g.value("admin", std::string()) == "offline") state += " (taken offline)";
        return fmt::format("{:<16} {:<10} {:<30} {}\n", g["name"].get<std::string>(),
                           g["owner"].get<std::string>().empty() ? "-" : g["owner"].get<std::string>(), state,
                           join_strings(g["resources"]));
    };
    if (r.is_object() && r.contains("accepted"))
        return fmt::format("accepted; the groups' manager ({}) carries it out\n", r.value("manager", std::string()));
    std::string out = fmt::format("{:<16} {:<10} {:<30} {}\n", "Group", "Owner", "State", "Resources");
    if (r.is_array()) {
        for (auto& g : r) out += row(g);
        return out;
    }
    out += row(r);
    out += fmt::format("preferred owners: {}\n", r["preferred_owners"].empty() ? "(any node)" : join_strings(r["preferred_owners"]));
    if (r.contains("reason")) out += "reason: " + r["reason"].get<std::string>() + "\n";
    if (r.contains("status") && r["status"].contains("resources"))
        for (auto& [name, st] : r["status"]["resources"].items()) {
            out += fmt::format("  {:<14} {}", name, st.value("state", std::string()));
            if (st.contains("address")) out += " " + st["address"].get<std::string>();
            if (st.contains("reason")) out += " (" + st["reason"].get<std::string>() + ")";
            out += "\n";
        }
    return out;
}

// `resource list` as a table, `resource show` as one resource in full.
std::string render_resource(const json& r) {
    if (r.is_object() && r.contains("accepted"))
        return fmt::format("accepted; the groups' manager ({}) carries it out\n", r.value("manager", std::string()));
    auto what = [](const json& x) {
        if (x["type"] == "ip_address") {
            std::string s = x.value("address", std::string());
            const std::string setting = x.value("setting", std::string());
            if (s.empty()) s = setting == "dhcp" ? "(DHCP)" : setting;
            else s += setting == "dhcp" ? " (DHCP)" : " (static)";
            return s + " on " + x.value("network", std::string());
        }
        return x.value("dns_name", std::string()) + " <- " + x.value("depends", std::string());
    };
    std::string out = fmt::format("{:<14} {:<13} {:<14} {:<8} {:<12} {}\n", "Resource", "Type", "Group", "Owner", "State", "");
    auto row = [&](const json& x) {
        return fmt::format("{:<14} {:<13} {:<14} {:<8} {:<12} {}\n", x["name"].get<std::string>(), x["type"].get<std::string>(),
                           x["group"].get<std::string>(), x["owner"].get<std::string>().empty() ? "-" : x["owner"].get<std::string>(),
                           x["state"].get<std::string>(), what(x));
    };
    if (r.is_array()) {
        for (auto& x : r) out += row(x);
        return out;
    }
    out += row(r);
    if (r.contains("reason")) out += "reason: " + r["reason"].get<std::string>() + "\n";
    if (r["type"] == "network_name")
        out += fmt::format("RegisterAllProvidersIP {}, HostRecordTTL {} s, PublishPTRRecords {}\n",
                           r.value("RegisterAllProvidersIP", 0), r.value("HostRecordTTL", 0),
                           r.value("PublishPTRRecords", false) ? "yes" : "no");
    if (r.contains("status")) {
        const json& st = r["status"];
        if (st.contains("dhcp")) out += "DHCP: " + render_dhcp(json{{"clients", json::array({st["dhcp"]})}});
        if (st.contains("addresses") && !st["addresses"].empty()) out += "registers: " + join_strings(st["addresses"]) + "\n";
        if (st.contains("dns")) {
            json d = st["dns"];
            d["name"] = r.value("dns_name", std::string());
            out += "DNS: " + render_dns(json{{"configured", true},
                                             {"server", d.value("server", std::string())},
                                             {"zone", d.value("zone", std::string())},
                                             {"key", "-"},
                                             {"names", json::array({d})}});
        }
    }
    return out;
}

std::string render_network(const json& n) {
    std::string subnets;
    for (auto& x : n["subnets"]) subnets += (subnets.empty() ? "" : ", ") + x.get<std::string>();
    return fmt::format("{:<14} role {} ({:<18}) metric {:>6}{:<7} {:<10} routes {}/{} up   {}\n", n.value("name", std::string()),
                       n.value("role", 0), n.value("role_name", std::string()), n.value("metric", 0),
                       n.value("metric_auto", false) ? " (auto)" : "", n.value("state", std::string()), n.value("routes_up", 0),
                       n.value("routes", 0), subnets);
}

std::string render_reload(const json& r) {
    std::string out;
    if (r["changed"].empty()) return fmt::format("{}: nothing changed\n", r.value("file", std::string()));
    out += fmt::format("{}: changed", r.value("file", std::string()));
    for (auto& k : r["changed"]) out += " [" + k.get<std::string>() + "]";
    out += "\n";
    for (auto& a : r["applied"]) out += "  applied: " + a.get<std::string>() + "\n";
    for (auto& a : r["restart"]) out += "  at the next restart: " + a.get<std::string>() + "\n";
    for (auto& a : r["refused"]) out += "  refused: " + a.get<std::string>() + "\n";
    return out;
}

std::string render(const std::string& cmd, const json& r) {
    if (cmd == "networks") {
        std::string out;
        for (auto& n : r) out += render_network(n);
        return out;
    }
    if (cmd == "network") return render_network(r);
    if (cmd == "reload") return render_reload(r);
    if (cmd == "routes") return render_routes(r);
    if (cmd == "interfaces") return render_interfaces(r);
    if (cmd == "status") return render_status(r);
    if (cmd == "counters") return render_counters(r);
    if (cmd == "nodes") return render_nodes(r);
    if (cmd == "neighbors") return render_neighbors(r);
    if (cmd == "hosts") return render_hosts(r);
    if (cmd == "log") {
        std::string out;
        for (auto& l : r) out += l.get<std::string>() + "\n";
        return out;
    }
    if (cmd == "cluster") return render_cluster(r);
    if (cmd == "key") return render_keys(r);
    if (cmd == "session") return render_session(r);
    if (cmd == "membership") return render_membership(r);
    if (cmd == "group") return render_group(r);
    if (cmd == "resource") return render_resource(r);
    if (cmd == "dns") return render_dns(r);
    if (cmd == "policy") return render_policy(r);
    if (cmd == "dhcp") return render_dhcp(r);
    if (cmd == "session-probe")
        return fmt::format("queued {} probe messages to node {} (numbers from {}){}\n", r["queued"].get<uint64_t>(),
                           r["peer"].get<int>(), r["first"].get<uint64_t>(),
                           r.value("refused", std::string()).empty() ? "" : "; then refused: " + r["refused"].get<std::string>());
    if (cmd == "link")
        return fmt::format("port {}: admin {}, link {}\n", r["port"].get<std::string>(), r["admin"].get<std::string>(),
                           r["link"].get<std::string>());
    return r.dump(2) + "\n";
}

std::string render_event(const json& ev) {
    if (!ev.is_object()) return "(malformed event)\n";
    const std::string type = ev.value("type", std::string("?")), time = ev.value("time", std::string());
    if (type == "route")
        return fmt::format("{} route {} to {}: {} ({}){}\n", time, ev.value("route", std::string()), ev.value("peer", std::string()),
                           ev.value("state", std::string()), ev.value("cause", std::string()),
                           ev.contains("held_down_ms") ? fmt::format(", flapping: held down for {:.1f} s",
                                                                     ev.value("held_down_ms", 0) / 1000.0)
                                                       : "");
    if (type == "node") {
        const std::string resort = ev.value("last_resort_route", std::string());
        return fmt::format("{} node {} ({}): {}{}{}\n", time, ev.value("node", std::string()), ev.value("id", 0),
                           ev.value("state", std::string()),
                           ev.value("active_route", std::string()).empty() ? "" : ", using " + ev["active_route"].get<std::string>(),
                           resort.empty() ? "" : "; sending on " + resort + " as last resort");
    }
    if (type == "stall")
        return fmt::format("{} {}: {:.1f} ms\n", time,
                           ev.value("kind", std::string()) == "worker" ? "worker stalled" : "every route silent at once",
                           ev.value("duration_us", 0) / 1000.0);
    if (type == "link")
        return fmt::format("{} port {}: link {}\n", time, ev.value("port", std::string()), ev.value("state", std::string()));
    if (type == "membership") {
        if (ev.contains("refused"))
            return fmt::format("{} {} (node {}) refused into the membership: {}\n", time, ev.value("name", std::string()),
                               ev.value("refused", 0), ev.value("reason", std::string()));
        std::string members;
        if (ev.contains("members") && ev["members"].is_array())
            for (auto& x : ev["members"]) members += (members.empty() ? "" : ", ") + std::to_string(x.get<int>());
        return fmt::format("{} membership epoch {}: nodes {}; {}\n", time, ev.value("epoch", 0ull), members,
                           ev.value("quorum", false) ? fmt::format("quorum ({} votes)", ev.value("votes", 0))
                                                     : "no quorum: " + ev.value("reason", std::string()));
    }
    if (type == "session")
        return fmt::format("{} session with {} (node {}): {}, incarnation {}{}\n", time, ev.value("name", std::string()),
                           ev.value("peer", 0), ev.value("state", std::string()), ev.value("incarnation", 0),
                           ev.value("old_incarnation", 0) ? fmt::format(" (was {})", ev.value("old_incarnation", 0)) : "");
    if (type == "resource")
        return fmt::format("{} group {}: owner {}, {} on this node{}\n", time, ev.value("group", std::string()),
                           ev.value("owner_name", std::string()).empty() ? "none" : ev["owner_name"].get<std::string>(),
                           ev.value("state_here", std::string()),
                           ev.contains("reason") ? " (" + ev["reason"].get<std::string>() + ")" : "");
    if (type == "property")
        return fmt::format("{} cluster property {}: {} -> {}\n", time, ev.value("name", std::string()), ev.value("old", 0),
                           ev.value("value", 0));
    return ev.dump() + "\n";
}

}  // namespace ftnet::ctl
