// The reliable session's segment, the payload of an ftnet message of type
// Session (docs/wire-format.md, "Session segments"). The ftnet header and
// its AEAD already say who sent it, to whom, and that it is authentic and
// not replayed; the segment adds what the session needs on top: the two
// ends' incarnations, its place in the stream, and the acknowledgement of
// the other direction. Big-endian, like every ftnet field.
//
// Header-only and pure: the session (engine/session/reliable_session.h),
// the dissector's tests and the fuzz targets use it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ftnet::session {

enum class SegKind : uint8_t {
    Data = 1,   // a fragment of a message; carries seq, and the ack of the other direction
    Ack = 2,    // only the ack of the other direction (and the window)
    Probe = 3,  // "who are you now?": the peer answers with an Ack that carries its incarnation
};
inline constexpr uint8_t kMaxSegKind = 3;

struct __attribute__((packed)) SegHeader {
    uint8_t kind;           // SegKind
    uint8_t flags;          // 0
    uint16_t msg_type;      // Data: the message's type (the local API's channel)
    uint16_t sender_inc;    // the sender's incarnation (its epoch: grows at every start)
    uint16_t receiver_inc;  // the receiver's incarnation the sender is talking to (0: not known yet)
    uint64_t seq;           // Data: this segment's number in the stream (from 1)
    uint64_t ack;           // the next segment the sender expects from the receiver (all below arrived)
    uint64_t sack;          // bit i: segment ack + 1 + i arrived too
    uint16_t window;        // segments from `ack` on that the sender will accept
    uint16_t frag;          // Data: index of this fragment in its message
    uint16_t frags;         // Data: fragments in the message (1..)
    uint16_t reserved;      // 0
    uint32_t msg_len;       // Data: the whole message's length
};
static_assert(sizeof(SegHeader) == 44);

}  // namespace ftnet::session
