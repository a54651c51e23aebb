#include "engine/dns/dns_update.h"

#include <fmt/format.h>
#include <ldns/ldns.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <regex>

namespace ftnet::dns {

namespace {

struct PktFree {
    void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
struct RrListFree {
    void operator()(ldns_rr_list* l) const { ldns_rr_list_deep_free(l); }
};
using Pkt = std::unique_ptr<ldns_pkt, PktFree>;
using RrList = std::unique_ptr<ldns_rr_list, RrListFree>;

std::string absolute(const std::string& n) { return n.empty() || n.back() != '.' ? n + "." : n; }

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// The RRset deletion of RFC 2136 2.5.2: class ANY, TTL 0, no RDATA.
ldns_rr* delete_rrset(const std::string& owner, uint16_t type) {
    ldns_rdf* name = ldns_dname_new_frm_str(absolute(owner).c_str());
    if (!name) throw DnsError(fmt::format("\"{}\" is not a DNS name", owner));
    ldns_rr* rr = ldns_rr_new();
    ldns_rr_set_owner(rr, name);
    ldns_rr_set_type(rr, static_cast<ldns_rr_type>(type));
    ldns_rr_set_class(rr, LDNS_RR_CLASS_ANY);
    ldns_rr_set_ttl(rr, 0);
    return rr;
}

}  // namespace

SignedUpdate build_signed_update(const Update& u, uint16_t id, const TsigKey& key, uint16_t fudge_s) {
    RrList updates(ldns_rr_list_new());
    for (const Change& c : u.changes) {
        for (uint16_t t : c.delete_rrsets) ldns_rr_list_push_rr(updates.get(), delete_rrset(c.owner, t));
        for (const std::string& rd : c.add) {
            const std::string text = fmt::format("{} {} IN {}", absolute(c.owner), c.ttl, rd);
            ldns_rr* rr = nullptr;
            if (ldns_rr_new_frm_str(&rr, text.c_str(), 0, nullptr, nullptr) != LDNS_STATUS_OK || !rr)
                throw DnsError(fmt::format("cannot make a record of \"{}\"", text));
            ldns_rr_list_push_rr(updates.get(), rr);
        }
    }
    ldns_rdf* zone = ldns_dname_new_frm_str(absolute(u.zone).c_str());
    if (!zone) throw DnsError(fmt::format("\"{}\" is not a zone name", u.zone));
    // The packet takes the zone name; the lists stay ours.
    Pkt pkt(ldns_update_pkt_new(zone, LDNS_RR_CLASS_IN, nullptr, updates.get(), nullptr));
    if (!pkt) throw DnsError("cannot make an update message");
    ldns_pkt_set_id(pkt.get(), id);
    const std::string alg = absolute(lower(key.algorithm));
    const ldns_status st = ldns_pkt_tsig_sign(pkt.get(), absolute(key.name).c_str(), key.secret.c_str(), fudge_s, alg.c_str(), nullptr);
    if (st != LDNS_STATUS_OK)
        throw DnsError(fmt::format("cannot sign with TSIG key {} ({}): {}", key.name, key.algorithm, ldns_get_errorstr_by_id(st)));
    SignedUpdate out;
    out.id = id;
    uint8_t* wire = nullptr;
    size_t len = 0;
    if (ldns_pkt2wire(&wire, pkt.get(), &len) != LDNS_STATUS_OK) throw DnsError("cannot write the update message");
    out.wire.assign(wire, wire + len);
    free(wire);
    const ldns_rdf* mac = ldns_rr_rdf(ldns_pkt_tsig(pkt.get()), 3);
    // The MAC field is a 16-bit length and the MAC.
    if (mac && ldns_rdf_size(mac) >= 2) out.mac.assign(ldns_rdf_data(mac) + 2, ldns_rdf_data(mac) + ldns_rdf_size(mac));
    return out;  // ldns_update_pkt_new copied the update section: ours is freed here
}

std::optional<Reply> parse_reply(const uint8_t* data, size_t len, const TsigKey& key, const std::vector<uint8_t>& request_mac) {
    ldns_pkt* raw = nullptr;
    if (ldns_wire2pkt(&raw, data, len) != LDNS_STATUS_OK || !raw) return std::nullopt;
    Pkt pkt(raw);
    Reply r;
    r.id = ldns_pkt_id(pkt.get());
    r.rcode = ldns_pkt_get_rcode(pkt.get());
    if (const ldns_rr* tsig = ldns_pkt_tsig(pkt.get())) {
        if (const ldns_rdf* err = ldns_rr_rdf(tsig, 5)) r.tsig_error = ldns_rdf2native_int16(err);
        std::vector<uint8_t> mac_field(2 + request_mac.size());
        mac_field[0] = static_cast<uint8_t>(request_mac.size() >> 8);
        mac_field[1] = static_cast<uint8_t>(request_mac.size());
        std::copy(request_mac.begin(), request_mac.end(), mac_field.begin() + 2);
        ldns_rdf* req = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, mac_field.size(), mac_field.data());
        r.signed_ok = ldns_pkt_tsig_verify(pkt.get(), data, len, absolute(key.name).c_str(), key.secret.c_str(), req);
        ldns_rdf_deep_free(req);
    }
    return r;
}

std::string rcode_name(int rcode) {
    switch (rcode) {
    case 0: return "NOERROR";
    case 1: return "FORMERR";
    case 2: return "SERVFAIL";
    case 3: return "NXDOMAIN";
    case 4: return "NOTIMP";
    case 5: return "REFUSED";
    case 6: return "YXDOMAIN";
    case 7: return "YXRRSET";
    case 8: return "NXRRSET";
    case 9: return "NOTAUTH";
    case 10: return "NOTZONE";
    case 16: return "BADSIG";
    case 17: return "BADKEY";
    case 18: return "BADTIME";
    default: return fmt::format("RCODE {}", rcode);
    }
}

std::string reverse_name(const IpAddr& a) {
    std::string s;
    if (!a.is_v6()) {
        for (int i = 3; i >= 0; i--) s += fmt::format("{}.", a.b[static_cast<size_t>(i)]);
        return s + "in-addr.arpa";
    }
    static const char* hex = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
        const uint8_t b = a.b[static_cast<size_t>(i)];
        s += hex[b & 0xf];
        s += '.';
        s += hex[b >> 4];
        s += '.';
    }
    return s + "ip6.arpa";
}

TsigKey parse_key_file(const std::string& text) {
    TsigKey k;
    std::smatch m;
    if (std::regex_search(text, m, std::regex(R"re(key\s+"?([A-Za-z0-9._-]+)"?\s*\{)re"))) k.name = m[1];
    if (std::regex_search(text, m, std::regex(R"re(algorithm\s+"?([A-Za-z0-9._-]+)"?\s*;)re"))) k.algorithm = m[1];
    if (std::regex_search(text, m, std::regex(R"re(secret\s+"([A-Za-z0-9+/=]+)"\s*;)re"))) k.secret = m[1];
    if (k.name.empty()) throw DnsError("no `key \"NAME\" {` in the key file");
    if (k.secret.empty()) throw DnsError("no `secret \"...\";` in the key file");
    return k;
}

bool in_zone(const std::string& name, const std::string& zone) {
    std::string n = lower(name), z = lower(zone);
    while (!n.empty() && n.back() == '.') n.pop_back();
    while (!z.empty() && z.back() == '.') z.pop_back();
    if (z.empty() || n == z) return true;
    return n.size() > z.size() && n.compare(n.size() - z.size(), z.size(), z) == 0 && n[n.size() - z.size() - 1] == '.';
}

}  // namespace ftnet::dns
