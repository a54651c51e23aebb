// A hostile host on the cluster networks (the lab's probe namespace: a plain
// kernel host, not a member) against two nodes, with payloads authenticated
// only and with payloads encrypted: DATA it forges claiming node 2's id,
// genuine frames it captured and replays (on the same network and moved onto
// another), wrong tags, unknown key ids, spoofed sources, version 1 frames
// and forged heartbeat replies. None reaches node 1's ftnet0 (a capture
// there), none changes a route's state, each is counted under its reason and
// logged with its source, and a TCP transfer across ftnet0 meanwhile
// arrives intact. Then the keys are rotated under traffic without losing a
// frame.

#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <thread>

#include "tests/integration/forge.h"
#include "tests/integration/lab_fixture.h"

namespace ftnet::itest {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class HostileHost : public testing::TestWithParam<bool> {
  protected:
    void SetUp() override {
        lab = std::make_unique<Lab>();
        NodeOptions o;
        if (GetParam()) o.append = "\n[security]\nencrypt = true\n";
        lab->start_node(1, o);
        lab->start_node(2, o);
        lab->wait_ready(1);
        lab->wait_ready(2);
    }
    void TearDown() override { lab.reset(); }

    // Frames of ftnet type `type` node 2 sends node 1 on the cluster network
    // while `meanwhile` runs, from a capture in the switch.
    std::vector<Frame> capture_from_node2(uint8_t type, const std::function<void()>& meanwhile) {
        const std::string pcap = lab->dir() + "/genuine.pcap";
        BgProcess cap(lab->ns("sw"), "tcpdump -Z root -U --immediate-mode -n -i n2-cluster -w " + pcap + " udp port 3343",
                      lab->dir() + "/tcpdump-genuine.out");
        EXPECT_TRUE(eventually([&] { return cap.output().find("listening on") != std::string::npos; }, 5s));
        meanwhile();
        std::this_thread::sleep_for(300ms);
        cap.stop(SIGINT);
        std::vector<Frame> out;
        for (auto& f : read_pcap(pcap)) {
            const size_t h = f.size() > 14 && f[12] == 0x86 ? 62 : 42;
            if (f.size() > h + 2 && f[11] == 0x22 && f[h] == 2 && f[h + 1] == type) out.push_back(f);
        }
        return out;
    }

