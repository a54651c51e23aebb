// Regroup as a deterministic simulation of N nodes: scripted and random
// crashes, restarts, partitions and heals, reachability learnt by each node
// at its own moment (like heartbeats), and messages delayed on a reliable,
// ordered channel per pair (like the session: held while a pair is cut and
// delivered when it heals, lost when an end crashes). Over many seeded
// schedules it checks agreement (no two nodes ever install different
// member lists for one epoch), that each node's epochs only grow, and that
// once the network is quiet every group of connected live nodes converges
// on one view of exactly itself.

#include "engine/membership/regroup.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <set>

namespace ftnet::membership {
namespace {

TEST(RegroupCodec, RoundTripsAndRefusesMalformed) {
    RegroupMsg m;
    m.kind = RegroupMsg::Kind::Prepare;
    m.epoch = make_epoch(7, 2, 3);
    m.members = {1, 3, 9};
    m.digest = {{"cluster", 11}, {"networks", 22}};
    auto bytes = encode(m);
    auto d = decode(bytes.data(), bytes.size());
    ASSERT_TRUE(d);
    EXPECT_EQ(d->epoch, m.epoch);
    EXPECT_EQ(d->members, m.members);
    EXPECT_EQ(d->digest, m.digest);
    EXPECT_EQ(epoch_round(d->epoch), 7u);
    EXPECT_EQ(epoch_incarnation(d->epoch), 2u);
    EXPECT_EQ(epoch_coordinator(d->epoch), 3u);
    const uint8_t junk[] = {0xff, 0x00, 0x12};
    EXPECT_FALSE(decode(junk, sizeof junk));
    EXPECT_FALSE(decode(bytes.data(), bytes.size() / 2));
    m.members = {3, 1};  // unsorted
    bytes = encode(m);
    EXPECT_FALSE(decode(bytes.data(), bytes.size()));
    EXPECT_EQ(digest_differences({{"a", 1}, {"b", 2}}, {{"a", 1}, {"b", 3}, {"c", 4}}),
              (std::vector<std::string>{"b", "c"}));
}

class Sim {
  public:
    Sim(int n, uint32_t seed) : n_(n), rng_(seed) {
        for (int i = 1; i <= n; i++) {
            nodes_[i] = std::make_unique<Node>(*this, static_cast<uint16_t>(i));
            group_[i] = 0;
        }
    }

    struct Node : RegroupIo {
        Node(Sim& s, uint16_t id) : sim(s), id(id) { fresh(); }
        void fresh() {
            life++;
            r = std::make_unique<Regroup>(*this, id, static_cast<uint16_t>(life), sim.digest_for(id));
            last_epoch = 0;
        }
        void send(uint16_t to, const std::vector<uint8_t>& msg) override { sim.enqueue(id, to, msg); }
        void installed(const View& v) override { sim.on_install(id, v); }
        void refused(uint16_t node, const std::string& why) override { sim.refusals.push_back({id, node, why}); }
        Sim& sim;
        uint16_t id;
        int life = 0;
        bool alive = true;
        std::unique_ptr<Regroup> r;
        uint64_t last_epoch = 0;
    };

    Digest digest_for(uint16_t id) const {
        Digest d = {{"cluster", 1}, {"networks", 2}};
        if (odd_config_.count(id)) d["cluster"] = 99;
        return d;
    }

    // Connectivity: alive nodes in the same group reach each other.
    bool connected(int a, int b) const {
        return nodes_.at(a)->alive && nodes_.at(b)->alive && group_.at(a) == group_.at(b);
    }
    std::set<uint16_t> truth(int a) const {
        std::set<uint16_t> s;
        for (int b = 1; b <= n_; b++)
            if (b != a && connected(a, b) && !odd_config_.count(static_cast<uint16_t>(b)) &&
                !odd_config_.count(static_cast<uint16_t>(a)))
                s.insert(static_cast<uint16_t>(b));
        return s;
    }

    void at(uint64_t t, std::function<void()> f) { events_.push({t, seq_++, std::move(f)}); }

