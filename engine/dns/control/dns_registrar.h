// DNS registration of Network Names: keeps each name's A/AAAA records (and
// its PTR records when asked) on the zone's primary equal to what the
// resources module wants, by TSIG-signed dynamic updates over UDP.
//
// Per name, one update in flight at a time; each retry is signed afresh
// (new id, new time). Timeouts back off from 1 s, doubling, up to
// retry_max_s; a refusal (REFUSED, NOTAUTH, NOTZONE, a TSIG error) is
// logged with the server's rcode, shown in the status, and tried again only
// after refused_retry_s, never in a tight loop. A reply is believed only
// when it is signed with our key over our request (RFC 8945 5.3); an error
// reply the server could not sign (a bad key) is reported but not trusted
// to mean more than "refused".
//
// The socket and the clock are the caller's (DnsModule): it calls
// on_datagram() with what the socket received and tick() periodically, and
// the registrar sends through the injected function. Control thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "engine/core/net_addr.h"
#include "engine/dns/control/dns_config.h"
#include "engine/dns/dns_update.h"

namespace ftnet {

class DnsRegistrar {
  public:
    using Send = std::function<bool(const std::vector<uint8_t>& wire, std::string* why)>;
    // What happened to a name (for the cluster log and events).
    using Notify = std::function<void(const std::string& fqdn, const std::string& state, const std::string& detail)>;

    DnsRegistrar(const DnsSettings& s, Send send, Notify notify, uint32_t seed);

    void set(const std::string& fqdn, const std::vector<IpAddr>& addrs, uint32_t ttl, bool ptr, uint64_t now_ms);
    void stop(const std::string& fqdn, bool remove, uint64_t now_ms);
    void on_datagram(const uint8_t* data, size_t len, uint64_t now_ms);
    void tick(uint64_t now_ms);

    nlohmann::json status(const std::string& fqdn, uint64_t now_ms) const;
    nlohmann::json all(uint64_t now_ms) const;
    uint64_t replies_ignored() const { return ignored_; }

  private:
    struct Name {
        std::string fqdn;
        bool active = false;       // set() and not stopped
        bool removing = false;     // stop(remove): delete what we registered
        std::vector<IpAddr> want;
        uint32_t ttl = 0;
        bool ptr = false;
        std::optional<std::vector<IpAddr>> registered;  // on the server after our last success (unknown: nullopt)
        std::vector<IpAddr> ptr_registered;
        std::vector<dns::Update> queue;  // what is left of the current sync, in order
        std::vector<std::string> notes;  // addresses without a reverse zone
        // The message in flight.
        bool in_flight = false;
        uint16_t id = 0;
        std::vector<uint8_t> mac;
        uint64_t deadline_ms = 0;
        unsigned attempts = 0;  // of the current message
        uint64_t next_try_ms = 0;
        std::string state = "idle";
        std::string last_error;
        uint64_t registered_at_ms = 0;
        uint64_t updates_ok = 0, timeouts = 0, refusals = 0;
    };

    void plan(Name& n, uint64_t now_ms);
    void send_next(Name& n, uint64_t now_ms);
    void failed(Name& n, const std::string& why, bool refused, uint64_t now_ms);
    std::optional<std::string> reverse_zone(const IpAddr& a) const;

    DnsSettings s_;
    Send send_;
    Notify notify_;
    std::mt19937 rng_;
    std::map<std::string, Name> names_;
    uint64_t ignored_ = 0;
};

}  // namespace ftnet
