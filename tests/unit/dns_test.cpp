// DNS registration (engine/dns): update messages and their TSIG signature
// checked against an independent computation of RFC 8945's MAC, replies
// signed by a server (as BIND signs them) and forged ones, the registrar's
// state machine (updates, PTRs, retries with back-off, refusals, removal),
// key files, reverse names and the [dns] section.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <ldns/ldns.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "engine/config/config_loader.h"
#include "engine/dns/control/dns_config.h"
#include "engine/dns/control/dns_registrar.h"
#include "engine/dns/dns_update.h"

namespace ftnet {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

// tsig-keygen -a hmac-sha256 ftnet-update (a test key, nothing else).
const dns::TsigKey kKey{"ftnet-update", "hmac-sha256", "2gaWz6I5Ty8+uW1Ssx9XYk2IcpLN9EeG7QCvSwvo2Ac="};

std::vector<uint8_t> unbase64(const std::string& s) {
    std::vector<uint8_t> out(s.size());
    const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
    size_t len = static_cast<size_t>(n);
    for (auto it = s.rbegin(); it != s.rend() && *it == '='; ++it) len--;
    out.resize(len);
    return out;
}

// Wire form of a name, uncompressed, lower case (RFC 8945 4.3.3).
std::vector<uint8_t> wire_name(const std::string& name) {
    std::vector<uint8_t> out;
    size_t start = 0;
    while (start < name.size()) {
        size_t dot = name.find('.', start);
        if (dot == std::string::npos) dot = name.size();
        out.push_back(static_cast<uint8_t>(dot - start));
        for (size_t i = start; i < dot; i++) out.push_back(static_cast<uint8_t>(std::tolower(name[i])));
        start = dot + 1;
    }
    out.push_back(0);
    return out;
}

struct PktDel {
    void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using Pkt = std::unique_ptr<ldns_pkt, PktDel>;

Pkt parse(const std::vector<uint8_t>& w) {
    ldns_pkt* p = nullptr;
    EXPECT_EQ(ldns_wire2pkt(&p, w.data(), w.size()), LDNS_STATUS_OK);
    return Pkt(p);
}

// The update section as text lines; an RRset deletion has no RDATA, which
// ldns prints as RFC 3597's "\# 0".
std::vector<std::string> update_section(const std::vector<uint8_t>& w) {
    Pkt p = parse(w);
    std::vector<std::string> out;
    const ldns_rr_list* l = ldns_pkt_authority(p.get());
    for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
        char* s = ldns_rr2str(ldns_rr_list_rr(l, i));
        std::string line(s);
        free(s);
        while (!line.empty() && (line.back() == '\n' || line.back() == '\t')) line.pop_back();
        for (char& c : line)
            if (c == '\t') c = ' ';
        out.push_back(line);
    }
    return out;
}

std::string zone_of(const std::vector<uint8_t>& w) {
    Pkt p = parse(w);
    char* s = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(p.get()), 0)));
    std::string z(s);
    free(s);
    return z;
}

dns::Update web_update() {
    dns::Update u{"ftlab.example", {}};
    u.changes.push_back({"web.ftlab.example", {dns::kA, dns::kAaaa}, {"A 198.18.1.50", "AAAA fd00:1::50"}, 1200});
    return u;
}

TEST(DnsUpdate, TheMessageIsAnRfc2136UpdateOfTheZone) {
    auto su = dns::build_signed_update(web_update(), 0x1234, kKey);
    ASSERT_GT(su.wire.size(), 12u);
    EXPECT_EQ(su.wire[0], 0x12);
    EXPECT_EQ(su.wire[1], 0x34);
    EXPECT_EQ((su.wire[2] >> 3) & 0xf, 5) << "opcode UPDATE";
    EXPECT_EQ(zone_of(su.wire), "ftlab.example.");
    EXPECT_THAT(update_section(su.wire),
                ElementsAre("web.ftlab.example. 0 ANY A \\# 0", "web.ftlab.example. 0 ANY AAAA \\# 0",
                            "web.ftlab.example. 1200 IN A 198.18.1.50", "web.ftlab.example. 1200 IN AAAA fd00:1::50"));
    EXPECT_EQ(su.mac.size(), 32u) << "HMAC-SHA256";
}

