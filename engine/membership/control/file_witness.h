// The file-share witness: one record in a file that every node can reach
// ("node=<id> epoch=<epoch> expires=<unix ms>"), naming the node whose
// partition holds the witness's vote until the lease expires. A partition's
// coordinator takes the record when it is empty, expired, or already held
// by a member of its view, and renews it every third of the lease; the
// other nodes only read it. Updates hold an exclusive flock and are synced
// to the file before the lock is released, so two coordinators never both
// believe they took it.
//
// Wall clock (CLOCK_REALTIME): the nodes' clocks must agree to well within
// the lease (NTP does). Control thread only; every call is a few short
// file operations, never a wait for the lock (LOCK_NB: tried again later).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ftnet {

struct WitnessRecord {
    uint16_t node = 0;
    uint64_t epoch = 0;
    uint64_t expires_ms = 0;  // unix time
};

// "node=3 epoch=65539 expires=1764800000000\n"; nullopt for anything else. Pure.
std::optional<WitnessRecord> parse_witness(const std::string& text);
std::string format_witness(const WitnessRecord& r);

class FileWitness {
  public:
    FileWitness(std::string path, uint32_t lease_ms) : path_(std::move(path)), lease_ms_(lease_ms) {}

    // What the file says now (nullopt: empty, unreadable or garbled; error() says which).
    std::optional<WitnessRecord> read();
    // Takes or renews the record for `self` if it is free, expired, or held
    // by one of `members`; returns whether `self`'s partition holds it now.
    bool acquire(uint16_t self, uint64_t epoch, const std::vector<uint16_t>& members, uint64_t now_ms);

    const std::string& path() const { return path_; }
    uint32_t lease_ms() const { return lease_ms_; }
    const std::string& error() const { return error_; }

  private:
    std::string path_;
    uint32_t lease_ms_;
    std::string error_;
};

}  // namespace ftnet
