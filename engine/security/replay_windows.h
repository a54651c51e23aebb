// The receive replay windows of one peer: one per sequence space of the
// sender (its workers, and its control thread), shared by this node's
// receiving workers (docs/wire-format.md 10.4).
//
// Dataplane::replay holds kMaxPeers of them, indexed like RouteTable::peers
// (peers come from the configuration, so an index keeps its peer for the
// engine's life). Allocated zeroed by the security module before the
// workers start; written by receiving workers (admit.h), read by the
// control thread for `ftnetctl key list`.
#pragma once

#include <cstdint>

#include "engine/core/limits.h"
#include "engine/security/shared_replay_window.h"
#include "engine/tunnel/ftnet_wire.h"

namespace ftnet {

struct PeerReplayWindows {
    SharedReplayWindow<> spaces[kMaxWorkers + 1];  // worker spaces, then the control space

    // The window of a sender's space; nullptr for a space no sender uses.
    SharedReplayWindow<>* space(uint8_t s) {
        if (s == wire::kControlSpace) return &spaces[kMaxWorkers];
        return s < kMaxWorkers ? &spaces[s] : nullptr;
    }
};

}  // namespace ftnet
