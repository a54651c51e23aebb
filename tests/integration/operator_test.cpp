// The operator's tools against a running lab (issue 14): networks shown and
// changed at run time, a config reload that changes metrics, heartbeat
// properties and keys while a 1 ms probe stream and a TCP transfer cross
// ftnet0 (nothing lost), an invalid reload that changes nothing, read-only
// access through SO_PEERCRED, hostile management clients, ftnetctl's exit
// codes, and the completion script listing every command.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <thread>

#include "tests/integration/lab_fixture.h"

namespace ftnet::itest {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::string slurp_file(const std::string& p) {
    std::ifstream f(p);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

void write_file(const std::string& p, const std::string& s) { std::ofstream(p) << s; }

void replace_in_file(const std::string& p, const std::string& from, const std::string& to) {
    std::string s = slurp_file(p);
    const auto at = s.find(from);
    ASSERT_NE(at, std::string::npos) << from << " in " << p;
    s.replace(at, from.size(), to);
    write_file(p, s);
}

class Operator : public testing::Test {
  protected:
    void start(const NodeOptions& o = {}) {
        lab = std::make_unique<Lab>();
        lab->start_all(o, 30s);
    }
    void TearDown() override { lab.reset(); }

    std::string ctl(int n) const { return build_root() + "/ftnetctl -s " + lab->socket(n); }
    json in_use(int n, int peer) {
        for (auto& r : lab->ctl(n, "routes"))
            if (r["in_use"].get<bool>() && r["peer_id"] == peer) return r;
        return json();
    }
    json network(int n, const std::string& name) {
        for (auto& x : lab->ctl(n, "networks"))
            if (x["name"] == name) return x;
        return json();
    }

    std::unique_ptr<Lab> lab;
};

TEST_F(Operator, NetworksAreShownAndTheirRoleAndMetricChangeTheRankingAtOnce) {
    start();
    json nets = lab->ctl(1, "networks");
    ASSERT_EQ(nets.size(), 3u) << nets.dump(2);
    json cl = network(1, "cluster");
    EXPECT_EQ(cl["role"], 1);
    EXPECT_EQ(cl["metric"], 100);
    EXPECT_FALSE(cl["metric_auto"]);
    EXPECT_EQ(cl["subnets"], json({"198.18.2.0/24", "fd00:2::/64"}));
    ASSERT_TRUE(eventually([&] { return network(1, "cluster")["state"] == "up"; }, 10s));
    ASSERT_TRUE(eventually([&] { return in_use(1, 2).value("network", "") == "cluster"; }, 10s)) << in_use(1, 2).dump();

    BgProcess recv(lab->node_ns(2), build_root() + "/ftnet-xfer recv 5001", lab->dir() + "/recv.out");
    ASSERT_TRUE(eventually([&] { return recv.output().find("listening") != std::string::npos; }, 5s));
    BgProcess send(lab->node_ns(1), build_root() + "/ftnet-xfer send 169.254.1.2 5001 24M 3 100", lab->dir() + "/send.out");
    std::this_thread::sleep_for(300ms);

    // A higher metric than storage's 200: storage carries the traffic now.
    CmdResult r = run("", ctl(1) + " network set cluster metric=500");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("metric    500"), std::string::npos) << r.out;
    EXPECT_EQ(in_use(1, 2).value("network", ""), "storage") << "ranked again at once";
    std::this_thread::sleep_for(300ms);
    // Back to automatic: no gateway on the lab's networks, so 1000, the first
    // automatic metric: still after storage.
    ASSERT_EQ(run("", ctl(1) + " network set cluster metric=auto").status, 0);
    cl = network(1, "cluster");
    EXPECT_TRUE(cl["metric_auto"]);
    EXPECT_EQ(cl["metric"], 1000);
    // Role 0: the storage network carries no cluster traffic; cluster does.
    ASSERT_EQ(run("", ctl(1) + " network set storage role=0").status, 0);
    EXPECT_EQ(network(1, "storage")["state"], "not used");
    EXPECT_EQ(network(1, "storage")["routes"], 0);
    for (auto& route : lab->ctl(1, "routes")) EXPECT_NE(route["network"], "storage") << route.dump();
    EXPECT_NE(in_use(1, 2).value("network", ""), "storage");
    std::this_thread::sleep_for(300ms);
    ASSERT_EQ(run("", ctl(1) + " network set storage role=1 metric=200").status, 0);
    EXPECT_TRUE(eventually([&] { return in_use(1, 2).value("network", "") == "storage"; }, 5s)) << "its routes come back";

