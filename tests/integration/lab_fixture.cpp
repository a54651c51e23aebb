#include "tests/integration/lab_fixture.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <regex>
#include <sstream>
#include <thread>

namespace ftnet::itest {

namespace fs = std::filesystem;
using nlohmann::json;

std::string source_root() {
    const char* s = std::getenv("FTNET_SOURCE_ROOT");
    return s ? s : fs::current_path().string();
}

std::string build_root() {
    const char* s = std::getenv("FTNET_BUILD_ROOT");
    return s ? s : (fs::path(source_root()) / "build").string();
}

namespace {

std::vector<std::string> ns_argv(const std::string& ns, const std::string& cmd) {
    std::vector<std::string> a;
    if (!ns.empty()) a = {"ip", "netns", "exec", ns};
    a.insert(a.end(), {"sh", "-c", cmd});
    return a;
}

[[noreturn]] void exec_argv(const std::vector<std::string>& a) {
    std::vector<char*> argv;
    for (auto& s : a) argv.push_back(const_cast<char*>(s.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
}

std::string slurp(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
    for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
}

}  // namespace

CmdResult run(const std::string& ns, const std::string& cmd) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return {};
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        dup2(p[1], 2);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        exec_argv(ns_argv(ns, cmd));
    }
    close(p[1]);
    CmdResult r;
    char buf[4096];
    ssize_t n;
    while ((n = read(p[0], buf, sizeof buf)) > 0) r.out.append(buf, static_cast<size_t>(n));
    close(p[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

BgProcess::BgProcess(const std::string& ns, const std::string& cmd, const std::string& log_path) : log_(log_path) {
    pid_ = fork();
    if (pid_ == 0) {
        int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        // Dies with the test process, whatever kills it.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        exec_argv(ns_argv(ns, "exec " + cmd));
    }
}

BgProcess::BgProcess(BgProcess&& o) noexcept : pid_(o.pid_), status_(o.status_), log_(std::move(o.log_)) { o.pid_ = -1; }

BgProcess& BgProcess::operator=(BgProcess&& o) noexcept {
    if (this != &o) {
        if (pid_ > 0) stop(SIGKILL);
        pid_ = o.pid_;
        status_ = o.status_;
        log_ = std::move(o.log_);
        o.pid_ = -1;
    }
    return *this;
}

BgProcess::~BgProcess() {
    if (pid_ > 0) stop(SIGKILL, std::chrono::seconds(5));
}

bool BgProcess::running() {
    if (pid_ <= 0) return false;
    int st;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        pid_ = -1;
        return false;
    }
    return true;
}

int BgProcess::wait(std::chrono::milliseconds timeout) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        if (std::chrono::steady_clock::now() > end) return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return status_;
}

int BgProcess::stop(int sig, std::chrono::milliseconds timeout) {
    if (pid_ > 0) kill(pid_, sig);
    int st = wait(timeout);
    if (st == -1 && pid_ > 0) {
        kill(pid_, SIGKILL);
        wait(std::chrono::seconds(5));
        return -1;
    }
    return st;
}

std::string BgProcess::output() const { return slurp(log_); }

bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
    auto end = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (cond()) return true;
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

Lab::Lab(int nodes, int sites) : nodes_(nodes), sites_(sites) {
    static std::atomic<int> counter{0};
    prefix_ = "ftt-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
    dir_ = "/tmp/" + prefix_;
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::string topo = source_root() + "/scripts/topology.sh";

    // The watchdog removes the topology if this process dies without doing
    // it (SIGKILL, crash): it waits for EOF on a pipe only we hold.
    int p[2];
    if (pipe(p) == 0) {
        watchdog_ = fork();
        if (watchdog_ == 0) {
            setsid();
            signal(SIGINT, SIG_IGN);
            signal(SIGTERM, SIG_IGN);
            close(p[1]);
            char c = 0;
            ssize_t n = read(p[0], &c, 1);
            if (n == 1 && c == 'd') _exit(0);
            std::string cmd = topo + " down " + prefix_ + " >/dev/null 2>&1; rm -rf " + dir_;  // also sockets, DPDK files
            _exit(std::system(cmd.c_str()) == 0 ? 0 : 1);
        }
        close(p[0]);
        watchdog_pipe_ = p[1];
        fcntl(watchdog_pipe_, F_SETFD, FD_CLOEXEC);
    }
    CmdResult r = run("", topo + " up " + prefix_ + " " + std::to_string(nodes_) + " " + std::to_string(sites_));
    if (!r.ok()) {
        ADD_FAILURE() << "topology.sh up failed: " << r.out;
        throw std::runtime_error("cannot build the lab topology");
    }
}

Lab::~Lab() {
    for (auto& [n, d] : daemons_) d.stop(SIGTERM, std::chrono::seconds(10));
    daemons_.clear();
    CmdResult r = run("", source_root() + "/scripts/topology.sh down " + prefix_);
    if (!r.ok()) ADD_FAILURE() << "topology.sh down failed: " << r.out;
    if (::testing::Test::HasFailure()) {
        // Keep the evidence next to the failure.
        for (int n = 1; n <= nodes_; n++) {
            std::string log = node_log(n);
            if (!log.empty()) std::fprintf(stderr, "---- node%d ftnetd output (last 4 KiB) ----\n%s\n", n,
                                           log.substr(log.size() > 4096 ? log.size() - 4096 : 0).c_str());
        }
    }
    fs::remove_all(dir_);
    if (watchdog_pipe_ >= 0) {
        ssize_t ignored = write(watchdog_pipe_, "d", 1);
        (void)ignored;
        close(watchdog_pipe_);
        waitpid(watchdog_, nullptr, 0);
    }
}

std::string Lab::socket(int n) const { return "/run/ftnet/" + prefix_ + "-n" + std::to_string(n) + ".sock"; }
std::string Lab::config_path(int n) const { return dir_ + "/node" + std::to_string(n) + ".toml"; }
std::string Lab::node_log(int n) const { return slurp(dir_ + "/ftnetd-" + std::to_string(n) + ".out"); }

void Lab::write_config(int n, const NodeOptions& o) {
    std::string sn = std::to_string(n);
    const int cluster = o.cluster_nodes ? o.cluster_nodes : nodes_;
    CmdResult made = run("", source_root() + "/scripts/lab-config.sh " + std::to_string(cluster) + " " + sn + " " + std::to_string(sites_) + " 2>&1");
    if (!made.ok()) {
        ADD_FAILURE() << "lab-config.sh: " << made.out;
        throw std::runtime_error("cannot make the lab config");
    }
    std::string cfg = made.out;
    replace_all(cfg, fmt::format("\"ftlab-node{}\"", n), fmt::format("\"{}-n{}\"", prefix_, n));
    replace_all(cfg, fmt::format("\"/run/ftnet/lab-node{}.sock\"", n), fmt::format("\"{}\"", socket(n)));
    replace_all(cfg, fmt::format("\"/var/log/ftnet/lab-node{}.log\"", n), fmt::format("\"{}/cluster-{}.log\"", dir_, n));
    for (auto& [from, to] : o.replace) {
        if (cfg.find(from) == std::string::npos) ADD_FAILURE() << "node option: \"" << from << "\" is not in the lab config";
        replace_all(cfg, from, to);
    }
    cfg += "\n" + o.append + "\n";
    std::ofstream(config_path(n)) << cfg;
}

void Lab::start_node(int n, const NodeOptions& o) {
    const std::string sn = std::to_string(n);
    write_config(n, o);
    daemons_.erase(n);
    daemons_.emplace(n, BgProcess(node_ns(n), build_root() + "/ftnetd --config " + config_path(n),
                                  dir_ + "/ftnetd-" + sn + ".out"));
}

void Lab::start_all(const NodeOptions& o, std::chrono::milliseconds timeout) {
    for (int n = 1; n <= nodes_; n++) start_node(n, o);
    for (int n = 1; n <= nodes_; n++) wait_ready(n, timeout);
}

void Lab::wait_ready(int n, std::chrono::milliseconds timeout) {
    bool ok = eventually(
        [&] {
            if (!daemons_.at(n).running()) return true;
            try {
                json nodes = request(n, {{"cmd", "nodes"}});
                if (!nodes.value("ok", false)) return false;
                for (auto& x : nodes["result"])
                    if (!x["local"].get<bool>() && !x["adapter_known"].get<bool>()) return false;
                // Every route answered its heartbeats too.
                json routes = request(n, {{"cmd", "routes"}});
                if (!routes.value("ok", false)) return false;
                for (auto& r : routes["result"])
                    if (r["state"] != "up") return false;
                return true;
            } catch (const std::exception&) {
                return false;
            }
        },
        timeout);
    ASSERT_TRUE(daemons_.at(n).running()) << "ftnetd on node" << n << " exited:\n" << node_log(n);
    ASSERT_TRUE(ok) << "node" << n << " not ready in time:\n" << node_log(n);
}

json Lab::request(int n, const json& req) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, socket(n).c_str(), sizeof a.sun_path - 1);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        close(fd);
        throw std::runtime_error("cannot connect to " + socket(n));
    }
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string line = req.dump() + "\n";
    if (send(fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
        close(fd);
        throw std::runtime_error("send failed");
    }
    std::string reply;
    char buf[65536];
    ssize_t k;
    while (reply.find('\n') == std::string::npos && (k = recv(fd, buf, sizeof buf, 0)) > 0) reply.append(buf, static_cast<size_t>(k));
    close(fd);
    if (reply.find('\n') == std::string::npos) throw std::runtime_error("no reply");
    return json::parse(reply.substr(0, reply.find('\n')));
}