    // Each node learns the new connectivity on its own, 1-40 ms later
    // (heartbeat detection), in no particular order.
    void topology_changed() {
        for (int i = 1; i <= n_; i++) {
            std::uniform_int_distribution<uint64_t> d(1000, 40000);
            const int life = nodes_[i]->life;
            at(now_ + d(rng_), [this, i, life] {
                Node& nd = *nodes_[i];
                if (!nd.alive || nd.life != life) return;
                std::set<uint16_t> r;
                for (int b = 1; b <= n_; b++)
                    if (b != i && connected(i, b) && !hidden_.count({i, b})) r.insert(static_cast<uint16_t>(b));
                nd.r->set_reachable(r, now_);
            });
        }
    }
    void partition(const std::map<int, int>& groups) {
        for (auto& [node, g] : groups) group_[node] = g;
        topology_changed();
    }
    void heal() {
        for (auto& [node, g] : group_) g = 0;
        topology_changed();
    }
    void crash(int i) {
        nodes_[i]->alive = false;
        for (auto& [k, q] : pipes_)
            if (k.first == i || k.second == i) q.clear();
        topology_changed();
    }
    void restart(int i) {
        Node& nd = *nodes_[i];
        nd.alive = true;
        nd.fresh();
        // Its peers' sessions see the new incarnation at their first exchange.
        for (int b = 1; b <= n_; b++) {
            if (b == i) continue;
            std::uniform_int_distribution<uint64_t> d(500, 5000);
            const int life = nodes_[b]->life;
            at(now_ + d(rng_), [this, b, i, life] {
                if (nodes_[b]->alive && nodes_[b]->life == life && connected(b, i))
                    nodes_[b]->r->peer_restarted(static_cast<uint16_t>(i), now_);
            });
        }
        topology_changed();
    }

    void enqueue(uint16_t from, uint16_t to, const std::vector<uint8_t>& msg) {
        pipes_[{from, to}].push_back({nodes_[to]->life, msg});
        schedule_pipe(from, to);
    }
    // One message of a pair at a time, in order, 0.1-3 ms apart; a pair that
    // is cut holds its messages until it heals (the session retransmits); a
    // message to an earlier life of its receiver is dropped (the session
    // refuses it).
    void schedule_pipe(int from, int to) {
        auto& busy = pipe_busy_[{from, to}];
        if (busy) return;
        busy = true;
        std::uniform_int_distribution<uint64_t> d(100, 3000);
        at(now_ + d(rng_), [this, from, to] {
            pipe_busy_[{from, to}] = false;
            auto& q = pipes_[{from, to}];
            if (q.empty()) return;
            if (!connected(from, to) || cut_.count({from, to})) {
                at(now_ + 5000, [this, from, to] { schedule_pipe(from, to); });
                return;
            }
            auto [life, m] = std::move(q.front());
            q.pop_front();
            if (life == nodes_[to]->life) nodes_[to]->r->on_message(static_cast<uint16_t>(from), m.data(), m.size(), now_);
            if (!q.empty()) schedule_pipe(from, to);
        });
    }

    void on_install(uint16_t id, const View& v) {
        auto [it, fresh] = agreed_.emplace(v.epoch, v.members);
        if (!fresh && it->second != v.members) {
            ADD_FAILURE() << "node " << id << " installed epoch " << v.epoch << " with different members than another node";
            agreement_broken_ = true;
        }
        Node& nd = *nodes_[id];
        if (v.epoch <= nd.last_epoch) {
            ADD_FAILURE() << "node " << id << " went from epoch " << nd.last_epoch << " to " << v.epoch;
            agreement_broken_ = true;
        }
        nd.last_epoch = v.epoch;
        installs_++;
    }

    void run_until(uint64_t t) {
        while (!events_.empty() && events_.top().t <= t) {
            Event e = events_.top();
            events_.pop();
            now_ = e.t;
            e.f();
        }
        now_ = t;
    }
    void tick_all_every(uint64_t period, uint64_t until) {
        for (uint64_t t = now_; t < until; t += period)
            at(t, [this] {
                for (auto& [i, nd] : nodes_)
                    if (nd->alive) nd->r->tick(now_);
            });
    }