// The MAC computed here from RFC 8945 4.3.3, with OpenSSL, not with ldns:
// the message without its TSIG (ARCOUNT one less), then the TSIG variables.
TEST(DnsUpdate, TheTsigMacIsRfc8945sOverTheMessageAndTheTsigVariables) {
    auto su = dns::build_signed_update(web_update(), 0xbeef, kKey);
    Pkt p = parse(su.wire);
    ldns_rr* tsig = ldns_pkt_tsig(p.get());
    ASSERT_NE(tsig, nullptr);
    const uint8_t* ts = ldns_rdf_data(ldns_rr_rdf(tsig, 1));
    const uint16_t fudge = ldns_rdf2native_int16(ldns_rr_rdf(tsig, 2));
    EXPECT_EQ(fudge, 300);
    const long now = time(nullptr);
    uint64_t signed_at = 0;
    for (int i = 0; i < 6; i++) signed_at = signed_at << 8 | ts[i];
    EXPECT_LE(std::labs(static_cast<long>(signed_at) - now), 5) << "time signed is now";

    // The message as it was before the TSIG was added: re-written without
    // it, it must be the prefix of what was sent.
    ldns_pkt_set_tsig(p.get(), nullptr);
    uint8_t* unsigned_wire = nullptr;
    size_t unsigned_len = 0;
    ASSERT_EQ(ldns_pkt2wire(&unsigned_wire, p.get(), &unsigned_len), LDNS_STATUS_OK);
    std::vector<uint8_t> msg(unsigned_wire, unsigned_wire + unsigned_len);
    free(unsigned_wire);
    ldns_pkt_set_tsig(p.get(), tsig);
    ASSERT_LT(msg.size(), su.wire.size());
    EXPECT_TRUE(std::equal(msg.begin() + 12, msg.end(), su.wire.begin() + 12)) << "the TSIG RR is appended";
    EXPECT_EQ(msg[11] + 1, su.wire[11]) << "ARCOUNT counts the TSIG";

    std::vector<uint8_t> d = msg;
    auto put16 = [&](uint16_t v) {
        d.push_back(static_cast<uint8_t>(v >> 8));
        d.push_back(static_cast<uint8_t>(v));
    };
    for (uint8_t b : wire_name("ftnet-update")) d.push_back(b);
    put16(255);  // class ANY
    put16(0), put16(0);  // TTL
    for (uint8_t b : wire_name("hmac-sha256")) d.push_back(b);
    d.insert(d.end(), ts, ts + 6);
    put16(fudge);
    put16(0);  // error
    put16(0);  // other len
    const std::vector<uint8_t> secret = unbase64(kKey.secret);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), d.data(), d.size(), mac, &mac_len);
    ASSERT_EQ(mac_len, 32u);
    EXPECT_EQ(std::vector<uint8_t>(mac, mac + mac_len), su.mac);
}

// A reply as the server signs it: over our request's MAC (RFC 8945 5.3).
std::vector<uint8_t> server_reply(uint16_t id, ldns_pkt_rcode rcode, const std::vector<uint8_t>& request_mac,
                                  const dns::TsigKey& key) {
    Pkt p(ldns_pkt_new());
    ldns_pkt_set_id(p.get(), id);
    ldns_pkt_set_qr(p.get(), true);
    ldns_pkt_set_opcode(p.get(), LDNS_PACKET_UPDATE);
    ldns_pkt_set_rcode(p.get(), static_cast<uint8_t>(rcode));
    std::vector<uint8_t> field(2 + request_mac.size());
    field[0] = static_cast<uint8_t>(request_mac.size() >> 8);
    field[1] = static_cast<uint8_t>(request_mac.size());
    std::copy(request_mac.begin(), request_mac.end(), field.begin() + 2);
    ldns_rdf* qmac = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, field.size(), field.data());
    EXPECT_EQ(ldns_pkt_tsig_sign(p.get(), (key.name + ".").c_str(), key.secret.c_str(), 300, "hmac-sha256.", qmac),
              LDNS_STATUS_OK);
    ldns_rdf_deep_free(qmac);
    uint8_t* w = nullptr;
    size_t n = 0;
    EXPECT_EQ(ldns_pkt2wire(&w, p.get(), &n), LDNS_STATUS_OK);
    std::vector<uint8_t> out(w, w + n);
    free(w);
    return out;
}

