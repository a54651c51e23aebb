// One reliable session: ordered, exactly-once delivery of typed messages
// to one peer over unreliable, reordering, duplicating datagrams (sealed
// ftnet messages on whichever route is in use).
//
//   - Messages up to kMaxMessage are cut into segments of at most
//     `segment_data` bytes, numbered in one stream per direction (64-bit,
//     never wrapping), and reassembled in order at the other end.
//   - The receiver acknowledges cumulatively (`ack`: all below arrived) and
//     selectively (`sack`: which of the next 64 arrived), and advertises how
//     many segments from `ack` on it accepts (flow control: the sender never
//     has more than that outstanding).
//   - A segment not acknowledged within the retransmission timeout goes out
//     again (the timeout comes from the route's heartbeat RTT, set_rtt(),
//     never from the session's own acks, so a paused peer's late acks
//     cannot distort it; it doubles for each retry of a segment, up to
//     kMaxRto). A hole below a selectively acknowledged segment goes out
//     again after one RTT. When the route in use changes, everything
//     outstanding goes out again at once (route_changed()).
//   - Each end has an incarnation (its epoch, which grows at every start of
//     ftnetd). Every segment names the sender's and the receiver's; a
//     segment from an older incarnation of the peer, or to an older one of
//     ours, is dropped, so nothing from a previous life is delivered. When
//     the peer's incarnation grows (it restarted), both directions start
//     over: what was outstanding fails (MessageStatus::PeerRestarted) and
//     the reset is reported. At first contact (this end just started, and
//     its replay windows are empty), the peer's incarnation is believed
//     only from an Ack that echoes this end's random challenge (sent in its
//     Probes), so frames recorded from an earlier life of the peer and
//     replayed cannot pose as its present life.
//   - A duplicate (retransmitted, or replayed by the network) is never
//     delivered twice: segments below `ack` or already buffered are dropped
//     and re-acknowledged.
//
// Pure: no DPDK, no clock, no I/O. The owner feeds it segments and the
// time and gives it a SessionIo to send, deliver and report through.
// Control thread (or a test) only; one owner calls it at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <vector>

#include "engine/session/session_wire.h"

namespace ftnet::session {

inline constexpr size_t kMaxMessage = 4u << 20;          // bytes in one message
inline constexpr uint16_t kWindow = 512;                 // segments a receiver buffers beyond `ack`
inline constexpr size_t kMaxQueuedBytes = 16u << 20;     // a sender's unacknowledged bytes, per peer
inline constexpr size_t kMaxQueuedSegments = 1u << 18;   // and segments (empty messages have no bytes)
inline constexpr uint64_t kMinRtoUs = 4000;
inline constexpr uint64_t kMaxRtoUs = 1000000;
inline constexpr uint64_t kProbeIntervalUs = 20000;      // while the peer's incarnation is unknown
inline constexpr size_t kMaxSegmentData = 9000;          // data bytes in one segment (jumbo frames)

enum class MessageStatus : uint8_t {
    Delivered,      // the peer's session received every fragment, in order
    PeerRestarted,  // the peer started again before acknowledging it
    Closed,         // this end shut down first
};
const char* message_status_name(MessageStatus s);

enum class SendRefusal : uint8_t { None, TooBig, QueueFull };

// What a session does to the outside world.
class SessionIo {
  public:
    virtual ~SessionIo() = default;
    // One segment (header and data) to the peer; false when it could not
    // go out now (no route, no buffer): the session tries again later.
    virtual bool transmit(const uint8_t* segment, size_t len) = 0;
    // A whole message from the peer, in order, exactly once.
    virtual void deliver(uint16_t type, const uint8_t* data, size_t len) = 0;
    // A message of ours has its outcome.
    virtual void completed(uint64_t msg_id, MessageStatus status) = 0;
    // The peer's incarnation changed from `old_inc` (0: first contact) to `new_inc`.
    virtual void peer_incarnation(uint16_t old_inc, uint16_t new_inc) = 0;
};

struct SessionStats {
    uint64_t msgs_sent = 0;           // accepted by send()
    uint64_t msgs_acked = 0;          // completed as Delivered
    uint64_t msgs_delivered = 0;      // received from the peer and delivered
    uint64_t segs_sent = 0;           // first transmissions
    uint64_t segs_retransmitted = 0;  // every further transmission
    uint64_t segs_received = 0;
    uint64_t segs_duplicate = 0;      // already had it: dropped, re-acknowledged
    uint64_t segs_out_of_window = 0;  // beyond the window we advertise: dropped
    uint64_t segs_stale = 0;          // from an older incarnation of the peer, or to an older one of ours
    uint64_t segs_malformed = 0;      // bad length, kind or fragment fields
    uint64_t segs_unverified = 0;     // before the peer answered our challenge: dropped
    uint64_t acks_sent = 0;
    uint64_t resets = 0;              // the peer restarted under us
    uint64_t route_changes = 0;       // everything outstanding sent again at once
    uint64_t timeouts = 0;            // retransmissions for want of an ack
};

class ReliableSession {
  public:
    // `segment_data`: the most data bytes one segment may carry (the route's
    // MTU less every header); `local_inc`: this end's incarnation (>= 1).
    // `challenge_seed`: randomness for this end's first-contact challenge
    // (a different value at every start).
    ReliableSession(SessionIo& io, uint16_t local_inc, size_t segment_data, uint64_t challenge_seed);
    ~ReliableSession();
    ReliableSession(const ReliableSession&) = delete;
    ReliableSession& operator=(const ReliableSession&) = delete;