    // Bad settings: a usage error (2) or the daemon's refusal (1), and nothing changes.
    EXPECT_EQ(run("", ctl(1) + " network set storage role=2").status, 2);
    EXPECT_EQ(run("", ctl(1) + " network set storage colour=blue").status, 2);
    r = run("", ctl(1) + " network set nosuch metric=5");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("no network \"nosuch\" (known: public, cluster, storage)"), std::string::npos) << r.out;
    json odd = lab->request(1, {{"cmd", "network"}, {"args", {{"name", "storage"}, {"metric", "-4"}}}});
    EXPECT_FALSE(odd["ok"]) << odd.dump();
    EXPECT_EQ(network(1, "storage")["metric"], 200);

    ASSERT_EQ(send.wait(60s), 0) << send.output();
    ASSERT_EQ(recv.wait(30s), 0) << recv.output();
    EXPECT_EQ(expect_transfer_intact(send.output(), recv.output()), 24ull << 20) << "the transfer went on throughout";
    EXPECT_NE(lab->node_log(1).find("network cluster changed by the operator"), std::string::npos);
}

TEST_F(Operator, ANetworkCarryingClientAddressesKeepsRole3) {
    NodeOptions o;
    o.append = R"(
[[resource]]
name = "ipA"
type = "ip_address"
network = "public"
address = "198.18.1.50/24"

[[group]]
name = "web"
resources = ["ipA"]
preferred_owners = ["node1"]
)";
    start(o);
    CmdResult r = run("", ctl(1) + " network set public role=1");
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_NE(r.out.find("network public: IP Address resource ipA is on it: client addresses need role 3"), std::string::npos)
        << r.out;
    EXPECT_EQ(network(1, "public")["role"], 3);
    EXPECT_EQ(run("", ctl(1) + " network set public metric=50").status, 0) << "its metric may change";
    // The same change in the file: the file is invalid (the resource's
    // key names why), so the valid metric in it waits too.
    replace_in_file(lab->config_path(1), "role = 3", "role = 1");
    replace_in_file(lab->config_path(1), "metric = 100\n", "metric = 300\n");
    json rel = lab->request(1, {{"cmd", "reload"}});
    EXPECT_FALSE(rel["ok"]);
    EXPECT_NE(rel.dump().find("resource[0].network: network \\\"public\\\" has role 1"), std::string::npos) << rel.dump(2);
    EXPECT_EQ(network(1, "public")["role"], 3);
    EXPECT_EQ(network(1, "cluster")["metric"], 100);
    EXPECT_EQ(run("", ctl(1) + " reload").status, 1) << "a refused reload is exit 1";
}

