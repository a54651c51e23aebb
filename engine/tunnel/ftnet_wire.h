// The ftnet tunnel wire format, version 2 (docs/wire-format.md has the
// picture and the rules; the Wireshark dissector in scripts/wireshark
// decodes the same fields).
//
//   outer Ethernet | outer IPv6 or IPv4 | UDP (dst port 3343) | ftnet header |
//   payload (an inner Ethernet frame for DATA; encrypted when kFlagEncrypted) |
//   AEAD tag (16 bytes)
//
// Every message is protected by AES-GCM under a cluster key
// (engine/security/seal.h): the header is authenticated (and with it the
// route binding, hence the outer addresses), the payload is authenticated
// and optionally encrypted. All multi-byte fields are big-endian. Header-only
// and pure: shared by the workers (encap/decap), the control thread (HELLO,
// notices) and the tests.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ftnet::wire {

inline constexpr uint8_t kVersion = 2;
inline constexpr uint16_t kDefaultUdpPort = 3343;  // the classic cluster port
inline constexpr size_t kAuthTagLen = 16;           // AES-GCM tag

// What the payload is. Values are part of the wire format: never renumber.
enum class MsgType : uint8_t {
    Data = 1,         // payload: one inner Ethernet frame from ftnet0
    Hello = 2,        // payload: HelloPayload (virtual adapter endpoint exchange)
    HeartbeatReq = 3, // payload: HeartbeatPayload
    HeartbeatRep = 4, // payload: HeartbeatPayload (echoes the request)
    Session = 5,      // payload: reliable-session segment (reserved)
    LinkNotice = 6,   // payload: LinkNoticeHeader + entries (ends of routes that lost or regained link)
    PmtuProbe = 7,    // payload: PmtuProbePayload, then padding up to the probed size
    PmtuReply = 8,    // payload: PmtuProbePayload (echoes the probe it answers)
    DataFragment = 9, // payload: FragmentHeader + one piece of an inner Ethernet frame
};
inline constexpr uint8_t kMaxMsgType = 9;

// flags
inline constexpr uint8_t kFlagEncrypted = 0x01;  // the payload is AES-GCM ciphertext
inline constexpr uint8_t kFlagsKnown = kFlagEncrypted;

// The control thread's sequence space; workers use their index (0..).
inline constexpr uint8_t kControlSpace = 0xff;

struct __attribute__((packed)) Header {
    uint8_t version;         // kVersion; other versions are dropped and counted
    uint8_t type;            // MsgType
    uint8_t flags;           // kFlag*; unknown bits are dropped and counted
    uint8_t key_id;          // the cluster key that sealed it (1..254; 0 and 255 are never keys)
    uint16_t src_node;       // sender's node id (1..4096)
    uint16_t dst_node;       // receiver's node id; a packet for another node is dropped
    uint32_t route_binding;  // CRC32C of the route's family and both addresses
                             // (engine/security/route_binding.h): authenticated,
                             // so a message moved to another route is refused
    uint64_t seq;            // sender's sequence in its space: epoch (16) | counter (48)
    uint8_t space;           // sender's sequence space: worker index, kControlSpace
    uint8_t reserved;        // 0
};
static_assert(sizeof(Header) == 22);

inline constexpr uint64_t kSeqCounterMask = (uint64_t{1} << 48) - 1;
inline uint16_t seq_epoch(uint64_t seq) { return static_cast<uint16_t>(seq >> 48); }

inline constexpr size_t kUdpHdrLen = 8;
inline constexpr size_t kEthHdrLen = 14;
inline constexpr size_t kIpv4HdrLen = 20;
inline constexpr size_t kIpv6HdrLen = 40;

// Worst-case bytes added in front of (and after) an inner frame: used to
// derive the largest ftnet0 MTU a physical MTU allows.
inline constexpr size_t kMaxOverhead = kIpv6HdrLen + kUdpHdrLen + sizeof(Header) + kAuthTagLen;

// Every path between nodes must carry IP packets of this size (IPv6's
// minimum link MTU, RFC 8200 5, for both families): path MTU discovery never
// goes below it and control messages (session segments) always fit in it.
inline constexpr uint16_t kMinPathMtu = 1280;

// IP bytes of a message with `payload` bytes on a route of the family.
inline constexpr size_t ip_packet_len(bool v6, size_t payload) {
    return (v6 ? kIpv6HdrLen : kIpv4HdrLen) + kUdpHdrLen + sizeof(Header) + payload + kAuthTagLen;
}

// PMTU_PROBE / PMTU_REPLY payload. A probe is padded so that its IP packet
// is `size` bytes, sent with DF (IPv4; IPv6 routers never fragment) on one
// route; the receiver answers on the route it arrived on with a reply of
// just this struct. Sealed like every message: a reply cannot be forged,
// and its route binding pins it to the route it was sent on.
struct __attribute__((packed)) PmtuProbePayload {
    uint32_t boot_id;   // the prober's boot id (a reply echoes it)
    uint32_t probe_id;  // the prober's probe number since its start
    uint16_t size;      // the probe's IP packet length
    uint16_t reserved;  // 0
};
static_assert(sizeof(PmtuProbePayload) == 12);