    // Every group of connected live nodes holds one view: exactly itself.
    ::testing::AssertionResult converged() const {
        for (int i = 1; i <= n_; i++) {
            const Node& nd = *nodes_.at(i);
            if (!nd.alive || odd_config_.count(static_cast<uint16_t>(i))) continue;
            std::set<uint16_t> want = truth(i);
            want.insert(static_cast<uint16_t>(i));
            const View& v = nd.r->view();
            if (std::set<uint16_t>(v.members.begin(), v.members.end()) != want)
                return ::testing::AssertionFailure() << "node " << i << " holds epoch " << v.epoch << " with "
                                                     << ::testing::PrintToString(v.members) << ", its group is "
                                                     << ::testing::PrintToString(want);
            for (uint16_t m : want)
                if (!(nodes_.at(m)->r->view() == v))
                    return ::testing::AssertionFailure()
                           << "nodes " << i << " and " << m << " hold different views: epoch " << v.epoch << " "
                           << ::testing::PrintToString(v.members) << " and epoch " << nodes_.at(m)->r->view().epoch << " "
                           << ::testing::PrintToString(nodes_.at(m)->r->view().members) << " (promised "
                           << nodes_.at(m)->r->promised() << ", " << (nodes_.at(m)->alive ? "alive" : "dead") << ")";
        }
        return ::testing::AssertionSuccess();
    }

    uint64_t now() const { return now_; }
    Node& node(int i) { return *nodes_.at(i); }
    void give_odd_config(uint16_t id) { odd_config_.insert(id); }
    void clear_odd_config(uint16_t id) { odd_config_.erase(id); }
    // Messages between a and b are held (the session cannot deliver them)
    // while the rest of the network works.
    void cut_pair(int a, int b) {
        cut_.insert({a, b});
        cut_.insert({b, a});
    }
    // `observer` no longer takes `target` for reachable (its heartbeats
    // fail one way) while their messages still flow.
    void hide(int observer, int target) {
        hidden_.insert({observer, target});
        topology_changed();
    }
    bool agreement_broken() const { return agreement_broken_; }
    size_t epochs_agreed() const { return agreed_.size(); }
    std::vector<std::tuple<uint16_t, uint16_t, std::string>> refusals;

