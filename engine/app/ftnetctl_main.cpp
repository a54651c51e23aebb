// ftnetctl: inspect and drive a running ftnetd over its management socket.
//
//   ftnetctl [-s SOCKET] [-o text|json] status|routes|interfaces|counters|
//            nodes|neighbors|hosts|log [-n N]|link PORT up|down|
//            cluster get [NAME]|cluster set NAME VALUE|events [-c N]|request JSON|
//            group [list|show G|move G NODE [--wait S]|online G|offline G]|
//            resource [list|show NAME|set NAME static ADDR/PREFIX|set NAME dhcp]|
//            policy [show|test FILE.pcap|reload]|dns|dhcp
//
// Exit status: 0 success, 1 the daemon answered with an error, 2 usage or
// connection problems.

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/app/ftnetctl_render.h"

namespace {

using nlohmann::json;

// Sends one request line and returns the reply line; throws on I/O errors.
std::string transact(const std::string& path, const std::string& line) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
        int e = errno;
        close(fd);
        throw std::runtime_error("cannot connect to " + path + ": " + std::strerror(e) + " (is ftnetd running?)");
    }
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string req = line + "\n";
    if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
        close(fd);
        throw std::runtime_error("cannot send the request");
    }
    std::string reply;
    char buf[65536];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        reply.append(buf, static_cast<size_t>(n));
        if (reply.find('\n') != std::string::npos) break;
    }
    close(fd);
    auto nl = reply.find('\n');
    if (nl == std::string::npos) throw std::runtime_error("no reply from ftnetd (timed out or connection closed)");
    return reply.substr(0, nl);
}

// Subscribes and prints each event line until the daemon goes away, the
// count is reached, or Ctrl-C.
int follow_events(const std::string& path, bool as_json, unsigned max_events) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
        std::fprintf(stderr, "ftnetctl: cannot connect to %s: %s (is ftnetd running?)\n", path.c_str(), std::strerror(errno));
        return 2;
    }
    const std::string req = "{\"cmd\":\"events\"}\n";
    if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) < 0) return 2;
    std::string buf;
    char tmp[65536];
    bool subscribed = false;
    unsigned seen = 0;
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    for (;;) {
        size_t nl;
        while ((nl = buf.find('\n')) != std::string::npos) {
            std::string line = buf.substr(0, nl);
            buf.erase(0, nl + 1);
            if (!subscribed) {
                json r = json::parse(line, nullptr, false);
                if (!r.is_object() || !r.value("ok", false)) {
                    std::fprintf(stderr, "ftnetctl: %s\n", line.c_str());
                    return 1;
                }
                subscribed = true;
                continue;
            }
            if (as_json)
                std::printf("%s\n", line.c_str());
            else
                std::fputs(ftnet::ctl::render_event(json::parse(line, nullptr, false)).c_str(), stdout);
            if (max_events && ++seen >= max_events) return 0;
        }
        ssize_t n = recv(fd, tmp, sizeof tmp, 0);
        if (n <= 0) {
            std::fprintf(stderr, "ftnetctl: ftnetd closed the event stream\n");
            return subscribed ? 0 : 2;
        }
        buf.append(tmp, static_cast<size_t>(n));
    }
}

// After `group move`: polls `group show` until the group is online on the
// new owner (exit 0) or the time is up (exit 1, with its state).
int wait_for_move(const std::string& sock, const std::string& group, const std::string& node, unsigned seconds, bool quiet) {
    const json req = {{"cmd", "group"}, {"args", {{"action", "show"}, {"name", group}}}};
    json g;
    for (unsigned i = 0; i < seconds * 10; i++) {
        json r = json::parse(transact(sock, req.dump()), nullptr, false);
        if (r.is_object() && r.value("ok", false)) {
            g = r["result"];
            const bool there = g.value("owner", std::string()) == node || std::to_string(g.value("owner_id", 0)) == node;
            if (there && !g.contains("moving_to") && g.value("state", std::string()) == "online") {
                if (!quiet) std::printf("group %s is online on %s\n", group.c_str(), g["owner"].get<std::string>().c_str());
                return 0;
            }
        }
        usleep(100000);
    }
    std::fprintf(stderr, "ftnetctl: group %s is not online on %s after %u s: owner %s, %s\n", group.c_str(), node.c_str(),
                 seconds, g.value("owner", std::string("?")).c_str(), g.value("state", std::string("?")).c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"ftnetctl: manage a running ftnetd"};
    const char* env = std::getenv("FTNET_SOCKET");
    std::string sock = env ? env : "/run/ftnet/ftnetd.sock";
    std::string output = "text";
    app.add_option("-s,--socket", sock, "management socket of ftnetd (env FTNET_SOCKET)");
    app.add_option("-o,--output", output, "output format")->check(CLI::IsMember({"text", "json"}));
    app.require_subcommand(1);
    for (const char* c : {"status", "routes", "interfaces", "counters", "nodes", "neighbors", "membership", "hosts", "dns", "dhcp", "metrics"})
        app.add_subcommand(c, std::string("show ") + c);
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
    CLI11_PARSE(app, argc, argv);

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
        if (!key_file.empty()) req["args"]["key_file"] = key_file;
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
    if (cmd == "events") return follow_events(sock, output == "json", max_events);
    try {
        std::string line = cmd == "request" ? raw : req.dump();
        std::string reply = transact(sock, line);
        if (cmd == "request") {
            std::printf("%s\n", reply.c_str());
            json r = json::parse(reply, nullptr, false);
            return r.is_object() && r.value("ok", false) ? 0 : 1;
        }
        json r = json::parse(reply);
        if (!r.value("ok", false)) {
            std::fprintf(stderr, "ftnetctl: %s\n", r.value("error", std::string("unknown error")).c_str());
            return 1;
        }
        if (output == "json")
            std::printf("%s\n", r["result"].dump(2).c_str());
        else
            std::fputs(ftnet::ctl::render(cmd, r["result"]).c_str(), stdout);
        if (cmd == "group" && req["args"]["action"] == "move" && move_wait_s > 0)
            return wait_for_move(sock, gname, gnode, move_wait_s, output == "json");
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ftnetctl: %s\n", e.what());
        return 2;
    }
}
