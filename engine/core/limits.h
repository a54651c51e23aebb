// Compile-time bounds on what one engine handles. They size the fixed tables
// that workers read, so that nothing on the fast path allocates or resizes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ftnet {

inline constexpr size_t kMaxPorts = 16;          // physical ports plus ftnet0
inline constexpr size_t kMaxWorkers = 16;        // worker lcores
inline constexpr size_t kMaxPeers = 64;          // peers of one node (Windows allows 64-node clusters)
inline constexpr size_t kMaxRoutesPerPeer = 16;  // e.g. 8 networks x 2 families
inline constexpr size_t kMaxRoutes = 1024;       // route ids, across all peers
inline constexpr size_t kMaxNetworks = 16;
// Host addresses (IP Address resources) online on one port of a node.
inline constexpr size_t kMaxHostAddrs = 8;
inline constexpr size_t kMaxBurst = 64;
inline constexpr size_t kMaxRxQueuesPerWorker = 32;

}  // namespace ftnet
