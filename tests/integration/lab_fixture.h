// Integration-test harness: a lab topology of network namespaces
// (scripts/topology.sh) with real ftnetd processes on N nodes (two unless
// asked; configs from scripts/lab-config.sh), a plain
// kernel host ("probe") on every network, and a switch namespace for fault
// injection.
//
// Every run gets unique names (ftt-<pid>-<n>: namespaces, DPDK file
// prefixes, sockets, logs), so a leftover of a crashed run never breaks the
// next. Everything is removed when the Lab is destroyed (test passed or
// failed) and, through a watchdog process and PR_SET_PDEATHSIG on every
// daemon, also when the test process is killed with SIGKILL.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ftnet::itest {

struct CmdResult {
    int status = -1;  // exit status, or -1 if it did not exit normally
    std::string out;  // stdout and stderr
    bool ok() const { return status == 0; }
};

// Runs a shell command (in a namespace when ns is not empty); waits.
CmdResult run(const std::string& ns, const std::string& cmd);

// A background process in a namespace, killed (SIGKILL) when destroyed.
class BgProcess {
  public:
    BgProcess() = default;
    BgProcess(const std::string& ns, const std::string& cmd, const std::string& log_path);
    BgProcess(BgProcess&& o) noexcept;
    BgProcess& operator=(BgProcess&& o) noexcept;
    ~BgProcess();
    pid_t pid() const { return pid_; }
    bool running();
    // Sends sig and waits up to `timeout` for the exit; returns the exit
    // status (or 128+signal), -1 on timeout.
    int stop(int sig, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    int wait(std::chrono::milliseconds timeout);
    std::string output() const;

  private:
    pid_t pid_ = -1;
    int status_ = -1;
    std::string log_;
};

struct NodeOptions {
    // Text replacements applied to node N's lab config (after the
    // run-specific names), and TOML appended at the end.
    std::vector<std::pair<std::string, std::string>> replace;
    std::string append;
    // The cluster the node's config describes: its peers are nodes 1..N of
    // it (0: every node of the lab). A node may start knowing fewer nodes
    // than the lab has, and learn the others from a reload.
    int cluster_nodes = 0;
};

// Replacements of the lab config's heartbeat settings for benches that
// fail a node or a route again and again: no flap damping (the repeated
// failure is the point), and either the lab's fast profile (20 ms x 3,
// StallGrace 100) or the classic one (1000 ms x 5, StallGrace 500).
std::pair<std::string, std::string> no_flap_damping();
NodeOptions classic_heartbeats();
NodeOptions lab_fast_heartbeats();

class Lab {
  public:
    // sites = 2: two routed sites (scripts/topology.sh): every network is
    // two subnets joined by the switch namespace as their router.
    explicit Lab(int nodes = 2, int sites = 1);
    ~Lab();
    Lab(const Lab&) = delete;
    Lab& operator=(const Lab&) = delete;

    const std::string& prefix() const { return prefix_; }
    int nodes() const { return nodes_; }
    std::string ns(const std::string& which) const {  // n1, n2, sw, probe
        std::string s = prefix_;
        s += '-';
        s += which;
        return s;
    }
    std::string node_ns(int n) const { return ns(std::string(1, 'n') += std::to_string(n)); }
    std::string socket(int n) const;
    std::string config_path(int n) const;
    std::string dir() const { return dir_; }

    // Writes node n's config and starts its ftnetd.
    void start_node(int n, const NodeOptions& o = {});
    // Writes node n's config file (what start_node runs it with).
    void write_config(int n, const NodeOptions& o = {});
    BgProcess& daemon(int n) { return daemons_.at(n); }
    // Waits until node n knows every peer's adapter (endpoint exchange done)
    // and every route of it has answered its heartbeats.
    void wait_ready(int n, std::chrono::milliseconds timeout = std::chrono::seconds(20));
    // Starts every node with the same options and waits until each is ready.
    void start_all(const NodeOptions& o = {}, std::chrono::milliseconds timeout = std::chrono::seconds(20));