json Lab::ctl(int n, const std::string& cmd, const json& args) {
    json r = request(n, {{"cmd", cmd}, {"args", args}});
    EXPECT_TRUE(r.value("ok", false)) << cmd << ": " << r.dump();
    return r.value("result", json());
}

uint64_t Lab::counter(int n, const std::string& name) {
    json c = ctl(n, "counters");
    if (name.rfind("port:", 0) == 0) {
        auto second = name.find(':', 5);
        std::string port = name.substr(5, second - 5), field = name.substr(second + 1);
        for (auto& p : c["ports"])
            if (p["name"] == port) return p[field].get<uint64_t>();
        ADD_FAILURE() << "no port " << port;
        return 0;
    }
    if (!c["drops"].contains(name)) {
        ADD_FAILURE() << "no drop counter " << name;
        return 0;
    }
    return c["drops"][name].get<uint64_t>();
}

std::pair<std::string, std::string> no_flap_damping() {
    return {"RouteRecoveryThreshold = 3 ", "FlapThreshold = 0\nRouteRecoveryThreshold = 3 "};
}

NodeOptions classic_heartbeats() {
    NodeOptions o;
    o.replace = {{"profile = \"fast\"", "profile = \"classic\""},
                 {"SameSubnetDelay = 20", "# SameSubnetDelay: classic default (1000)"},
                 {"SameSubnetThreshold = 3", "# SameSubnetThreshold: classic default (5)"},
                 {"StallGrace = 100", "# StallGrace: classic default (500)"},
                 no_flap_damping()};
    return o;
}