TEST(DnsUpdate, RepliesAreBelievedOnlyWhenSignedWithOurKeyOverOurRequest) {
    auto su = dns::build_signed_update(web_update(), 77, kKey);
    auto ok = server_reply(77, LDNS_RCODE_NOERROR, su.mac, kKey);
    auto r = dns::parse_reply(ok.data(), ok.size(), kKey, su.mac);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->id, 77);
    EXPECT_EQ(r->rcode, 0);
    EXPECT_TRUE(r->signed_ok);
    // Signed over another request's MAC (a replay of an older reply).
    auto other = dns::build_signed_update(web_update(), 78, kKey);
    auto replayed = server_reply(77, LDNS_RCODE_NOERROR, other.mac, kKey);
    EXPECT_FALSE(dns::parse_reply(replayed.data(), replayed.size(), kKey, su.mac)->signed_ok);
    // Signed with another key (a forger's).
    dns::TsigKey forger = kKey;
    forger.secret = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    auto forged = server_reply(77, LDNS_RCODE_NOERROR, su.mac, forger);
    EXPECT_FALSE(dns::parse_reply(forged.data(), forged.size(), kKey, su.mac)->signed_ok);
    // Not DNS at all.
    const uint8_t junk[] = {1, 2, 3};
    EXPECT_FALSE(dns::parse_reply(junk, sizeof junk, kKey, su.mac));
    auto refused = server_reply(77, LDNS_RCODE_REFUSED, su.mac, kKey);
    EXPECT_EQ(dns::parse_reply(refused.data(), refused.size(), kKey, su.mac)->rcode, 5);
}

TEST(DnsUpdate, BadNamesAndKeysAreErrorsNotCrashes) {
    dns::Update u = web_update();
    u.changes[0].add = {"A not-an-address"};
    EXPECT_THROW(dns::build_signed_update(u, 1, kKey), dns::DnsError);
    dns::TsigKey k = kKey;
    k.algorithm = "hmac-nope";
    EXPECT_THROW(dns::build_signed_update(web_update(), 1, k), dns::DnsError);
}

TEST(DnsUpdate, ReverseNamesKeyFilesAndZones) {
    EXPECT_EQ(dns::reverse_name(*IpAddr::parse("198.18.1.50")), "50.1.18.198.in-addr.arpa");
    EXPECT_EQ(dns::reverse_name(*IpAddr::parse("fd00:1::50")),
              "0.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa");
    auto k = dns::parse_key_file("key \"ftnet-update\" {\n\talgorithm hmac-sha256;\n\tsecret \"" + kKey.secret + "\";\n};\n");
    EXPECT_EQ(k.name, "ftnet-update");
    EXPECT_EQ(k.algorithm, "hmac-sha256");
    EXPECT_EQ(k.secret, kKey.secret);
    EXPECT_THROW(dns::parse_key_file("secret \"abc=\";"), dns::DnsError);
    EXPECT_THROW(dns::parse_key_file("key \"x\" { algorithm hmac-sha256; };"), dns::DnsError);
    EXPECT_TRUE(dns::in_zone("web.ftlab.example", "ftlab.example."));
    EXPECT_TRUE(dns::in_zone("WEB.FTLab.Example.", "ftlab.example"));
    EXPECT_TRUE(dns::in_zone("ftlab.example", "ftlab.example"));
    EXPECT_FALSE(dns::in_zone("web.xftlab.example", "ftlab.example"));
    EXPECT_FALSE(dns::in_zone("example", "ftlab.example"));
}

// ---------------------------------------------------------------------------
// The registrar against a scripted server.

class Registrar : public testing::Test {
  protected:
    Registrar() {
        s.configured = true;
        s.server = *IpAddr::parse("198.18.1.99");
        s.zone = "ftlab.example";
        s.reverse_zones = {"1.18.198.in-addr.arpa"};
        s.key = kKey;
        s.timeout_ms = 2000;
        s.retry_max_s = 16;
        s.refused_retry_s = 300;
        reg = std::make_unique<DnsRegistrar>(
            s,
            [this](const std::vector<uint8_t>& w, std::string* why) {
                if (unreachable) {
                    *why = "Network is unreachable";
                    return false;
                }
                sent.push_back(w);
                return true;
            },
            [this](const std::string& n, const std::string& st, const std::string&) { notes.push_back(n + " " + st); }, 1);
    }
    // The server answers the last message with `rcode`, signed over it.
    void answer(ldns_pkt_rcode rcode = LDNS_RCODE_NOERROR, const dns::TsigKey& key = kKey) {
        ASSERT_FALSE(sent.empty());
        const auto& w = sent.back();
        Pkt p = parse(w);
        const ldns_rdf* mac = ldns_rr_rdf(ldns_pkt_tsig(p.get()), 3);
        std::vector<uint8_t> m(ldns_rdf_data(mac) + 2, ldns_rdf_data(mac) + ldns_rdf_size(mac));
        auto reply = server_reply(ldns_pkt_id(p.get()), rcode, m, key);
        reg->on_datagram(reply.data(), reply.size(), now);
    }

