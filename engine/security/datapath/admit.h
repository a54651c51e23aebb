// Admission of a received ftnet message (docs/wire-format.md 10.6): after
// classification has accepted its clear-text header, before any handler or
// ftnet0 sees it. In order, cheapest first, each refusal its own counter:
//
//   outer source one of the sender's addresses on that port and family
//   (rx-source-mismatch) -> route binding is that route's (rx-wrong-route)
//   -> key id held (rx-unknown-key) -> sequence space valid (rx-bad-space)
//   -> the sender's proven epoch floor (rx-too-old) -> replay window
//   (rx-seq-replay, rx-too-old) -> AEAD tag (rx-bad-auth;
//   an encrypted payload is decrypted in place) -> window commit.
//
// The window is per (sender, sequence space) and shared by the receiving
// workers (engine/security/shared_replay_window.h): a message replayed onto
// another network, or received twice by two workers, is accepted once.
// Inline, any receiving worker (and the unit tests); no allocation, no
// lock.
#pragma once

#include <rte_byteorder.h>

#include <cstdint>

#include "engine/core/drop_reason.h"
#include "engine/security/aead.h"
#include "engine/security/key_ring.h"
#include "engine/security/replay_windows.h"
#include "engine/tunnel/datapath/arrival.h"
#include "engine/tunnel/datapath/classify.h"

namespace ftnet {

// frame: the whole received frame (writable: decryption is in place).
// windows: the replay windows of the sending peer (ReplayWindows::of()).
// On success c.route is the arrival route and the payload is clear text.
inline bool admit_message(uint8_t* frame, uint16_t port_index, RxResult& c, const KeyRing& kr,
                          PeerReplayWindows& windows, DropReason* why) {
    const RouteEntry* r = arrival_route(*c.peer, port_index, c.family, frame);
    if (unlikely(r == nullptr)) {
        *why = DropReason::rx_source_mismatch;
        return false;
    }
    const wire::Header* h = c.hdr;
    if (unlikely(rte_be_to_cpu_32(h->route_binding) != r->bind_rx)) {
        *why = DropReason::rx_wrong_route;
        return false;
    }
    const AeadKey* k = kr.find(h->key_id);
    if (unlikely(k == nullptr)) {
        *why = DropReason::rx_unknown_key;
        return false;
    }
    SenderWindow* win = windows.space(h->space);
    if (unlikely(win == nullptr)) {
        *why = DropReason::rx_bad_space;
        return false;
    }
    const uint64_t seq = rte_be_to_cpu_64(h->seq);
    if (unlikely(wire::seq_epoch(seq) < windows.epoch_floor.load(std::memory_order_acquire))) {
        *why = DropReason::rx_too_old;  // an earlier life of the sender
        return false;
    }
    switch (win->check(seq)) {
    case ReplayVerdict::Ok: break;
    case ReplayVerdict::Replay: *why = DropReason::rx_seq_replay; return false;
    case ReplayVerdict::TooOld: *why = DropReason::rx_too_old; return false;
    }
    uint8_t nonce[kAeadNonceLen];
    aead_nonce(nonce, rte_be_to_cpu_16(h->src_node), h->space, seq);
    auto* msg = const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(h));
    if (unlikely(!aead_open(*k, nonce, msg, sizeof(wire::Header), c.payload_len, h->flags & wire::kFlagEncrypted,
                            msg + sizeof(wire::Header) + c.payload_len))) {
        *why = DropReason::rx_bad_auth;
        return false;
    }
    // Another worker may have committed the same message an instant ago.
    if (unlikely(!win->commit(seq))) {
        *why = DropReason::rx_seq_replay;
        return false;
    }
    c.route = r;
    return true;
}

}  // namespace ftnet