// DATA_FRAGMENT payload: a frame from ftnet0 that does not fit the route's
// path MTU whole goes out as `count` fragments, each this header and the
// bytes [offset, offset + piece) of the frame, on the same route (so they
// reach the same receive queue). The receiver reassembles by (sender,
// sequence space, frame_id); every fragment is sealed on its own.
struct __attribute__((packed)) FragmentHeader {
    uint32_t frame_id;   // per sender sequence space, increasing
    uint16_t frame_len;  // length of the whole inner frame
    uint16_t offset;     // of this piece in the frame
    uint8_t index;       // 0 .. count - 1
    uint8_t count;       // 2 .. kMaxFragments
    uint16_t reserved;   // 0
};
static_assert(sizeof(FragmentHeader) == 12);
inline constexpr unsigned kMaxFragments = 16;

// HELLO payload: the sender's virtual adapter, as in the seed's "virtual
// adapter information exchange" (Figure 8). Fixed size; strings are
// NUL-padded.
struct __attribute__((packed)) HelloPayload {
    uint8_t adapter_mac[6];
    uint8_t apipa[4];        // IPv4, network order
    uint8_t link_local[16];  // IPv6
    uint16_t adapter_mtu;    // big-endian
    uint32_t boot_id;        // big-endian; changes at each start of the sender
    uint32_t flags;          // big-endian; bit 0: "please answer" (sent until a peer replies)
    char node_name[32];
    char cluster_name[32];
};
static_assert(sizeof(HelloPayload) == 100);
inline constexpr uint32_t kHelloWantReply = 0x1;

// HEARTBEAT_REQ / HEARTBEAT_REP payload. Like every message, sealed with
// the cluster key: none of it can be forged.
//
// seq: a request carries the requester's per-route request sequence (1, 2,
// 3, ... since its start); a reply carries the sequence of the request it
// answers in echo_seq. A reply is accepted only if it echoes the requester's
// current boot id and a request sequence above the last one answered and not
// above the last one sent, so a replayed or forged reply can never make a
// dead route look alive; a request whose sequence is not above the last one
// seen from that peer boot on that route is a replay and gets no answer.
// (The header's seq is the sender's message sequence, for the AEAD nonce
// and the replay window; it is not per route.)
struct __attribute__((packed)) HeartbeatPayload {
    uint32_t boot_id;       // sender's boot id (random at each start)
    uint32_t echo_boot_id;  // reply: the requester's boot id; request: the peer's boot id it last heard
    uint64_t tx_time;       // request: requester's send time (its own clock); reply: echoed
    uint32_t echo_seq;      // reply: the answered request's sequence; request: the peer's newest request heard
    uint16_t interval_ms;   // sender's heartbeat interval on this route (informational)
    uint8_t threshold;      // sender's miss threshold on this route (informational)
    uint8_t route_state;    // sender's view of the route: 0 unknown, 1 up, 2 down; a request
                            // saying "up" proves the sender hears us on this route
    uint32_t send_skew_us;  // the sender's recent worst spread, in microseconds, between the
                            // first and the last network its heartbeats of one round left on:
                            // the receiver allows that much more silence on a route before
                            // it calls it down (a busy sender is not a broken network)
    uint32_t seq;           // request: the per-route request sequence; reply: the replier's
                            // per-route reply count (informational)
};
static_assert(sizeof(HeartbeatPayload) == 32);

// LINK_NOTICE payload: a node tells a peer, over a route that still works,
// that its end of other routes to that peer lost (or regained) its link, so
// that the peer stops sending on them within about one RTT instead of after
// Threshold x Delay. Accepted only with the sender's current boot id and a
// notice sequence above the last one accepted from that boot, so a replayed
// notice cannot take a route down. (The header's seq is the sender's control
// thread message sequence, for the nonce and the replay window; the notice
// sequence is LinkNoticeHeader::seq.)
struct __attribute__((packed)) LinkNoticeHeader {
    uint32_t boot_id;  // sender's boot id
    uint32_t seq;      // sender's notice sequence since its start (1, 2, ...)
    uint8_t count;     // entries that follow, 1..kMaxLinkNoticeEntries
    uint8_t reserved[3];
};
static_assert(sizeof(LinkNoticeHeader) == 12);

inline constexpr uint8_t kLinkNoticeDown = 0;
inline constexpr uint8_t kLinkNoticeUp = 1;
inline constexpr uint8_t kLinkReasonLink = 1;   // carrier lost
inline constexpr uint8_t kLinkReasonAdmin = 2;  // set down by the operator

struct __attribute__((packed)) LinkNoticeEntry {
    uint8_t family;             // 4 or 6
    uint8_t state;              // kLinkNoticeDown or kLinkNoticeUp
    uint8_t reason;             // kLinkReason* for a down; 0 for an up
    uint8_t reserved;
    uint8_t sender_addr[16];    // the sender's end of the route (IPv4: 4 bytes, then zeros)
    uint8_t receiver_addr[16];  // the receiver's end of the route
};
static_assert(sizeof(LinkNoticeEntry) == 36);
inline constexpr size_t kMaxLinkNoticeEntries = 16;

}  // namespace ftnet::wire