    // Queues a message; returns its id (>= 1), or 0 and why not.
    uint64_t send(uint16_t type, const uint8_t* data, size_t len, uint64_t now_us, SendRefusal* why = nullptr);

    // A segment from the peer (the payload of an admitted Session message).
    void on_segment(const uint8_t* seg, size_t len, uint64_t now_us);

    // Sends what is due: new segments within the window, retransmissions,
    // the acknowledgement owed, probes. Call after a batch of on_segment()
    // and on a timer (next_due_us() says when).
    void flush(uint64_t now_us);
    // When flush() next has something to do (UINT64_MAX: nothing pending).
    uint64_t next_due_us() const;

    // The route in use changed: send everything outstanding again now.
    void route_changed(uint64_t now_us);
    // The route's smoothed heartbeat RTT, in microseconds.
    void set_rtt(uint64_t srtt_us);

    // Fails everything outstanding (MessageStatus::Closed).
    void close();

    uint16_t local_incarnation() const { return local_inc_; }
    uint16_t peer_incarnation() const { return peer_inc_; }
    bool established() const { return peer_inc_ != 0; }
    uint64_t in_flight() const { return snd_tx_ - snd_una_; }
    uint64_t queued_segments() const { return snd_next_ - snd_una_; }
    size_t queued_bytes() const { return queued_bytes_; }
    uint16_t peer_window() const { return peer_window_; }
    uint64_t rto_us() const { return rto_us_; }
    uint64_t srtt_us() const { return srtt_us_; }
    const SessionStats& stats() const { return stats_; }

  private:
    struct OutSeg {
        uint64_t msg_id = 0;
        uint16_t type = 0, frag = 0, frags = 0;
        uint32_t msg_len = 0;
        std::vector<uint8_t> data;
        uint64_t sent_us = 0;     // last transmission (0: never)
        uint32_t tries = 0;       // transmissions so far
        bool sacked = false;
        bool last_of_msg = false;
    };
    struct InSeg {
        uint16_t type = 0, frag = 0, frags = 0;
        uint32_t msg_len = 0;
        std::vector<uint8_t> data;
    };

    void reset_streams(MessageStatus why);
    void process_ack(uint64_t ack, uint64_t sack, uint16_t window, uint64_t now_us);
    void accept_data(uint64_t seq, InSeg&& s);
    void deliver_in_order();
    bool transmit_data(uint64_t seq, OutSeg& o, uint64_t now_us);
    bool transmit_control(SegKind kind);
    void fill_header(SegHeader& h, SegKind kind) const;
    uint64_t seg_rto(const OutSeg& o) const;
    uint64_t sack_bits() const;

    SessionIo& io_;
    const uint16_t local_inc_;
    const size_t segment_data_;
    uint16_t peer_inc_ = 0;

    // Sending: segments snd_una_ .. snd_next_-1 are outstanding (out_[0] is
    // snd_una_); those below snd_tx_ have been transmitted at least once.
    std::deque<OutSeg> out_;
    uint64_t snd_una_ = 1, snd_next_ = 1, snd_tx_ = 1;
    uint64_t next_msg_id_ = 1;
    size_t queued_bytes_ = 0;
    uint16_t peer_window_ = kWindow;
    uint64_t highest_sacked_ = 0;

    // Receiving: everything below rcv_next_ arrived and was delivered (or
    // is in reassembly); held_ are segments that came early.
    uint64_t rcv_next_ = 1;
    std::map<uint64_t, InSeg> held_;
    std::vector<uint8_t> reasm_;
    uint16_t reasm_type_ = 0, reasm_next_frag_ = 0, reasm_frags_ = 0;
    uint32_t reasm_len_ = 0;
    bool ack_owed_ = false;
    std::vector<uint8_t> txbuf_;

    uint64_t srtt_us_ = 1000;
    uint64_t rto_us_ = kMinRtoUs;
    uint64_t last_probe_us_ = 0;
    uint64_t rng_;
    uint64_t challenge_ = 0;  // in our Probes; the Ack that echoes it proves the peer's incarnation
    uint64_t echo_ = 0;       // the peer's last challenge, echoed in our Acks
    bool echo_owed_ = false;  // a Probe came: only an Ack (not Data) answers it
    bool peer_knows_us_ = false;  // it addressed our present life since the last reset
    SessionStats stats_;
};

}  // namespace ftnet::session