  private:
    struct Event {
        uint64_t t, seq;
        std::function<void()> f;
        bool operator<(const Event& o) const { return t != o.t ? t > o.t : seq > o.seq; }
    };
    int n_;
    std::mt19937 rng_;
    uint64_t now_ = 1;
    uint64_t seq_ = 0;
    std::priority_queue<Event> events_;
    std::map<int, std::unique_ptr<Node>> nodes_;
    std::map<int, int> group_;
    std::map<std::pair<int, int>, std::deque<std::pair<int, std::vector<uint8_t>>>> pipes_;
    std::map<std::pair<int, int>, bool> pipe_busy_;
    std::map<uint64_t, std::vector<uint16_t>> agreed_;
    std::set<uint16_t> odd_config_;
    std::set<std::pair<int, int>> hidden_;
    std::set<std::pair<int, int>> cut_;
    bool agreement_broken_ = false;
    size_t installs_ = 0;
};

TEST(Regroup, ThreeNodesFormOneViewAndDropAKilledNodeAndTakeItBack) {
    Sim s(3, 1);
    s.tick_all_every(10000, 20'000'000);
    s.heal();
    s.run_until(2'000'000);
    ASSERT_TRUE(s.converged());
    const uint64_t e1 = s.node(1).r->view().epoch;
    s.crash(3);
    s.run_until(4'000'000);
    ASSERT_TRUE(s.converged());
    EXPECT_EQ(s.node(1).r->view().members, (std::vector<uint16_t>{1, 2}));
    EXPECT_GT(s.node(1).r->view().epoch, e1);
    s.restart(3);
    s.run_until(6'000'000);
    ASSERT_TRUE(s.converged());
    EXPECT_EQ(s.node(3).r->view().members, (std::vector<uint16_t>{1, 2, 3}));
}

TEST(Regroup, TheLowestNodeRestartingRejoinsAboveTheEpochsItForgot) {
    Sim s(3, 2);
    s.tick_all_every(10000, 20'000'000);
    s.heal();
    s.run_until(1'000'000);
    s.crash(1);
    s.run_until(3'000'000);
    ASSERT_TRUE(s.converged());
    const uint64_t before = s.node(2).r->view().epoch;
    s.restart(1);  // its round counter starts at 0 again
    s.run_until(6'000'000);
    ASSERT_TRUE(s.converged());
    EXPECT_GT(s.node(1).r->view().epoch, before);
    EXPECT_EQ(epoch_coordinator(s.node(1).r->view().epoch), 1u);
}

TEST(Regroup, APartitionGivesEachSideItsOwnViewAndTheyMergeWhenItHeals) {
    Sim s(4, 3);
    s.tick_all_every(10000, 20'000'000);
    s.heal();
    s.run_until(1'000'000);
    s.partition({{1, 1}, {2, 1}, {3, 2}, {4, 2}});
    s.run_until(3'000'000);
    ASSERT_TRUE(s.converged());
    EXPECT_EQ(s.node(1).r->view().members, (std::vector<uint16_t>{1, 2}));
    EXPECT_EQ(s.node(4).r->view().members, (std::vector<uint16_t>{3, 4}));
    EXPECT_NE(s.node(1).r->view().epoch, s.node(4).r->view().epoch);
    s.heal();
    s.run_until(6'000'000);
    ASSERT_TRUE(s.converged());
    EXPECT_EQ(s.node(4).r->view().members.size(), 4u);
}

TEST(Regroup, ANodeWithAnotherConfigIsRefusedNamingTheSection) {
    Sim s(3, 4);
    s.give_odd_config(3);
    s.node(3).fresh();
    s.tick_all_every(10000, 20'000'000);
    s.heal();
    s.run_until(3'000'000);
    EXPECT_EQ(s.node(1).r->view().members, (std::vector<uint16_t>{1, 2}));
    bool named = false;
    for (auto& [by, node, why] : s.refusals)
        if (by == 1 && node == 3) named = why.find("[cluster]") != std::string::npos;
    EXPECT_TRUE(named) << "node 1 refuses node 3 naming the section";
    EXPECT_FALSE(s.agreement_broken());
}

// Node 3 is refused for another config, then reloads one that matches
// (set_digest): it is taken back without a restart, by the others too.
TEST(Regroup, ANodeRefusedForItsConfigIsTakenBackWhenItsDigestMatchesAgain) {
    Sim s(3, 6);
    s.give_odd_config(3);
    s.node(3).fresh();
    s.tick_all_every(10000, 20'000'000);
    s.heal();
    s.run_until(3'000'000);
    ASSERT_EQ(s.node(1).r->view().members, (std::vector<uint16_t>{1, 2}));
    ASSERT_FALSE(s.node(1).r->excluded().empty());
    s.at(3'100'000, [&] {
        s.clear_odd_config(3);
        s.node(3).r->set_digest(s.digest_for(3), 3'100'000);
    });
    s.run_until(6'000'000);
    EXPECT_EQ(s.node(1).r->view().members, (std::vector<uint16_t>{1, 2, 3}));
    EXPECT_EQ(s.node(3).r->view(), s.node(1).r->view());
    EXPECT_TRUE(s.node(1).r->excluded().empty());
    EXPECT_TRUE(s.node(2).r->excluded().empty());
    EXPECT_FALSE(s.agreement_broken());
}

// The lowest id has the other config: it must not shut the others out (it
// would coordinate every round, and refuse them all).
TEST(Regroup, ALowestNodeWithAnotherConfigDoesNotShutTheOthersOut) {
    Sim s(3, 5);
    s.give_odd_config(1);
    s.node(1).fresh();
    s.tick_all_every(10000, 20'000'000);
    s.heal();
    s.run_until(3'000'000);
    EXPECT_EQ(s.node(2).r->view().members, (std::vector<uint16_t>{2, 3}));
    EXPECT_EQ(s.node(3).r->view(), s.node(2).r->view());
    EXPECT_EQ(s.node(1).r->view().members, (std::vector<uint16_t>{1}));
    EXPECT_FALSE(s.agreement_broken());
}

// Links 1-2 and 2-3 work, 1-3 does not: node 1 coordinates {1, 2}, whose
// COMMIT cannot reach node 3; node 2 relays it, so node 3 stops believing
// it is a member of the old view of three (which would give it quorum too).
TEST(Regroup, ANodeLeftOutBehindANonTransitiveCutIsToldThroughAMember) {
    Sim s(3, 6);
    s.tick_all_every(10000, 20'000'000);
    s.heal();
    s.run_until(1'000'000);
    ASSERT_TRUE(s.converged());
    s.hide(1, 3);
    s.hide(3, 1);
    s.cut_pair(1, 3);
    s.run_until(3'000'000);
    EXPECT_EQ(s.node(1).r->view().members, (std::vector<uint16_t>{1, 2}));
    EXPECT_EQ(s.node(2).r->view(), s.node(1).r->view());
    EXPECT_EQ(s.node(3).r->view().members, (std::vector<uint16_t>{3})) << "not a member of a view of three";
    EXPECT_FALSE(s.agreement_broken());
}

// Node 3 reaches nodes 1 and 2, but they no longer take it for reachable
// (one-way trouble): it keeps asking for a round, and they must not start
// one at every request (a new epoch every 50 ms).
TEST(Regroup, ANodeThatOthersCannotReachDoesNotMakeThemChurn) {
    Sim s(3, 11);
    s.tick_all_every(10000, 20'000'000);
    s.heal();
    s.run_until(1'000'000);
    ASSERT_TRUE(s.converged());
    s.hide(1, 3);
    s.hide(2, 3);
    s.run_until(1'500'000);
    const uint64_t before = s.node(1).r->stats().views_installed;
    s.run_until(4'500'000);
    EXPECT_LE(s.node(1).r->stats().views_installed, before + 1) << "views installed in 3 s";
    EXPECT_EQ(s.node(1).r->view().members, (std::vector<uint16_t>{1, 2}));
    EXPECT_EQ(s.node(3).r->view().members, (std::vector<uint16_t>{3})) << "told it was left out";
    EXPECT_GT(s.node(3).r->stats().requests_sent, 10u);
    EXPECT_FALSE(s.agreement_broken());
}

// Many random schedules: crashes, restarts, partitions, heals, concurrent
// and during regroups; then quiet.
TEST(Regroup, AgreementAndConvergenceOverManyRandomSchedules) {
    size_t epochs = 0;
    for (uint32_t seed = 1; seed <= 300; seed++) {
        std::mt19937 rng(seed * 7919);
        const int n = 3 + static_cast<int>(rng() % 6);  // 3-8 nodes
        Sim s(n, seed);
        s.tick_all_every(10000, 60'000'000);
        s.heal();
        uint64_t t = 500'000;
        std::set<int> down;
        const int steps = 4 + static_cast<int>(rng() % 8);
        for (int k = 0; k < steps; k++) {
            // Often faster than a round completes: changes during regroups.
            t += 1000 + rng() % 400'000;
            s.run_until(t);
            const int node = 1 + static_cast<int>(rng() % n);
            switch (rng() % 4) {
            case 0:
                if (!down.count(node) && static_cast<int>(down.size()) < n - 1) {
                    s.crash(node);
                    down.insert(node);
                }
                break;
            case 1:
                if (down.count(node)) {
                    s.restart(node);
                    down.erase(node);
                }
                break;
            case 2: {
                std::map<int, int> g;
                for (int i = 1; i <= n; i++) g[i] = static_cast<int>(rng() % 3);
                s.partition(g);
                break;
            }
            default: s.heal(); break;
            }
        }
        s.run_until(t + 20'000'000);  // quiet
        ASSERT_FALSE(s.agreement_broken()) << "seed " << seed;
        ASSERT_TRUE(s.converged()) << "seed " << seed << " (" << n << " nodes)";
        epochs += s.epochs_agreed();
    }
    EXPECT_GT(epochs, 300u * 3);
}

}  // namespace
}  // namespace ftnet::membership
