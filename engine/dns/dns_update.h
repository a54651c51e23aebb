// DNS dynamic update messages (RFC 2136), signed with TSIG (RFC 8945), and
// the server's replies: built and parsed with ldns, the DNS library of
// NLnet Labs, rather than a hand-written codec.
//
// An update here is "in zone Z, for each owner name: delete these RRsets,
// then add these records", with no prerequisites: the registrar states the
// whole record set it wants (RFC 2136 3.4.2.3, 3.4.2.4), so a lost reply
// and a retry do no harm.
//
// Pure apart from ldns's clock (the TSIG time signed is the current time,
// as the server requires it within the fudge). Control thread (or a unit
// test) only.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/core/net_addr.h"

namespace ftnet::dns {

struct DnsError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A TSIG key as BIND's tsig-keygen writes it.
struct TsigKey {
    std::string name;                        // e.g. "ftnet-update"
    std::string algorithm = "hmac-sha256";   // hmac-sha256 (RFC 8945's mandatory one), -sha384, -sha512, -sha1
    std::string secret;                      // base64
};

enum RrType : uint16_t { kA = 1, kPtr = 12, kAaaa = 28 };

struct Change {
    std::string owner;               // absolute or relative to nothing: "web.ftlab.example"
    std::vector<uint16_t> delete_rrsets;  // types whose RRsets go first
    std::vector<std::string> add;    // "A 198.18.1.50", "AAAA fd00:1::50", "PTR web.ftlab.example."
    uint32_t ttl = 0;
};

struct Update {
    std::string zone;
    std::vector<Change> changes;
};

struct SignedUpdate {
    std::vector<uint8_t> wire;
    std::vector<uint8_t> mac;  // the request MAC, which signs the reply (RFC 8945 5.3)
    uint16_t id = 0;
};

// Throws DnsError (a name ldns refuses, a key it cannot use).
SignedUpdate build_signed_update(const Update& u, uint16_t id, const TsigKey& key, uint16_t fudge_s = 300);

struct Reply {
    uint16_t id = 0;
    int rcode = 0;       // the header's RCODE
    int tsig_error = 0;  // the TSIG RR's error (BADSIG 16, BADKEY 17, BADTIME 18)
    bool signed_ok = false;  // signed with our key over our request's MAC
};

// nullopt when the bytes are not a DNS message.
std::optional<Reply> parse_reply(const uint8_t* data, size_t len, const TsigKey& key, const std::vector<uint8_t>& request_mac);

// "NOERROR", "REFUSED", "NOTAUTH", ... and the TSIG errors "BADSIG", ...
std::string rcode_name(int rcode);

// The PTR owner of an address: "50.1.18.198.in-addr.arpa",
// "0.5.0.0...0.0.d.f.ip6.arpa" (RFC 1035 3.5, RFC 3596 2.5).
std::string reverse_name(const IpAddr& a);

// The key in a BIND key file (`key "NAME" { algorithm ALG; secret "B64"; };`);
// throws DnsError naming what is missing.
TsigKey parse_key_file(const std::string& text);

// Whether `name` is `zone` or below it (case-insensitive, trailing dots ignored).
bool in_zone(const std::string& name, const std::string& zone);

}  // namespace ftnet::dns