    std::unique_ptr<Lab> lab;
};

TEST_P(HostileHost, NothingForgedReplayedOrMovedGetsThroughOrChangesARoute) {
    // What node 1's ftnet0 receives, for the whole test.
    const std::string adapter_pcap = lab->dir() + "/ftnet0.pcap";
    BgProcess adapter_cap(lab->node_ns(1),
                          "tcpdump -Z root -U --immediate-mode -n -i ftnet0 -w " + adapter_pcap + " udp port 9998 or udp port 9999",
                          lab->dir() + "/tcpdump-ftnet0.out");
    ASSERT_TRUE(eventually([&] { return adapter_cap.output().find("listening on") != std::string::npos; }, 5s));

    // Genuine DATA: 20 datagrams node 2 sends node 1 across ftnet0.
    auto genuine = capture_from_node2(1, [&] {
        ASSERT_TRUE(run(lab->node_ns(2), "bash -c 'for i in $(seq 20); do echo genuine > /dev/udp/169.254.1.1/9998; sleep 0.01; done'").ok());
    });
    ASSERT_GE(genuine.size(), 20u);
    auto replies = capture_from_node2(4, [] {});
    ASSERT_GE(replies.size(), 5u);

    std::vector<Frame> moved = genuine;
    for (auto& f : moved) rewrite_onto_network(f, 3);  // the storage network
    std::vector<Frame> moved_replies = replies;
    for (auto& f : moved_replies) rewrite_onto_network(f, 3);
    const Frame marker = inner_marker(9999, 0xbadc0de);
    Forged wrong_key;                  // claims node 2, right addresses, another cluster's key
    wrong_key.lab_key = false;
    Forged unknown_key;                // a key id no node holds
    unknown_key.key_id = 9;
    Forged spoofed;                    // the probe's own address, node 2's id and the lab key
    spoofed.source = "198.18.2.99";
    Forged spoofed6 = spoofed;
    spoofed6.family = Family::V6;
    spoofed6.source = "fd00:2::99";
    Forged other_net;                  // node 2's public address on the cluster network
    other_net.source = "198.18.1.2";
    Forged forged_reply;               // a heartbeat reply under the wrong key
    forged_reply.type = 4;
    forged_reply.lab_key = false;
    Frame v1 = forge_message(wrong_key, marker);
    v1[42] = 1;  // a version 1 sender

    struct Attack {
        const char* counter;
        std::vector<Frame> frames;
        const char* net;  // the probe's interface it is sent on
    };
    std::vector<Attack> attacks = {
        {"rx-bad-auth", {forge_message(wrong_key, marker)}, "cluster"},
        {"rx-unknown-key", {forge_message(unknown_key, marker)}, "cluster"},
        {"rx-source-mismatch", {forge_message(spoofed, marker), forge_message(spoofed6, marker), forge_message(other_net, marker)}, "cluster"},
        {"rx-seq-replay", genuine, "cluster"},
        {"rx-wrong-route", moved, "storage"},
        {"rx-bad-version", {v1}, "cluster"},
    };
    for (auto& a : attacks) from_attacker_mac(a.frames);
    from_attacker_mac(moved_replies);
    Frame bad_reply = forge_message(forged_reply, Frame(32, 0));
    from_attacker_mac(bad_reply);
    std::map<std::string, uint64_t> before;
    for (auto& a : attacks) before[a.counter] = lab->counter(1, a.counter);
    const uint64_t forged_reply0 = lab->counter(1, "rx-bad-auth");
    const uint64_t too_old0 = lab->counter(1, "rx-too-old");

    // The storage network goes silent for node 2's own frames: replies moved
    // onto it must not keep its routes up.
    EventStream ev1(lab->socket(1));
    lab->block("storage", 100, "n2");
    BgProcess recv(lab->node_ns(2), build_root() + "/ftnet-xfer recv 5001", lab->dir() + "/recv.out");
    ASSERT_TRUE(eventually([&] { return recv.output().find("listening") != std::string::npos; }, 5s));
    BgProcess send(lab->node_ns(1), build_root() + "/ftnet-xfer send 169.254.1.2 5001 40M 11 200", lab->dir() + "/send.out");
    const int rounds = 20;
    for (int i = 0; i < rounds; i++) {
        for (auto& a : attacks) send_raw_frames(lab->ns("probe"), a.net, a.frames);
        send_raw_frames(lab->ns("probe"), "cluster", {bad_reply});
        send_raw_frames(lab->ns("probe"), "storage", moved_replies);
        std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(send.wait(60s), 0) << send.output();
    ASSERT_EQ(recv.wait(30s), 0) << recv.output();
    EXPECT_EQ(expect_transfer_intact(send.output(), recv.output()), 40ull << 20) << "all 40 MiB, intact, meanwhile";

    // A replay is refused as seen, or as too old once the window has moved
    // past it (the transfer's acknowledgements move it fast).
    for (auto& a : attacks) {
        const std::string name = a.counter;
        const uint64_t want = before[name] + rounds * a.frames.size();
        auto got = [&] {
            return lab->counter(1, name) + (name == "rx-seq-replay" ? lab->counter(1, "rx-too-old") - too_old0 : 0);
        };
        EXPECT_TRUE(eventually([&] { return got() >= want; }, 3s)) << name << ": " << got() << " < " << want;
    }
    EXPECT_GE(lab->counter(1, "rx-bad-auth"), forged_reply0 + 2 * rounds) << "forged DATA and forged replies";
    EXPECT_GE(lab->counter(1, "rx-wrong-route"), before["rx-wrong-route"] + rounds * (moved.size() + moved_replies.size()));
    // The storage routes died although replies from node 2 kept arriving on it.
    for (const char* fam : {"IPv6", "IPv4"})
        EXPECT_TRUE(ev1.wait_for([&](const json& e) {
            return e.value("type", "") == "route" && e.value("network", "") == "storage" && e.value("family", "") == fam &&
                   e.value("state", "") == "down";
        }, 2s)) << "storage " << fam;
    lab->unblock("storage");
    // No other route changed state.
    for (auto& e : ev1.events()) {
        if (e.ev.value("type", "") == "route") {
            EXPECT_EQ(e.ev.value("network", ""), "storage") << e.ev.dump();
        }
    }
    for (auto& r : lab->ctl(1, "routes")) {
        if (r["network"] != "storage") {
            EXPECT_EQ(r["state"], "up") << r["title"];
        }
    }

    // ftnet0 saw the 20 genuine datagrams once each, and nothing forged.
    std::this_thread::sleep_for(200ms);
    adapter_cap.stop(SIGINT);
    size_t genuine_seen = 0, forged_seen = 0;
    for (auto& f : read_pcap(adapter_pcap)) {
        if (f.size() < 38 || f[12] != 0x08) continue;
        const uint16_t dport = static_cast<uint16_t>(f[36] << 8 | f[37]);
        genuine_seen += dport == 9998;
        forged_seen += dport == 9999;
    }
    EXPECT_EQ(genuine_seen, 20u) << "no replay delivered";
    EXPECT_EQ(forged_seen, 0u) << "no forgery delivered";
    // The operator is told who sent them.
    const std::string log = lab->node_log(1);
    EXPECT_NE(log.find("[SECURITY] refused"), std::string::npos) << log;
    EXPECT_NE(log.find("from 198.18.2.99:"), std::string::npos) << log;
    EXPECT_NE(log.find("wire version 1"), std::string::npos) << log;
    EXPECT_TRUE(lab->daemon(1).running());
}

// add the new key everywhere, use it everywhere, retire the old one
// everywhere: pings every 10 ms and a TCP transfer lose nothing.
TEST_P(HostileHost, KeysRotateUnderTrafficWithoutLoss) {
    const std::string ctl1 = build_root() + "/ftnetctl -s " + lab->socket(1), ctl2 = build_root() + "/ftnetctl -s " + lab->socket(2);
    BgProcess pinger(lab->node_ns(1), "ping -i 0.01 -c 400 -W 1 169.254.1.2", lab->dir() + "/ping.out");
    BgProcess recv(lab->node_ns(2), build_root() + "/ftnet-xfer recv 5002", lab->dir() + "/recv.out");
    ASSERT_TRUE(eventually([&] { return recv.output().find("listening") != std::string::npos; }, 5s));
    BgProcess send(lab->node_ns(1), build_root() + "/ftnet-xfer send 169.254.1.2 5002 40M 11 200", lab->dir() + "/send.out");
    const std::string k2 = std::string(64, '7');
    auto step = [&](const std::string& ctl, const std::string& args) {
        CmdResult r = run("", ctl + " key " + args);
        EXPECT_TRUE(r.ok()) << args << ": " << r.out;
        std::this_thread::sleep_for(300ms);
        return r.out;
    };
    std::this_thread::sleep_for(300ms);
    step(ctl1, "add 2 --key " + k2);
    step(ctl2, "add 2 --key " + k2);
    step(ctl1, "use 2");
    step(ctl2, "use 2");
    step(ctl1, "retire 1");
    const std::string list = step(ctl2, "retire 1");
    EXPECT_NE(list.find("key   2 *  AES-256-GCM"), std::string::npos) << list;
    EXPECT_EQ(list.find("key   1 "), std::string::npos) << list;
    ASSERT_EQ(send.wait(60s), 0) << send.output();
    ASSERT_EQ(recv.wait(30s), 0) << recv.output();
    EXPECT_EQ(expect_transfer_intact(send.output(), recv.output()), 40ull << 20);
    EXPECT_EQ(pinger.wait(30s), 0) << pinger.output();
    EXPECT_NE(pinger.output().find(" 0% packet loss"), std::string::npos) << pinger.output();
    for (int n : {1, 2}) {
        EXPECT_EQ(lab->counter(n, "rx-unknown-key"), 0u) << "node " << n;
        EXPECT_EQ(lab->counter(n, "rx-bad-auth"), 0u) << "node " << n;
        json keys = lab->ctl(n, "key");
        ASSERT_EQ(keys["keys"].size(), 1u);
        EXPECT_GT(keys["keys"][0]["rx_messages"].get<uint64_t>(), 100u) << "node " << n << " receives under key 2";
    }
    // Bad requests change nothing.
    CmdResult r = run("", ctl1 + " key retire 2");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("the one this node seals with"), std::string::npos) << r.out;
    r = run("", ctl1 + " key add 3 --key 1234");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("32 or 64 hexadecimal digits"), std::string::npos) << r.out;
    r = run("", ctl1 + " key use 5");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("key 5 is not held"), std::string::npos) << r.out;
    EXPECT_TRUE(run(lab->node_ns(1), "ping -c 3 -i 0.2 -W 2 169.254.1.2").ok());
}

INSTANTIATE_TEST_SUITE_P(Payloads, HostileHost, testing::Values(false, true),
                         [](const testing::TestParamInfo<bool>& i) { return i.param ? "Encrypted" : "AuthenticatedOnly"; });

}  // namespace
}  // namespace ftnet::itest