    // One management request over node n's socket; throws on transport errors.
    nlohmann::json request(int n, const nlohmann::json& req);
    // request({"cmd": cmd}) and returns "result"; fails the test on an error reply.
    nlohmann::json ctl(int n, const std::string& cmd, const nlohmann::json& args = nlohmann::json::object());
    // A counter from `counters`: a drop reason name, or "port:NAME:rx_packets".
    uint64_t counter(int n, const std::string& name);

    std::string node_log(int n) const;

    // Silent loss on a network, in the switch: frames that nodes send into
    // it are dropped (with their links up). `from`: "both" (every node),
    // or "nK" (only what node K sends); percent < 100 drops at random.
    void block(const std::string& net, int percent = 100, const std::string& from = "both");
    void unblock(const std::string& net);
    // A partition in the switch: nodes of different groups no longer reach
    // each other on any network (links up, frames dropped between groups);
    // heal() ends it.
    void split(const std::vector<std::vector<int>>& groups);
    void heal();

  private:
    std::string prefix_;
    int nodes_ = 2;
    int sites_ = 1;
    std::string dir_;
    std::map<int, BgProcess> daemons_;
    pid_t watchdog_ = -1;
    int watchdog_pipe_ = -1;
};

// The event stream of one node (`ftnetctl events`), read by a thread.
class EventStream {
  public:
    explicit EventStream(const std::string& socket_path);
    ~EventStream();
    struct Event {
        std::chrono::steady_clock::time_point received;
        nlohmann::json ev;
    };
    std::vector<Event> events() const;
    // The first event (after `after`) that matches, waiting up to timeout.
    std::optional<Event> wait_for(const std::function<bool(const nlohmann::json&)>& match,
                                  std::chrono::milliseconds timeout,
                                  std::chrono::steady_clock::time_point after = {}) const;

  private:
    int fd_ = -1;
    std::thread reader_;
    mutable std::mutex mu_;
    std::vector<Event> events_;
};

// Paths of the build and source trees (from meson's test environment).
std::string source_root();
std::string build_root();

// Polls cond every 20 ms until it holds or timeout; returns whether it held.
bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout);

// Runs fn in a child process that joined namespace `ns`; returns its exit status.
int in_netns(const std::string& ns, const std::function<int()>& fn);

// Sends raw Ethernet frames out of `iface` in namespace `ns`.
void send_raw_frames(const std::string& ns, const std::string& iface, const std::vector<std::vector<uint8_t>>& frames);

// Every frame that traffic from node 1's ftnet0 to a socket on node 2 can
// be lost to, counted: both engines' drop counters and the kernel's drops
// they report (ports' socket rings, ftnet0's host side, NIC misses), node
// 1's queueing discipline on ftnet0, node 2's UDP receive-buffer errors,
// and the host's input backlog drops (/proc/net/softnet_stat). Heartbeats
// and HELLOs dropped meanwhile only make it larger. Take it before and
// after: sent = delivered + the difference, or frames were lost silently.
uint64_t counted_drops_1_to_2(Lab& lab);

// Checks the outputs of `ftnet-xfer send` and `ftnet-xfer recv`: same byte
// count and same SHA-256 at both ends. Returns the bytes received.
uint64_t expect_transfer_intact(const std::string& send_out, const std::string& recv_out);

// Minimal pcap reader for captures taken with tcpdump -w.
std::vector<std::vector<uint8_t>> read_pcap(const std::string& path);

// The receiver log of `ftnet-probe recv` (tests/tools/probe_stream.cpp):
// one record per probe that arrived, send and arrival times on one clock.
struct ProbeRecord {
    uint64_t seq, sent_ns, recv_ns;
};
std::vector<ProbeRecord> read_probe_log(const std::string& path);

struct ProbeSummary {
    uint64_t expected = 0;  // highest sequence + 1
    uint64_t received = 0;  // distinct sequences that arrived
    uint64_t lost() const { return expected - received; }
    double max_gap_ms = 0;  // longest interval between arrivals
    double max_delay_ms = 0;
};
ProbeSummary summarize_probes(const std::vector<ProbeRecord>& probes);

}  // namespace ftnet::itest
