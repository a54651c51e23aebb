// This node's epoch (docs/wire-format.md 10.3): a counter in
// `state_dir/epoch-node<N>` taken and advanced once per start, written and
// fsync'd before the first message of the life is sealed, so that no two
// lives of a node ever seal with the same sequences (a repeated AES-GCM
// nonce gives the authentication key away).
//
// Main thread, at start-up. Concurrent starts of the same node id on one
// host (tests) are serialised by flock and get different epochs.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace ftnet {

struct EpochError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

inline constexpr uint32_t kMaxEpoch = 65535;

// The path of node `node`'s epoch file under `dir`.
std::string epoch_path(const std::string& dir, uint16_t node);

// Creates `dir` (0700) if needed, advances the node's epoch and returns the
// new one (1 the first time). EpochError, naming the file and the cause,
// when it cannot be read, written or synced, holds garbage, or has reached
// kMaxEpoch (then every node needs a new cluster key and a fresh state).
uint16_t take_epoch(const std::string& dir, uint16_t node);

}  // namespace ftnet
