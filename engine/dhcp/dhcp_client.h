// A DHCPv4 client (RFC 2131 4.4) for one address: the state machine only;
// frames, ARP and time are the owner's (DhcpModule on the control thread,
// or a unit test replaying recorded exchanges).
//
//   INIT -> SELECTING (DISCOVER, retransmitted with back-off)
//        -> REQUESTING (REQUEST for the first OFFER)
//        -> PROBING (RFC 5227: ARP probes for the address; a reply or a
//           probe from another host is a conflict: DECLINE, then INIT
//           after decline_wait)
//        -> BOUND (the lease is the owner's) -> RENEWING at T1 (unicast
//           REQUEST to the server) -> REBINDING at T2 (broadcast) ->
//           expiry: the lease is lost, INIT again.
//   A NAK anywhere: the lease is lost, INIT again. stop(): RELEASE if bound.
//
// The client identifier is the owner's and stable (a resource keeps its
// address whichever node holds it); every exchange has a fresh xid.
//
// Control thread (or a unit test) only. No I/O, no clock, no allocation
// per tick beyond messages it sends.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "engine/core/net_addr.h"
#include "engine/dhcp/dhcp_message.h"

namespace ftnet::dhcp {

struct Timing {
    uint64_t retransmit_initial_ms = 4000;  // RFC 2131 4.1: 4 s, doubling to 64 s, +-1 s
    uint64_t retransmit_max_ms = 64000;
    unsigned request_tries = 4;             // REQUESTs before starting over
    unsigned probe_count = 2;               // RFC 5227 says 3, 1-2 s apart: too slow for a failover
    uint64_t probe_interval_ms = 300;
    uint64_t decline_wait_ms = 10000;       // RFC 2131 3.1.5
    uint64_t renew_min_ms = 1000;           // floor of the RENEWING/REBINDING retransmissions
};

struct Lease {
    IpAddr addr;
    uint8_t prefix_len = 24;
    IpAddr server;       // server identifier
    MacAddr server_mac;  // where RENEWING's unicast goes (the server, or its router)
    std::optional<IpAddr> router;
    std::vector<IpAddr> dns;
    uint32_t lease_s = 0, t1_s = 0, t2_s = 0;
    uint64_t obtained_ms = 0;  // when the ACK arrived
};

enum class State : uint8_t { Stopped, Init, Selecting, Requesting, Probing, Bound, Renewing, Rebinding, Declined };
const char* state_name(State s);

class Client {
  public:
    struct Io {
        // A message to the server: broadcast (to 255.255.255.255 from
        // 0.0.0.0 or from ciaddr) or unicast to the lease's server.
        std::function<void(const Message& m, bool broadcast)> send;
        std::function<void(const IpAddr& target)> arp_probe;
        std::function<void(const Lease& l)> bound;  // new or renewed (possibly another address)
        std::function<void(const std::string& why)> lost;  // no lease any more (or none yet after many tries)
    };

    Client(Io io, MacAddr chaddr, std::vector<uint8_t> client_id, Timing t, uint32_t seed);

    void start(uint64_t now_ms);
    void stop(uint64_t now_ms);  // RELEASE if a lease is held
    void on_message(const Message& m, const MacAddr& src_mac, uint64_t now_ms);
    // Another host answered an ARP probe for, or probes, `a`.
    void on_conflict(const IpAddr& a, uint64_t now_ms);
    void tick(uint64_t now_ms);

    State state() const { return state_; }
    const std::optional<Lease>& lease() const { return lease_; }
    uint32_t xid() const { return xid_; }
    // The address being probed (PROBING), for the owner's ARP matching.
    std::optional<IpAddr> probing() const;
    nlohmann::json status(uint64_t now_ms) const;

  private:
    Message base(MsgType t) const;
    void enter_init(uint64_t now_ms, uint64_t delay_ms);
    void send_discover(uint64_t now_ms);
    void send_request(uint64_t now_ms);
    void send_renew(bool broadcast);
    void accept_ack(const Message& m, const MacAddr& src_mac, uint64_t now_ms);
    void lose(const std::string& why, uint64_t now_ms, uint64_t restart_delay_ms);
    uint64_t backoff(unsigned attempt);
    uint64_t deadline(uint32_t s) const { return lease_->obtained_ms + uint64_t{s} * 1000; }

    Io io_;
    MacAddr chaddr_;
    std::vector<uint8_t> client_id_;
    Timing t_;
    std::mt19937 rng_;
    State state_ = State::Stopped;
    uint32_t xid_ = 0;
    unsigned attempts_ = 0;
    uint64_t next_ms_ = 0;    // the next retransmission, probe or timer
    uint64_t started_ms_ = 0;
    std::optional<Message> offer_;  // REQUESTING: the OFFER taken
    std::optional<Lease> pending_;  // PROBING: the ACKed lease being checked
    std::optional<Lease> lease_;    // BOUND, RENEWING, REBINDING
    unsigned probes_sent_ = 0;
    std::string last_event_;
    uint64_t leases_obtained_ = 0, naks_ = 0, declines_ = 0;
};

}  // namespace ftnet::dhcp
