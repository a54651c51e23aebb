// [dns]: where Network Names are registered (config/schema.md, "[dns]").
//
//   [dns]
//   server = "198.18.1.99"        # the primary of the zone (UDP port `port`)
//   port = 53
//   zone = "ftlab.example"        # every dns_name of a network_name is in it
//   reverse_zones = ["1.18.198.in-addr.arpa"]   # for PublishPTRRecords
//   tsig_key_name = "ftnet-update"
//   tsig_algorithm = "hmac-sha256"
//   tsig_secret = "base64..."     # or tsig_key_file = "/etc/ftnet/dns.key"
//                                 # (BIND's `key "NAME" {...};`, mode 0600)
//   timeout_ms = 2000             # one attempt
//   retry_max_s = 60              # longest back-off while the server is unreachable
//   refused_retry_s = 300         # after a refusal (bad key, NOTAUTH, REFUSED)
//
// Read on the main thread at start-up; the DNS module keeps it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/net_addr.h"
#include "engine/dns/dns_update.h"

namespace ftnet {

class ConfigSections;

struct DnsSettings {
    bool configured = false;  // a [dns] section is present
    IpAddr server;
    uint16_t port = 53;
    std::string zone;
    std::vector<std::string> reverse_zones;
    dns::TsigKey key;
    std::string key_source;  // "tsig_secret" or the key file
    unsigned timeout_ms = 2000;
    unsigned retry_max_s = 60;
    unsigned refused_retry_s = 300;
};

inline constexpr const char* kDnsSection = "dns";

void register_dns_config(ConfigSections& s);

}  // namespace ftnet