TEST_F(Operator, AReloadAppliesMetricsPropertiesAndKeysWithoutLosingAFrame) {
    start();
    ASSERT_TRUE(eventually([&] { return in_use(1, 2).value("network", "") == "cluster"; }, 10s));
    const std::string b = build_root();
    const std::string l12 = lab->dir() + "/p12.bin", l21 = lab->dir() + "/p21.bin";
    BgProcess r12(lab->node_ns(2), b + "/ftnet-probe recv 7001 " + l12, lab->dir() + "/r12.out");
    BgProcess r21(lab->node_ns(1), b + "/ftnet-probe recv 7001 " + l21, lab->dir() + "/r21.out");
    BgProcess xr(lab->node_ns(2), b + "/ftnet-xfer recv 5001", lab->dir() + "/xr.out");
    for (auto* p : {&r12, &r21, &xr}) ASSERT_TRUE(eventually([&] { return p->output().find("listening") != std::string::npos; }, 5s));
    BgProcess p12(lab->node_ns(1), b + "/ftnet-probe send 169.254.1.2 7001 1000 6", lab->dir() + "/p12.out");
    BgProcess p21(lab->node_ns(2), b + "/ftnet-probe send 169.254.1.1 7001 1000 6", lab->dir() + "/p21.out");
    BgProcess xs(lab->node_ns(1), b + "/ftnet-xfer send 169.254.1.2 5001 8M 5 20", lab->dir() + "/xs.out");
    std::this_thread::sleep_for(1s);

    // Both files: the cluster network after storage, slower heartbeats, a
    // second key sealed with from now on, and a [dataplane] change that
    // can only wait for a restart.
    for (int n = 1; n <= 2; n++) {
        const std::string p = lab->config_path(n);
        replace_in_file(p, "metric = 100\n", "metric = 300\n");
        replace_in_file(p, "SameSubnetDelay = 20 ", "SameSubnetDelay = 40 ");
        replace_in_file(p, "idle_polls = 64", "idle_polls = 32");
        write_file(p, slurp_file(p) + "\n[security]\nprimary_key = 1\n[[security.keys]]\nid = 2\nkey = \"" +
                          std::string(32, 'a') + "\"\n");
    }
    json reply[3];
    for (int n = 1; n <= 2; n++) {
        reply[n] = lab->ctl(n, "reload");
        std::this_thread::sleep_for(200ms);
    }
    for (int n = 1; n <= 2; n++) {
        const std::string dump = reply[n].dump(2);
        EXPECT_NE(dump.find("network cluster: role 1 -> 1, metric 100 -> 300"), std::string::npos) << dump;
        EXPECT_NE(dump.find("cluster property SameSubnetDelay 20 -> 40"), std::string::npos) << dump;
        EXPECT_NE(dump.find("security: key 2 added"), std::string::npos) << dump;
        EXPECT_NE(dump.find("[dataplane] changed: applied at the next restart"), std::string::npos) << dump;
        EXPECT_TRUE(reply[n]["refused"].empty()) << dump;
    }
    EXPECT_EQ(in_use(1, 2).value("network", ""), "storage");
    // Then every node seals with key 2 (the file says so), the old key retired.
    for (int n = 1; n <= 2; n++) {
        const std::string p = lab->config_path(n);
        replace_in_file(p, "primary_key = 1", "primary_key = 2");
        lab->ctl(n, "reload");
    }
    for (int n = 1; n <= 2; n++) EXPECT_EQ(lab->ctl(n, "status")["security"]["primary_key"], 2);
    // Reloaded again, the file applies nothing new; [dataplane] still waits.
    json again = lab->ctl(1, "reload");
    EXPECT_TRUE(again["applied"].empty()) << again.dump();
    EXPECT_EQ(again["changed"], json({"dataplane"})) << again.dump();

    for (auto* p : {&p12, &p21}) EXPECT_EQ(p->wait(30s), 0) << p->output();
    EXPECT_EQ(xs.wait(60s), 0) << xs.output();
    EXPECT_EQ(xr.wait(30s), 0) << xr.output();
    EXPECT_EQ(expect_transfer_intact(xs.output(), xr.output()), 8ull << 20);
    std::this_thread::sleep_for(200ms);
    r12.stop(SIGTERM);
    r21.stop(SIGTERM);
    for (auto* log : {&l12, &l21}) {
        ProbeSummary s = summarize_probes(read_probe_log(*log));
        EXPECT_GT(s.expected, 4000u);
        EXPECT_EQ(s.lost(), 0u) << *log << ": max gap " << s.max_gap_ms << " ms";
    }
    json props = lab->ctl(1, "cluster", {{"name", "SameSubnetDelay"}});
    EXPECT_EQ(props["properties"][0]["value"], 40);
}

