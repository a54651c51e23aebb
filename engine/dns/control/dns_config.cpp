#include "engine/dns/control/dns_config.h"

#include <fmt/format.h>

#include "engine/config/config_sections.h"
#include "engine/config/private_file.h"
#include "engine/config/reader.h"
#include "engine/resources/control/resources_config.h"

namespace ftnet {

namespace {

bool valid_base64(const std::string& s) {
    if (s.empty() || s.size() % 4 != 0) return false;
    size_t pad = 0;
    for (char c : s) {
        if (c == '=') pad++;
        else if (pad || !(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/')) return false;
    }
    return pad <= 2;
}

void read_dns(Reader& r, const toml::table& root, Config& c) {
    const toml::table* t = r.section(root, kDnsSection);
    if (!t) return;
    DnsSettings& s = c.section<DnsSettings>(kDnsSection);
    s.configured = true;
    const std::string p = kDnsSection;
    r.check_known(*t, p, {"server", "port", "zone", "reverse_zones", "tsig_key_name", "tsig_algorithm", "tsig_secret",
                          "tsig_key_file", "timeout_ms", "retry_max_s", "refused_retry_s"});
    if (auto a = r.get_parsed<IpAddr>(*t, p, "server", parse_ip, "an IPv4 or IPv6 address")) s.server = *a;
    else if (!t->get("server")) r.error(t, p + ".server", "required key is missing");
    r.get_int(*t, p, "port", s.port, 1, 65535);
    if (r.get_string(*t, p, "zone", s.zone, true, 253) && s.zone.empty()) r.error(t->get("zone"), p + ".zone", "is empty");
    r.get_string_array(*t, p, "reverse_zones", s.reverse_zones);
    for (size_t i = 0; i < s.reverse_zones.size(); i++) {
        const std::string& z = s.reverse_zones[i];
        if (!dns::in_zone(z, "in-addr.arpa") && !dns::in_zone(z, "ip6.arpa"))
            r.error(t->get("reverse_zones"), fmt::format("{}.reverse_zones[{}]", p, i),
                    fmt::format("\"{}\" is not under in-addr.arpa or ip6.arpa", z));
    }
    r.get_string(*t, p, "tsig_algorithm", s.key.algorithm, false, 32);
    if (s.key.algorithm != "hmac-sha256" && s.key.algorithm != "hmac-sha384" && s.key.algorithm != "hmac-sha512" &&
        s.key.algorithm != "hmac-sha1")
        r.error(t->get("tsig_algorithm"), p + ".tsig_algorithm",
                fmt::format("\"{}\" is not one of hmac-sha256 (the default), hmac-sha384, hmac-sha512, hmac-sha1", s.key.algorithm));
    const bool secret = t->get("tsig_secret") != nullptr, file = t->get("tsig_key_file") != nullptr;
    if (secret == file) {
        r.error(t, p + ".tsig_secret", "give either tsig_secret (with tsig_key_name) or tsig_key_file");
    } else if (secret) {
        r.get_string(*t, p, "tsig_key_name", s.key.name, true, 253);
        if (r.get_string(*t, p, "tsig_secret", s.key.secret, true, 1024) && !valid_base64(s.key.secret))
            r.error(t->get("tsig_secret"), p + ".tsig_secret", "is not base64 (as tsig-keygen prints it)");
        s.key_source = "tsig_secret";
    } else {
        std::string path, why;
        r.get_string(*t, p, "tsig_key_file", path, true, 4096);
        if (auto text = read_private_file(path, &why)) {
            try {
                const std::string alg = s.key.algorithm;
                s.key = dns::parse_key_file(*text);
                if (!t->get("tsig_algorithm") && s.key.algorithm.empty()) s.key.algorithm = alg;
            } catch (const dns::DnsError& e) {
                r.error(t->get("tsig_key_file"), p + ".tsig_key_file", fmt::format("\"{}\": {}", path, e.what()));
            }
            if (t->get("tsig_key_name"))
                r.error(t->get("tsig_key_name"), p + ".tsig_key_name", "the key file names the key");
        } else {
            r.error(t->get("tsig_key_file"), p + ".tsig_key_file", why);
        }
        s.key_source = path;
    }
    r.get_int(*t, p, "timeout_ms", s.timeout_ms, 100, 30000);
    r.get_int(*t, p, "retry_max_s", s.retry_max_s, 1, 3600);
    r.get_int(*t, p, "refused_retry_s", s.refused_retry_s, 10, 86400);
}

// Every Network Name is in the zone.
void check_dns(Reader& r, const toml::table&, Config& c) {
    const DnsSettings* s = c.find_section<DnsSettings>(kDnsSection);
    const ResourcesSettings* res = c.find_section<ResourcesSettings>(kResourcesSection);
    if (!s || !s->configured || !res) return;
    for (size_t i = 0; i < res->resources.size(); i++) {
        const ResourceConfig& rc = res->resources[i];
        if (rc.type != ResourceType::NetworkName || rc.dns.dns_name.empty()) continue;
        if (!dns::in_zone(rc.dns.dns_name, s->zone))
            r.error_at(rc.line, fmt::format("resource[{}].dns_name", i),
                       fmt::format("\"{}\" is not in the zone dns.zone = \"{}\"", rc.dns.dns_name, s->zone));
    }
}

}  // namespace

void register_dns_config(ConfigSections& s) { s.add({kDnsSection, "dns", read_dns, check_dns}); }

}  // namespace ftnet
