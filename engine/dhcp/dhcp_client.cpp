#include "engine/dhcp/dhcp_client.h"

#include <fmt/format.h>

#include <algorithm>

namespace ftnet::dhcp {

using nlohmann::json;

const char* state_name(State s) {
    switch (s) {
    case State::Stopped: return "stopped";
    case State::Init: return "init";
    case State::Selecting: return "selecting";
    case State::Requesting: return "requesting";
    case State::Probing: return "probing";
    case State::Bound: return "bound";
    case State::Renewing: return "renewing";
    case State::Rebinding: return "rebinding";
    case State::Declined: return "declined";
    }
    return "?";
}

Client::Client(Io io, MacAddr chaddr, std::vector<uint8_t> client_id, Timing t, uint32_t seed)
    : io_(std::move(io)), chaddr_(chaddr), client_id_(std::move(client_id)), t_(t), rng_(seed) {}

uint64_t Client::backoff(unsigned attempt) {
    const unsigned shift = std::min(attempt > 0 ? attempt - 1 : 0u, 16u);
    const uint64_t base = std::min(t_.retransmit_initial_ms << shift, t_.retransmit_max_ms);
    // RFC 2131 4.1: randomized by +-1 s (a tenth of the base when it is
    // shorter, so a short lab timing keeps its order).
    const int64_t spread = static_cast<int64_t>(std::min<uint64_t>(1000, base / 10));
    const int64_t jitter = spread ? static_cast<int64_t>(rng_() % static_cast<uint64_t>(2 * spread + 1)) - spread : 0;
    return static_cast<uint64_t>(std::max<int64_t>(static_cast<int64_t>(base) + jitter, 100));
}

Message Client::base(MsgType t) const {
    Message m;
    m.op = 1;
    m.type = t;
    m.xid = xid_;
    m.chaddr = chaddr_;
    m.client_id = client_id_;
    return m;
}

void Client::start(uint64_t now_ms) {
    if (state_ != State::Stopped) return;
    started_ms_ = now_ms;
    enter_init(now_ms, 0);
}

void Client::enter_init(uint64_t now_ms, uint64_t delay_ms) {
    state_ = State::Init;
    offer_.reset();
    pending_.reset();
    attempts_ = 0;
    next_ms_ = now_ms + delay_ms;
}

void Client::stop(uint64_t now_ms) {
    (void)now_ms;
    if (lease_ && (state_ == State::Bound || state_ == State::Renewing || state_ == State::Rebinding)) {
        Message m = base(MsgType::Release);
        m.xid = static_cast<uint32_t>(rng_());
        m.ciaddr = lease_->addr;
        m.server_id = lease_->server;
        io_.send(m, false);
        last_event_ = "released " + lease_->addr.str();
    }
    lease_.reset();
    pending_.reset();
    offer_.reset();
    state_ = State::Stopped;
}

void Client::send_discover(uint64_t now_ms) {
    Message m = base(MsgType::Discover);
    m.broadcast = true;
    m.param_request = true;
    m.secs = static_cast<uint16_t>(std::min<uint64_t>((now_ms - started_ms_) / 1000, 0xffff));
    io_.send(m, true);
}

void Client::send_request(uint64_t now_ms) {
    Message m = base(MsgType::Request);
    m.broadcast = true;
    m.param_request = true;
    m.requested_ip = offer_->yiaddr;
    m.server_id = offer_->server_id;
    m.secs = static_cast<uint16_t>(std::min<uint64_t>((now_ms - started_ms_) / 1000, 0xffff));
    io_.send(m, true);
}

void Client::send_renew(bool broadcast) {
    Message m = base(MsgType::Request);
    m.param_request = true;
    m.ciaddr = lease_->addr;  // RFC 2131 4.3.2: no server id, no requested address
    io_.send(m, broadcast);
}

void Client::lose(const std::string& why, uint64_t now_ms, uint64_t restart_delay_ms) {
    last_event_ = why;
    lease_.reset();
    enter_init(now_ms, restart_delay_ms);
    io_.lost(why);
}

void Client::on_message(const Message& m, const MacAddr& src_mac, uint64_t now_ms) {
    if (m.op != 2 || m.xid != xid_ || !(m.chaddr == chaddr_)) return;
    if (!m.client_id.empty() && m.client_id != client_id_) return;
    switch (state_) {
    case State::Selecting:
        if (m.type != MsgType::Offer || m.yiaddr.is_unspecified()) return;
        offer_ = m;
        if (!offer_->server_id) offer_->server_id = m.siaddr;
        state_ = State::Requesting;
        attempts_ = 1;
        send_request(now_ms);
        next_ms_ = now_ms + backoff(attempts_);
        return;
    case State::Requesting:
    case State::Renewing:
    case State::Rebinding:
        if (m.type == MsgType::Nak) {
            naks_++;
            lose(fmt::format("the server refused (DHCPNAK{})", m.message.empty() ? "" : ": " + m.message), now_ms, 0);
            return;
        }
        if (m.type == MsgType::Ack) accept_ack(m, src_mac, now_ms);
        return;
    default:
        return;
    }
}

void Client::accept_ack(const Message& m, const MacAddr& src_mac, uint64_t now_ms) {
    if (m.yiaddr.is_unspecified()) return;
    Lease l;
    l.addr = m.yiaddr;
    l.prefix_len = m.prefix_len.value_or(24);
    l.server = m.server_id ? *m.server_id : (offer_ && offer_->server_id ? *offer_->server_id : m.siaddr);
    l.server_mac = src_mac;
    l.router = m.router;
    l.dns = m.dns_servers;
    l.lease_s = m.lease_s.value_or(3600);
    l.t1_s = m.t1_s.value_or(l.lease_s / 2);
    l.t2_s = m.t2_s.value_or(static_cast<uint32_t>(uint64_t{l.lease_s} * 7 / 8));
    // RFC 2131 4.4.5: T1 < T2 < lease; anything else is the default.
    if (l.t2_s >= l.lease_s) l.t2_s = static_cast<uint32_t>(uint64_t{l.lease_s} * 7 / 8);
    if (l.t1_s >= l.t2_s) l.t1_s = l.t2_s / 2;
    l.obtained_ms = now_ms;
    if ((state_ == State::Renewing || state_ == State::Rebinding) && lease_ && lease_->addr == l.addr) {
        lease_ = l;
        state_ = State::Bound;
        next_ms_ = deadline(l.t1_s);
        last_event_ = fmt::format("renewed {} for {} s", l.addr.str(), l.lease_s);
        io_.bound(l);
        return;
    }
    // A new address: make sure nobody uses it first (RFC 5227).
    pending_ = l;
    state_ = State::Probing;
    probes_sent_ = 0;
    next_ms_ = now_ms;
}

void Client::on_conflict(const IpAddr& a, uint64_t now_ms) {
    if (state_ != State::Probing || !pending_ || !(pending_->addr == a)) return;
    Message m = base(MsgType::Decline);
    m.requested_ip = a;
    m.server_id = pending_->server;
    io_.send(m, true);
    declines_++;
    lose(fmt::format("{} is in use by another host: declined (RFC 5227)", a.str()), now_ms, t_.decline_wait_ms);
    state_ = State::Declined;
}

void Client::tick(uint64_t now_ms) {
    switch (state_) {
    case State::Stopped:
        return;
    case State::Init:
    case State::Declined:
        if (now_ms < next_ms_) return;
        xid_ = static_cast<uint32_t>(rng_());
        state_ = State::Selecting;
        attempts_ = 1;
        send_discover(now_ms);
        next_ms_ = now_ms + backoff(attempts_);
        return;
    case State::Selecting:
        if (now_ms < next_ms_) return;
        attempts_++;
        if (attempts_ == 4) {
            last_event_ = "no DHCP server answered 3 DISCOVERs; still asking";
            io_.lost(last_event_);
        }
        send_discover(now_ms);
        next_ms_ = now_ms + backoff(attempts_);
        return;
    case State::Requesting:
        if (now_ms < next_ms_) return;
        if (attempts_ >= t_.request_tries) {
            last_event_ = "no answer to the REQUEST: starting over";
            enter_init(now_ms, 0);
            return;
        }
        attempts_++;
        send_request(now_ms);
        next_ms_ = now_ms + backoff(attempts_);
        return;
    case State::Probing:
        if (now_ms < next_ms_) return;
        if (probes_sent_ < t_.probe_count) {
            io_.arp_probe(pending_->addr);
            probes_sent_++;
            next_ms_ = now_ms + t_.probe_interval_ms;
            return;
        }
        lease_ = pending_;
        pending_.reset();
        state_ = State::Bound;
        leases_obtained_++;
        next_ms_ = deadline(lease_->t1_s);
        last_event_ = fmt::format("bound to {} for {} s", lease_->addr.str(), lease_->lease_s);
        io_.bound(*lease_);
        return;
    case State::Bound:
        if (now_ms < deadline(lease_->t1_s)) return;
        state_ = State::Renewing;
        xid_ = static_cast<uint32_t>(rng_());
        next_ms_ = now_ms;  // the first REQUEST at once
        [[fallthrough]];
    case State::Renewing:
        if (now_ms < deadline(lease_->t2_s)) {
            if (now_ms < next_ms_) return;
            send_renew(false);
            next_ms_ = now_ms + std::max(t_.renew_min_ms, (deadline(lease_->t2_s) - now_ms) / 2);
            return;
        }
        state_ = State::Rebinding;
        next_ms_ = now_ms;
        [[fallthrough]];
    case State::Rebinding:
        if (now_ms >= deadline(lease_->lease_s)) {
            lose(fmt::format("the lease of {} expired (no server renewed it)", lease_->addr.str()), now_ms, 0);
            return;
        }
        if (now_ms < next_ms_) return;
        send_renew(true);
        next_ms_ = now_ms + std::max(t_.renew_min_ms, (deadline(lease_->lease_s) - now_ms) / 2);
        return;
    }
}

std::optional<IpAddr> Client::probing() const {
    if (state_ == State::Probing && pending_) return pending_->addr;
    return std::nullopt;
}

json Client::status(uint64_t now_ms) const {
    json j = {{"state", state_name(state_)}, {"leases_obtained", leases_obtained_}, {"naks", naks_}, {"declines", declines_}};
    if (!last_event_.empty()) j["last_event"] = last_event_;
    if (lease_) {
        const Lease& l = *lease_;
        auto in = [&](uint32_t s) {
            const uint64_t at = deadline(s);
            return at > now_ms ? static_cast<double>(at - now_ms) / 1000.0 : 0.0;
        };
        j["address"] = fmt::format("{}/{}", l.addr.str(), l.prefix_len);
        j["server"] = l.server.str();
        j["lease_s"] = l.lease_s;
        j["renew_in_s"] = in(l.t1_s);
        j["rebind_in_s"] = in(l.t2_s);
        j["expires_in_s"] = in(l.lease_s);
        if (l.router) j["router"] = l.router->str();
    }
    return j;
}

}  // namespace ftnet::dhcp