// The issue's case: one reload that changes metrics, adds a peer and
// changes heartbeat properties, on two running nodes in turn, with a 1 ms
// probe stream and a TCP transfer between them; then the new node starts
// and joins the membership, and traffic reaches it.
TEST_F(Operator, AReloadAddsANodeWhileTrafficFlowsAndTheNodeJoins) {
    lab = std::make_unique<Lab>(3);
    NodeOptions two;
    two.cluster_nodes = 2;
    lab->start_node(1, two);
    lab->start_node(2, two);
    lab->wait_ready(1, 30s);
    lab->wait_ready(2, 30s);
    ASSERT_TRUE(eventually([&] { return lab->ctl(1, "membership")["members"].size() == 2; }, 10s))
        << lab->ctl(1, "membership").dump();
    const std::string b = build_root();
    const std::string l12 = lab->dir() + "/a12.bin";
    BgProcess r12(lab->node_ns(2), b + "/ftnet-probe recv 7001 " + l12, lab->dir() + "/a12r.out");
    BgProcess xr(lab->node_ns(2), b + "/ftnet-xfer recv 5001", lab->dir() + "/axr.out");
    for (auto* p : {&r12, &xr}) ASSERT_TRUE(eventually([&] { return p->output().find("listening") != std::string::npos; }, 5s));
    BgProcess p12(lab->node_ns(1), b + "/ftnet-probe send 169.254.1.2 7001 1000 5", lab->dir() + "/a12s.out");
    BgProcess xs(lab->node_ns(1), b + "/ftnet-xfer send 169.254.1.2 5001 8M 5 20", lab->dir() + "/axs.out");
    std::this_thread::sleep_for(1s);

    NodeOptions three;
    three.replace = {{"metric = 100\n", "metric = 300\n"}, {"SameSubnetDelay = 20 ", "SameSubnetDelay = 30 "}};
    for (int n = 1; n <= 2; n++) {
        lab->write_config(n, three);
        json r = lab->ctl(n, "reload");
        const std::string dump = r.dump(2);
        EXPECT_NE(dump.find("peer node3 (node 3) added"), std::string::npos) << dump;
        EXPECT_NE(dump.find("metric 100 -> 300"), std::string::npos) << dump;
        EXPECT_NE(dump.find("SameSubnetDelay 20 -> 30"), std::string::npos) << dump;
        EXPECT_TRUE(r["refused"].empty()) << dump;
        EXPECT_TRUE(r["restart"].empty()) << dump;
        std::this_thread::sleep_for(300ms);
    }
    EXPECT_EQ(lab->ctl(1, "membership")["members"].size(), 2u) << "node 3 is not up yet: the view stays";
    lab->start_node(3, three);
    lab->wait_ready(3, 30s);
    for (int n = 1; n <= 3; n++)
        EXPECT_TRUE(eventually([&] { return lab->ctl(n, "membership")["members"].size() == 3; }, 15s))
            << n << ": " << lab->ctl(n, "membership").dump();
    CmdResult ping = run(lab->node_ns(1), "ping -c 3 -i 0.2 -W 2 169.254.1.3");
    EXPECT_EQ(ping.status, 0) << ping.out;
    EXPECT_EQ(lab->ctl(3, "session").size(), 2u);

    EXPECT_EQ(p12.wait(30s), 0) << p12.output();
    EXPECT_EQ(xs.wait(60s), 0) << xs.output();
    EXPECT_EQ(xr.wait(30s), 0) << xr.output();
    EXPECT_EQ(expect_transfer_intact(xs.output(), xr.output()), 8ull << 20);
    std::this_thread::sleep_for(200ms);
    r12.stop(SIGTERM);
    ProbeSummary s = summarize_probes(read_probe_log(l12));
    EXPECT_GT(s.expected, 4000u);
    EXPECT_EQ(s.lost(), 0u) << "max gap " << s.max_gap_ms << " ms";
    // Node 3 leaves the cluster: the others reload the two-node file, then
    // it stops. They keep quorum as a cluster of two (2 of 2 votes), which
    // they would also have as 2 of 3, so the count itself is checked.
    for (int n = 1; n <= 2; n++) {
        lab->write_config(n, two);
        json r = lab->ctl(n, "reload");
        EXPECT_NE(r.dump().find("peer node3 (node 3) removed"), std::string::npos) << r.dump(2);
        EXPECT_TRUE(r["restart"].empty()) << r.dump(2);
    }
    lab->daemon(3).stop(SIGTERM);
    for (int n = 1; n <= 2; n++) {
        EXPECT_TRUE(eventually([&] { return lab->ctl(n, "membership")["members"].size() == 2; }, 15s))
            << lab->ctl(n, "membership").dump();
        const json m = lab->ctl(n, "membership");
        EXPECT_EQ(m["quorum"]["total"], 2) << m.dump();
        EXPECT_TRUE(m["quorum"]["has"]) << m.dump();
        EXPECT_EQ(lab->ctl(n, "nodes").size(), 2u) << "node 3 is no peer any more";
        for (auto& route : lab->ctl(n, "routes")) EXPECT_NE(route["peer_id"], 3) << route.dump();
    }
    // And it may come back: the same file again, node 3 restarted.
    for (int n = 1; n <= 2; n++) {
        lab->write_config(n, three);
        json r = lab->ctl(n, "reload");
        EXPECT_NE(r.dump().find("peer node3 (node 3) added again"), std::string::npos) << r.dump(2);
    }
    lab->start_node(3, three);
    lab->wait_ready(3, 30s);
    EXPECT_TRUE(eventually([&] { return lab->ctl(1, "membership")["members"].size() == 3; }, 15s))
        << lab->ctl(1, "membership").dump();
    EXPECT_EQ(run(lab->node_ns(1), "ping -c 2 -i 0.2 -W 2 169.254.1.3").status, 0);
    // A renamed node waits for a restart, and says so.
    NodeOptions renamed = three;
    renamed.replace.push_back({"name = \"node3\"", "name = \"node3b\""});
    lab->write_config(1, renamed);
    json r = lab->ctl(1, "reload");
    EXPECT_NE(r.dump().find("[[peer]] node 3 renamed node3 -> node3b: applied at the next restart"), std::string::npos)
        << r.dump(2);
}