    DnsSettings s;
    std::unique_ptr<DnsRegistrar> reg;
    std::vector<std::vector<uint8_t>> sent;
    std::vector<std::string> notes;
    bool unreachable = false;
    uint64_t now = 1000000;
    const IpAddr a = *IpAddr::parse("198.18.1.50"), b = *IpAddr::parse("198.19.1.50");
};

TEST_F(Registrar, RegistersTheWholeSetThenItsPtrsOneZoneAtATime) {
    reg->set("web.ftlab.example", {a, b}, 1200, true, now);
    ASSERT_EQ(sent.size(), 1u) << "one message in flight";
    EXPECT_EQ(zone_of(sent[0]), "ftlab.example.");
    EXPECT_THAT(update_section(sent[0]),
                ElementsAre("web.ftlab.example. 0 ANY A \\# 0", "web.ftlab.example. 0 ANY AAAA \\# 0",
                            "web.ftlab.example. 1200 IN A 198.18.1.50", "web.ftlab.example. 1200 IN A 198.19.1.50"));
    answer();
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(zone_of(sent[1]), "1.18.198.in-addr.arpa.");
    EXPECT_THAT(update_section(sent[1]),
                ElementsAre("50.1.18.198.in-addr.arpa. 0 ANY PTR \\# 0", "50.1.18.198.in-addr.arpa. 1200 IN PTR web.ftlab.example."));
    answer();
    EXPECT_EQ(reg->status("web.ftlab.example", now)["state"], "registered");
    EXPECT_THAT(reg->status("web.ftlab.example", now)["notes"][0].get<std::string>(), HasSubstr("no reverse zone for 198.19.1.50"));
    EXPECT_THAT(notes, ElementsAre("web.ftlab.example registered"));
    // The same set again: nothing to send.
    reg->set("web.ftlab.example", {b, a}, 1200, true, now);
    EXPECT_EQ(sent.size(), 2u);
    // One address less: the set is stated again and its PTR deleted.
    reg->set("web.ftlab.example", {b}, 1200, true, now);
    ASSERT_EQ(sent.size(), 3u);
    EXPECT_THAT(update_section(sent[2]), ElementsAre("web.ftlab.example. 0 ANY A \\# 0", "web.ftlab.example. 0 ANY AAAA \\# 0",
                                                     "web.ftlab.example. 1200 IN A 198.19.1.50"));
    answer();
    ASSERT_EQ(sent.size(), 4u);
    EXPECT_THAT(update_section(sent[3]), ElementsAre("50.1.18.198.in-addr.arpa. 0 ANY PTR \\# 0"));
}

TEST_F(Registrar, AnUnreachableServerIsRetriedWithBackOffNotInATightLoop) {
    reg->set("web.ftlab.example", {a}, 60, false, now);
    ASSERT_EQ(sent.size(), 1u);
    std::vector<uint64_t> sent_at = {now};
    // No answer: timeouts at 2 s, then waits of 1, 2, 4, 8, 16, 16 s.
    for (uint64_t t = now; t < now + 120000; t += 100) {
        reg->tick(t);
        if (sent.size() > sent_at.size()) sent_at.push_back(t);
    }
    ASSERT_GE(sent_at.size(), 6u);
    std::vector<uint64_t> gaps;
    for (size_t i = 1; i < sent_at.size(); i++) gaps.push_back(sent_at[i] - sent_at[i - 1]);
    EXPECT_EQ(gaps[0], 3000u);  // 2 s timeout + 1 s
    EXPECT_EQ(gaps[1], 4000u);
    EXPECT_EQ(gaps[2], 6000u);
    EXPECT_EQ(gaps[3], 10000u);
    EXPECT_EQ(gaps[4], 18000u);  // 2 + 16 (retry_max_s)
    EXPECT_EQ(gaps.back(), 18000u);
    EXPECT_EQ(reg->status("web.ftlab.example", now)["state"], "retrying");
    // Each retry is signed afresh (another id).
    EXPECT_NE(ldns_pkt_id(parse(sent[0]).get()), ldns_pkt_id(parse(sent[1]).get()));
    // The server comes back: the next retry is answered.
    const size_t n = sent.size();
    for (uint64_t t = now + 120000; sent.size() == n; t += 100) reg->tick(t);
    answer();
    EXPECT_EQ(reg->status("web.ftlab.example", now)["state"], "registered");
}

