// The receive replay windows of one peer: one per sequence space of the
// sender (its workers, and its control thread), shared by this node's
// receiving workers (docs/wire-format.md 10.4).
//
// Dataplane::replay holds kMaxPeers of them, indexed like RouteTable::peers
// (peers come from the configuration, so an index keeps its peer for the
// engine's life). Mapped zeroed (lazily, by the kernel) by the security
// module before the workers start; written by receiving workers (admit.h), read by the
// control thread for `ftnetctl key list`.
#pragma once

#include <atomic>
#include <cstdint>

#include "engine/core/limits.h"
#include "engine/security/shared_replay_window.h"
#include "engine/tunnel/ftnet_wire.h"

namespace ftnet {

// 2048 slots of 24 sequences: a window of 49,128 messages of one sender
// space. The space is shared by all the sender's routes, and a heartbeat on
// an idle network overtakes the data queued on a saturated one (the
// sender's transmit ring, the links, our receive ring: thousands of frames
// on a busy NIC), so the window must be far deeper than one route's
// reordering: 3,048 was measured too small in the two-node lab, whose
// af_packet rings hold 1,024 frames each way. 16 KiB per sender space,
// touched only for the spaces a peer really uses.
inline constexpr unsigned kReplaySlots = 2048;
using SenderWindow = SharedReplayWindow<kReplaySlots>;

struct PeerReplayWindows {
    SenderWindow spaces[kMaxWorkers + 1];  // worker spaces, then the control space
    // The sender's lowest epoch still admitted, in every space: its present
    // life once proven (the session's first-contact challenge, or a restart
    // it saw; engine/session/control/session_module.cpp). A message of an
    // earlier life is then too old even in a space whose window has not
    // seen the present life yet, and even after this node restarted with
    // empty windows. 0 until proven. Written: control thread (release);
    // read: receiving workers.
    std::atomic<uint16_t> epoch_floor{0};

    // The window of a sender's space; nullptr for a space no sender uses.
    SenderWindow* space(uint8_t s) {
        if (s == wire::kControlSpace) return &spaces[kMaxWorkers];
        return s < kMaxWorkers ? &spaces[s] : nullptr;
    }
};

}  // namespace ftnet
