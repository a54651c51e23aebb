// Regroup: the reachable nodes agree on a membership view, a strictly
// increasing epoch and a member list.
//
// One node coordinates a round: the lowest node id among the nodes it can
// reach (and itself). The round is a two-phase exchange over the reliable
// session:
//   PREPARE(epoch, members, config digest)  coordinator -> every member
//   ACCEPT(epoch) or NACK(highest promised, reason)  member -> coordinator
//   COMMIT(epoch, members)  coordinator -> every member, once all accepted
// and REQUEST(its view's epoch) from a node whose view is not what it can
// reach, to the node it takes for the coordinator, which starts a round.
// An epoch is round (32 bits) | the coordinator's incarnation (16) | its
// node id (16): no two coordinators, and no two lives of one coordinator
// (a restarted node has forgotten its rounds; its incarnation, the security
// epoch, grows at every start), can ever propose the same epoch. A member
// promises an epoch only if it is higher than every epoch it promised
// before, so it accepts (and installs) at most one member list per epoch.
// Hence no two nodes ever hold different views for the same epoch,
// whatever the failures, restarts, partitions and delays.
//
// A round starts when the view differs from what the coordinator can reach
// (a node became unreachable or reachable, or restarted and lost its view),
// and starts over, with a higher round, when that changes during it, when a
// member has promised a higher epoch, or when it does not complete within
// kRoundTimeoutUs. A member whose coordinator vanished after its ACCEPT
// (no COMMIT within kCommitTimeoutUs) takes over if it is now the lowest id.
// A member whose config digest differs from the coordinator's refuses the
// round (NACK with the differing sections) and is left out of the view
// until it restarts.
//
// Pure: no clock, no I/O; the owner feeds reachability, messages and time.
// Control thread (or a simulation) only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ftnet::membership {

inline constexpr uint64_t kRoundTimeoutUs = 500000;
inline constexpr uint64_t kCommitTimeoutUs = 1000000;
inline constexpr uint64_t kRequestIntervalUs = 50000;

inline uint32_t epoch_round(uint64_t e) { return static_cast<uint32_t>(e >> 32); }
inline uint16_t epoch_incarnation(uint64_t e) { return static_cast<uint16_t>(e >> 16); }
inline uint16_t epoch_coordinator(uint64_t e) { return static_cast<uint16_t>(e & 0xffff); }
inline uint64_t make_epoch(uint32_t round, uint16_t incarnation, uint16_t coordinator) {
    return (uint64_t{round} << 32) | (uint64_t{incarnation} << 16) | coordinator;
}

struct View {
    uint64_t epoch = 0;               // 0: none yet
    std::vector<uint16_t> members;    // ascending
    bool operator==(const View& o) const { return epoch == o.epoch && members == o.members; }
};

// The cluster-wide part of a node's config, one hash per section
// (engine/membership/control/config_digest.h makes it).
using Digest = std::map<std::string, uint64_t>;
// The sections in which two digests differ (empty: they agree).
std::vector<std::string> digest_differences(const Digest& a, const Digest& b);

struct RegroupMsg {
    enum class Kind : uint8_t { Prepare = 1, Accept = 2, Nack = 3, Commit = 4, Request = 5 };
    Kind kind = Kind::Prepare;
    uint64_t epoch = 0;
    std::vector<uint16_t> members;  // Prepare, Commit
    Digest digest;                  // Prepare
    uint64_t highest = 0;           // Nack: the highest epoch the member promised
    std::string reason;             // Nack: why it refuses (config differs); empty: a higher promise
};
std::vector<uint8_t> encode(const RegroupMsg& m);
// nullopt for anything malformed (the sender is authenticated, but a bug or
// a version skew must not take the node down).
std::optional<RegroupMsg> decode(const uint8_t* data, size_t len);

class RegroupIo {
  public:
    virtual ~RegroupIo() = default;
    virtual void send(uint16_t to, const std::vector<uint8_t>& msg) = 0;
    // A new view is in force on this node.
    virtual void installed(const View& v) = 0;
    // A node was left out of the view because its config differs.
    virtual void refused(uint16_t node, const std::string& why) = 0;
};

struct RegroupStats {
    uint64_t rounds_started = 0;   // as coordinator
    uint64_t rounds_committed = 0; // as coordinator
    uint64_t rounds_restarted = 0; // a round given up for a newer one
    uint64_t views_installed = 0;
    uint64_t prepares_refused = 0; // NACKs we sent
    uint64_t requests_sent = 0;    // asked the coordinator for a round
    uint64_t malformed = 0;
};

class Regroup {
  public:
    // `incarnation`: this life of the node (grows at every start, >= 1).
    Regroup(RegroupIo& io, uint16_t self, uint16_t incarnation, Digest digest);

    // The nodes this node can reach now (itself excluded).
    void set_reachable(const std::set<uint16_t>& reachable, uint64_t now_us);
    // A peer started again (it lost its view and its promises).
    void peer_restarted(uint16_t peer, uint64_t now_us);
    // This node's config changed while running (a reload that added a
    // node): from now on rounds carry the new digest, nodes refused for
    // another config are asked again (each REQUEST carries the digest, so a
    // node that refused us takes us back once ours matches its own).
    void set_digest(Digest d, uint64_t now_us);
    void on_message(uint16_t from, const uint8_t* data, size_t len, uint64_t now_us);
    void tick(uint64_t now_us);

    uint16_t self() const { return self_; }
    const View& view() const { return view_; }
    bool coordinating() const { return coordinating_; }
    uint64_t promised() const { return promised_; }
    const std::set<uint16_t>& reachable() const { return reachable_; }
    const std::map<uint16_t, std::string>& excluded() const { return excluded_; }
    const RegroupStats& stats() const { return stats_; }

  private:
    std::vector<uint16_t> desired() const;
    bool is_coordinator() const;
    void maybe_start(uint64_t now_us);
    void start_round(uint64_t now_us);
    void commit(uint64_t now_us);
    void stand_alone(uint64_t now_us);
    void install(uint64_t epoch, const std::vector<uint16_t>& members);
    void reply(uint16_t to, RegroupMsg::Kind kind, uint64_t epoch, uint64_t highest = 0, const std::string& reason = {});

    RegroupIo& io_;
    const uint16_t self_;
    const uint16_t incarnation_;
    Digest digest_;
    std::set<uint16_t> reachable_;
    std::map<uint16_t, std::string> excluded_;  // config differs: until it restarts or a digest matches
    std::set<uint16_t> restarted_;              // restarted since the view was installed
    View view_;
    uint64_t promised_ = 0;
    uint64_t promised_at_us_ = 0;
    uint32_t max_round_ = 0;
    uint64_t last_request_us_ = 0;

    bool coordinating_ = false;
    uint64_t round_epoch_ = 0;
    uint64_t round_started_us_ = 0;
    std::vector<uint16_t> round_members_;
    std::set<uint16_t> accepted_;
    RegroupStats stats_;
};

}  // namespace ftnet::membership