TEST_F(Operator, AnInvalidReloadNamesTheKeyAndLineAndChangesNothing) {
    start();
    const std::string p = lab->config_path(1);
    const json before = lab->ctl(1, "networks");
    replace_in_file(p, "metric = 100\n", "metric = 300\n");
    replace_in_file(p, "SameSubnetThreshold = 3", "SameSubnetThreshold = 9999");
    json r = lab->request(1, {{"cmd", "reload"}});
    ASSERT_FALSE(r["ok"]) << r.dump();
    const std::string err = r["error"];
    EXPECT_NE(err.find("cluster.SameSubnetThreshold"), std::string::npos) << err;
    EXPECT_NE(err.find("nothing changed"), std::string::npos) << err;
    EXPECT_NE(err.find(".toml:"), std::string::npos) << "names the line: " << err;
    EXPECT_EQ(lab->ctl(1, "networks"), before) << "the valid metric change in the same file was not applied";
    // SIGHUP with the same file: refused and logged, the daemon runs on.
    kill(lab->daemon(1).pid(), SIGHUP);
    ASSERT_TRUE(eventually([&] { return lab->node_log(1).find("reload (SIGHUP) refused, nothing changed") != std::string::npos; }, 5s))
        << lab->node_log(1);
    EXPECT_EQ(lab->ctl(1, "status")["reload"]["refused"], 2);
    // Fixed: SIGHUP applies it.
    replace_in_file(p, "SameSubnetThreshold = 9999", "SameSubnetThreshold = 3");
    kill(lab->daemon(1).pid(), SIGHUP);
    EXPECT_TRUE(eventually([&] { return network(1, "cluster")["metric"] == 300; }, 5s));
}

TEST_F(Operator, ReadOnlyClientsMayReadButNotChange) {
    NodeOptions o;
    o.replace = {{"[management]\n", "[management]\nread_only_everyone = true\n"}};
    lab = std::make_unique<Lab>();
    lab->start_node(1, o);
    lab->start_node(2);
    lab->wait_ready(1, 30s);
    lab->wait_ready(2, 30s);
    const std::string as_nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
    CmdResult r = run("", as_nobody + ctl(1) + " -o json status");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(json::parse(r.out)["node"]["name"], "node1");
    EXPECT_EQ(run("", as_nobody + ctl(1) + " group list").status, 0);
    r = run("", as_nobody + ctl(1) + " link cluster down");
    EXPECT_EQ(r.status, 4) << r.out;
    EXPECT_NE(r.out.find("permission denied: link changes the engine"), std::string::npos) << r.out;
    EXPECT_EQ(run("", as_nobody + ctl(1) + " network set cluster metric=5").status, 4);
    EXPECT_EQ(run("", as_nobody + ctl(1) + " reload").status, 4);
    EXPECT_EQ(network(1, "cluster")["metric"], 100) << "nothing changed";
    // Node 2 keeps the default: root only, and nobody cannot even connect.
    r = run("", as_nobody + ctl(2) + " status");
    EXPECT_EQ(r.status, 4) << r.out;
    // One local user cannot take every slot: the 17th connection of nobody
    // is told so while root is still served.
    const std::string hog = "import socket, time, json\n"
                            "s = []\n"
                            "for i in range(17):\n"
                            "    c = socket.socket(socket.AF_UNIX); c.connect('" + lab->socket(1) + "'); s.append(c)\n"
                            "time.sleep(0.5)\n"
                            "s[16].settimeout(2)\n"
                            "print(s[16].recv(4096).decode().strip())\n";
    std::ofstream(lab->dir() + "/hog.py") << hog;
    r = run("", as_nobody + "/usr/bin/python3 " + lab->dir() + "/hog.py");
    EXPECT_NE(r.out.find("too many management clients of uid 65534 (16)"), std::string::npos) << r.out;
    // Root may change.
    EXPECT_EQ(run("", ctl(1) + " network set cluster metric=150").status, 0);
    EXPECT_GE(lab->ctl(1, "status")["management"]["denied"].get<int>(), 3);
}