NodeOptions lab_fast_heartbeats() {
    NodeOptions o;
    o.replace = {no_flap_damping()};
    return o;
}

int in_netns(const std::string& ns, const std::function<int()>& fn) {
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(126);
        _exit(fn());
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

uint64_t counted_drops_1_to_2(Lab& lab) {
    uint64_t sum = 0;
    for (int n : {1, 2}) {
        const nlohmann::json c = lab.ctl(n, "counters");
        for (auto& [name, v] : c["drops"].items()) sum += v.get<uint64_t>();
        for (auto& p : c["ports"]) {
            sum += p["hw_imissed"].get<uint64_t>();
            if (!p.contains("kernel") || !p["kernel"].is_object()) continue;
            const nlohmann::json& k = p["kernel"];
            // ftnet0's host-to-engine drops include its own ring's overflows.
            if (k.contains("host_to_engine_dropped"))
                sum += k["host_to_engine_dropped"].get<uint64_t>() + k["engine_to_host_dropped"].get<uint64_t>();
            else
                sum += k.value("rx_ring_full", uint64_t{0});
        }
    }
    // fq_codel (or any qdisc) on the sender's ftnet0 drops under a standing
    // queue: the host's drop, before the engine.
    CmdResult q = run(lab.node_ns(1), "tc -s qdisc show dev ftnet0 | sed -n 's/.*dropped \\([0-9]*\\).*/\\1/p' | "
                                      "awk '{ s += $1 } END { print s + 0 }'");
    sum += std::stoull(q.out);
    CmdResult r = run(lab.node_ns(2), "awk '/^Udp:/{getline; print $6}' /proc/net/snmp");
    sum += std::stoull(r.out);
    // Frames the host stack dropped on input (its per-CPU backlog was full),
    // second column (hex), summed over the CPUs.
    std::ifstream f("/proc/net/softnet_stat");
    std::string processed, dropped, rest;
    while (f >> processed >> dropped && std::getline(f, rest)) sum += std::stoull(dropped, nullptr, 16);
    return sum;
}

uint64_t expect_transfer_intact(const std::string& so, const std::string& ro) {
    std::smatch ms, mr;
    if (!std::regex_search(so, ms, std::regex("sent (\\d+) ([0-9a-f]{64})"))) {
        ADD_FAILURE() << "no result from the sender:\n" << so;
        return 0;
    }
    if (!std::regex_search(ro, mr, std::regex("received (\\d+) ([0-9a-f]{64})"))) {
        ADD_FAILURE() << "no result from the receiver:\n" << ro;
        return 0;
    }
    EXPECT_EQ(ms[1], mr[1]) << "byte count";
    EXPECT_EQ(ms[2], mr[2]) << "SHA-256 of what was sent and what arrived";
    return std::stoull(mr[1]);
}

void send_raw_frames(const std::string& ns, const std::string& iface, const std::vector<std::vector<uint8_t>>& frames) {
    int rc = in_netns(ns, [&] {
        int s = ::socket(AF_PACKET, SOCK_RAW, 0);
        if (s < 0) return 1;
        sockaddr_ll sll{};
        sll.sll_family = AF_PACKET;
        sll.sll_ifindex = static_cast<int>(if_nametoindex(iface.c_str()));
        sll.sll_halen = 6;
        if (sll.sll_ifindex == 0) return 2;
        for (auto& f : frames)
            if (sendto(s, f.data(), f.size(), 0, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != static_cast<ssize_t>(f.size()))
                return 3;
        close(s);
        return 0;
    });
    ASSERT_EQ(rc, 0) << "sending raw frames on " << ns << "/" << iface;
}

std::vector<std::vector<uint8_t>> read_pcap(const std::string& path) {
    std::vector<std::vector<uint8_t>> out;
    std::ifstream f(path, std::ios::binary);
    uint8_t gh[24];
    if (!f.read(reinterpret_cast<char*>(gh), 24)) return out;
    uint32_t magic;
    std::memcpy(&magic, gh, 4);
    bool swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
    auto u32 = [&](const uint8_t* p) {
        uint32_t v;
        std::memcpy(&v, p, 4);
        return swap ? __builtin_bswap32(v) : v;
    };
    uint8_t rh[16];
    while (f.read(reinterpret_cast<char*>(rh), 16)) {
        uint32_t incl = u32(rh + 8);
        if (incl > 262144) break;
        std::vector<uint8_t> pkt(incl);
        if (!f.read(reinterpret_cast<char*>(pkt.data()), incl)) break;
        out.push_back(std::move(pkt));
    }
    return out;
}

}  // namespace ftnet::itest

namespace ftnet::itest {

void Lab::block(const std::string& net, int percent, const std::string& from) {
    // One nft transaction: both directions start dropping at the same
    // instant (two commands would cut one direction milliseconds before the
    // other, a one-way failure for a while).
    std::string table = "ftblock_" + net;
    std::string script = "add table netdev " + table + "\n";
    for (int n = 1; n <= nodes_; n++) {
        std::string node(1, 'n');  // not "n" + ...: GCC 12 warns falsely (-Wrestrict)
        node += std::to_string(n);
        if (from != "both" && from != node) continue;
        std::string port = node + "-" + net;
        std::string rule = percent >= 100 ? "drop" : "numgen random mod 100 < " + std::to_string(percent) + " drop";
        script += "add chain netdev " + table + " " + port + " { type filter hook ingress device " + port + " priority 0; }\n";
        script += "add rule netdev " + table + " " + port + " " + rule + "\n";
    }
    const std::string file = dir_ + "/block-" + net + ".nft";
    std::ofstream(file) << script;
    CmdResult r = run(ns("sw"), "nft -f " + file);
    ASSERT_TRUE(r.ok()) << r.out;
}

void Lab::split(const std::vector<std::vector<int>>& groups) {
    auto ports = [](const std::vector<int>& g) {
        std::string s;
        for (int n : g)
            for (const char* net : {"public", "cluster", "storage"}) {
                s += s.empty() ? "" : ", ";
                s += "\"n" + std::to_string(n) + "-" + net + "\"";
            }
        return "{ " + s + " }";
    };
    std::string script = "add table bridge ftsplit\nadd chain bridge ftsplit cut { type filter hook forward priority 0; }\n";
    for (size_t a = 0; a < groups.size(); a++)
        for (size_t b = 0; b < groups.size(); b++)
            if (a != b) script += "add rule bridge ftsplit cut iifname " + ports(groups[a]) + " oifname " + ports(groups[b]) + " drop\n";
    const std::string file = dir_ + "/split.nft";
    std::ofstream(file) << script;
    CmdResult r = run(ns("sw"), "nft -f " + file);
    ASSERT_TRUE(r.ok()) << r.out << "\n" << script;
}

void Lab::heal() {
    CmdResult r = run(ns("sw"), "nft delete table bridge ftsplit");
    ASSERT_TRUE(r.ok()) << r.out;
}

void Lab::unblock(const std::string& net) {
    CmdResult r = run(ns("sw"), "nft delete table netdev ftblock_" + net);
    EXPECT_TRUE(r.ok()) << r.out;
}

EventStream::EventStream(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ADD_FAILURE() << "cannot subscribe to events on " << path;
        return;
    }
    std::string req = "{\"cmd\":\"events\"}\n";
    send(fd_, req.data(), req.size(), MSG_NOSIGNAL);
    // Wait for the subscription's answer so that no later event is missed.
    std::string first;
    char c;
    while (recv(fd_, &c, 1, 0) == 1 && c != '\n') first += c;
    EXPECT_NE(first.find("subscribed"), std::string::npos) << first;
    reader_ = std::thread([this] {
        std::string buf;
        char tmp[8192];
        ssize_t n;
        while ((n = recv(fd_, tmp, sizeof tmp, 0)) > 0) {
            buf.append(tmp, static_cast<size_t>(n));
            size_t nl;
            while ((nl = buf.find('\n')) != std::string::npos) {
                json ev = json::parse(buf.substr(0, nl), nullptr, false);
                buf.erase(0, nl + 1);
                std::lock_guard<std::mutex> g(mu_);
                events_.push_back({std::chrono::steady_clock::now(), ev});
            }
        }
    });
}

EventStream::~EventStream() {
    if (fd_ >= 0) shutdown(fd_, SHUT_RDWR);
    if (reader_.joinable()) reader_.join();
    if (fd_ >= 0) close(fd_);
}

std::vector<EventStream::Event> EventStream::events() const {
    std::lock_guard<std::mutex> g(mu_);
    return events_;
}

std::optional<EventStream::Event> EventStream::wait_for(const std::function<bool(const json&)>& match,
                                                        std::chrono::milliseconds timeout,
                                                        std::chrono::steady_clock::time_point after) const {
    std::optional<Event> found;
    eventually(
        [&] {
            std::lock_guard<std::mutex> g(mu_);
            for (auto& e : events_)
                if (e.received >= after && match(e.ev)) {
                    found = e;
                    return true;
                }
            return false;
        },
        timeout);
    return found;
}

std::vector<ProbeRecord> read_probe_log(const std::string& path) {
    std::vector<ProbeRecord> out;
    std::ifstream f(path, std::ios::binary);
    uint64_t rec[3];
    while (f.read(reinterpret_cast<char*>(rec), sizeof rec)) out.push_back({rec[0], rec[1], rec[2]});
    return out;
}

ProbeSummary summarize_probes(const std::vector<ProbeRecord>& probes) {
    ProbeSummary s;
    if (probes.empty()) return s;
    std::set<uint64_t> seqs;
    std::vector<uint64_t> arrivals;
    for (auto& p : probes) {
        seqs.insert(p.seq);
        arrivals.push_back(p.recv_ns);
        s.expected = std::max(s.expected, p.seq + 1);
        s.max_delay_ms = std::max(s.max_delay_ms, static_cast<double>(p.recv_ns - p.sent_ns) / 1e6);
    }
    s.received = seqs.size();
    std::sort(arrivals.begin(), arrivals.end());
    for (size_t i = 1; i < arrivals.size(); i++)
        s.max_gap_ms = std::max(s.max_gap_ms, static_cast<double>(arrivals[i] - arrivals[i - 1]) / 1e6);
    return s;
}

}  // namespace ftnet::itest
