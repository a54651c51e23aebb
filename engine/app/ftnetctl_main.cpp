// ftnetctl: inspect and drive a running ftnetd over its management socket
// (docs/management-protocol.md). Every command prints a human table by
// default and the daemon's JSON with -o json; `ftnetctl COMMAND --help`
// describes each.
//
// Exit status (stable, for scripts): 0 success; 1 the daemon refused the
// request (its error on stderr); 2 bad command line; 3 no daemon answered;
// 4 permission denied.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "engine/app/ftnetctl_client.h"
#include "engine/app/ftnetctl_completion.h"
#include "engine/app/ftnetctl_render.h"
#include "engine/app/ftnetctl_stats.h"

namespace {

using nlohmann::json;
using namespace ftnet::ctl;

// After `group move`: polls `group show` until the group is online on the
// new owner (exit 0) or the time is up (exit 1, with its state).
int wait_for_move(const std::string& sock, const std::string& group, const std::string& node, unsigned seconds, bool quiet) {
    json g;
    for (unsigned i = 0; i < seconds * 10; i++) {
        json r = request(sock, "group", {{"action", "show"}, {"name", group}});
        if (r.value("ok", false)) {
            g = r["result"];
            const bool there = g.value("owner", std::string()) == node || std::to_string(g.value("owner_id", 0)) == node;
            if (there && !g.contains("moving_to") && g.value("state", std::string()) == "online") {
                if (!quiet) std::printf("group %s is online on %s\n", group.c_str(), g["owner"].get<std::string>().c_str());
                return kOk;
            }
        }
        usleep(100000);
    }
    std::fprintf(stderr, "ftnetctl: group %s is not online on %s after %u s: owner %s, %s\n", group.c_str(), node.c_str(),
                 seconds, g.value("owner", std::string("?")).c_str(), g.value("state", std::string("?")).c_str());
    return kRefused;
}

// `stats --watch`: the rates between samples, every `interval` seconds,
// `count` times (0: until Ctrl-C).
int watch_stats(const std::string& sock, double interval, unsigned count, bool as_json) {
    json before = request(sock, "counters");
    if (!before.value("ok", false)) throw ClientError(kRefused, before.value("error", std::string()));
    auto t0 = std::chrono::steady_clock::now();
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    for (unsigned i = 0; count == 0 || i < count; i++) {
        std::this_thread::sleep_for(std::chrono::duration<double>(interval));
        json after = request(sock, "counters");
        if (!after.value("ok", false)) throw ClientError(kRefused, after.value("error", std::string()));
        const auto t1 = std::chrono::steady_clock::now();
        json rates = stats_rates(before["result"], after["result"], std::chrono::duration<double>(t1 - t0).count());
        if (as_json)
            std::printf("%s\n", rates.dump().c_str());
        else
            std::printf("%s%s", i ? "\n" : "", render_rates(rates).c_str());
        before = std::move(after);
        t0 = t1;
    }
    return kOk;
}

// "role=3", "metric=auto": the arguments of `network set`.
bool network_settings(const std::vector<std::string>& kv, json& args, std::string* why) {
    for (auto& s : kv) {
        const auto eq = s.find('=');
        const std::string k = s.substr(0, eq), v = eq == std::string::npos ? "" : s.substr(eq + 1);
        if (eq == std::string::npos || v.empty()) {
            *why = "\"" + s + "\" is not KEY=VALUE (role=0|1|3, metric=N|auto)";
            return false;
        }
        if (k == "role") {
            if (v != "0" && v != "1" && v != "3") {
                *why = "role=" + v + ": a role is 0 (not used), 1 (cluster only) or 3 (cluster and client)";
                return false;
            }
            args["role"] = static_cast<unsigned>(std::stoul(v));
        } else if (k == "metric") {
            args["metric"] = v;
        } else {
            *why = "unknown setting \"" + k + "\" (role, metric)";
            return false;
        }
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"ftnetctl: manage a running ftnetd"};
    const char* env = std::getenv("FTNET_SOCKET");
    std::string sock = env ? env : "/run/ftnet/ftnetd.sock";
    std::string output = "text";
    std::string completion_shell = "bash";
    app.add_option("-s,--socket", sock, "management socket of ftnetd (env FTNET_SOCKET)");
    app.add_option("-o,--output", output, "output format")->check(CLI::IsMember({"text", "json"}));
    app.require_subcommand(1);
    struct Shown {
        const char* name;
        const char* help;
    };
    for (const Shown& c : std::initializer_list<Shown>{
             {"status", "the node, its engine and a summary of every module"},
             {"routes", "every route to every peer: state, heartbeats, RTT, path MTU, counters"},
             {"interfaces", "ftnet0 and the cluster ports: addresses, link, queues"},
             {"counters", "every counter: per port, per worker, per drop reason"},
             {"nodes", "this node and every peer: reachability, active route"},
             {"networks", "every network: subnets, role, metric (set or automatic), routes up"},
             {"neighbors", "ARP/ND entries of the routes' next hops"},
             {"membership", "the membership view (epoch, members), quorum, witness"},
             {"hosts", "the host path: each port's host interface and its traffic"},
             {"dns", "DNS registration of this node's Network Names"},
             {"dhcp", "DHCP clients of this node: leases and timers"},
             {"metrics", "the Prometheus endpoint: where it listens, scrapes"},
             {"path-mtu", "each route's path MTU search"},
             {"capture", "live capture with dpdk-dumpcap: available or why not, the ports and their DPDK names"},
             {"reload", "read the config file again: apply what can change while running, list what needs a restart"},
         })
        app.add_subcommand(c.name, c.help);
    app.add_subcommand("version", "ftnetctl's and the daemon's versions, the management protocol, DPDK");
    auto* network = app.add_subcommand("network", "change a network at once: network set NAME role=0|1|3 metric=N|auto");
    network->require_subcommand(1);
    std::string net_name;
    std::vector<std::string> net_settings;
    auto* nset = network->add_subcommand("set", "set a network's role and/or metric (auto: as the cluster assigns it)");
    nset->add_option("name", net_name, "the network")->required();
    nset->add_option("settings", net_settings, "role=0|1|3 metric=N|auto")->required();
    bool watch = false;
    double watch_interval = 1.0;
    unsigned watch_count = 0;
    auto* stats = app.add_subcommand("stats", "per port and per worker packets, bytes, drops by reason; --watch for rates");
    stats->add_flag("-w,--watch", watch, "print rates every interval until Ctrl-C");
    stats->add_option("-i,--interval", watch_interval, "seconds between samples (default 1)")->check(CLI::Range(0.1, 3600.0));
    stats->add_option("-c,--count", watch_count, "stop after this many samples");
    app.add_subcommand("completion", "print the bash completion script")->add_option("shell", completion_shell, "bash")
        ->check(CLI::IsMember({"bash"}));
    unsigned lines = 50;
    app.add_subcommand("log", "show the last lines of the cluster log")->add_option("-n,--lines", lines, "how many lines");
    std::string port, state;
    auto* link = app.add_subcommand("link", "set a cluster port administratively up or down");
    link->add_option("port", port, "port name")->required();
    link->add_option("state", state, "up or down")->required()->check(CLI::IsMember({"up", "down"}));
    auto* cluster = app.add_subcommand("cluster", "get or set cluster (heartbeat) properties");
    cluster->require_subcommand(1);
    std::string prop;
    int64_t prop_value = 0;
    cluster->add_subcommand("get", "show the properties and their limits")->add_option("name", prop, "one property");
    auto* cset = cluster->add_subcommand("set", "change a property at once, within its profile's limits");
    cset->add_option("name", prop, "property, e.g. SameSubnetDelay")->required();
    cset->add_option("value", prop_value, "new value")->required();
    auto* key = app.add_subcommand("key", "cluster keys: list, add, use (seal with), retire");
    key->require_subcommand(0, 1);
    unsigned key_id = 0;
    std::string key_hex, key_file;
    key->add_subcommand("list", "the keys held, which one seals, messages received with each");
    auto* kadd = key->add_subcommand("add", "hold another key (accepted from peers at once)");
    kadd->add_option("id", key_id, "key id, 1..254")->required();
    auto* kadd_src = kadd->add_option_group("key material");
    kadd_src->add_option("--key", key_hex, "32 or 64 hexadecimal digits");
    kadd_src->add_option("--key-file", key_file, "a file only root can read, holding the key");
    kadd_src->require_option(1);
    key->add_subcommand("use", "seal with this key from now on")->add_option("id", key_id, "key id")->required();
    key->add_subcommand("retire", "stop accepting this key")->add_option("id", key_id, "key id")->required();
    auto* sess = app.add_subcommand("session", "the reliable session with every peer; `session probe` tests one");
    sess->require_subcommand(0, 1);
    unsigned probe_peer = 0, probe_count = 0, probe_size = 64;
    auto* sprobe = sess->add_subcommand("probe", "send numbered test messages to a peer (it checks order and loss)");
    sprobe->add_option("peer", probe_peer, "the peer's node id")->required();
    sprobe->add_option("count", probe_count, "how many messages")->required();
    sprobe->add_option("--size", probe_size, "bytes per message (default 64)");
    auto* group = app.add_subcommand("group", "resource groups: list, show, move, online, offline");
    group->require_subcommand(0, 1);
    std::string gname, gnode;
    unsigned move_wait_s = 30;
    group->add_subcommand("list", "every group: owner, state, resources");
    group->add_subcommand("show", "one group and each of its resources")->add_option("group", gname)->required();
    auto* gmove = group->add_subcommand("move", "move a group to another node (offline there first, then online)");
    gmove->add_option("group", gname)->required();
    gmove->add_option("node", gnode, "the new owner: a node name or id")->required();
    gmove->add_option("--wait", move_wait_s, "seconds to wait for it to be online there (0: do not wait; default 30)");
    group->add_subcommand("online", "bring a group online (on its owner)")->add_option("group", gname)->required();
    group->add_subcommand("offline", "take a group offline for good (its DNS records are removed)")
        ->add_option("group", gname)
        ->required();
    auto* resource = app.add_subcommand("resource", "IP Address and Network Name resources: list, show, set");
    resource->require_subcommand(0, 1);
    std::string rname, rmode, raddr;
    resource->add_subcommand("list", "every resource: type, group, owner, state, address or name");
    resource->add_subcommand("show", "one resource in full (lease, DNS registration)")->add_option("name", rname)->required();
    auto* rset = resource->add_subcommand("set", "make an IP Address resource static or DHCP, at once on every node");
    rset->add_option("name", rname)->required();
    rset->add_option("mode", rmode, "static or dhcp")->required()->check(CLI::IsMember({"static", "dhcp"}));
    rset->add_option("address", raddr, "static: ADDR/PREFIX");
    auto* policy = app.add_subcommand("policy", "the traffic policy: show, test FILE.pcap, reload");
    policy->require_subcommand(0, 1);
    std::string pcap;
    policy->add_subcommand("show", "every rule with its hits and bytes, every traffic class");
    policy->add_subcommand("test", "which rule each frame of a capture (of ftnet0 frames, pcap) would hit")
        ->add_option("file", pcap, "the capture, as the daemon can read it")
        ->required();
    policy->add_subcommand("reload", "read the rules from the config file again and swap them in without stopping traffic");
    unsigned max_events = 0;
    app.add_subcommand("events", "follow route and node events as they happen (Ctrl-C to stop)")
        ->add_option("-c,--count", max_events, "exit after this many events");
    std::string raw;
    app.add_subcommand("request", "send a raw JSON request and print the raw reply")
        ->add_option("json", raw, "the request")
        ->required();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);  // prints the help or the error
        return rc == 0 ? kOk : kUsage;
    }

    std::string cmd = app.get_subcommands().front()->get_name();
    json req = {{"cmd", cmd}};
    if (cmd == "log") req["args"] = {{"lines", lines}};
    if (cmd == "link") req["args"] = {{"port", port}, {"state", state}};
    if (cmd == "cluster") {
        std::string action = cluster->get_subcommands().front()->get_name();
        req["args"] = {{"action", action}};
        if (!prop.empty()) req["args"]["name"] = prop;
        if (action == "set") req["args"]["value"] = prop_value;
    }
    if (cmd == "key") {
        const std::string action = key->get_subcommands().empty() ? "list" : key->get_subcommands().front()->get_name();
        req["args"] = {{"action", action}};
        if (action != "list") req["args"]["id"] = key_id;
        if (!key_hex.empty()) req["args"]["key"] = key_hex;
        if (!key_file.empty()) {
            // The daemon opens the file: give it a path it can find.
            char* abs = realpath(key_file.c_str(), nullptr);
            req["args"]["key_file"] = abs ? std::string(abs) : key_file;
            free(abs);
        }
    }
    if (cmd == "session" && !sess->get_subcommands().empty()) {
        cmd = "session-probe";
        req = {{"cmd", cmd}, {"args", {{"peer", probe_peer}, {"count", probe_count}, {"size", probe_size}}}};
    }
    if (cmd == "group") {
        const std::string action = group->get_subcommands().empty() ? "list" : group->get_subcommands().front()->get_name();
        req["args"] = {{"action", action}};
        if (!gname.empty()) req["args"]["name"] = gname;
        if (!gnode.empty()) req["args"]["node"] = gnode;
    }
    if (cmd == "resource") {
        const std::string action = resource->get_subcommands().empty() ? "list" : resource->get_subcommands().front()->get_name();
        req["args"] = {{"action", action}};
        if (!rname.empty()) req["args"]["name"] = rname;
        if (!rmode.empty()) req["args"]["mode"] = rmode;
        if (!raddr.empty()) req["args"]["address"] = raddr;
        if (rmode == "static" && raddr.empty()) {
            std::fprintf(stderr, "ftnetctl: resource set NAME static needs the address (ADDR/PREFIX)\n");
            return 2;
        }
    }
    if (cmd == "policy") {
        const std::string action = policy->get_subcommands().empty() ? "show" : policy->get_subcommands().front()->get_name();
        req["args"] = {{"action", action}};
        if (!pcap.empty()) {
            // The daemon opens the file: give it a path it can find.
            char* abs = realpath(pcap.c_str(), nullptr);
            req["args"]["file"] = abs ? std::string(abs) : pcap;
            free(abs);
        }
    }
    if (cmd == "completion") {
        std::fputs(bash_completion(app).c_str(), stdout);
        return kOk;
    }
    if (cmd == "network") {
        req["args"] = {{"action", "set"}, {"name", net_name}};
        std::string why;
        if (!network_settings(net_settings, req["args"], &why)) {
            std::fprintf(stderr, "ftnetctl: network set: %s\n", why.c_str());
            return kUsage;
        }
    }
    if (cmd == "stats") req["cmd"] = "counters";
    if (cmd == "events") return follow_events(sock, output == "json", max_events);
    req["v"] = 1;
    try {
        if (cmd == "stats" && watch) return watch_stats(sock, watch_interval, watch_count, output == "json");
        std::string line = cmd == "request" ? raw : req.dump();
        std::string reply = transact(sock, line);
        if (cmd == "request") {
            std::printf("%s\n", reply.c_str());
            json r = json::parse(reply, nullptr, false);
            return !r.is_object() ? kUnreachable : r.value("ok", false) ? kOk : exit_for_error(r.value("error", std::string()));
        }
        json r = json::parse(reply);
        if (!r.value("ok", false)) {
            const std::string err = r.value("error", std::string("unknown error"));
            std::fprintf(stderr, "ftnetctl: %s\n", err.c_str());
            return exit_for_error(err);
        }
        if (output == "json")
            std::printf("%s\n", r["result"].dump(2).c_str());
        else if (cmd == "stats")
            std::fputs(render_stats(r["result"]).c_str(), stdout);
        else if (cmd == "version")
            std::printf("ftnetctl %s\nftnetd %s, management protocol %d, %s\n", FTNET_VERSION,
                        r["result"].value("ftnetd", std::string("?")).c_str(), r["result"].value("protocol", 0),
                        r["result"].value("dpdk", std::string("?")).c_str());
        else
            std::fputs(render(cmd, r["result"]).c_str(), stdout);
        if (cmd == "group" && req["args"]["action"] == "move" && move_wait_s > 0)
            return wait_for_move(sock, gname, gnode, move_wait_s, output == "json");
        // A reload that refused a change: the rest is in force, but the
        // file is not; scripts must see it.
        if (cmd == "reload" && !r["result"].value("refused", json::array()).empty()) return kRefused;
        return kOk;
    } catch (const ClientError& e) {
        if (cmd == "version" && output != "json") std::printf("ftnetctl %s\n", FTNET_VERSION);
        std::fprintf(stderr, "ftnetctl: %s\n", e.what());
        return e.code;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ftnetctl: %s\n", e.what());
        return kUnreachable;
    }
}