// Raw clients of the management socket.
int connect_unix(const std::string& path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

TEST_F(Operator, HostileManagementClientsLeaveTheDaemonServingAndForwarding) {
    start();
    const std::string b = build_root();
    const std::string l12 = lab->dir() + "/h12.bin";
    BgProcess r12(lab->node_ns(2), b + "/ftnet-probe recv 7001 " + l12, lab->dir() + "/h12r.out");
    ASSERT_TRUE(eventually([&] { return r12.output().find("listening") != std::string::npos; }, 5s));
    BgProcess p12(lab->node_ns(1), b + "/ftnet-probe send 169.254.1.2 7001 1000 5", lab->dir() + "/h12s.out");

    // 200 clients at once: some served, the rest told so and closed.
    std::vector<int> fds;
    for (int i = 0; i < 200; i++) fds.push_back(connect_unix(lab->socket(1)));
    EXPECT_EQ(std::count(fds.begin(), fds.end(), -1), 0) << "every connect succeeds (deep backlog)";
    // Garbage, a wrong type, an unknown command, an oversized line, one
    // that never reads, silence: each from one of them.
    auto say = [](int fd, const std::string& s) { return send(fd, s.data(), s.size(), MSG_NOSIGNAL); };
    say(fds[0], "{{{{ not json\n");
    say(fds[1], "{\"cmd\": \"routes\", \"args\": {\"x\": [1,2]}}\n");
    say(fds[2], "{\"cmd\": \"no-such-command\"}\n");
    say(fds[3], std::string(100000, 'x'));
    for (int i = 0; i < 200; i++) say(fds[4], "{\"cmd\":\"help\"}\n");  // and never reads
    say(fds[5], "{\"cmd\": \"cluster\", \"args\": {\"action\": \"set\", \"name\": \"SameSubnetDelay\", \"value\": \"x\"}}\n");
    std::this_thread::sleep_for(500ms);
    auto reply_of = [](int fd) {
        std::string s;
        char buf[4096];
        timeval tv{2, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ssize_t n;
        while (s.find('\n') == std::string::npos && (n = recv(fd, buf, sizeof buf, 0)) > 0) s.append(buf, static_cast<size_t>(n));
        return s.substr(0, s.find('\n'));
    };
    EXPECT_EQ(json::parse(reply_of(fds[0]))["error"], "the request is not valid JSON");
    EXPECT_NE(reply_of(fds[1]).find("unknown argument \\\"x\\\""), std::string::npos);
    EXPECT_NE(reply_of(fds[2]).find("unknown command"), std::string::npos);
    EXPECT_NE(reply_of(fds[3]).find("request longer than 64 KiB"), std::string::npos);
    EXPECT_NE(reply_of(fds[5]).find("must be a integer"), std::string::npos);
    int refused = 0;
    for (int i = 64; i < 200; i++) refused += reply_of(fds[i]).find("too many management clients") != std::string::npos;
    EXPECT_GT(refused, 100) << "clients past the limit are told so";
    // A well-behaved client still gets its answer, many times over.
    for (int i = 0; i < 20; i++) {
        CmdResult r = run("", ctl(1) + " -o json status");
        if (r.status != 0) {
            // The slots may be full of the hostile clients above until they
            // are closed: a refusal says so (exit 1), never a hang.
            EXPECT_NE(r.out.find("too many management clients"), std::string::npos) << r.out;
        }
    }
    for (int fd : fds)
        if (fd >= 0) close(fd);
    CmdResult r = run("", ctl(1) + " -o json status");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(p12.wait(30s), 0);
    std::this_thread::sleep_for(200ms);
    r12.stop(SIGTERM);
    ProbeSummary s = summarize_probes(read_probe_log(l12));
    EXPECT_EQ(s.lost(), 0u) << "forwarding went on: max gap " << s.max_gap_ms << " ms";
    json st = lab->ctl(1, "status")["management"];
    EXPECT_GE(st["refused_busy"].get<int>(), 100) << st.dump();
    EXPECT_EQ(st["closed_overlong"], 1) << st.dump();
}

TEST_F(Operator, TheServiceManagerHearsReadyStatusWatchdogAndStopping) {
    lab = std::make_unique<Lab>();
    // A socket standing in for systemd's (a path: abstract sockets belong
    // to a network namespace and the node runs in its own).
    const std::string path = lab->dir() + "/notify.sock";
    int sd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    ASSERT_EQ(bind(sd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    timeval tv{0, 200000};
    setsockopt(sd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setenv("NOTIFY_SOCKET", path.c_str(), 1);
    setenv("WATCHDOG_USEC", "600000", 1);
    lab->start_node(1);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    lab->start_node(2);
    std::vector<std::string> got;
    auto next = [&] {
        char buf[4096];
        ssize_t n = recv(sd, buf, sizeof buf, 0);
        if (n > 0) got.emplace_back(buf, static_cast<size_t>(n));
        return n > 0 ? got.back() : std::string();
    };
    bool ready = false;
    for (int i = 0; i < 150 && !ready; i++) ready = next().rfind("READY=1", 0) == 0;
    ASSERT_TRUE(ready) << "READY=1 within 30 s";
    // Ready means serving: the management socket answers at once.
    EXPECT_TRUE(lab->request(1, {{"cmd", "status"}})["ok"]);
    lab->wait_ready(2, 30s);
    int watchdog = 0;
    bool status = false;
    for (int i = 0; i < 40; i++) {
        const std::string m = next();
        watchdog += m == "WATCHDOG=1";
        status = status || m.find("STATUS=running: routes") != std::string::npos;
    }
    EXPECT_GE(watchdog, 5) << "pinged every 200 ms";
    EXPECT_TRUE(status) << "routes and peers in STATUS=";
    lab->daemon(1).stop(SIGTERM);
    bool stopping = false;
    for (int i = 0; i < 50 && !stopping; i++) stopping = next().rfind("STOPPING=1", 0) == 0;
    EXPECT_TRUE(stopping);
    close(sd);
    // Without NOTIFY_SOCKET (node 2) nothing is attempted and nothing fails.
    EXPECT_EQ(lab->node_log(2).find("watchdog"), std::string::npos);
}

// Same keys, same array lengths, same kinds of values (counters and
// clocks move between the two reads, nothing else may differ in shape).
bool same_shape(const json& a, const json& b, std::string* where, const std::string& at = "") {
    if (a.is_number() && b.is_number()) return true;
    if (a.type() != b.type()) {
        *where = at + ": " + a.type_name() + " vs " + b.type_name();
        return false;
    }
    if (a.is_object()) {
        for (auto& [k, v] : a.items())
            if (!b.contains(k) || !same_shape(v, b[k], where, at + "." + k)) {
                if (where->empty()) *where = at + "." + k + " missing";
                return false;
            }
        if (a.size() != b.size()) {
            *where = at + ": " + std::to_string(a.size()) + " vs " + std::to_string(b.size()) + " keys";
            return false;
        }
    }
    if (a.is_array()) {
        if (a.size() != b.size()) {
            *where = at + ": " + std::to_string(a.size()) + " vs " + std::to_string(b.size()) + " elements";
            return false;
        }
        for (size_t i = 0; i < a.size(); i++)
            if (!same_shape(a[i], b[i], where, at + "[" + std::to_string(i) + "]")) return false;
    }
    return true;
}

TEST_F(Operator, EveryReadingCommandOfFtnetctlShowsTheDaemonsStateInTextAndJson) {
    start();
    struct Case {
        std::string cli, cmd;
        json args;
    };
    const std::vector<Case> cases = {
        {"status", "status", nullptr},       {"routes", "routes", nullptr},
        {"interfaces", "interfaces", nullptr}, {"counters", "counters", nullptr},
        {"stats", "counters", nullptr},      {"nodes", "nodes", nullptr},
        {"networks", "networks", nullptr},   {"neighbors", "neighbors", nullptr},
        {"membership", "membership", nullptr}, {"hosts", "hosts", nullptr},
        {"dns", "dns", nullptr},             {"dhcp", "dhcp", nullptr},
        {"metrics", "metrics", nullptr},     {"path-mtu", "path-mtu", nullptr},
        {"capture", "capture", nullptr},     {"session", "session", nullptr},
        {"group", "group", {{"action", "list"}}}, {"resource", "resource", {{"action", "list"}}},
        {"policy show", "policy", {{"action", "show"}}}, {"cluster get", "cluster", {{"action", "get"}}},
        {"key list", "key", {{"action", "list"}}}, {"version", "version", nullptr},
        {"log -n 5", "log", {{"lines", 5}}},
    };
    for (const Case& c : cases) {
        CmdResult j = run("", ctl(1) + " -o json " + c.cli + " 2>/dev/null");
        ASSERT_EQ(j.status, 0) << c.cli << ": " << j.out;
        const json from_cli = json::parse(j.out, nullptr, false);
        ASSERT_FALSE(from_cli.is_discarded()) << c.cli << ": " << j.out;
        const json from_socket = lab->ctl(1, c.cmd, c.args.is_null() ? json::object() : c.args);
        std::string where;
        EXPECT_TRUE(same_shape(from_cli, from_socket, &where)) << c.cli << " differs at " << where;
        CmdResult t = run("", ctl(1) + " " + c.cli);
        EXPECT_EQ(t.status, 0) << c.cli << ": " << t.out;
        EXPECT_FALSE(t.out.empty()) << c.cli;
        EXPECT_EQ(t.out.find("[json.exception"), std::string::npos) << c.cli << ": " << t.out;
    }
    // The values a script would read agree with the engine's state.
    const json nets = json::parse(run("", ctl(1) + " -o json networks").out);
    EXPECT_EQ(nets, lab->ctl(1, "networks"));
    const json nodes = json::parse(run("", ctl(1) + " -o json nodes").out);
    ASSERT_EQ(nodes.size(), 2u);
    EXPECT_EQ(nodes[1]["name"], "node2");
}

TEST_F(Operator, EveryDaemonCommandHasACliCommandAndCompletionListsThem) {
    start();
    const std::string completion = run("", build_root() + "/ftnetctl completion bash").out;
    const CmdResult help = run("", build_root() + "/ftnetctl --help");
    for (auto& c : lab->ctl(1, "help")) {
        const std::string name = c["name"];
        if (name == "help" || name == "session-probe") continue;  // `request`, `session probe`
        EXPECT_NE(completion.find(" " + name + " "), std::string::npos) << name << " missing from the completion";
        EXPECT_NE(help.out.find("  " + name + " "), std::string::npos) << name << " missing from ftnetctl";
    }
    for (const char* c : {"version", "stats", "reload", "network", "networks", "events", "completion"})
        EXPECT_NE(completion.find(std::string(" ") + c + " "), std::string::npos) << c;
    // The script itself is valid bash and completes.
    write_file(lab->dir() + "/c.bash", completion);
    CmdResult r = run("", "bash -c 'source " + lab->dir() +
                              "/c.bash; COMP_WORDS=(ftnetctl group m); COMP_CWORD=2; _ftnetctl; echo \"${COMPREPLY[@]}\"'");
    EXPECT_EQ(r.out, "move\n") << r.out;
    r = run("", "bash -c 'source " + lab->dir() + "/c.bash; COMP_WORDS=(ftnetctl net); COMP_CWORD=1; _ftnetctl; echo \"${COMPREPLY[@]}\"'");
    EXPECT_EQ(r.out, "networks network\n") << r.out;

    // version, stats and its rate view.
    r = run("", ctl(1) + " version");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("management protocol 1"), std::string::npos) << r.out;
    r = run("", ctl(1) + " stats");
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("cycles/pkt"), std::string::npos) << r.out;
    r = run("", ctl(1) + " -o json stats --watch -i 0.2 -c 2");
    ASSERT_EQ(r.status, 0) << r.out;
    int lines = 0;
    for (size_t at = 0; (at = r.out.find('\n', at)) != std::string::npos; at++) lines++;
    EXPECT_EQ(lines, 2);
    json rates = json::parse(r.out.substr(0, r.out.find('\n')));
    EXPECT_GT(rates["ports"][1]["tx_pps"].get<double>(), 0) << "heartbeats at least: " << rates.dump();
    // Unreachable daemon: 3; usage: 2.
    EXPECT_EQ(run("", build_root() + "/ftnetctl -s /nonexistent.sock status").status, 3);
    EXPECT_EQ(run("", build_root() + "/ftnetctl frobnicate").status, 2);
    EXPECT_EQ(run("", ctl(1) + " group show nosuch").status, 1);
}

}  // namespace
}  // namespace ftnet::itest