TEST_F(Registrar, ARefusalIsReportedAndTriedAgainOnlyMuchLater) {
    reg->set("web.ftlab.example", {a}, 60, false, now);
    answer(LDNS_RCODE_NOTAUTH);
    auto st = reg->status("web.ftlab.example", now);
    EXPECT_EQ(st["state"], "refused");
    EXPECT_THAT(st["last_error"].get<std::string>(), HasSubstr("NOTAUTH"));
    EXPECT_THAT(notes, ElementsAre("web.ftlab.example refused"));
    for (uint64_t t = now; t < now + 299000; t += 500) reg->tick(t);
    EXPECT_EQ(sent.size(), 1u) << "nothing for refused_retry_s";
    reg->tick(now + 300000);
    EXPECT_EQ(sent.size(), 2u);
}

TEST_F(Registrar, AForgedOrUnsignedSuccessIsIgnored) {
    reg->set("web.ftlab.example", {a}, 60, false, now);
    dns::TsigKey forger = kKey;
    forger.secret = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    answer(LDNS_RCODE_NOERROR, forger);
    EXPECT_EQ(reg->status("web.ftlab.example", now)["state"], "updating");
    EXPECT_EQ(reg->replies_ignored(), 1u);
    answer();
    EXPECT_EQ(reg->status("web.ftlab.example", now)["state"], "registered");
}

TEST_F(Registrar, StoppingLeavesTheRecordsRemovingDeletesThem) {
    reg->set("web.ftlab.example", {a}, 60, true, now);
    answer();
    answer();
    const size_t n = sent.size();
    reg->stop("web.ftlab.example", false, now);  // failover: the new owner registers
    for (uint64_t t = now; t < now + 10000; t += 100) reg->tick(t);
    EXPECT_EQ(sent.size(), n);
    EXPECT_EQ(reg->status("web.ftlab.example", now)["state"], "stopped");
    reg->set("web.ftlab.example", {a}, 60, true, now);
    answer();
    answer();
    reg->stop("web.ftlab.example", true, now);  // offline for good
    ASSERT_EQ(sent.size(), n + 3);
    EXPECT_THAT(update_section(sent[n + 2]), ElementsAre("web.ftlab.example. 0 ANY A \\# 0", "web.ftlab.example. 0 ANY AAAA \\# 0"));
    answer();
    EXPECT_THAT(update_section(sent.back()), ElementsAre("50.1.18.198.in-addr.arpa. 0 ANY PTR \\# 0"));
    answer();
    EXPECT_EQ(reg->status("web.ftlab.example", now)["state"], "removed");
}

TEST_F(Registrar, ASendErrorIsRetriedLikeATimeout) {
    unreachable = true;
    reg->set("web.ftlab.example", {a}, 60, false, now);
    EXPECT_TRUE(sent.empty());
    EXPECT_EQ(reg->status("web.ftlab.example", now)["state"], "retrying");
    EXPECT_THAT(reg->status("web.ftlab.example", now)["last_error"].get<std::string>(), HasSubstr("unreachable"));
    unreachable = false;
    reg->tick(now + 1000);
    EXPECT_EQ(sent.size(), 1u);
}

// ---------------------------------------------------------------------------
// [dns]

std::string dns_config(const std::string& dns) {
    return R"([node]
id = 1
name = "node1"
[cluster]
key = "00112233445566778899aabbccddeeff"
[[network]]
name = "public"
role = 3
subnets = ["198.18.1.0/24"]
[[port]]
name = "public"
driver = "af_packet"
iface = "public"
network = "public"
ipv4 = "198.18.1.1/24"
[[resource]]
name = "ipA"
type = "ip_address"
network = "public"
address = "198.18.1.50/24"
[[resource]]
name = "web"
type = "network_name"
dns_name = "web.ftlab.example"
depends = "ipA"
[[group]]
name = "g"
resources = ["ipA", "web"]
)" + dns;
}

