#include "engine/session/reliable_session.h"

#include <algorithm>
#include <cstring>

namespace ftnet::session {

namespace {

uint16_t be16(uint16_t v) { return __builtin_bswap16(v); }
uint32_t be32(uint32_t v) { return __builtin_bswap32(v); }
uint64_t be64(uint64_t v) { return __builtin_bswap64(v); }

uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

}  // namespace

const char* message_status_name(MessageStatus s) {
    switch (s) {
    case MessageStatus::Delivered: return "delivered";
    case MessageStatus::PeerRestarted: return "peer restarted";
    case MessageStatus::Closed: return "closed";
    }
    return "?";
}

ReliableSession::ReliableSession(SessionIo& io, uint16_t local_inc, size_t segment_data, uint64_t challenge_seed)
    : io_(io), local_inc_(local_inc), segment_data_(std::clamp<size_t>(segment_data, 128, kMaxSegmentData)),
      rng_(challenge_seed) {
    txbuf_.resize(sizeof(SegHeader) + segment_data_);
    while (challenge_ == 0) challenge_ = splitmix64(rng_);
}

ReliableSession::~ReliableSession() = default;

uint64_t ReliableSession::send(uint16_t type, const uint8_t* data, size_t len, uint64_t, SendRefusal* why) {
    SendRefusal refusal = SendRefusal::None;
    if (len > kMaxMessage)
        refusal = SendRefusal::TooBig;
    else if (queued_bytes_ + len > kMaxQueuedBytes || out_.size() >= kMaxQueuedSegments)
        refusal = SendRefusal::QueueFull;
    if (why) *why = refusal;
    if (refusal != SendRefusal::None) return 0;

    const size_t frags = len == 0 ? 1 : (len + segment_data_ - 1) / segment_data_;
    const uint64_t id = next_msg_id_++;
    for (size_t f = 0; f < frags; f++) {
        OutSeg o;
        o.msg_id = id;
        o.type = type;
        o.frag = static_cast<uint16_t>(f);
        o.frags = static_cast<uint16_t>(frags);
        o.msg_len = static_cast<uint32_t>(len);
        const size_t off = f * segment_data_, n = std::min(segment_data_, len - std::min(len, off));
        if (n) o.data.assign(data + off, data + off + n);
        o.last_of_msg = f + 1 == frags;
        out_.push_back(std::move(o));
        snd_next_++;
    }
    queued_bytes_ += len;
    stats_.msgs_sent++;
    return id;
}

void ReliableSession::on_segment(const uint8_t* seg, size_t len, uint64_t now_us) {
    if (len < sizeof(SegHeader)) {
        stats_.segs_malformed++;
        return;
    }
    SegHeader h;
    std::memcpy(&h, seg, sizeof h);
    const uint16_t sender = be16(h.sender_inc), receiver = be16(h.receiver_inc);
    if (h.kind == 0 || h.kind > kMaxSegKind || sender == 0) {
        stats_.segs_malformed++;
        return;
    }
    const SegKind kind = static_cast<SegKind>(h.kind);
    const uint64_t seq = be64(h.seq);
    if (kind == SegKind::Probe && sender >= peer_inc_) {
        echo_ = seq;  // our Acks echo it: its proof that we answer now
        ack_owed_ = echo_owed_ = true;  // an Ack, even if Data carries the acknowledgement
    }
    if (peer_inc_ == 0) {
        // First contact: an incarnation is believed only from an Ack that
        // echoes our own challenge, which no frame recorded from an earlier
        // life of the peer can; anything else only gets our probe.
        if (kind != SegKind::Ack || seq != challenge_) {
            if (kind != SegKind::Probe) stats_.segs_unverified++;
            return;
        }
    } else if (sender < peer_inc_) {
        // From an earlier life of the peer: nothing of it may be delivered.
        stats_.segs_stale++;
        return;
    }
    if (sender > peer_inc_) {
        const uint16_t old = peer_inc_;
        if (old != 0) {
            stats_.resets++;
            reset_streams(MessageStatus::PeerRestarted);
        }
        peer_inc_ = sender;
        ack_owed_ = true;  // tell it who we are now
        io_.peer_incarnation(old, sender);
    }
    if (receiver == 0) {
        // It does not know us yet (a probe): our Ack tells it.
        ack_owed_ = true;
        if (kind == SegKind::Data) stats_.segs_stale++;
        return;
    }
    if (receiver != local_inc_) {
        // To an earlier life of ours: dropped; our Ack tells it we started again.
        stats_.segs_stale++;
        ack_owed_ = true;
        return;
    }
    InSeg s;
    s.type = be16(h.msg_type);
    s.frag = be16(h.frag);
    s.frags = be16(h.frags);
    s.msg_len = be32(h.msg_len);
    const size_t dlen = len - sizeof h;
    const uint16_t window = be16(h.window);
    // Checked whole before anything of it is used.
    if (window == 0 || (kind == SegKind::Data && (seq == 0 || s.frags == 0 || s.frag >= s.frags ||
                                                  s.msg_len > kMaxMessage || dlen > s.msg_len))) {
        stats_.segs_malformed++;
        return;
    }
    stats_.segs_received++;
    if (!peer_knows_us_) {
        // It just learnt who we are (it started, or answered our challenge):
        // what it refused meanwhile goes out again now, not after backoff.
        peer_knows_us_ = true;
        for (uint64_t s = snd_una_; s < snd_tx_; s++) {
            OutSeg& o = out_[s - snd_una_];
            if (!o.sacked) o.sent_us = 0, o.tries = std::min<uint32_t>(o.tries, 1);
        }
    }
    process_ack(be64(h.ack), be64(h.sack), window, now_us);
    if (kind != SegKind::Data) {
        if (kind == SegKind::Probe) ack_owed_ = true;
        return;
    }
    ack_owed_ = true;
    if (seq < rcv_next_ || held_.count(seq)) {
        stats_.segs_duplicate++;
        return;
    }
    if (seq >= rcv_next_ + kWindow) {
        stats_.segs_out_of_window++;
        return;
    }
    s.data.assign(seg + sizeof h, seg + len);
    accept_data(seq, std::move(s));
}

void ReliableSession::accept_data(uint64_t seq, InSeg&& s) {
    if (seq != rcv_next_) {
        held_.emplace(seq, std::move(s));
        return;
    }
    InSeg cur = std::move(s);
    for (;;) {
        rcv_next_++;
        // Reassembly: fragments arrive here in stream order.
        const bool starts = cur.frag == 0;
        const bool continues = !starts && reasm_next_frag_ == cur.frag && reasm_type_ == cur.type &&
                               reasm_frags_ == cur.frags && reasm_len_ == cur.msg_len;
        if (starts) {
            if (reasm_next_frag_ != 0) stats_.segs_malformed++;  // the previous message never finished
            reasm_.clear();
            reasm_.reserve(cur.msg_len);
            reasm_type_ = cur.type;
            reasm_frags_ = cur.frags;
            reasm_len_ = cur.msg_len;
            reasm_next_frag_ = 0;
        }
        if (starts || continues) {
            reasm_.insert(reasm_.end(), cur.data.begin(), cur.data.end());
            reasm_next_frag_++;
            if (reasm_.size() > reasm_len_) {
                stats_.segs_malformed++;
                reasm_next_frag_ = 0;
            } else if (reasm_next_frag_ == reasm_frags_) {
                reasm_next_frag_ = 0;
                if (reasm_.size() == reasm_len_) {
                    stats_.msgs_delivered++;
                    io_.deliver(reasm_type_, reasm_.data(), reasm_.size());
                } else {
                    stats_.segs_malformed++;
                }
            }
        } else {
            stats_.segs_malformed++;
            reasm_next_frag_ = 0;
        }
        auto it = held_.find(rcv_next_);
        if (it == held_.end()) break;
        cur = std::move(it->second);
        held_.erase(it);
    }
}

void ReliableSession::process_ack(uint64_t ack, uint64_t sack, uint16_t window, uint64_t) {
    if (ack > snd_tx_) return;  // acknowledges what we never sent: ignore
    peer_window_ = window;
    std::vector<uint64_t> done;
    while (snd_una_ < ack && !out_.empty()) {
        OutSeg& o = out_.front();
        queued_bytes_ -= o.data.size();
        if (o.last_of_msg) done.push_back(o.msg_id);
        out_.pop_front();
        snd_una_++;
    }
    if (highest_sacked_ < snd_una_) highest_sacked_ = 0;
    for (unsigned i = 0; i < 64 && sack; i++, sack >>= 1) {
        if (!(sack & 1)) continue;
        const uint64_t seq = ack + 1 + i;
        if (seq < snd_una_ || seq >= snd_tx_) continue;
        out_[seq - snd_una_].sacked = true;
        highest_sacked_ = std::max(highest_sacked_, seq);
    }
    // Messages may count queued bytes down by a message's length, which
    // the segments' data sum to.
    for (uint64_t id : done) {
        stats_.msgs_acked++;
        io_.completed(id, MessageStatus::Delivered);
    }
}

uint64_t ReliableSession::seg_rto(const OutSeg& o) const {
    const uint32_t shift = std::min<uint32_t>(o.tries > 0 ? o.tries - 1 : 0, 8);
    return std::min(kMaxRtoUs, rto_us_ << shift);
}

uint64_t ReliableSession::sack_bits() const {
    uint64_t bits = 0;
    for (auto it = held_.upper_bound(rcv_next_); it != held_.end() && it->first <= rcv_next_ + 64; ++it)
        bits |= uint64_t{1} << (it->first - rcv_next_ - 1);
    return bits;
}

void ReliableSession::fill_header(SegHeader& h, SegKind kind) const {
    std::memset(&h, 0, sizeof h);
    h.kind = static_cast<uint8_t>(kind);
    if (kind == SegKind::Probe) h.seq = be64(challenge_);
    if (kind == SegKind::Ack) h.seq = be64(echo_);
    h.sender_inc = be16(local_inc_);
    h.receiver_inc = be16(peer_inc_);
    h.ack = be64(rcv_next_);
    h.sack = be64(sack_bits());
    h.window = be16(kWindow);
}

bool ReliableSession::transmit_data(uint64_t seq, OutSeg& o, uint64_t now_us) {
    uint8_t* buf = txbuf_.data();
    SegHeader h;
    fill_header(h, SegKind::Data);
    h.msg_type = be16(o.type);
    h.seq = be64(seq);
    h.frag = be16(o.frag);
    h.frags = be16(o.frags);
    h.msg_len = be32(o.msg_len);
    std::memcpy(buf, &h, sizeof h);
    if (!o.data.empty()) std::memcpy(buf + sizeof h, o.data.data(), o.data.size());
    if (!io_.transmit(buf, sizeof h + o.data.size())) return false;
    o.sent_us = std::max<uint64_t>(now_us, 1);  // 0 means "send again at once"
    o.tries++;
    ack_owed_ = false;  // it carried the ack
    return true;
}

bool ReliableSession::transmit_control(SegKind kind) {
    SegHeader h;
    fill_header(h, kind);
    if (!io_.transmit(reinterpret_cast<const uint8_t*>(&h), sizeof h)) return false;
    if (kind == SegKind::Ack) {
        stats_.acks_sent++;
        echo_owed_ = false;
    }
    return true;
}

void ReliableSession::flush(uint64_t now_us) {
    if (!established()) {
        // Answer the peer's probe (it proves nothing to us, but lets the
        // peer believe us), and ask for our own proof.
        if (ack_owed_ && transmit_control(SegKind::Ack)) ack_owed_ = false;
        if (last_probe_us_ == 0 || now_us - last_probe_us_ >= kProbeIntervalUs) {
            if (transmit_control(SegKind::Probe)) last_probe_us_ = now_us;
        }
        return;
    }
    // Retransmissions: timed out, or a hole below what the peer already
    // has (once, after an RTT).
    for (uint64_t seq = snd_una_; seq < snd_tx_; seq++) {
        OutSeg& o = out_[seq - snd_una_];
        if (o.sacked) continue;
        const uint64_t age = now_us - o.sent_us;
        const bool forced = o.sent_us == 0;
        const bool timed_out = !forced && age >= seg_rto(o);
        const bool hole = !forced && seq < highest_sacked_ && o.tries == 1 && age >= srtt_us_ + 1000;
        if (!forced && !timed_out && !hole) continue;
        if (!transmit_data(seq, o, now_us)) return;
        stats_.segs_retransmitted++;
        if (timed_out) stats_.timeouts++;
    }
    // New segments, as far as the peer's window lets us.
    const uint64_t edge = snd_una_ + std::min<uint16_t>(peer_window_, kWindow);
    while (snd_tx_ < snd_next_ && snd_tx_ < edge) {
        if (!transmit_data(snd_tx_, out_[snd_tx_ - snd_una_], now_us)) return;
        snd_tx_++;
        stats_.segs_sent++;
    }
    if ((ack_owed_ || echo_owed_) && transmit_control(SegKind::Ack)) ack_owed_ = false;
}

uint64_t ReliableSession::next_due_us() const {
    if (!established()) return last_probe_us_ == 0 || ack_owed_ ? 0 : last_probe_us_ + kProbeIntervalUs;
    if (ack_owed_ || echo_owed_) return 0;
    const uint64_t edge = snd_una_ + std::min<uint16_t>(peer_window_, kWindow);
    if (snd_tx_ < snd_next_ && snd_tx_ < edge) return 0;
    uint64_t due = UINT64_MAX;
    for (uint64_t seq = snd_una_; seq < snd_tx_; seq++) {
        const OutSeg& o = out_[seq - snd_una_];
        if (o.sacked) continue;
        if (o.sent_us == 0) return 0;
        due = std::min(due, o.sent_us + seg_rto(o));
        if (seq < highest_sacked_ && o.tries == 1) due = std::min(due, o.sent_us + srtt_us_ + 1000);
    }
    return due;
}

void ReliableSession::route_changed(uint64_t) {
    stats_.route_changes++;
    last_probe_us_ = 0;
    for (uint64_t seq = snd_una_; seq < snd_tx_; seq++) {
        OutSeg& o = out_[seq - snd_una_];
        if (o.sacked) continue;
        o.sent_us = 0;
        o.tries = std::min<uint32_t>(o.tries, 1);
    }
}

void ReliableSession::set_rtt(uint64_t srtt_us) {
    srtt_us_ = std::max<uint64_t>(srtt_us, 1);
    rto_us_ = std::clamp<uint64_t>(3 * srtt_us_ + 2000, kMinRtoUs, kMaxRtoUs);
}

void ReliableSession::reset_streams(MessageStatus why) {
    std::vector<uint64_t> failed;
    for (auto& o : out_)
        if (o.last_of_msg) failed.push_back(o.msg_id);
    out_.clear();
    snd_una_ = snd_next_ = snd_tx_ = 1;
    queued_bytes_ = 0;
    peer_window_ = kWindow;
    highest_sacked_ = 0;
    rcv_next_ = 1;
    held_.clear();
    reasm_.clear();
    peer_knows_us_ = false;
    reasm_next_frag_ = 0;
    for (uint64_t id : failed) io_.completed(id, why);
}

void ReliableSession::close() { reset_streams(MessageStatus::Closed); }

}  // namespace ftnet::session