std::string errors_of(const ConfigResult& r) {
    std::string s;
    for (auto& e : r.errors) s += e.str() + "\n";
    return s;
}

TEST(DnsConfig, SecretInlineOrInABindKeyFile) {
    ConfigResult r = load_config_string(dns_config("[dns]\nserver = \"198.18.1.99\"\nzone = \"ftlab.example\"\n"
                                                   "tsig_key_name = \"ftnet-update\"\ntsig_secret = \"" + kKey.secret + "\"\n"),
                                        "ok.toml");
    ASSERT_TRUE(r.config) << errors_of(r);
    const DnsSettings* s = r.config->find_section<DnsSettings>(kDnsSection);
    EXPECT_EQ(s->key.name, "ftnet-update");
    EXPECT_EQ(s->port, 53);

    char dir[] = "/tmp/ftnet-dns-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    const std::string path = std::string(dir) + "/update.key";
    std::ofstream(path) << "key \"from-file\" {\n\talgorithm hmac-sha512;\n\tsecret \"" << kKey.secret << "\";\n};\n";
    chmod(path.c_str(), 0600);
    r = load_config_string(dns_config("[dns]\nserver = \"fd00:1::99\"\nport = 5353\nzone = \"ftlab.example\"\n"
                                      "tsig_key_file = \"" + path + "\"\n"),
                           "ok.toml");
    ASSERT_TRUE(r.config) << errors_of(r);
    s = r.config->find_section<DnsSettings>(kDnsSection);
    EXPECT_EQ(s->key.name, "from-file");
    EXPECT_EQ(s->key.algorithm, "hmac-sha512");
    EXPECT_EQ(s->server.str(), "fd00:1::99");
    chmod(path.c_str(), 0644);
    r = load_config_string(dns_config("[dns]\nserver = \"198.18.1.99\"\nzone = \"ftlab.example\"\ntsig_key_file = \"" + path + "\"\n"),
                           "bad.toml");
    EXPECT_FALSE(r.config);
    EXPECT_THAT(errors_of(r), HasSubstr("dns.tsig_key_file: \"" + path + "\" is accessible to group or other users"));
    unlink(path.c_str());
    rmdir(dir);
}

TEST(DnsConfig, MistakesNameTheKey) {
    const std::string key = "tsig_key_name = \"k\"\ntsig_secret = \"" + kKey.secret + "\"\n";
    struct Case {
        std::string dns;
        const char* error;
    } cases[] = {
        {"[dns]\nzone = \"ftlab.example\"\n" + key, "dns.server: required key is missing"},
        {"[dns]\nserver = \"nope\"\nzone = \"ftlab.example\"\n" + key, "dns.server"},
        {"[dns]\nserver = \"198.18.1.99\"\nzone = \"other.example\"\n" + key,
         "resource[1].dns_name: \"web.ftlab.example\" is not in the zone dns.zone = \"other.example\""},
        {"[dns]\nserver = \"198.18.1.99\"\nzone = \"ftlab.example\"\n", "give either tsig_secret"},
        {"[dns]\nserver = \"198.18.1.99\"\nzone = \"ftlab.example\"\ntsig_key_name = \"k\"\ntsig_secret = \"not base64!\"\n",
         "dns.tsig_secret: is not base64"},
        {"[dns]\nserver = \"198.18.1.99\"\nzone = \"ftlab.example\"\ntsig_algorithm = \"md5\"\n" + key, "dns.tsig_algorithm"},
        {"[dns]\nserver = \"198.18.1.99\"\nzone = \"ftlab.example\"\nreverse_zones = [\"1.18.198.example\"]\n" + key,
         "dns.reverse_zones[0]: \"1.18.198.example\" is not under in-addr.arpa or ip6.arpa"},
        {"[dns]\nserver = \"198.18.1.99\"\nzone = \"ftlab.example\"\nport = 0\n" + key, "dns.port"},
    };
    for (auto& c : cases) {
        ConfigResult r = load_config_string(dns_config(c.dns), "bad.toml");
        EXPECT_FALSE(r.config) << c.dns;
        EXPECT_THAT(errors_of(r), HasSubstr(c.error)) << c.dns;
    }
}

}  // namespace
}  // namespace ftnet
