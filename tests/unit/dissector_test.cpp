// The Wireshark dissector (scripts/wireshark/ftnet.lua) against frames built
// by the engine's own code, wire format version 2: build_encap_template()
// for the outer headers and the ftnet header, then for DATA the inner frame
// sealed with seal_message() (engine/security/seal.h) and the outer headers
// patched the way encap_frame() patches them (engine/tunnel/datapath/encap.h),
// and build_message() (engine/tunnel/protected_message.h) for HELLOs,
// heartbeats, link notices, path MTU probes and replies and
// reliable-session segments exactly as the control thread and the workers
// send them, with encode_hello() for a HELLO payload, two ReliableSessions
// (engine/session/reliable_session.h) for the segments and the modules' own
// encoders (membership::encode(), resources::encode()) for the messages they
// carry; DATA-FRAGMENTs are cut as split_frame() cuts them
// (engine/tunnel/datapath/fragment.h) and sealed as DATA. Every message is
// sealed with AES-GCM under a KeyRing the test builds as
// tests/unit/packet_fixtures.cpp builds test_keys() (this binary runs no EAL
// and has no mbufs, so it does not link the fixtures).
//
// Each test writes a classic pcap file into its own temporary directory,
// decodes it with tshark and the dissector, and checks that every field
// reads back as the engine wrote it, that the inner frame of an
// authenticated-only DATA message is decoded and an encrypted one is not,
// that the route binding is checked against the outer addresses, that tags
// are shown but never verified, and that malformed packets raise the
// dissector's expert info.
//
// Needs tshark (scripts/setup.sh installs it), AES-NI and FTNET_SOURCE_ROOT
// (set by meson for the test). Without any of them the tests fail; they
// never skip.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rte_byteorder.h>
#include <rte_ip.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/checksum.h"
#include "engine/hello/control/endpoint_exchange.h"
#include "engine/membership/regroup.h"
#include "engine/resources/resources_wire.h"
#include "engine/security/aead.h"
#include "engine/security/key_ring.h"
#include "engine/security/route_binding.h"
#include "engine/security/seal.h"
#include "engine/session/control/session_module.h"
#include "engine/session/reliable_session.h"
#include "engine/session/session_wire.h"
#include "tests/unit/test_keys.h"
#include "engine/tunnel/datapath/fragment.h"
#include "engine/tunnel/encap_template.h"
#include "engine/tunnel/ftnet_wire.h"
#include "engine/tunnel/protected_message.h"
#include "engine/tunnel/route_table.h"

namespace ftnet {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// ---------------------------------------------------------------- frames

void put16(Bytes& b, size_t off, uint16_t v) {
    b[off] = static_cast<uint8_t>(v >> 8);
    b[off + 1] = static_cast<uint8_t>(v);
}

void put32(Bytes& b, size_t off, uint32_t v) {
    put16(b, off, static_cast<uint16_t>(v >> 16));
    put16(b, off + 2, static_cast<uint16_t>(v));
}

// RFC 1071 Internet checksum, written independently of DPDK's for the inner
// frames, whose checksums Wireshark verifies.
uint16_t inet_checksum(const uint8_t* p, size_t n) {
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2) s += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    if (n & 1) s += static_cast<uint32_t>(p[n - 1] << 8);
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(~s);
}

MacAddr mac(const char* s) { return *MacAddr::parse(s); }
IpAddr ip(const char* s) { return *IpAddr::parse(s); }

std::string hex(const uint8_t* p, size_t n) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < n; i++) {
        s += digits[p[i] >> 4];
        s += digits[p[i] & 15];
    }
    return s;
}

std::string hex(const Bytes& b) { return hex(b.data(), b.size()); }

// An inner Ethernet frame as the host writes it into ftnet0: an ICMP echo
// request between two APIPA addresses, `len` bytes in all.
Bytes inner_icmp_echo(uint16_t ident, uint16_t seqno, size_t len = 14 + 20 + 8 + 32) {
    Bytes f(len);
    auto dst = mac("02:00:5e:00:20:02"), src = mac("02:00:5e:00:10:01");
    std::memcpy(&f[0], dst.b.data(), 6);
    std::memcpy(&f[6], src.b.data(), 6);
    put16(f, 12, 0x0800);
    f[14] = 0x45;
    put16(f, 16, static_cast<uint16_t>(f.size() - 14));
    put16(f, 18, 0x1c46);
    put16(f, 20, 0x4000);  // DF
    f[22] = 64;
    f[23] = 1;  // ICMP
    const uint8_t a[4] = {169, 254, 10, 1}, b[4] = {169, 254, 20, 2};
    std::memcpy(&f[26], a, 4);
    std::memcpy(&f[30], b, 4);
    put16(f, 24, inet_checksum(&f[14], 20));
    f[34] = 8;  // echo request
    put16(f, 38, ident);
    put16(f, 40, seqno);
    for (size_t i = 42; i < f.size(); i++) f[i] = static_cast<uint8_t>(i);
    put16(f, 36, inet_checksum(&f[34], f.size() - 34));
    return f;
}

// An inner ARP request (broadcast), 42 bytes as a tap device hands it over.
Bytes inner_arp_request() {
    Bytes f(14 + 28);
    auto src = mac("02:00:5e:00:20:02");
    std::memset(&f[0], 0xff, 6);
    std::memcpy(&f[6], src.b.data(), 6);
    put16(f, 12, 0x0806);
    put16(f, 14, 1);       // Ethernet
    put16(f, 16, 0x0800);  // IPv4
    f[18] = 6;
    f[19] = 4;
    put16(f, 20, 1);  // request
    std::memcpy(&f[22], src.b.data(), 6);
    const uint8_t spa[4] = {169, 254, 20, 2}, tpa[4] = {169, 254, 10, 1};
    std::memcpy(&f[28], spa, 4);
    std::memcpy(&f[38], tpa, 4);
    return f;
}

TemplateSpec v4_spec() {
    TemplateSpec s;
    s.family = Family::V4;
    s.src_mac = mac("02:00:00:00:01:01");
    s.dst_mac = mac("02:00:00:00:01:02");
    s.src_ip = ip("198.18.1.1");
    s.dst_ip = ip("198.18.1.2");
    s.dscp = 48;
    s.ttl = 64;
    s.src_node = 1;
    s.dst_node = 2;
    return s;
}

TemplateSpec v6_spec() {
    TemplateSpec s;
    s.family = Family::V6;
    s.src_mac = mac("02:00:00:00:02:01");
    s.dst_mac = mac("02:00:00:00:02:02");
    s.src_ip = ip("fd00:2::1");
    s.dst_ip = ip("fd00:2::2");
    s.dscp = 46;
    s.ttl = 32;
    s.src_node = 4096;
    s.dst_node = 1;
    return s;
}

// The other end of a route: the peer's route back.
TemplateSpec reversed(const TemplateSpec& s) {
    TemplateSpec r = s;
    std::swap(r.src_mac, r.dst_mac);
    std::swap(r.src_ip, r.dst_ip);
    std::swap(r.src_node, r.dst_node);
    return r;
}

// The route binding the engine puts into a message on the route `s`
// describes, as the dissector prints ftnet.route_binding.
std::string binding_of(const TemplateSpec& s) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", route_binding(s.family, s.src_ip, s.dst_ip));
    return buf;
}

// The cluster keys of the tests (tests/unit/test_keys.h): key id 1
// AES-128, key id 2 AES-256; `primary` is the id that seals.
const KeyRing& keys(bool encrypt, uint8_t primary = 1) { return test::test_keys(encrypt, primary); }
using test::other_cluster_keys;

constexpr uint64_t seq_of(uint16_t epoch, uint64_t counter) { return uint64_t{epoch} << 48 | counter; }

// How a message is sealed (seal_message()'s arguments).
struct Seal {
    bool encrypt = false;
    uint8_t key = 1;          // the key id that seals: 1 or 2
    uint8_t space = 0;        // worker index, or wire::kControlSpace
    uint64_t seq = seq_of(1, 1);
    const KeyRing* ring = nullptr;  // instead of keys(encrypt, key)
};

const KeyRing& ring_of(const Seal& s) { return s.ring ? *s.ring : keys(s.encrypt, s.key); }

struct TunnelPacket {
    TemplateSpec spec;
    wire::MsgType type = wire::MsgType::Data;
    uint32_t flow_hash = 0;
    Seal seal;
    Bytes payload;
};

// Offset of the ftnet header in an encapsulated frame.
size_t ftnet_off(Family f) { return outer_l4_off(f) + wire::kUdpHdrLen; }

// The route's template followed by the payload and the tag, sealed and
// patched as encap_frame() seals and patches an mbuf when the port does not
// offload checksums. `edit`, when given, changes the frame (cuts it,
// corrupts a field) after the seal and before the outer lengths and
// checksums are computed, so that the outer headers stay valid and only the
// ftnet layer is wrong, as a receiver would see a datagram that a broken or
// hostile sender emitted.
Bytes build_frame(const TunnelPacket& t, const std::function<void(Bytes&)>& edit = {}) {
    alignas(64) RouteEntry r{};
    build_encap_template(r, t.spec);
    Bytes f(r.tmpl, r.tmpl + r.hdr_len);
    f.insert(f.end(), t.payload.begin(), t.payload.end());
    f.resize(f.size() + wire::kAuthTagLen);

    const uint16_t l4 = outer_l4_off(t.spec.family);
    const size_t fh = ftnet_off(t.spec.family);
    // The type is the template's (DATA) unless a test sends something else
    // through this path.
    f[fh + 1] = static_cast<uint8_t>(t.type);
    seal_message(reinterpret_cast<wire::Header*>(&f[fh]), t.payload.size(), ring_of(t.seal), t.seal.space,
                 t.seal.seq);
    put16(f, l4, static_cast<uint16_t>(0xc000 | (t.flow_hash & 0x3fff)));
    if (edit) edit(f);

    // encap_frame(): lengths, flow label, checksums.
    const auto udp_len = static_cast<uint16_t>(f.size() - l4);
    put16(f, l4 + 4, udp_len);
    if (t.spec.family == Family::V6) {
        put32(f, kOuterL3Off,
              (uint32_t(f[kOuterL3Off]) << 24 | uint32_t(f[kOuterL3Off + 1]) << 16) | (t.flow_hash & 0xfffff));
        put16(f, kOuterL3Off + 4, udp_len);
        uint32_t sum = r.csum_base + rte_cpu_to_be_16(udp_len) + rte_raw_cksum(&f[l4], udp_len);
        auto c = static_cast<uint16_t>(~csum_fold(sum));
        if (c == 0) c = 0xffff;
        std::memcpy(&f[l4 + 6], &c, 2);  // raw sums are in memory order
    } else {
        const auto tot = static_cast<uint16_t>(wire::kIpv4HdrLen + udp_len);
        put16(f, kOuterL3Off + 2, tot);
        auto c = static_cast<uint16_t>(~csum_fold(r.csum_base + rte_cpu_to_be_16(tot)));
        std::memcpy(&f[kOuterL3Off + 10], &c, 2);
    }
    return f;
}

// The frame cut to `keep` bytes of UDP payload, outer lengths matching.
Bytes cut_udp_payload(const TunnelPacket& t, size_t keep) {
    return build_frame(t, [&](Bytes& f) { f.resize(ftnet_off(t.spec.family) + keep); });
}

// A message as the engine sends it: build_message() on the route `spec`
// describes (route id `route_id`: the UDP source port), as the workers send
// heartbeats and the control thread HELLOs and link notices.
Bytes sealed_frame(const TemplateSpec& spec, uint16_t route_id, wire::MsgType type, const Bytes& payload,
                   const Seal& s) {
    alignas(64) RouteEntry r{};
    build_encap_template(r, spec);
    r.route_id = route_id;
    Bytes f(message_len(spec.family, payload.size()));
    const size_t n = build_message(f.data(), r, type, payload.data(), payload.size(), ring_of(s), s.space, s.seq);
    EXPECT_EQ(n, f.size());
    return f;
}

// The tag a frame ends with, as tshark prints ftnet.auth_tag.
std::string tag_of(const Bytes& f) { return hex(f.data() + f.size() - wire::kAuthTagLen, wire::kAuthTagLen); }

// The payload of a frame as it is on the wire (ciphertext when encrypted).
std::string wire_payload_of(const Bytes& f, Family fam) {
    const size_t start = ftnet_off(fam) + sizeof(wire::Header);
    return hex(f.data() + start, f.size() - start - wire::kAuthTagLen);
}

AdapterInfo adapter_a() {
    AdapterInfo a;
    a.mac = mac("02:00:5e:00:10:01");
    a.apipa = ip("169.254.10.1");
    a.link_local = ip("fe80::5eff:fe00:1001");
    a.mtu = 1400;
    a.boot_id = 0xdeadbeef;
    a.node_name = "node-a";
    a.cluster = "clu_1";
    return a;
}

Bytes hello_payload(const AdapterInfo& a, bool want_reply) {
    wire::HelloPayload h = encode_hello(a, want_reply);
    const auto* p = reinterpret_cast<const uint8_t*>(&h);
    return Bytes(p, p + sizeof h);
}

struct Heartbeat {
    uint32_t boot_id = 0;
    uint32_t echo_boot_id = 0;
    uint64_t tx_time = 0;
    uint32_t echo_seq = 0;
    uint16_t interval_ms = 0;
    uint8_t threshold = 0;
    uint8_t route_state = 0;
    uint32_t send_skew_us = 0;
    uint32_t seq = 0;
};

Bytes hb_payload(const Heartbeat& h) {
    wire::HeartbeatPayload p{};
    p.boot_id = rte_cpu_to_be_32(h.boot_id);
    p.echo_boot_id = rte_cpu_to_be_32(h.echo_boot_id);
    p.tx_time = rte_cpu_to_be_64(h.tx_time);
    p.echo_seq = rte_cpu_to_be_32(h.echo_seq);
    p.interval_ms = rte_cpu_to_be_16(h.interval_ms);
    p.threshold = h.threshold;
    p.route_state = h.route_state;
    p.send_skew_us = rte_cpu_to_be_32(h.send_skew_us);
    p.seq = rte_cpu_to_be_32(h.seq);
    const auto* b = reinterpret_cast<const uint8_t*>(&p);
    return Bytes(b, b + sizeof p);
}

Bytes notice_payload(uint32_t boot, uint32_t seq, uint8_t count, const std::vector<wire::LinkNoticeEntry>& entries) {
    wire::LinkNoticeHeader h{};
    h.boot_id = rte_cpu_to_be_32(boot);
    h.seq = rte_cpu_to_be_32(seq);
    h.count = count;
    Bytes out(reinterpret_cast<const uint8_t*>(&h), reinterpret_cast<const uint8_t*>(&h) + sizeof h);
    for (auto& e : entries)
        out.insert(out.end(), reinterpret_cast<const uint8_t*>(&e), reinterpret_cast<const uint8_t*>(&e) + sizeof e);
    return out;
}

wire::LinkNoticeEntry notice_entry(const std::string& sender, const std::string& receiver, uint8_t state, uint8_t reason) {
    wire::LinkNoticeEntry e{};
    const IpAddr s = *IpAddr::parse(sender), r = *IpAddr::parse(receiver);
    e.family = s.is_v6() ? 6 : 4;
    e.state = state;
    e.reason = reason;
    std::memcpy(e.sender_addr, s.b.data(), s.is_v6() ? 16 : 4);
    std::memcpy(e.receiver_addr, r.b.data(), r.is_v6() ? 16 : 4);
    return e;
}

// One end of a reliable session (engine/session/reliable_session.h) that
// keeps every segment it transmits, as the session module would hand them
// to the tunnel.
struct SessionEnd : session::SessionIo {
    explicit SessionEnd(uint16_t incarnation, size_t segment_data) : s(*this, incarnation, segment_data, incarnation) {}
    bool transmit(const uint8_t* seg, size_t len) override {
        sent.emplace_back(seg, seg + len);
        return true;
    }
    void deliver(uint16_t, const uint8_t*, size_t) override { delivered++; }
    void completed(uint64_t, session::MessageStatus) override {}
    void peer_incarnation(uint16_t, uint16_t) override {}
    void receive(const Bytes& seg, uint64_t now_us) { s.on_segment(seg.data(), seg.size(), now_us); }

    std::vector<Bytes> sent;
    int delivered = 0;
    session::ReliableSession s;
};

// A message of `ftnetctl session-probe` (session_module.cpp): its number,
// 8 bytes in the sender's memory order (little-endian), then bytes that
// follow from it.
Bytes probe_message(uint64_t number, size_t len) {
    Bytes m(len);
    std::memcpy(m.data(), &number, sizeof number);
    for (size_t i = sizeof number; i < len; i++) m[i] = static_cast<uint8_t>(number * 131 + i * 7);
    return m;
}

// Two ends of a reliable session past first contact (the exchange of
// SessionSegmentsDecodeEveryField): node 1 is `a`, node 2 is `b`; what each
// sends next are Data segments.
struct SessionPair {
    SessionPair(uint16_t a_inc, uint16_t b_inc, size_t segment_data) : a(a_inc, segment_data), b(b_inc, segment_data) {
        a.s.flush(1);
        b.receive(a.sent.at(0), 1);
        b.s.flush(1);
        a.receive(b.sent.at(0), 1);
        a.receive(b.sent.at(1), 1);
        a.s.flush(1);
        b.receive(a.sent.at(1), 1);
    }
    bool established() { return a.s.established() && b.s.established(); }
    SessionEnd a, b;
};

// The segments `from` sends for one message of `type` (its session module's
// send() and the next flush).
std::vector<Bytes> send_message(SessionEnd& from, SessionType type, const Bytes& msg) {
    const size_t before = from.sent.size();
    EXPECT_NE(from.s.send(static_cast<uint16_t>(type), msg.data(), msg.size(), 1), 0u);
    from.s.flush(1);
    return std::vector<Bytes>(from.sent.begin() + static_cast<std::ptrdiff_t>(before), from.sent.end());
}

// A message's body as its receiving module sees it, in the text the
// dissector shows (ftnet.session.body): nlohmann-json's own dump() of the
// value from_cbor() decodes.
std::string json_dump(const Bytes& cbor) { return json::from_cbor(cbor).dump(); }

// A PortLeases message as DhcpModule::tell_leases() builds it (it has no
// encoder of its own): {"leases": [{"n": network, "a": leased address or
// ""}]}.
Bytes leases_message(const std::vector<std::pair<std::string, std::string>>& leases) {
    json entries = json::array();
    for (auto& [net, addr] : leases) entries.push_back({{"n", net}, {"a", addr}});
    return json::to_cbor(json{{"leases", entries}});
}

// A PMTU-PROBE payload as PmtuModule::tick() builds it: the PmtuProbePayload,
// then zeros up to an IP packet of `size` bytes on a route of the family.
Bytes pmtu_probe_payload(uint32_t boot_id, uint32_t probe_id, uint16_t size, Family fam) {
    Bytes buf(size - wire::ip_packet_len(fam == Family::V6, 0), 0);
    wire::PmtuProbePayload p{};
    p.boot_id = rte_cpu_to_be_32(boot_id);
    p.probe_id = rte_cpu_to_be_32(probe_id);
    p.size = rte_cpu_to_be_16(size);
    std::memcpy(buf.data(), &p, sizeof p);
    return buf;
}

// The PMTU-REPLY PmtuModule::on_probe() answers a probe with: its
// PmtuProbePayload, unchanged.
Bytes pmtu_reply_payload(const Bytes& probe) {
    return Bytes(probe.begin(), probe.begin() + sizeof(wire::PmtuProbePayload));
}

// The DATA-FRAGMENT payloads split_frame() (engine/tunnel/datapath/
// fragment.h) makes of `frame` on the route `spec` describes: pieces of the
// route's frag_piece bytes (from its path MTU, build_encap_template()), each
// after a FragmentHeader. split_frame() works on mbufs, which this binary
// has none of; this follows it field by field.
std::vector<Bytes> fragment_payloads(const Bytes& frame, const TemplateSpec& spec, uint32_t frame_id) {
    alignas(64) RouteEntry r{};
    build_encap_template(r, spec);
    EXPECT_GT(frame.size(), r.max_whole) << "the route carries this frame whole";
    const unsigned n = fragment_count(static_cast<uint32_t>(frame.size()), r.frag_piece);
    EXPECT_GE(n, 2u);
    std::vector<Bytes> out;
    for (unsigned i = 0; i < n; i++) {
        wire::FragmentHeader fh{};
        fh.frame_id = rte_cpu_to_be_32(frame_id);
        fh.frame_len = rte_cpu_to_be_16(static_cast<uint16_t>(frame.size()));
        fh.count = static_cast<uint8_t>(n);
        const size_t off = size_t{i} * r.frag_piece;
        const size_t len = std::min<size_t>(r.frag_piece, frame.size() - off);
        fh.offset = rte_cpu_to_be_16(static_cast<uint16_t>(off));
        fh.index = static_cast<uint8_t>(i);
        Bytes p(reinterpret_cast<const uint8_t*>(&fh), reinterpret_cast<const uint8_t*>(&fh) + sizeof fh);
        p.insert(p.end(), frame.begin() + static_cast<std::ptrdiff_t>(off),
                 frame.begin() + static_cast<std::ptrdiff_t>(off + len));
        out.push_back(std::move(p));
    }
    return out;
}

// ---------------------------------------------------------------- pcap

// Classic libpcap format (not pcapng), microsecond timestamps, Ethernet.
class PcapWriter {
  public:
    explicit PcapWriter(const fs::path& p) : out_(p, std::ios::binary) {
        u32(0xa1b2c3d4);  // written in host order: readers detect the order from it
        u16(2);
        u16(4);
        u32(0);      // thiszone
        u32(0);      // sigfigs
        u32(65535);  // snaplen
        u32(1);      // LINKTYPE_ETHERNET
    }
    // orig_len > frame.size() records a frame cut by the snapshot length.
    void add(const Bytes& frame, uint32_t orig_len = 0) {
        u32(1700000000 + n_);
        u32(n_ * 1000);
        u32(static_cast<uint32_t>(frame.size()));
        u32(orig_len ? orig_len : static_cast<uint32_t>(frame.size()));
        out_.write(reinterpret_cast<const char*>(frame.data()), static_cast<std::streamsize>(frame.size()));
        n_++;
    }
    bool close() {
        out_.close();
        return !out_.fail();
    }

  private:
    void u16(uint16_t v) { out_.write(reinterpret_cast<const char*>(&v), 2); }
    void u32(uint32_t v) { out_.write(reinterpret_cast<const char*>(&v), 4); }
    std::ofstream out_;
    uint32_t n_ = 0;
};

// ---------------------------------------------------------------- tshark

std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        size_t i = s.find(sep, start);
        out.push_back(s.substr(start, i == std::string::npos ? std::string::npos : i - start));
        if (i == std::string::npos) return out;
        start = i + 1;
    }
}

using Fields = std::map<std::string, std::string>;

// Every test gets its own directory under the system's temporary directory,
// removed with its contents when the test ends.
class DissectorTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "ftnet-dissector-XXXXXX").string();
        ASSERT_NE(mkdtemp(tmpl.data()), nullptr) << "mkdtemp: " << std::strerror(errno);
        dir_ = tmpl;
        const char* root = std::getenv("FTNET_SOURCE_ROOT");
        ASSERT_NE(root, nullptr) << "FTNET_SOURCE_ROOT is not set (meson sets it; by hand: "
                                    "FTNET_SOURCE_ROOT=/path/to/ftnet)";
        script_ = fs::path(root) / "scripts/wireshark/ftnet.lua";
        ASSERT_TRUE(fs::is_regular_file(script_)) << script_ << " is missing";
        ASSERT_TRUE(aead_init()) << "intel-ipsec-mb cannot run here (no AES-NI): the frames cannot be sealed";
    }
    void TearDown() override {
        // On failure, the whole packet tree helps more than one field.
        if (HasFailure() && !last_pcap_.empty() && fs::exists(last_pcap_))
            std::cout << "tshark -V of " << last_pcap_.filename() << ":\n" << verbose(last_pcap_);
        std::error_code ec;
        if (!dir_.empty()) fs::remove_all(dir_, ec);
    }

    fs::path write_pcap(const std::vector<Bytes>& frames) {
        fs::path p = dir_ / "ftnet.pcap";
        PcapWriter w(p);
        for (auto& f : frames) w.add(f);
        EXPECT_TRUE(w.close()) << "writing " << p;
        last_pcap_ = p;
        return p;
    }

    // tshark with the dissector, isolated from the user's Wireshark setup: a
    // copy of ftnet.lua in the personal plugins folder would register the
    // protocol twice, and personal preferences could change the output.
    std::string tshark(const std::string& args) const {
        return "env -u WIRESHARK_CONFIG_DIR HOME=" + shell_quote(dir_.string()) +
               " XDG_CONFIG_HOME=" + shell_quote((dir_ / ".config").string()) + " tshark -n -X lua_script:" +
               shell_quote(script_.string()) + " " + args;
    }

    // Runs a shell command; returns its exit status and fills *out with its
    // standard output.
    static int run(const std::string& cmd, std::string* out) {
        FILE* p = popen(cmd.c_str(), "r");
        if (!p) return -1;
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
        return pclose(p);
    }

    // Decodes `pcap` with the dissector and returns, per frame, the value of
    // each requested field ("" when absent; several occurrences joined by
    // ','), plus "_ws.expert.message" (all expert messages of the frame) and
    // "_ws.col.Info". Fails the test when tshark cannot run or the dissector
    // raised a Lua error.
    void decode(const fs::path& pcap, std::vector<std::string> fields, std::vector<Fields>* out,
                const std::vector<std::string>& extra_args = {}) {
        fields.push_back("_ws.col.Info");
        fields.push_back("_ws.expert.message");
        const fs::path err = dir_ / "tshark.stderr";
        // (Appended piece by piece: GCC 12 warns falsely (-Wrestrict) about
        // "literal" + std::string here.)
        std::string args = "-r ";
        args += shell_quote(pcap.string());
        args += " -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE";
        for (auto& a : extra_args) {
            args += ' ';
            args += shell_quote(a);
        }
        args += " -T fields -E header=n -E separator=/t -E occurrence=a -E aggregator=,";
        for (auto& f : fields) args += " -e " + f;
        const std::string cmd = tshark(args) + " 2>" + shell_quote(err.string());

        std::string text;
        int status = run(cmd, &text);
        ASSERT_NE(status, -1) << "popen: " << std::strerror(errno);
        std::ifstream es(err);
        std::string stderr_text((std::istreambuf_iterator<char>(es)), std::istreambuf_iterator<char>());
        ASSERT_TRUE(WIFEXITED(status)) << cmd;
        ASSERT_NE(WEXITSTATUS(status), 127)
            << "tshark is not installed (scripts/setup.sh installs it): " << stderr_text;
        ASSERT_EQ(WEXITSTATUS(status), 0) << cmd << "\n" << stderr_text;
        // A script that fails to load only prints to stderr; tshark goes on.
        ASSERT_THAT(stderr_text, Not(HasSubstr("Lua"))) << cmd;

        out->clear();
        for (auto& line : split(text, '\n')) {
            if (line.empty()) continue;
            auto vals = split(line, '\t');
            ASSERT_EQ(vals.size(), fields.size()) << "unexpected tshark line: " << line;
            Fields row;
            for (size_t i = 0; i < fields.size(); i++) row[fields[i]] = vals[i];
            // An error inside the dissector becomes expert info.
            ASSERT_THAT(row["_ws.expert.message"], Not(HasSubstr("Lua Error"))) << line;
            out->push_back(std::move(row));
        }
    }

    // The full packet tree, for failure messages.
    std::string verbose(const fs::path& pcap) const {
        std::string text;
        run(tshark("-V -r " + shell_quote(pcap.string()) + " 2>&1"), &text);
        return text;
    }

    fs::path dir_;
    fs::path script_;
    fs::path last_pcap_;
};

// tshark prints booleans as "1" up to 4.0 and "True" from 4.2 on.
bool is_true(const std::string& s) { return s == "1" || s == "True"; }
bool is_false(const std::string& s) { return s == "0" || s == "False"; }

// No expert info of the dissector's (the inner frame's dissectors may add
// their own): its messages all say what receivers do with the packet.
auto NoFtnetExpertInfo() { return Not(::testing::AnyOf(HasSubstr("receivers"), HasSubstr("refused by version 2"))); }

const std::vector<std::string> kHeaderFields = {
    "ftnet.version",   "ftnet.type",      "ftnet.flags",     "ftnet.flags.encrypted",
    "ftnet.key_id",    "ftnet.src_node",  "ftnet.dst_node",  "ftnet.route_binding",
    "ftnet.route_binding.status",         "ftnet.seq",       "ftnet.seq.epoch",
    "ftnet.seq.counter", "ftnet.space",   "ftnet.reserved",  "ftnet.payload_len",
    "ftnet.auth_tag",  "ftnet.encrypted_payload",
};

std::vector<std::string> with_header_fields(std::initializer_list<const char*> more) {
    std::vector<std::string> v = kHeaderFields;
    v.insert(v.end(), more.begin(), more.end());
    return v;
}

// Every header field, the payload length and the tag read back as the
// engine wrote them for a message of type `type` and plen payload bytes on
// the route `spec` describes, sealed as `s`; an encrypted payload reads
// back as the ciphertext the frame carries.
void expect_header(Fields& r, const Bytes& frame, const TemplateSpec& spec, wire::MsgType type, const Seal& s,
                   size_t plen) {
    EXPECT_EQ(r["ftnet.version"], "2");
    EXPECT_EQ(r["ftnet.type"], std::to_string(static_cast<unsigned>(type)));
    EXPECT_EQ(r["ftnet.flags"], s.encrypt ? "0x01" : "0x00");
    EXPECT_TRUE(s.encrypt ? is_true(r["ftnet.flags.encrypted"]) : is_false(r["ftnet.flags.encrypted"]))
        << r["ftnet.flags.encrypted"];
    EXPECT_EQ(r["ftnet.key_id"], std::to_string(ring_of(s).sealing().id));
    EXPECT_EQ(r["ftnet.src_node"], std::to_string(spec.src_node));
    EXPECT_EQ(r["ftnet.dst_node"], std::to_string(spec.dst_node));
    EXPECT_EQ(r["ftnet.route_binding"], binding_of(spec));
    EXPECT_EQ(r["ftnet.route_binding.status"], "1") << "right for the outer addresses";
    EXPECT_EQ(r["ftnet.seq"], std::to_string(s.seq));
    EXPECT_EQ(r["ftnet.seq.epoch"], std::to_string(wire::seq_epoch(s.seq)));
    EXPECT_EQ(r["ftnet.seq.counter"], std::to_string(s.seq & wire::kSeqCounterMask));
    EXPECT_EQ(r["ftnet.space"], std::to_string(s.space));
    EXPECT_EQ(r["ftnet.reserved"], "0x00");
    EXPECT_EQ(r["ftnet.payload_len"], std::to_string(plen));
    EXPECT_EQ(r["ftnet.auth_tag"], tag_of(frame));
    EXPECT_EQ(r["ftnet.encrypted_payload"], s.encrypt ? wire_payload_of(frame, spec.family) : "");
}

// The Info column's summary of a message: "DATA node 1 -> node 2 seq 1:17".
std::string summary(const char* name, const TemplateSpec& spec, uint64_t seq) {
    return std::string(name) + " node " + std::to_string(spec.src_node) + " -> node " + std::to_string(spec.dst_node) +
           " seq " + std::to_string(wire::seq_epoch(seq)) + ":" + std::to_string(seq & wire::kSeqCounterMask);
}

// ---------------------------------------------------------------- tests

TEST_F(DissectorTest, DataOverIpv4DecodesEveryHeaderFieldAndTheInnerIcmp) {
    TunnelPacket t{.spec = v4_spec(), .flow_hash = 0x1234abcd, .seal = {.space = 0, .seq = seq_of(1, 17)},
                   .payload = inner_icmp_echo(0x4242, 7)};
    const Bytes f = build_frame(t);
    auto pcap = write_pcap({f});
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap,
                                   with_header_fields({"ftnet.payload", "icmp.type", "icmp.ident", "icmp.seq",
                                                       "icmp.checksum.status", "ip.src", "ip.dst", "eth.src"}),
                                   &rows));
    ASSERT_EQ(rows.size(), 1u);
    Fields& r = rows[0];
    expect_header(r, f, t.spec, wire::MsgType::Data, t.seal, t.payload.size());
    EXPECT_EQ(r["ftnet.seq"], "281474976710673");  // epoch 1, counter 17
    EXPECT_EQ(r["ftnet.payload"], "") << "a DATA payload goes to the Ethernet dissector";
    // The inner frame, decoded by Wireshark's own dissectors.
    EXPECT_EQ(r["icmp.type"], "8");
    EXPECT_EQ(r["icmp.ident"], "16962");
    EXPECT_EQ(r["icmp.seq"], "7");
    EXPECT_EQ(r["icmp.checksum.status"], "1");
    EXPECT_EQ(r["ip.src"], "198.18.1.1,169.254.10.1");
    EXPECT_EQ(r["ip.dst"], "198.18.1.2,169.254.20.2");
    EXPECT_EQ(r["eth.src"], "02:00:00:00:01:01,02:00:5e:00:10:01");
    EXPECT_THAT(r["_ws.col.Info"], StartsWith("DATA node 1 -> node 2 seq 1:17 | "));
    EXPECT_THAT(r["_ws.col.Info"], HasSubstr("Echo (ping) request"));
    EXPECT_THAT(r["_ws.expert.message"], NoFtnetExpertInfo());
}

// Key 2 (AES-256), worker 3's sequence space, the largest epoch and counter.
TEST_F(DissectorTest, DataOverIpv6DecodesEveryHeaderFieldAndTheInnerArp) {
    TunnelPacket t{.spec = v6_spec(), .flow_hash = 0xfedcba98,
                   .seal = {.key = 2, .space = 3, .seq = seq_of(0xffff, wire::kSeqCounterMask)},
                   .payload = inner_arp_request()};
    const Bytes f = build_frame(t);
    auto pcap = write_pcap({f});
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap,
                                   with_header_fields({"arp.opcode", "arp.src.hw_mac", "arp.src.proto_ipv4",
                                                       "arp.dst.proto_ipv4", "ipv6.src", "ipv6.dst", "eth.dst"}),
                                   &rows));
    ASSERT_EQ(rows.size(), 1u);
    Fields& r = rows[0];
    expect_header(r, f, t.spec, wire::MsgType::Data, t.seal, 42);
    EXPECT_EQ(r["ftnet.key_id"], "2");
    EXPECT_EQ(r["ftnet.seq"], "18446744073709551615");
    EXPECT_EQ(r["ftnet.seq.epoch"], "65535");
    EXPECT_EQ(r["ftnet.seq.counter"], "281474976710655");
    EXPECT_EQ(r["arp.opcode"], "1");
    EXPECT_EQ(r["arp.src.hw_mac"], "02:00:5e:00:20:02");
    EXPECT_EQ(r["arp.src.proto_ipv4"], "169.254.20.2");
    EXPECT_EQ(r["arp.dst.proto_ipv4"], "169.254.10.1");
    EXPECT_EQ(r["ipv6.src"], "fd00:2::1");
    EXPECT_EQ(r["ipv6.dst"], "fd00:2::2");
    EXPECT_EQ(r["eth.dst"], "02:00:00:00:02:02,ff:ff:ff:ff:ff:ff");
    EXPECT_THAT(r["_ws.col.Info"], StartsWith("DATA node 4096 -> node 1 seq 65535:281474976710655 | "));
    EXPECT_THAT(r["_ws.col.Info"], HasSubstr("Who has 169.254.10.1?"));
    EXPECT_THAT(r["_ws.expert.message"], NoFtnetExpertInfo());
}

// The same inner frame authenticated only and encrypted: the first is
// decoded, the others are shown as the ciphertext the seal wrote, with no
// inner Ethernet frame, over IPv4 and IPv6.
TEST_F(DissectorTest, EncryptedDataIsShownAsCiphertextAndAuthenticatedDataIsDecoded) {
    const Bytes icmp = inner_icmp_echo(5, 5);
    TunnelPacket clear{.spec = v4_spec(), .flow_hash = 7, .seal = {.seq = seq_of(2, 20)}, .payload = icmp};
    TunnelPacket enc4{.spec = v4_spec(), .flow_hash = 7, .seal = {.encrypt = true, .seq = seq_of(2, 21)},
                      .payload = icmp};
    TunnelPacket enc6{.spec = v6_spec(), .flow_hash = 8,
                      .seal = {.encrypt = true, .key = 2, .space = 1, .seq = seq_of(2, 22)},
                      .payload = inner_arp_request()};
    const std::vector<Bytes> frames = {build_frame(clear), build_frame(enc4), build_frame(enc6)};
    // What the seal did: clear text left as it was, the others encrypted.
    ASSERT_EQ(wire_payload_of(frames[0], Family::V4), hex(icmp));
    ASSERT_NE(wire_payload_of(frames[1], Family::V4), hex(icmp));
    ASSERT_NE(wire_payload_of(frames[2], Family::V6), hex(enc6.payload));
    auto pcap = write_pcap(frames);
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap,
                                   with_header_fields({"ftnet.payload", "icmp.type", "icmp.seq", "arp.opcode",
                                                       "eth.src", "ip.src", "ipv6.src", "udp.checksum.status"}),
                                   &rows));
    ASSERT_EQ(rows.size(), 3u);

    Fields& a = rows[0];
    expect_header(a, frames[0], clear.spec, wire::MsgType::Data, clear.seal, icmp.size());
    EXPECT_EQ(a["icmp.type"], "8");
    EXPECT_EQ(a["icmp.seq"], "5");
    EXPECT_EQ(a["eth.src"], "02:00:00:00:01:01,02:00:5e:00:10:01");
    EXPECT_THAT(a["_ws.col.Info"], HasSubstr("Echo (ping) request"));
    EXPECT_THAT(a["_ws.col.Info"], Not(HasSubstr("[encrypted]")));

    Fields& b = rows[1];
    expect_header(b, frames[1], enc4.spec, wire::MsgType::Data, enc4.seal, icmp.size());
    EXPECT_EQ(b["ftnet.payload"], "");
    EXPECT_EQ(b["icmp.type"], "");
    EXPECT_EQ(b["eth.src"], "02:00:00:00:01:01") << "no inner Ethernet frame";
    EXPECT_EQ(b["ip.src"], "198.18.1.1");
    EXPECT_EQ(b["_ws.col.Info"], "DATA node 1 -> node 2 seq 2:21 [encrypted]");
    EXPECT_EQ(b["_ws.expert.message"], "");

    Fields& c = rows[2];
    expect_header(c, frames[2], enc6.spec, wire::MsgType::Data, enc6.seal, enc6.payload.size());
    EXPECT_EQ(c["arp.opcode"], "");
    EXPECT_EQ(c["eth.src"], "02:00:00:00:02:01") << "no inner Ethernet frame";
    EXPECT_EQ(c["ipv6.src"], "fd00:2::1");
    EXPECT_EQ(c["udp.checksum.status"], "1");
    EXPECT_EQ(c["_ws.col.Info"], "DATA node 4096 -> node 1 seq 2:22 [encrypted]");
    EXPECT_EQ(c["_ws.expert.message"], "");

    const std::string tree = verbose(pcap);
    EXPECT_THAT(tree, HasSubstr("(AES-GCM ciphertext: not decrypted)"));
    EXPECT_THAT(tree, HasSubstr("(not verified: the dissector holds no cluster key)"));
}

// The outer headers as the engine builds them: valid checksums (zero UDP
// checksum over IPv4, computed over IPv6), the UDP source port and IPv6 flow
// label from the flow hash, the DSCP, DF over IPv4, the hop limit, and
// lengths that count the header and the tag.
TEST_F(DissectorTest, OuterHeadersCarryTheEncapChoices) {
    TunnelPacket t4{.spec = v4_spec(), .flow_hash = 0x1234abcd, .seal = {.seq = seq_of(1, 1)},
                    .payload = inner_icmp_echo(1, 1)};
    TunnelPacket t6{.spec = v6_spec(), .flow_hash = 0xfedcba98, .seal = {.encrypt = true, .seq = seq_of(1, 2)},
                    .payload = inner_icmp_echo(2, 2)};
    auto pcap = write_pcap({build_frame(t4), build_frame(t6)});
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap,
                                   {"udp.srcport", "udp.dstport", "udp.length", "udp.checksum",
                                    "udp.checksum.status", "ip.checksum.status", "ip.dsfield.dscp",
                                    "ip.flags.df", "ip.ttl", "ip.len", "ipv6.flow", "ipv6.tclass.dscp",
                                    "ipv6.hlim", "ipv6.plen", "ftnet.seq", "ftnet.payload_len"},
                                   &rows));
    ASSERT_EQ(rows.size(), 2u);
    const size_t udp_len = 8 + 22 + t4.payload.size() + 16;

    Fields& a = rows[0];
    EXPECT_EQ(a["udp.srcport"], std::to_string(0xc000 | (0x1234abcd & 0x3fff)));
    EXPECT_EQ(a["udp.dstport"], "3343");
    EXPECT_EQ(a["udp.length"], std::to_string(udp_len));
    EXPECT_EQ(a["udp.checksum"], "0x0000");
    EXPECT_EQ(a["ip.len"], std::to_string(20 + udp_len) + "," + std::to_string(t4.payload.size() - 14));
    EXPECT_EQ(split(a["ip.checksum.status"], ',')[0], "1") << "outer IPv4 header checksum";
    EXPECT_EQ(split(a["ip.dsfield.dscp"], ',')[0], "48");
    EXPECT_TRUE(is_true(split(a["ip.flags.df"], ',')[0])) << a["ip.flags.df"];
    EXPECT_EQ(split(a["ip.ttl"], ',')[0], "64");
    EXPECT_EQ(a["ftnet.seq"], std::to_string(seq_of(1, 1)));
    EXPECT_EQ(a["ftnet.payload_len"], std::to_string(t4.payload.size()));

    Fields& b = rows[1];
    EXPECT_EQ(b["udp.srcport"], std::to_string(0xc000 | (0xfedcba98 & 0x3fff)));
    EXPECT_EQ(b["udp.dstport"], "3343");
    EXPECT_EQ(b["udp.length"], std::to_string(udp_len));
    EXPECT_EQ(b["ipv6.plen"], std::to_string(udp_len));
    EXPECT_EQ(b["udp.checksum.status"], "1") << "IPv6 UDP checksum from csum_base";
    EXPECT_NE(b["udp.checksum"], "0x0000");
    ASSERT_THAT(b["ipv6.flow"], StartsWith("0x"));
    EXPECT_EQ(std::stoul(b["ipv6.flow"], nullptr, 16), 0xfedcba98u & 0xfffff) << b["ipv6.flow"];
    EXPECT_EQ(b["ipv6.tclass.dscp"], "46");
    EXPECT_EQ(b["ipv6.hlim"], "32");
    EXPECT_EQ(b["ftnet.seq"], std::to_string(seq_of(1, 2)));
    EXPECT_EQ(b["ftnet.payload_len"], std::to_string(t6.payload.size()));
}

// HELLOs as the control thread sends them: build_message() in the control
// thread's sequence space.
TEST_F(DissectorTest, HelloDecodesEveryPayloadField) {
    AdapterInfo a = adapter_a();
    AdapterInfo b = adapter_a();
    b.mac = mac("02:00:5e:00:20:02");
    b.apipa = ip("169.254.20.2");
    b.link_local = ip("fe80::2");
    b.mtu = 9000;
    b.boot_id = 7;
    b.node_name = "n2";
    b.cluster = "";
    const Seal s6{.space = wire::kControlSpace, .seq = seq_of(5, 1)};
    const Seal s4{.key = 2, .space = wire::kControlSpace, .seq = seq_of(5, 2)};
    const Bytes f6 = sealed_frame(v6_spec(), 1023, wire::MsgType::Hello, hello_payload(a, true), s6);
    const Bytes f4 = sealed_frame(v4_spec(), 3, wire::MsgType::Hello, hello_payload(b, false), s4);
    auto pcap = write_pcap({f6, f4});
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(
        pcap,
        with_header_fields({"ftnet.hello.mac", "ftnet.hello.apipa", "ftnet.hello.link_local", "ftnet.hello.mtu",
                            "ftnet.hello.boot_id", "ftnet.hello.flags", "ftnet.hello.flags.want_reply",
                            "ftnet.hello.node_name", "ftnet.hello.cluster", "ftnet.payload", "udp.srcport",
                            "udp.checksum.status"}),
        &rows));
    ASSERT_EQ(rows.size(), 2u);

    Fields& r = rows[0];
    expect_header(r, f6, v6_spec(), wire::MsgType::Hello, s6, 100);
    EXPECT_EQ(r["ftnet.space"], "255");
    EXPECT_EQ(r["ftnet.hello.mac"], "02:00:5e:00:10:01");
    EXPECT_EQ(r["ftnet.hello.apipa"], "169.254.10.1");
    EXPECT_EQ(r["ftnet.hello.link_local"], "fe80::5eff:fe00:1001");
    EXPECT_EQ(r["ftnet.hello.mtu"], "1400");
    EXPECT_EQ(r["ftnet.hello.boot_id"], "0xdeadbeef");
    EXPECT_EQ(r["ftnet.hello.flags"], "0x00000001");
    EXPECT_TRUE(is_true(r["ftnet.hello.flags.want_reply"])) << r["ftnet.hello.flags.want_reply"];
    EXPECT_EQ(r["ftnet.hello.node_name"], "node-a");
    EXPECT_EQ(r["ftnet.hello.cluster"], "clu_1");
    EXPECT_EQ(r["ftnet.payload"], "");
    EXPECT_EQ(r["udp.srcport"], std::to_string(0xc000 | 1023));
    EXPECT_EQ(r["udp.checksum.status"], "1");
    EXPECT_THAT(r["_ws.col.Info"], StartsWith("HELLO node 4096 -> node 1 seq 5:1: node \"node-a\" cluster \"clu_1\""));
    EXPECT_THAT(r["_ws.col.Info"], HasSubstr("please answer"));
    EXPECT_EQ(r["_ws.expert.message"], "");

    Fields& s = rows[1];
    expect_header(s, f4, v4_spec(), wire::MsgType::Hello, s4, 100);
    EXPECT_EQ(s["ftnet.key_id"], "2");
    EXPECT_EQ(s["ftnet.hello.mac"], "02:00:5e:00:20:02");
    EXPECT_EQ(s["ftnet.hello.apipa"], "169.254.20.2");
    EXPECT_EQ(s["ftnet.hello.link_local"], "fe80::2");
    EXPECT_EQ(s["ftnet.hello.mtu"], "9000");
    EXPECT_EQ(s["ftnet.hello.boot_id"], "0x00000007");
    EXPECT_EQ(s["ftnet.hello.flags"], "0x00000000");
    EXPECT_TRUE(is_false(s["ftnet.hello.flags.want_reply"])) << s["ftnet.hello.flags.want_reply"];
    EXPECT_EQ(s["ftnet.hello.node_name"], "n2");
    EXPECT_EQ(s["ftnet.hello.cluster"], "");
    EXPECT_EQ(s["udp.srcport"], std::to_string(0xc000 | 3));
    EXPECT_EQ(s["_ws.col.Info"], "HELLO node 1 -> node 2 seq 5:2: node \"n2\" cluster \"\" MAC 02:00:5e:00:20:02 MTU 9000");
    EXPECT_EQ(s["_ws.expert.message"], "");

    EXPECT_THAT(verbose(pcap), HasSubstr("Sequence space: 255 (control thread)"));
}

// decode_hello()'s domain checks, seen in Wireshark: a HELLO a receiver
// ignores is flagged.
TEST_F(DissectorTest, HelloOutOfDomainRaisesExpertInfo) {
    AdapterInfo a = adapter_a();
    a.mtu = 1000;
    a.apipa = ip("10.0.0.1");
    Bytes hello = hello_payload(a, false);
    const Seal s{.space = wire::kControlSpace};
    auto pcap = write_pcap({sealed_frame(v6_spec(), 1, wire::MsgType::Hello, hello, s),
                            sealed_frame(v4_spec(), 2, wire::MsgType::Hello, Bytes(hello.begin(), hello.begin() + 60), s)});
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap, {"ftnet.hello.mtu", "ftnet.hello.node_name", "ftnet.payload_len"}, &rows));
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0]["ftnet.hello.mtu"], "1000");
    EXPECT_THAT(rows[0]["_ws.expert.message"], HasSubstr("MTU outside 1280..9000"));
    EXPECT_THAT(rows[0]["_ws.expert.message"], HasSubstr("169.254.0.0/16"));
    EXPECT_EQ(rows[1]["ftnet.payload_len"], "60");
    EXPECT_EQ(rows[1]["ftnet.hello.node_name"], "");
    EXPECT_THAT(rows[1]["_ws.expert.message"], HasSubstr("HELLO payload of 60 bytes is shorter than the 100-byte HelloPayload"));
}

const std::vector<std::string> kHeartbeatFields = {
    "ftnet.hb.boot_id",     "ftnet.hb.echo_boot_id", "ftnet.hb.tx_time",    "ftnet.hb.echo_seq",
    "ftnet.hb.interval_ms", "ftnet.hb.threshold",    "ftnet.hb.route_state", "ftnet.hb.send_skew_us",
    "ftnet.hb.seq",
};

// Heartbeats as the workers send them (build_message(), heartbeat.cpp): a
// request from node 1 and node 2's reply to it, over IPv4 and IPv6, each in
// its worker's sequence space. Every header and payload field reads back as
// encoded, tx_time with all 64 bits; the outer headers are those of a
// control message (DSCP CS6 whatever the route's data DSCP, UDP source port
// from the route id, IPv6 flow label 0, valid checksums).
TEST_F(DissectorTest, HeartbeatsDecodeEveryField) {
    TemplateSpec v4 = v4_spec();
    v4.dscp = 0;  // the data DSCP; heartbeats carry CS6 regardless
    const TemplateSpec v6 = v6_spec();  // data DSCP 46
    const Heartbeat req4{.boot_id = 0x1234abcd, .echo_boot_id = 0x0badf00d, .tx_time = 0x0123456789abcdefULL,
                         .echo_seq = 3, .interval_ms = 1000, .threshold = 5, .route_state = 1,
                         .send_skew_us = 7250, .seq = 5};
    const Heartbeat rep4{.boot_id = 0x0badf00d, .echo_boot_id = 0x1234abcd, .tx_time = 0x0123456789abcdefULL,
                         .echo_seq = 5, .interval_ms = 1000, .threshold = 5, .route_state = 2, .seq = 17};
    const Heartbeat req6{.boot_id = 0xfeedface, .tx_time = 0xfffffffffffffffeULL, .interval_ms = 10,
                         .threshold = 3, .route_state = 0, .seq = 4000000000u};
    const Heartbeat rep6{.boot_id = 1, .echo_boot_id = 0xfeedface, .tx_time = 0xfffffffffffffffeULL,
                         .echo_seq = 4000000000u, .interval_ms = 65535, .threshold = 10, .route_state = 1,
                         .send_skew_us = 4000000000u, .seq = 1};
    struct Want {
        TemplateSpec spec;
        uint16_t route;
        wire::MsgType type;
        Seal seal;
        const Heartbeat& hb;
        const char* info;
    };
    const Want want[] = {
        {v4, 3, wire::MsgType::HeartbeatReq, {.space = 0, .seq = seq_of(1, 17)}, req4,
         "HB-REQ node 1 -> node 2 seq 1:17 req 5"},
        {reversed(v4), 7, wire::MsgType::HeartbeatRep, {.space = 1, .seq = seq_of(9, 9)}, rep4,
         "HB-REP node 2 -> node 1 seq 9:9 echo 5"},
        {v6, 1023, wire::MsgType::HeartbeatReq, {.key = 2, .space = 2, .seq = seq_of(3, 4000000000u)}, req6,
         "HB-REQ node 4096 -> node 1 seq 3:4000000000 req 4000000000"},
        {reversed(v6), 12, wire::MsgType::HeartbeatRep, {.space = 0, .seq = seq_of(1, 1)}, rep6,
         "HB-REP node 1 -> node 4096 seq 1:1 echo 4000000000"},
    };
    std::vector<Bytes> frames;
    for (const Want& w : want) frames.push_back(sealed_frame(w.spec, w.route, w.type, hb_payload(w.hb), w.seal));
    auto pcap = write_pcap(frames);
    auto fields = with_header_fields({"ftnet.payload", "udp.srcport", "udp.dstport", "udp.checksum.status",
                                      "ip.checksum.status", "ip.dsfield.dscp", "ipv6.tclass.dscp", "ipv6.flow"});
    fields.insert(fields.end(), kHeartbeatFields.begin(), kHeartbeatFields.end());
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap, fields, &rows));
    ASSERT_EQ(rows.size(), 4u);

    char buf[32];
    for (size_t i = 0; i < 4; i++) {
        SCOPED_TRACE("frame " + std::to_string(i + 1));
        Fields& r = rows[i];
        const Want& w = want[i];
        expect_header(r, frames[i], w.spec, w.type, w.seal, 32);
        std::snprintf(buf, sizeof buf, "0x%08x", w.hb.boot_id);
        EXPECT_EQ(r["ftnet.hb.boot_id"], buf);
        std::snprintf(buf, sizeof buf, "0x%08x", w.hb.echo_boot_id);
        EXPECT_EQ(r["ftnet.hb.echo_boot_id"], buf);
        EXPECT_EQ(r["ftnet.hb.tx_time"], std::to_string(w.hb.tx_time));
        EXPECT_EQ(r["ftnet.hb.echo_seq"], std::to_string(w.hb.echo_seq));
        EXPECT_EQ(r["ftnet.hb.interval_ms"], std::to_string(w.hb.interval_ms));
        EXPECT_EQ(r["ftnet.hb.threshold"], std::to_string(w.hb.threshold));
        EXPECT_EQ(r["ftnet.hb.route_state"], std::to_string(w.hb.route_state));
        EXPECT_EQ(r["ftnet.hb.send_skew_us"], std::to_string(w.hb.send_skew_us));
        EXPECT_EQ(r["ftnet.hb.seq"], std::to_string(w.hb.seq));
        EXPECT_EQ(r["ftnet.payload"], "");
        EXPECT_EQ(r["_ws.col.Info"], w.info);
        EXPECT_EQ(r["_ws.expert.message"], "");
        // Outer headers of a control message.
        EXPECT_EQ(r["udp.srcport"], std::to_string(0xc000 | w.route));
        EXPECT_EQ(r["udp.dstport"], "3343");
        if (i < 2) {
            EXPECT_EQ(r["ip.dsfield.dscp"], "48");
            EXPECT_EQ(r["ip.checksum.status"], "1");
        } else {
            EXPECT_EQ(r["ipv6.tclass.dscp"], "48");
            EXPECT_EQ(r["udp.checksum.status"], "1");
            ASSERT_THAT(r["ipv6.flow"], StartsWith("0x"));
            EXPECT_EQ(std::stoul(r["ipv6.flow"], nullptr, 16), 0u) << r["ipv6.flow"];
        }
    }
    // The names and summaries, as the packet tree shows them.
    const std::string tree = verbose(pcap);
    EXPECT_THAT(tree, HasSubstr("Sender's route state: up (1)"));
    EXPECT_THAT(tree, HasSubstr("Sender's route state: down (2)"));
    EXPECT_THAT(tree, HasSubstr("Sender's route state: unknown (0)"));
    EXPECT_THAT(tree, HasSubstr("Heartbeat request: boot id 0x1234abcd, every 1000 ms x 5, route up, send skew 7250 us"));
    EXPECT_THAT(tree, HasSubstr("Heartbeat reply: boot id 0x0badf00d, every 1000 ms x 5, route down, send skew 0 us"));
    EXPECT_THAT(tree, HasSubstr("Heartbeat seq: 5 (the requester's per-route request sequence)"));
    EXPECT_THAT(tree, HasSubstr("Heartbeat seq: 17 (the replier's per-route reply count)"));
    EXPECT_THAT(tree, HasSubstr("Sequence space: 1 (worker 1)"));
}

// heartbeat_input() drops a payload that is not the 32-byte HeartbeatPayload
// (rx-bad-length): shorter ones, version 1's 28 bytes among them, are shown
// as bytes; a longer one is decoded and the rest shown as bytes.
TEST_F(DissectorTest, HeartbeatOfAnotherLengthRaisesExpertInfo) {
    const Heartbeat req{.boot_id = 0x11111111, .tx_time = 123456789, .interval_ms = 1000, .threshold = 5,
                        .route_state = 1, .seq = 2};
    const Heartbeat rep{.boot_id = 0x22222222, .echo_boot_id = 0x11111111, .tx_time = 123456789, .echo_seq = 5,
                        .interval_ms = 10, .threshold = 3, .route_state = 1, .seq = 9};
    Bytes longer = hb_payload(rep);
    for (uint8_t b : {0xde, 0xad, 0xbe, 0xef}) longer.push_back(b);  // not insert(): GCC 12 warns falsely (-Warray-bounds)
    Bytes v1_size = hb_payload(req);
    v1_size.resize(28);
    auto pcap = write_pcap({
        sealed_frame(v4_spec(), 3, wire::MsgType::HeartbeatReq, Bytes(20, 0x42), {.seq = seq_of(1, 8)}),
        sealed_frame(reversed(v6_spec()), 2, wire::MsgType::HeartbeatRep, longer, {.seq = seq_of(1, 9)}),
        sealed_frame(v4_spec(), 3, wire::MsgType::HeartbeatReq, v1_size, {.seq = seq_of(1, 10)}),
        sealed_frame(v4_spec(), 3, wire::MsgType::HeartbeatReq, hb_payload(req), {.seq = seq_of(1, 11)}),  // contrast
    });
    auto fields = kHeartbeatFields;
    for (auto f : {"ftnet.type", "ftnet.payload_len", "ftnet.payload"}) fields.push_back(f);
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap, fields, &rows));
    ASSERT_EQ(rows.size(), 4u);

    EXPECT_EQ(rows[0]["ftnet.payload_len"], "20");
    EXPECT_EQ(rows[0]["ftnet.hb.boot_id"], "");
    EXPECT_EQ(rows[0]["ftnet.payload"], hex(Bytes(20, 0x42)));
    EXPECT_THAT(rows[0]["_ws.expert.message"], HasSubstr("heartbeat payload of 20 bytes, not the 32-byte HeartbeatPayload"));
    EXPECT_THAT(rows[0]["_ws.expert.message"], HasSubstr("rx-bad-length"));
    EXPECT_EQ(rows[0]["_ws.col.Info"], "HB-REQ node 1 -> node 2 seq 1:8");

    EXPECT_EQ(rows[1]["ftnet.payload_len"], "36");
    EXPECT_EQ(rows[1]["ftnet.hb.echo_boot_id"], "0x11111111");
    EXPECT_EQ(rows[1]["ftnet.hb.interval_ms"], "10");
    EXPECT_EQ(rows[1]["ftnet.hb.seq"], "9");
    EXPECT_EQ(rows[1]["ftnet.payload"], "deadbeef");
    EXPECT_THAT(rows[1]["_ws.expert.message"], HasSubstr("heartbeat payload of 36 bytes"));
    EXPECT_THAT(rows[1]["_ws.expert.message"], HasSubstr("rx-bad-length"));

    EXPECT_EQ(rows[2]["ftnet.payload_len"], "28");
    EXPECT_EQ(rows[2]["ftnet.hb.boot_id"], "");
    EXPECT_EQ(rows[2]["ftnet.payload"], hex(v1_size));
    EXPECT_THAT(rows[2]["_ws.expert.message"], HasSubstr("heartbeat payload of 28 bytes"));

    EXPECT_EQ(rows[3]["ftnet.hb.boot_id"], "0x11111111");
    EXPECT_EQ(rows[3]["ftnet.hb.seq"], "2");
    EXPECT_EQ(rows[3]["_ws.expert.message"], "");
    EXPECT_EQ(rows[3]["_ws.col.Info"], "HB-REQ node 1 -> node 2 seq 1:11 req 2");
}

// Link notices (the far side learns of a link loss at once), sent by the
// control thread: header and every entry decoded, both families; a count
// that disagrees with the length is flagged as receivers drop it.
TEST_F(DissectorTest, LinkNoticesDecodeEveryEntry) {
    const auto down6 = notice_entry("fd00:2::1", "fd00:2::2", wire::kLinkNoticeDown, wire::kLinkReasonLink);
    const auto up4 = notice_entry("198.18.2.1", "198.18.2.2", wire::kLinkNoticeUp, 0);
    const Seal s{.space = wire::kControlSpace, .seq = seq_of(4, 7)};
    const Bytes good = sealed_frame(v6_spec(), 1, wire::MsgType::LinkNotice, notice_payload(0xabcd0001, 7, 2, {down6, up4}), s);
    auto pcap = write_pcap({
        good,
        sealed_frame(v4_spec(), 2, wire::MsgType::LinkNotice, notice_payload(0xabcd0001, 8, 3, {down6, up4}),
                     {.space = wire::kControlSpace, .seq = seq_of(4, 8)}),
    });
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap,
                                   with_header_fields({"ftnet.notice.boot_id", "ftnet.notice.seq", "ftnet.notice.count",
                                                       "ftnet.notice.family", "ftnet.notice.state",
                                                       "ftnet.notice.reason", "ftnet.notice.sender_ipv6",
                                                       "ftnet.notice.receiver_ipv6", "ftnet.notice.sender_ipv4",
                                                       "ftnet.notice.receiver_ipv4"}),
                                   &rows));
    ASSERT_EQ(rows.size(), 2u);
    Fields& r = rows[0];
    expect_header(r, good, v6_spec(), wire::MsgType::LinkNotice, s, 84);
    EXPECT_EQ(r["ftnet.notice.boot_id"], "0xabcd0001");
    EXPECT_EQ(r["ftnet.notice.seq"], "7");
    EXPECT_EQ(r["ftnet.notice.count"], "2");
    EXPECT_EQ(r["ftnet.notice.family"], "6,4");
    EXPECT_EQ(r["ftnet.notice.state"], "0,1");
    EXPECT_EQ(r["ftnet.notice.reason"], "1,0");
    EXPECT_EQ(r["ftnet.notice.sender_ipv6"], "fd00:2::1");
    EXPECT_EQ(r["ftnet.notice.receiver_ipv6"], "fd00:2::2");
    EXPECT_EQ(r["ftnet.notice.sender_ipv4"], "198.18.2.1");
    EXPECT_EQ(r["ftnet.notice.receiver_ipv4"], "198.18.2.2");
    EXPECT_EQ(r["_ws.col.Info"], "NOTICE node 4096 -> node 1 seq 4:7: 1 down, 1 up");
    EXPECT_EQ(r["_ws.expert.message"], "");
    EXPECT_THAT(rows[1]["_ws.expert.message"], HasSubstr("3 entries in 84 bytes"));
    EXPECT_THAT(rows[1]["_ws.expert.message"], HasSubstr("rx-notice-malformed"));
}

const std::vector<std::string> kSessionFields = {
    "ftnet.session.kind",      "ftnet.session.flags",  "ftnet.session.msg_type", "ftnet.session.sender_inc",
    "ftnet.session.receiver_inc", "ftnet.session.seq", "ftnet.session.ack",      "ftnet.session.sack",
    "ftnet.session.window",    "ftnet.session.frag",   "ftnet.session.frags",    "ftnet.session.reserved",
    "ftnet.session.msg_len",   "ftnet.session.data",   "ftnet.session.probe.number",
};

// Reliable-session segments as two sessions exchange them, sealed as the
// control thread sends them (its sequence space; the header's epoch and the
// session's incarnation are both the sender's epoch). Node 1 (incarnation
// 3) probes node 2 (incarnation 7), which answers with an Ack; node 1 then
// sends a 300-byte Probe message in three fragments, the second of which is
// lost, and node 2 acknowledges the first, and the third selectively.
// Every SegHeader field reads back as the session wrote it; the same Data
// segment encrypted is not decoded.
TEST_F(DissectorTest, SessionSegmentsDecodeEveryField) {
    constexpr size_t kSegData = 128;
    SessionEnd a(3, kSegData), b(7, kSegData);
    const uint64_t now = 1000;
    a.s.flush(now);  // Probe with node 1's challenge: it does not know node 2's incarnation yet
    ASSERT_EQ(a.sent.size(), 1u);
    b.receive(a.sent[0], now);
    b.s.flush(now);  // Ack echoing the challenge (here is incarnation 7), and node 2's own Probe
    ASSERT_EQ(b.sent.size(), 2u);
    a.receive(b.sent[0], now);
    a.receive(b.sent[1], now);
    ASSERT_TRUE(a.s.established());
    a.s.flush(now);  // Ack echoing node 2's challenge
    ASSERT_EQ(a.sent.size(), 2u);
    b.receive(a.sent[1], now);
    ASSERT_TRUE(b.s.established());
    const Bytes msg = probe_message(42, 300);
    ASSERT_NE(a.s.send(static_cast<uint16_t>(SessionType::Probe), msg.data(), msg.size(), now), 0u);
    a.s.flush(now);
    ASSERT_EQ(a.sent.size(), 5u) << "the probe, the ack, then three fragments";
    b.receive(a.sent[2], now);
    b.receive(a.sent[4], now);  // fragment 1 (seq 2) lost
    b.s.flush(now);
    ASSERT_EQ(b.sent.size(), 3u);
    EXPECT_EQ(b.delivered, 0);
    // Probes carry a random challenge in `seq`; Acks echo the last one seen.
    auto seq_text = [](const Bytes& seg) {
        session::SegHeader h;
        std::memcpy(&h, seg.data(), sizeof h);
        return std::to_string(__builtin_bswap64(h.seq));
    };
    const std::string challenge = seq_text(a.sent[0]);
    ASSERT_NE(challenge, "0");
    ASSERT_EQ(seq_text(b.sent[0]), challenge);
    const std::string echo_b = seq_text(b.sent[2]);  // node 2's later Ack echoes node 1's challenge too

    const TemplateSpec one = v4_spec(), two = reversed(v4_spec());
    const Seal a1{.space = wire::kControlSpace, .seq = seq_of(3, 1)};
    const Seal a2{.space = wire::kControlSpace, .seq = seq_of(3, 2)};
    const Seal a3{.space = wire::kControlSpace, .seq = seq_of(3, 3)};
    const Seal b1{.key = 2, .space = wire::kControlSpace, .seq = seq_of(7, 1)};
    const Seal b2{.key = 2, .space = wire::kControlSpace, .seq = seq_of(7, 2)};
    const Seal enc{.encrypt = true, .space = wire::kControlSpace, .seq = seq_of(3, 4)};
    struct Want {
        TemplateSpec spec;
        Seal seal;
        const Bytes& seg;
        const char* kind;
        const char* msg_type;
        const char* sender_inc;
        const char* receiver_inc;
        const char* seq;
        const char* ack;
        const char* sack;
        const char* frag;
        const char* frags;
        const char* msg_len;
        std::string data;
        const char* probe_number;
        const char* info;
    };
    const Want want[] = {
        {one, a1, a.sent[0], "3", "0", "3", "0", challenge.c_str(), "1", "0x0000000000000000", "0", "0", "0", "", "",
         "SESSION node 1 -> node 2 seq 3:1: Probe ack 1 win 512 inc 3->0"},
        {two, b1, b.sent[0], "2", "0", "7", "0", challenge.c_str(), "1", "0x0000000000000000", "0", "0", "0", "", "",
         "SESSION node 2 -> node 1 seq 7:1: Ack ack 1 win 512 inc 7->0"},
        {one, a2, a.sent[2], "1", "1", "3", "7", "1", "1", "0x0000000000000000", "0", "3", "300",
         hex(msg.data(), kSegData), "42",
         "SESSION node 1 -> node 2 seq 3:2: Data seq 1 ack 1 win 512 inc 3->7, Probe message of 300 bytes, "
         "frag 0 of 3"},
        {one, a3, a.sent[4], "1", "1", "3", "7", "3", "1", "0x0000000000000000", "2", "3", "300",
         hex(msg.data() + 2 * kSegData, msg.size() - 2 * kSegData), "",
         "SESSION node 1 -> node 2 seq 3:3: Data seq 3 ack 1 win 512 inc 3->7, Probe message of 300 bytes, "
         "frag 2 of 3"},
        {two, b2, b.sent[2], "2", "0", "7", "3", echo_b.c_str(), "2", "0x0000000000000001", "0", "0", "0", "", "",
         "SESSION node 2 -> node 1 seq 7:2: Ack ack 2 sack 0x1 win 512 inc 7->3"},
    };
    std::vector<Bytes> frames;
    for (const Want& w : want) frames.push_back(sealed_frame(w.spec, 5, wire::MsgType::Session, w.seg, w.seal));
    frames.push_back(sealed_frame(one, 5, wire::MsgType::Session, a.sent[2], enc));
    auto pcap = write_pcap(frames);
    auto fields = with_header_fields({"ftnet.payload", "udp.srcport", "ip.dsfield.dscp"});
    fields.insert(fields.end(), kSessionFields.begin(), kSessionFields.end());
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap, fields, &rows));
    ASSERT_EQ(rows.size(), 6u);

    for (size_t i = 0; i < 5; i++) {
        SCOPED_TRACE("frame " + std::to_string(i + 1));
        Fields& r = rows[i];
        const Want& w = want[i];
        expect_header(r, frames[i], w.spec, wire::MsgType::Session, w.seal, w.seg.size());
        EXPECT_EQ(r["ftnet.session.kind"], w.kind);
        EXPECT_EQ(r["ftnet.session.flags"], "0x00");
        EXPECT_EQ(r["ftnet.session.msg_type"], w.msg_type);
        EXPECT_EQ(r["ftnet.session.sender_inc"], w.sender_inc);
        EXPECT_EQ(r["ftnet.session.receiver_inc"], w.receiver_inc);
        EXPECT_EQ(r["ftnet.session.seq"], w.seq);
        EXPECT_EQ(r["ftnet.session.ack"], w.ack);
        EXPECT_EQ(r["ftnet.session.sack"], w.sack);
        EXPECT_EQ(r["ftnet.session.window"], std::to_string(session::kWindow));
        EXPECT_EQ(r["ftnet.session.frag"], w.frag);
        EXPECT_EQ(r["ftnet.session.frags"], w.frags);
        EXPECT_EQ(r["ftnet.session.reserved"], "0x0000");
        EXPECT_EQ(r["ftnet.session.msg_len"], w.msg_len);
        EXPECT_EQ(r["ftnet.session.data"], w.data);
        EXPECT_EQ(r["ftnet.session.probe.number"], w.probe_number);
        EXPECT_EQ(r["ftnet.payload"], "");
        EXPECT_EQ(r["_ws.col.Info"], w.info);
        EXPECT_EQ(r["_ws.expert.message"], "");
        // Outer headers of a control message.
        EXPECT_EQ(r["udp.srcport"], std::to_string(0xc000 | 5));
        EXPECT_EQ(r["ip.dsfield.dscp"], "48");
    }
    EXPECT_EQ(a.sent[0].size(), sizeof(session::SegHeader)) << "a Probe is a bare header";
    EXPECT_EQ(rows[2]["ftnet.payload_len"], std::to_string(sizeof(session::SegHeader) + kSegData));

    Fields& e = rows[5];
    expect_header(e, frames[5], one, wire::MsgType::Session, enc, a.sent[2].size());
    for (auto& name : kSessionFields) EXPECT_EQ(e[name], "") << name << ": encrypted, not decoded";
    EXPECT_EQ(e["_ws.col.Info"], "SESSION node 1 -> node 2 seq 3:4 [encrypted]");
    EXPECT_EQ(e["_ws.expert.message"], "");

    // The names, as the packet tree shows them.
    const std::string tree = verbose(pcap);
    EXPECT_THAT(tree, HasSubstr("Kind: Probe (3)"));
    EXPECT_THAT(tree, HasSubstr("Kind: Ack (2)"));
    EXPECT_THAT(tree, HasSubstr("Kind: Data (1)"));
    EXPECT_THAT(tree, HasSubstr("Message type: Probe (1)"));
    EXPECT_THAT(tree, HasSubstr("Receiver's incarnation: 0 (not known yet)"));
    EXPECT_THAT(tree, HasSubstr("SACK (bit i: segment ack + 1 + i arrived): 0x0000000000000001 (also arrived: 3)"));
    EXPECT_THAT(tree, HasSubstr("Probe message number: 42"));
}

// What ReliableSession::on_segment() drops, as far as a segment alone tells:
// shorter than the SegHeader (encrypted too: the length shows), an unknown
// kind and impossible fragment fields (segs_malformed), a Data segment to
// incarnation 0 (segs_stale). A Membership message's segment (a regroup
// Request), untouched, is the contrast.
TEST_F(DissectorTest, SessionSegmentsTheReceiverDropsRaiseExpertInfo) {
    SessionEnd a(2, 1300), b(9, 1300);
    a.s.flush(1);
    b.receive(a.sent.at(0), 1);
    b.s.flush(1);
    a.receive(b.sent.at(0), 1);
    ASSERT_TRUE(a.s.established());
    const Bytes body = membership::encode({.kind = membership::RegroupMsg::Kind::Request,
                                           .epoch = membership::make_epoch(1, 2, 1)});
    ASSERT_NE(a.s.send(static_cast<uint16_t>(SessionType::Membership), body.data(), body.size(), 1), 0u);
    a.s.flush(1);
    ASSERT_EQ(a.sent.size(), 2u);
    const Bytes& good = a.sent[1];
    auto edited = [&](size_t off, uint8_t v) {
        Bytes s = good;
        s.at(off) = v;
        return s;
    };
    const Seal s{.space = wire::kControlSpace, .seq = seq_of(2, 5)};
    const Seal enc{.encrypt = true, .space = wire::kControlSpace, .seq = seq_of(2, 6)};
    auto pcap = write_pcap({
        sealed_frame(v4_spec(), 1, wire::MsgType::Session, good, s),
        sealed_frame(v4_spec(), 1, wire::MsgType::Session, Bytes(good.begin(), good.begin() + 43), s),
        sealed_frame(v4_spec(), 1, wire::MsgType::Session, Bytes(20, 7), enc),
        sealed_frame(v4_spec(), 1, wire::MsgType::Session, edited(0, 9), s),     // kind 9
        sealed_frame(v4_spec(), 1, wire::MsgType::Session, edited(35, 1), s),    // frag 1 of 1
        sealed_frame(v4_spec(), 1, wire::MsgType::Session, edited(7, 0), s),     // receiver_inc 9 -> 0
    });
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap,
                                   {"ftnet.payload_len", "ftnet.payload", "ftnet.encrypted_payload",
                                    "ftnet.session.kind", "ftnet.session.msg_type", "ftnet.session.frag",
                                    "ftnet.session.receiver_inc", "ftnet.session.data"},
                                   &rows));
    ASSERT_EQ(rows.size(), 6u);

    EXPECT_EQ(rows[0]["ftnet.session.kind"], "1");
    EXPECT_EQ(rows[0]["ftnet.session.msg_type"], "2");
    EXPECT_EQ(rows[0]["ftnet.session.data"], hex(body));
    EXPECT_EQ(rows[0]["_ws.col.Info"],
              "SESSION node 1 -> node 2 seq 2:5: Data seq 1 ack 1 win 512 inc 2->9, Membership message of " +
                  std::to_string(body.size()) + " bytes, frag 0 of 1: Request round 1 of node 1 (inc 2)");
    EXPECT_EQ(rows[0]["_ws.expert.message"], "");

    EXPECT_EQ(rows[1]["ftnet.payload_len"], "43");
    EXPECT_EQ(rows[1]["ftnet.session.kind"], "");
    EXPECT_EQ(rows[1]["ftnet.payload"], hex(good.data(), 43));
    EXPECT_THAT(rows[1]["_ws.expert.message"],
                HasSubstr("session segment of 43 bytes is shorter than the 44-byte SegHeader: receivers drop it "
                          "(segs_malformed in ftnetctl session)"));
    EXPECT_EQ(rows[1]["_ws.col.Info"], "SESSION node 1 -> node 2 seq 2:5");

    EXPECT_NE(rows[2]["ftnet.encrypted_payload"], "");
    EXPECT_THAT(rows[2]["_ws.expert.message"], HasSubstr("session segment of 20 bytes is shorter than the 44-byte SegHeader"));
    EXPECT_EQ(rows[2]["_ws.col.Info"], "SESSION node 1 -> node 2 seq 2:6 [encrypted]");

    EXPECT_EQ(rows[3]["ftnet.session.kind"], "9");
    EXPECT_THAT(rows[3]["_ws.expert.message"],
                HasSubstr("unknown segment kind 9: receivers drop it (segs_malformed in ftnetctl session)"));
    EXPECT_THAT(rows[3]["_ws.col.Info"], HasSubstr(": kind 9 ack 1"));

    EXPECT_EQ(rows[4]["ftnet.session.frag"], "1");
    EXPECT_THAT(rows[4]["_ws.expert.message"],
                HasSubstr("fragment 1 of a message of 1: receivers drop it (segs_malformed in ftnetctl session)"));

    EXPECT_EQ(rows[5]["ftnet.session.receiver_inc"], "0");
    EXPECT_THAT(rows[5]["_ws.expert.message"], HasSubstr("segs_stale"));
}

const std::vector<std::string> kMembershipFields = {
    "ftnet.membership.kind",          "ftnet.membership.epoch",       "ftnet.membership.epoch.round",
    "ftnet.membership.epoch.incarnation", "ftnet.membership.epoch.coordinator", "ftnet.membership.member",
    "ftnet.membership.digest.section", "ftnet.membership.digest.hash", "ftnet.membership.highest",
    "ftnet.membership.reason",
};

// An epoch as the dissector prints a 64-bit hex field.
std::string hex64(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
    return buf;
}

// Regroup messages (engine/membership/regroup.h) as the membership module
// sends them: membership::encode() through node 1's and node 2's sessions,
// one whole message per segment. A round coordinated by node 1: its Prepare
// (members, config digest) to node 2, node 2's Accept and a Nack (a higher
// promise and a reason), the Commit, and node 2's Request. Every field
// reads back as encoded, the body as the JSON nlohmann-json makes of it;
// the same message encrypted is not decoded.
TEST_F(DissectorTest, SessionMembershipMessagesDecodeEveryField) {
    SessionPair p(3, 7, 1300);
    ASSERT_TRUE(p.established());
    using Kind = membership::RegroupMsg::Kind;
    const uint64_t epoch = membership::make_epoch(5, 3, 1);
    const uint64_t higher = membership::make_epoch(0x80000001u, 0xfffe, 4096);
    const membership::RegroupMsg msgs[] = {
        {.kind = Kind::Prepare, .epoch = epoch, .members = {1, 2, 4},
         .digest = {{"cluster", 0xfedcba9876543210ULL}, {"networks", 42}}},
        {.kind = Kind::Accept, .epoch = epoch},
        // (A reason with a quote and a backslash: the JSON text escapes them as nlohmann-json does.)
        {.kind = Kind::Nack, .epoch = epoch, .highest = higher,
         .reason = "its config differs from ours in [networks] \"C:\\x\""},
        {.kind = Kind::Commit, .epoch = epoch, .members = {1, 2, 4}},
        {.kind = Kind::Request, .epoch = membership::make_epoch(4, 3, 1)},
    };
    const bool from_one[] = {true, false, false, true, false};
    const TemplateSpec one = v4_spec(), two = reversed(v4_spec());
    std::vector<Bytes> bodies, frames;
    std::vector<Seal> seals;
    for (size_t i = 0; i < std::size(msgs); i++) {
        bodies.push_back(membership::encode(msgs[i]));
        auto segs = send_message(from_one[i] ? p.a : p.b, SessionType::Membership, bodies.back());
        ASSERT_EQ(segs.size(), 1u);
        seals.push_back({.space = wire::kControlSpace, .seq = seq_of(from_one[i] ? 3 : 7, 10 + i)});
        frames.push_back(sealed_frame(from_one[i] ? one : two, 5, wire::MsgType::Session, segs[0], seals.back()));
    }
    // The Prepare again, encrypted.
    const Seal enc{.encrypt = true, .space = wire::kControlSpace, .seq = seq_of(3, 20)};
    auto enc_segs = send_message(p.a, SessionType::Membership, bodies[0]);
    ASSERT_EQ(enc_segs.size(), 1u);
    frames.push_back(sealed_frame(one, 5, wire::MsgType::Session, enc_segs[0], enc));
    auto pcap = write_pcap(frames);
    auto fields = with_header_fields({"ftnet.session.msg_type", "ftnet.session.msg_len", "ftnet.session.data",
                                      "ftnet.session.body"});
    fields.insert(fields.end(), kMembershipFields.begin(), kMembershipFields.end());
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap, fields, &rows));
    ASSERT_EQ(rows.size(), 6u);

    const std::string kinds[] = {"1", "2", "3", "4", "5"};
    for (size_t i = 0; i < std::size(msgs); i++) {
        SCOPED_TRACE("frame " + std::to_string(i + 1));
        Fields& r = rows[i];
        expect_header(r, frames[i], from_one[i] ? one : two, wire::MsgType::Session, seals[i],
                      sizeof(session::SegHeader) + bodies[i].size());
        EXPECT_EQ(r["ftnet.session.msg_type"], "2");
        EXPECT_EQ(r["ftnet.session.msg_len"], std::to_string(bodies[i].size()));
        EXPECT_EQ(r["ftnet.session.data"], hex(bodies[i]));
        EXPECT_EQ(r["ftnet.session.body"], json_dump(bodies[i]));
        EXPECT_EQ(r["ftnet.membership.kind"], kinds[i]);
        EXPECT_EQ(r["ftnet.membership.epoch"], hex64(msgs[i].epoch));
        EXPECT_EQ(r["ftnet.membership.epoch.round"], std::to_string(membership::epoch_round(msgs[i].epoch)));
        EXPECT_EQ(r["ftnet.membership.epoch.incarnation"],
                  std::to_string(membership::epoch_incarnation(msgs[i].epoch)));
        EXPECT_EQ(r["ftnet.membership.epoch.coordinator"],
                  std::to_string(membership::epoch_coordinator(msgs[i].epoch)));
        EXPECT_EQ(r["_ws.expert.message"], "");
    }
    EXPECT_EQ(rows[0]["ftnet.membership.member"], "1,2,4");
    EXPECT_EQ(rows[0]["ftnet.membership.digest.section"], "cluster,networks");
    EXPECT_EQ(rows[0]["ftnet.membership.digest.hash"], "0xfedcba9876543210,0x000000000000002a");
    EXPECT_EQ(rows[0]["ftnet.membership.highest"], "");
    EXPECT_EQ(rows[0]["_ws.col.Info"],
              summary("SESSION", one, seals[0].seq) + ": Data seq 1 ack 1 win 512 inc 3->7, Membership message of " +
                  std::to_string(bodies[0].size()) + " bytes, frag 0 of 1: Prepare round 5 of node 1 (inc 3), " +
                  "members 1,2,4");
    EXPECT_EQ(rows[1]["ftnet.membership.member"], "");
    EXPECT_EQ(rows[1]["ftnet.membership.digest.section"], "");
    EXPECT_THAT(rows[1]["_ws.col.Info"], HasSubstr("Membership message of " + std::to_string(bodies[1].size()) +
                                                   " bytes, frag 0 of 1: Accept round 5 of node 1 (inc 3)"));
    EXPECT_EQ(rows[2]["ftnet.membership.highest"], hex64(higher));
    EXPECT_EQ(rows[2]["ftnet.membership.reason"], "its config differs from ours in [networks] \"C:\\x\"");
    EXPECT_THAT(rows[2]["_ws.col.Info"],
                HasSubstr(": Nack round 5 of node 1 (inc 3), highest promised round 2147483649 of node 4096 "
                          "(inc 65534), reason \"its config differs from ours in [networks] \"C:\\x\"\""));
    EXPECT_EQ(rows[3]["ftnet.membership.member"], "1,2,4");
    EXPECT_THAT(rows[3]["_ws.col.Info"], HasSubstr(": Commit round 5 of node 1 (inc 3), members 1,2,4"));
    EXPECT_EQ(rows[4]["ftnet.membership.epoch.round"], "4");
    EXPECT_THAT(rows[4]["_ws.col.Info"], HasSubstr(": Request round 4 of node 1 (inc 3)"));

    Fields& e = rows[5];
    expect_header(e, frames[5], one, wire::MsgType::Session, enc, enc_segs[0].size());
    EXPECT_EQ(e["ftnet.session.body"], "");
    for (auto& name : kMembershipFields) EXPECT_EQ(e[name], "") << name << ": encrypted, not decoded";
    EXPECT_EQ(e["_ws.col.Info"], summary("SESSION", one, enc.seq) + " [encrypted]");
    EXPECT_EQ(e["_ws.expert.message"], "");

    const std::string tree = verbose(pcap);
    EXPECT_THAT(tree, HasSubstr("Regroup message: Prepare (1)"));
    EXPECT_THAT(tree, HasSubstr("Regroup message: Nack (3)"));
    EXPECT_THAT(tree, HasSubstr("Message type: Membership (2)"));
}

const std::vector<std::string> kResourcesFields = {
    "ftnet.resources.kind",  "ftnet.resources.epoch",          "ftnet.resources.seq",
    "ftnet.resources.held",  "ftnet.resources.group",          "ftnet.resources.group.owner",
    "ftnet.resources.group.moving_to", "ftnet.resources.group.admin_online", "ftnet.resources.setting",
    "ftnet.resources.setting.value", "ftnet.resources.status",  "ftnet.resources.op",
    "ftnet.resources.name",  "ftnet.resources.to",             "ftnet.resources.value",
};

// The resources module's messages (engine/resources/resources_wire.h) as it
// sends them: resources::encode() through the session. A member's Report,
// the manager's Table, two operator Requests (a move and a setting), each in
// one segment; then a Table too big for one segment (128 bytes of data
// each): its first segment is decoded as far as it goes, the next ones are
// not.
TEST_F(DissectorTest, SessionResourcesMessagesDecodeEveryField) {
    SessionPair p(2, 9, 1300);
    ASSERT_TRUE(p.established());
    const uint64_t view = membership::make_epoch(6, 2, 1);
    const json status = {{"grp-a", {{"state", "online"}, {"resources", {{"ip-a", {{"state", "online"}}}}}}}};
    resources::Msg report{.kind = resources::Msg::Kind::Report,
                          .report = {.epoch = view, .seq = 4, .holds = {"grp-a", "grp-b"}, .status = status}};
    resources::Msg table{.kind = resources::Msg::Kind::Table};
    table.table.table = {.epoch = view, .seq = 5,
                         .groups = {{"grp-a", {.owner = 2, .moving_to = 0, .admin_online = true}},
                                    {"grp-b", {.owner = 2, .moving_to = 1, .admin_online = false}}},
                         .settings = {{"ip-a", "dhcp"}}};
    table.table.status = status;
    resources::Msg move{.kind = resources::Msg::Kind::Request,
                        .request = {.op = resources::RequestMsg::Op::Move, .name = "grp-b", .node = 1}};
    resources::Msg setting{.kind = resources::Msg::Kind::Request,
                           .request = {.op = resources::RequestMsg::Op::Setting, .name = "ip-a",
                                       .value = "198.18.5.5/24"}};
    const resources::Msg* msgs[] = {&report, &table, &move, &setting};
    const TemplateSpec two = reversed(v6_spec());  // node 1 -> node 4096; the session's ends are nodes 1 and 2
    std::vector<Bytes> bodies, frames;
    std::vector<Seal> seals;
    for (size_t i = 0; i < std::size(msgs); i++) {
        bodies.push_back(resources::encode(*msgs[i]));
        ASSERT_TRUE(resources::decode(bodies.back().data(), bodies.back().size())) << "a message the module takes";
        auto segs = send_message(p.a, SessionType::Resources, bodies.back());
        ASSERT_EQ(segs.size(), 1u);
        seals.push_back({.space = wire::kControlSpace, .seq = seq_of(2, 30 + i)});
        frames.push_back(sealed_frame(two, 7, wire::MsgType::Session, segs[0], seals.back()));
    }
    auto pcap = write_pcap(frames);
    auto fields = with_header_fields({"ftnet.session.msg_type", "ftnet.session.body"});
    fields.insert(fields.end(), kResourcesFields.begin(), kResourcesFields.end());
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap, fields, &rows));
    ASSERT_EQ(rows.size(), 4u);
    for (size_t i = 0; i < 4; i++) {
        SCOPED_TRACE("frame " + std::to_string(i + 1));
        expect_header(rows[i], frames[i], two, wire::MsgType::Session, seals[i],
                      sizeof(session::SegHeader) + bodies[i].size());
        EXPECT_EQ(rows[i]["ftnet.session.msg_type"], "3");
        EXPECT_EQ(rows[i]["ftnet.session.body"], json_dump(bodies[i]));
        EXPECT_EQ(rows[i]["_ws.expert.message"], "");
    }
    Fields& r = rows[0];
    EXPECT_EQ(r["ftnet.resources.kind"], "1");
    EXPECT_EQ(r["ftnet.resources.epoch"], hex64(view));
    EXPECT_EQ(r["ftnet.resources.seq"], "4");
    EXPECT_EQ(r["ftnet.resources.held"], "grp-a,grp-b");
    EXPECT_EQ(r["ftnet.resources.status"], status.dump());
    EXPECT_EQ(r["ftnet.resources.group"], "");
    EXPECT_EQ(r["ftnet.resources.op"], "");
    EXPECT_THAT(r["_ws.col.Info"], HasSubstr("Resources message of " + std::to_string(bodies[0].size()) +
                                             " bytes, frag 0 of 1: Report view round 6 of node 1 (inc 2) rev 4, "
                                             "holds grp-a,grp-b"));
    Fields& t = rows[1];
    EXPECT_EQ(t["ftnet.resources.kind"], "2");
    EXPECT_EQ(t["ftnet.resources.epoch"], hex64(view));
    EXPECT_EQ(t["ftnet.resources.seq"], "5");
    EXPECT_EQ(t["ftnet.resources.group"], "grp-a,grp-b");
    EXPECT_EQ(t["ftnet.resources.group.owner"], "2,2");
    EXPECT_EQ(t["ftnet.resources.group.moving_to"], "0,1");
    const auto online = split(t["ftnet.resources.group.admin_online"], ',');
    ASSERT_EQ(online.size(), 2u) << t["ftnet.resources.group.admin_online"];
    EXPECT_TRUE(is_true(online[0])) << online[0];
    EXPECT_TRUE(is_false(online[1])) << online[1];
    EXPECT_EQ(t["ftnet.resources.setting"], "ip-a");
    EXPECT_EQ(t["ftnet.resources.setting.value"], "dhcp");
    EXPECT_EQ(t["ftnet.resources.status"], status.dump());
    EXPECT_EQ(t["ftnet.resources.held"], "");
    EXPECT_THAT(t["_ws.col.Info"],
                HasSubstr(": Table view round 6 of node 1 (inc 2) rev 5, groups grp-a on 2, grp-b on 2 moving to 1 "
                          "(offline)"));
    Fields& m = rows[2];
    EXPECT_EQ(m["ftnet.resources.kind"], "3");
    EXPECT_EQ(m["ftnet.resources.op"], "1");
    EXPECT_EQ(m["ftnet.resources.name"], "grp-b");
    EXPECT_EQ(m["ftnet.resources.to"], "1");
    EXPECT_EQ(m["ftnet.resources.value"], "");
    EXPECT_EQ(m["ftnet.resources.epoch"], "");
    EXPECT_THAT(m["_ws.col.Info"], HasSubstr(": Request Move grp-b to node 1"));
    Fields& s = rows[3];
    EXPECT_EQ(s["ftnet.resources.op"], "4");
    EXPECT_EQ(s["ftnet.resources.name"], "ip-a");
    EXPECT_EQ(s["ftnet.resources.to"], "0");
    EXPECT_EQ(s["ftnet.resources.value"], "198.18.5.5/24");
    EXPECT_THAT(s["_ws.col.Info"], HasSubstr(": Request Setting ip-a = 198.18.5.5/24"));

    // A Table of twelve groups in segments of 128 bytes.
    SessionPair small(2, 9, 128);
    ASSERT_TRUE(small.established());
    resources::Msg big{.kind = resources::Msg::Kind::Table};
    big.table.table.epoch = view;
    big.table.table.seq = 77;
    std::vector<std::string> names;
    for (int i = 0; i < 12; i++) {
        names.push_back("group-" + std::to_string(10 + i));
        big.table.table.groups[names.back()] = {.owner = static_cast<uint16_t>(1 + i % 2)};
    }
    const Bytes big_body = resources::encode(big);
    auto segs = send_message(small.a, SessionType::Resources, big_body);
    ASSERT_GE(segs.size(), 2u);
    const Seal b1{.space = wire::kControlSpace, .seq = seq_of(2, 40)}, b2{.space = wire::kControlSpace, .seq = seq_of(2, 41)};
    const std::vector<Bytes> big_frames = {sealed_frame(two, 7, wire::MsgType::Session, segs[0], b1),
                                           sealed_frame(two, 7, wire::MsgType::Session, segs[1], b2)};
    pcap = write_pcap(big_frames);
    ASSERT_NO_FATAL_FAILURE(decode(pcap, fields, &rows));
    ASSERT_EQ(rows.size(), 2u);
    Fields& first = rows[0];
    const std::string body = first["ftnet.session.body"];
    ASSERT_THAT(body, ::testing::EndsWith("...")) << "the start of a message";
    const std::string whole = json_dump(big_body);
    EXPECT_THAT(whole, StartsWith(body.substr(0, body.size() - 3))) << "the JSON of the message's first 128 bytes";
    EXPECT_GT(body.size(), 60u);
    EXPECT_EQ(first["ftnet.resources.epoch"], hex64(view)) << "\"e\" comes first (keys are sorted)";
    const auto groups = split(first["ftnet.resources.group"], ',');
    ASSERT_GE(groups.size(), 2u) << first["ftnet.resources.group"];
    ASSERT_LT(groups.size(), names.size());
    for (size_t i = 0; i < groups.size(); i++) EXPECT_EQ(groups[i], names[i]);
    EXPECT_EQ(first["ftnet.resources.kind"], "") << "\"k\" comes after \"g\", in a later segment";
    EXPECT_EQ(first["_ws.expert.message"], "") << "the rest is in the next segments";
    EXPECT_THAT(first["_ws.col.Info"], HasSubstr("Resources message of " + std::to_string(big_body.size()) +
                                                 " bytes, frag 0 of " + std::to_string(segs.size()) +
                                                 ": view round 6 of node 1 (inc 2), groups group-10 on 1"));
    Fields& next = rows[1];
    EXPECT_EQ(next["ftnet.session.body"], "");
    for (auto& name : kResourcesFields) EXPECT_EQ(next[name], "") << name << ": not the start of the message";
    EXPECT_EQ(next["_ws.expert.message"], "");
    EXPECT_THAT(verbose(pcap), HasSubstr("Only the start of the message: the first 128 of its " +
                                         std::to_string(big_body.size()) + " bytes"));
}

// The DHCP module's leases (DhcpModule::tell_leases()) over the session:
// every entry's network and address (empty: nothing leased there).
TEST_F(DissectorTest, SessionPortLeasesMessagesDecodeEveryField) {
    SessionPair p(4, 5, 1300);
    ASSERT_TRUE(p.established());
    const Bytes leases = leases_message({{"public", "198.18.1.7"}, {"backup", ""}});
    const Bytes one = leases_message({{"net-1", "10.1.2.3"}});
    const Seal s1{.space = wire::kControlSpace, .seq = seq_of(4, 1)}, s2{.space = wire::kControlSpace, .seq = seq_of(5, 1)};
    const std::vector<Bytes> frames = {
        sealed_frame(v4_spec(), 1, wire::MsgType::Session, send_message(p.a, SessionType::PortLeases, leases).at(0), s1),
        sealed_frame(reversed(v4_spec()), 1, wire::MsgType::Session,
                     send_message(p.b, SessionType::PortLeases, one).at(0), s2),
    };
    auto pcap = write_pcap(frames);
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap,
                                   with_header_fields({"ftnet.session.msg_type", "ftnet.session.body",
                                                       "ftnet.leases.network", "ftnet.leases.address"}),
                                   &rows));
    ASSERT_EQ(rows.size(), 2u);
    expect_header(rows[0], frames[0], v4_spec(), wire::MsgType::Session, s1, sizeof(session::SegHeader) + leases.size());
    expect_header(rows[1], frames[1], reversed(v4_spec()), wire::MsgType::Session, s2,
                  sizeof(session::SegHeader) + one.size());
    EXPECT_EQ(rows[0]["ftnet.session.msg_type"], "4");
    EXPECT_EQ(rows[0]["ftnet.session.body"], json_dump(leases));
    EXPECT_EQ(rows[0]["ftnet.leases.network"], "public,backup");
    EXPECT_EQ(rows[0]["ftnet.leases.address"], "198.18.1.7,");
    EXPECT_EQ(rows[0]["_ws.expert.message"], "");
    EXPECT_THAT(rows[0]["_ws.col.Info"], HasSubstr(", PortLeases message of " + std::to_string(leases.size()) +
                                                   " bytes, frag 0 of 1: leases public 198.18.1.7, backup none"));
    EXPECT_EQ(rows[1]["ftnet.session.body"], json_dump(one));
    EXPECT_EQ(rows[1]["ftnet.leases.network"], "net-1");
    EXPECT_EQ(rows[1]["ftnet.leases.address"], "10.1.2.3");
    EXPECT_EQ(rows[1]["_ws.expert.message"], "");
    EXPECT_THAT(rows[1]["_ws.col.Info"], HasSubstr(": leases net-1 10.1.2.3"));
    const std::string tree = verbose(pcap);
    EXPECT_THAT(tree, HasSubstr("Message type: PortLeases (4)"));
    EXPECT_THAT(tree, HasSubstr("Port lease: backup, nothing leased"));
}

// Message bodies their module refuses (membership::decode() and
// Regroup::on_message(), resources::decode(), DhcpModule::on_leases()), each
// a whole message in one segment: expert info naming the check, never a Lua
// error, whatever the bytes (a length far beyond the message, nesting deeper
// than the dissector follows, an empty message). An encrypted body is not
// judged.
TEST_F(DissectorTest, SessionMessageBodiesTheirModulesRefuseRaiseExpertInfo) {
    SessionPair p(3, 7, 1300);
    ASSERT_TRUE(p.established());
    using Kind = membership::RegroupMsg::Kind;
    const uint64_t epoch = membership::make_epoch(5, 3, 1);
    Bytes trailing = membership::encode({.kind = Kind::Accept, .epoch = epoch});
    trailing.push_back(0x00);
    Bytes deep(100, 0x81);  // [[[[...]]]]
    deep.push_back(0x01);
    struct Case {
        SessionType type;
        Bytes body;
        std::string expert;
    };
    const Case cases[] = {
        {SessionType::Membership, membership::encode({.kind = static_cast<Kind>(9), .epoch = epoch}),
         "Membership message: kind 9 is not 1..5: receivers drop it (malformed in ftnetctl membership)"},
        {SessionType::Membership, membership::encode({.kind = Kind::Prepare, .epoch = epoch, .members = {2, 1}}),
         "Membership message: the members are not in ascending order without repeats: receivers drop it"},
        {SessionType::Membership, membership::encode({.kind = Kind::Commit, .epoch = epoch}),
         "Membership message: a Commit without members: receivers drop it"},
        {SessionType::Membership,
         membership::encode({.kind = Kind::Prepare, .epoch = membership::make_epoch(5, 3, 3), .members = {1, 2, 3}}),
         "Membership message: a Prepare of a round coordinated by node 3, sent by node 1: receivers drop it"},
        {SessionType::Membership, membership::encode({.kind = Kind::Prepare, .epoch = epoch, .members = {1, 3}}),
         "Membership message: a Prepare whose members leave out its receiver, node 2: receivers drop it"},
        {SessionType::Membership, Bytes{'r', 'o', 'u', 'n', 'd'},
         "Membership message: its CBOR item ends after the message's 5 bytes: receivers drop it"},
        {SessionType::Membership, trailing, "Membership message: 1 bytes after its CBOR item: receivers drop it"},
        {SessionType::Membership, Bytes{0xc1, 0x01},
         "Membership message: not decodable CBOR: a tag (the receivers' decoder refuses tags) at byte 0 of the "
         "message: receivers drop it"},
        {SessionType::Membership, json::to_cbor(json{{"e", 1}}), "Membership message: no \"k\" (kind)"},
        {SessionType::Membership, Bytes{}, "Membership message: empty, not a CBOR item: receivers drop it"},
        {SessionType::Membership, Bytes{0xa1, 0x01, 0x02},
         "Membership message: not decodable CBOR: a map key that is not text at byte 1 of the message: receivers "
         "drop it"},
        {SessionType::Resources,
         resources::encode({.kind = resources::Msg::Kind::Request,
                            .request = {.op = static_cast<resources::RequestMsg::Op>(7), .name = "g"}}),
         "Resources message: operation 7 is not 1..4: receivers drop it (\"malformed resources message\" in their log)"},
        {SessionType::Resources, json::to_cbor(json{{"k", 1}, {"e", 1}, {"q", 1}, {"h", json::array({"a"})}, {"s", 5}}),
         "Resources message: \"s\" is not a map"},
        {SessionType::Resources, Bytes{0x7b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'a'},
         "Resources message: its CBOR item ends after the message's 10 bytes"},
        {SessionType::PortLeases, json::to_cbor(json{{"leases", 5}}),
         "PortLeases message: \"leases\" is not an array: receivers ignore it from there on (\"malformed lease "
         "message\" in their log)"},
        {SessionType::PortLeases, json::to_cbor(json{{"leases", json::array({json{{"n", "net"}}})}}),
         "PortLeases message: an entry without text \"n\" (network) and \"a\" (address)"},
        {SessionType::Membership, deep, "nested deeper than 64 levels: not decoded further"},
    };
    std::vector<Bytes> frames;
    for (size_t i = 0; i < std::size(cases); i++) {
        auto segs = send_message(p.a, cases[i].type, cases[i].body);
        ASSERT_EQ(segs.size(), 1u) << i;
        frames.push_back(sealed_frame(v4_spec(), 2, wire::MsgType::Session, segs[0],
                                      {.space = wire::kControlSpace, .seq = seq_of(3, 100 + i)}));
    }
    // The first one again, encrypted: its body cannot be judged.
    frames.push_back(sealed_frame(v4_spec(), 2, wire::MsgType::Session,
                                  send_message(p.a, SessionType::Membership, cases[0].body).at(0),
                                  {.encrypt = true, .space = wire::kControlSpace, .seq = seq_of(3, 200)}));
    auto pcap = write_pcap(frames);
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap, {"ftnet.session.msg_type", "ftnet.session.msg_len", "ftnet.session.body",
                                          "ftnet.membership.kind"},
                                   &rows));
    ASSERT_EQ(rows.size(), std::size(cases) + 1);
    for (size_t i = 0; i < std::size(cases); i++) {
        SCOPED_TRACE("frame " + std::to_string(i + 1));
        EXPECT_EQ(rows[i]["ftnet.session.msg_type"], std::to_string(static_cast<unsigned>(cases[i].type)));
        EXPECT_EQ(rows[i]["ftnet.session.msg_len"], std::to_string(cases[i].body.size()));
        EXPECT_THAT(rows[i]["_ws.expert.message"], HasSubstr(cases[i].expert));
        EXPECT_THAT(rows[i]["_ws.expert.message"], Not(HasSubstr("segs_malformed"))) << "the segment itself is fine";
    }
    // What could be decoded still is.
    EXPECT_EQ(rows[0]["ftnet.membership.kind"], "9");
    EXPECT_EQ(rows[0]["ftnet.session.body"], json_dump(cases[0].body));
    EXPECT_EQ(rows[6]["ftnet.session.body"], "{\"e\":" + std::to_string(epoch) + ",\"k\":2}");
    EXPECT_EQ(rows[6]["ftnet.membership.kind"], "2");
    EXPECT_EQ(rows[13]["ftnet.session.body"], "\"a...") << "a text that claims more bytes than there are";
    Fields& e = rows.back();
    EXPECT_EQ(e["ftnet.session.body"], "");
    EXPECT_EQ(e["ftnet.membership.kind"], "");
    EXPECT_EQ(e["_ws.expert.message"], "");
}

const std::vector<std::string> kPmtuFields = {
    "ftnet.pmtu.boot_id", "ftnet.pmtu.probe_id",    "ftnet.pmtu.size",    "ftnet.pmtu.reserved",
    "ftnet.pmtu.packet_len", "ftnet.pmtu.padding_len", "ftnet.pmtu.padding",
};

// Path MTU probes and replies as the pmtu module sends them (tick() pads a
// probe to the size it probes, on_probe() answers with its payload; both
// through send_tunnel(): build_message() in the control thread's space):
// probes of 1500 bytes over IPv4 and 1280 over IPv6, their replies, and a
// probe encrypted. Every field reads back, the padding is what pads the IP
// packet to the probed size.
TEST_F(DissectorTest, PmtuProbesAndRepliesDecodeEveryField) {
    const Bytes probe4 = pmtu_probe_payload(0xdeadbeef, 7, 1500, Family::V4);
    const Bytes probe6 = pmtu_probe_payload(0x01020304, 4000000000u, 1280, Family::V6);
    const Bytes enc_probe = pmtu_probe_payload(0xdeadbeef, 8, 1400, Family::V4);
    const Seal s1{.space = wire::kControlSpace, .seq = seq_of(2, 1)};
    const Seal s2{.key = 2, .space = wire::kControlSpace, .seq = seq_of(2, 2)};
    const Seal r1{.space = wire::kControlSpace, .seq = seq_of(9, 1)};
    const Seal r2{.space = wire::kControlSpace, .seq = seq_of(9, 2)};
    const Seal enc{.encrypt = true, .space = wire::kControlSpace, .seq = seq_of(2, 3)};
    const std::vector<Bytes> frames = {
        sealed_frame(v4_spec(), 3, wire::MsgType::PmtuProbe, probe4, s1),
        sealed_frame(v6_spec(), 4, wire::MsgType::PmtuProbe, probe6, s2),
        sealed_frame(reversed(v4_spec()), 3, wire::MsgType::PmtuReply, pmtu_reply_payload(probe4), r1),
        sealed_frame(reversed(v6_spec()), 4, wire::MsgType::PmtuReply, pmtu_reply_payload(probe6), r2),
        sealed_frame(v4_spec(), 3, wire::MsgType::PmtuProbe, enc_probe, enc),
    };
    ASSERT_EQ(frames[0].size(), 14u + 1500) << "an Ethernet header and the probed IP packet";
    ASSERT_EQ(frames[1].size(), 14u + 1280);
    auto pcap = write_pcap(frames);
    auto fields = with_header_fields({"ftnet.payload", "ip.len", "ipv6.plen", "ip.flags.df", "ip.dsfield.dscp",
                                      "ipv6.tclass.dscp", "udp.checksum.status"});
    fields.insert(fields.end(), kPmtuFields.begin(), kPmtuFields.end());
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap, fields, &rows));
    ASSERT_EQ(rows.size(), 5u);

    Fields& a = rows[0];
    expect_header(a, frames[0], v4_spec(), wire::MsgType::PmtuProbe, s1, probe4.size());
    EXPECT_EQ(a["ip.len"], "1500");
    EXPECT_TRUE(is_true(a["ip.flags.df"])) << a["ip.flags.df"];
    EXPECT_EQ(a["ip.dsfield.dscp"], "48");
    EXPECT_EQ(a["ftnet.pmtu.boot_id"], "0xdeadbeef");
    EXPECT_EQ(a["ftnet.pmtu.probe_id"], "7");
    EXPECT_EQ(a["ftnet.pmtu.size"], "1500");
    EXPECT_EQ(a["ftnet.pmtu.reserved"], "0x0000");
    EXPECT_EQ(a["ftnet.pmtu.packet_len"], "1500");
    EXPECT_EQ(a["ftnet.pmtu.padding_len"], std::to_string(1500 - 20 - 8 - 22 - 12 - 16));
    EXPECT_EQ(a["ftnet.pmtu.padding"], hex(Bytes(1500 - 20 - 8 - 22 - 12 - 16, 0)));
    EXPECT_EQ(a["ftnet.payload"], "");
    EXPECT_EQ(a["_ws.col.Info"], summary("PMTU-PROBE", v4_spec(), s1.seq) + " probe 7 size 1500");
    EXPECT_EQ(a["_ws.expert.message"], "");

    Fields& b = rows[1];
    expect_header(b, frames[1], v6_spec(), wire::MsgType::PmtuProbe, s2, probe6.size());
    EXPECT_EQ(b["ipv6.plen"], std::to_string(1280 - 40));
    EXPECT_EQ(b["ipv6.tclass.dscp"], "48");
    EXPECT_EQ(b["udp.checksum.status"], "1");
    EXPECT_EQ(b["ftnet.pmtu.boot_id"], "0x01020304");
    EXPECT_EQ(b["ftnet.pmtu.probe_id"], "4000000000");
    EXPECT_EQ(b["ftnet.pmtu.size"], "1280");
    EXPECT_EQ(b["ftnet.pmtu.packet_len"], "1280");
    EXPECT_EQ(b["ftnet.pmtu.padding_len"], std::to_string(1280 - 40 - 8 - 22 - 12 - 16));
    EXPECT_EQ(b["_ws.col.Info"], summary("PMTU-PROBE", v6_spec(), s2.seq) + " probe 4000000000 size 1280");
    EXPECT_EQ(b["_ws.expert.message"], "");

    for (size_t i = 2; i < 4; i++) {
        SCOPED_TRACE("frame " + std::to_string(i + 1));
        Fields& r = rows[i];
        const bool v4 = i == 2;
        expect_header(r, frames[i], reversed(v4 ? v4_spec() : v6_spec()), wire::MsgType::PmtuReply, v4 ? r1 : r2, 12);
        EXPECT_EQ(r["ftnet.pmtu.boot_id"], v4 ? "0xdeadbeef" : "0x01020304");
        EXPECT_EQ(r["ftnet.pmtu.probe_id"], v4 ? "7" : "4000000000");
        EXPECT_EQ(r["ftnet.pmtu.size"], v4 ? "1500" : "1280");
        EXPECT_EQ(r["ftnet.pmtu.reserved"], "0x0000");
        EXPECT_EQ(r["ftnet.pmtu.packet_len"], "") << "a reply is not the size it names";
        EXPECT_EQ(r["ftnet.pmtu.padding"], "");
        EXPECT_EQ(r["_ws.col.Info"], summary("PMTU-REPLY", reversed(v4 ? v4_spec() : v6_spec()), v4 ? r1.seq : r2.seq) +
                                         (v4 ? " probe 7 size 1500" : " probe 4000000000 size 1280"));
        EXPECT_EQ(r["_ws.expert.message"], "");
    }

    Fields& e = rows[4];
    expect_header(e, frames[4], v4_spec(), wire::MsgType::PmtuProbe, enc, enc_probe.size());
    for (auto& name : kPmtuFields) EXPECT_EQ(e[name], "") << name << ": encrypted, not decoded";
    EXPECT_EQ(e["ip.len"], "1400");
    EXPECT_EQ(e["_ws.col.Info"], summary("PMTU-PROBE", v4_spec(), enc.seq) + " [encrypted]");
    EXPECT_EQ(e["_ws.expert.message"], "");

    const std::string tree = verbose(pcap);
    EXPECT_THAT(tree, HasSubstr("Message type: PMTU-PROBE (7)"));
    EXPECT_THAT(tree, HasSubstr("Message type: PMTU-REPLY (8)"));
    EXPECT_THAT(tree, HasSubstr("Path MTU probe: probe 7, size 1500"));
    EXPECT_THAT(tree, HasSubstr("Path MTU reply: probe 4000000000, size 1280"));
}

// What the pmtu module ignores (a payload shorter than PmtuProbePayload,
// clear or encrypted), a probe whose size field is not its IP packet's
// length, and a reply longer than the payload (the rest is ignored).
TEST_F(DissectorTest, PmtuMessagesOfBadLengthRaiseExpertInfo) {
    const Bytes probe = pmtu_probe_payload(0x11223344, 3, 1400, Family::V4);
    Bytes lying = probe;
    put16(lying, 8, 1500);  // size field 1500 in a 1400-byte packet
    Bytes longer = pmtu_reply_payload(probe);
    for (uint8_t b : {0xca, 0xfe}) longer.push_back(b);
    const Seal s{.space = wire::kControlSpace, .seq = seq_of(3, 1)};
    const Seal enc{.encrypt = true, .space = wire::kControlSpace, .seq = seq_of(3, 2)};
    auto pcap = write_pcap({
        sealed_frame(v4_spec(), 3, wire::MsgType::PmtuProbe, Bytes(probe.begin(), probe.begin() + 11), s),
        sealed_frame(v6_spec(), 3, wire::MsgType::PmtuReply, Bytes{}, s),
        sealed_frame(v4_spec(), 3, wire::MsgType::PmtuReply, Bytes(4, 9), enc),
        sealed_frame(v4_spec(), 3, wire::MsgType::PmtuProbe, lying, s),
        sealed_frame(v4_spec(), 3, wire::MsgType::PmtuReply, longer, s),
        sealed_frame(v4_spec(), 3, wire::MsgType::PmtuProbe, probe, s),  // contrast
    });
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap,
                                   {"ftnet.payload_len", "ftnet.payload", "ftnet.encrypted_payload", "ftnet.pmtu.size",
                                    "ftnet.pmtu.probe_id", "ftnet.pmtu.packet_len"},
                                   &rows));
    ASSERT_EQ(rows.size(), 6u);
    EXPECT_EQ(rows[0]["ftnet.payload_len"], "11");
    EXPECT_EQ(rows[0]["ftnet.pmtu.size"], "");
    EXPECT_EQ(rows[0]["ftnet.payload"], hex(probe.data(), 11));
    EXPECT_EQ(rows[0]["_ws.expert.message"],
              "PMTU-PROBE payload of 11 bytes is shorter than the 12-byte PmtuProbePayload: receivers ignore it");
    EXPECT_EQ(rows[0]["_ws.col.Info"], summary("PMTU-PROBE", v4_spec(), s.seq));
    EXPECT_EQ(rows[1]["ftnet.payload_len"], "0");
    EXPECT_EQ(rows[1]["_ws.expert.message"],
              "PMTU-REPLY payload of 0 bytes is shorter than the 12-byte PmtuProbePayload: receivers ignore it");
    EXPECT_NE(rows[2]["ftnet.encrypted_payload"], "");
    EXPECT_THAT(rows[2]["_ws.expert.message"], HasSubstr("PMTU-REPLY payload of 4 bytes is shorter than the 12-byte"));
    EXPECT_EQ(rows[3]["ftnet.pmtu.size"], "1500");
    EXPECT_EQ(rows[3]["ftnet.pmtu.packet_len"], "1400");
    EXPECT_EQ(rows[3]["_ws.expert.message"],
              "probe for size 1500 in an IP packet of 1400 bytes: its reply would prove a size this probe did not test");
    EXPECT_EQ(rows[4]["ftnet.pmtu.probe_id"], "3");
    EXPECT_EQ(rows[4]["ftnet.payload"], "cafe");
    EXPECT_EQ(rows[4]["_ws.expert.message"], "");
    EXPECT_EQ(rows[5]["ftnet.pmtu.size"], "1400");
    EXPECT_EQ(rows[5]["ftnet.pmtu.packet_len"], "1400");
    EXPECT_EQ(rows[5]["_ws.expert.message"], "");
    EXPECT_THAT(verbose(pcap), HasSubstr("(after the PmtuProbePayload: ignored by receivers)"));
}

const std::vector<std::string> kFragFields = {
    "ftnet.frag.frame_id",  "ftnet.frag.frame_len",  "ftnet.frag.offset",     "ftnet.frag.index",
    "ftnet.frag.count",     "ftnet.frag.reserved",   "ftnet.frag.piece_len",  "ftnet.frag.piece",
    "ftnet.frag.inner.dst", "ftnet.frag.inner.src",  "ftnet.frag.inner.type", "ftnet.frag.fragment",
    "ftnet.frag.reassembled_len",
};

// Frames from ftnet0 too big for the route's path MTU (1280), cut as
// split_frame() cuts them and sealed one by one as encap_frame() seals them
// (a worker's space, DATA's outer headers): a 1514-byte ICMP echo in two
// fragments over IPv4, in order, and a 3000-byte one in three over IPv6,
// arriving out of order. Every FragmentHeader field and piece reads back,
// the first piece shows the inner Ethernet header, and the fragment that
// completes a frame hands the reassembled frame to Wireshark (ICMP checksum
// right: all of it is there); an encrypted fragment is not decoded.
TEST_F(DissectorTest, DataFragmentsDecodeEveryFieldAndReassembleTheInnerFrame) {
    TemplateSpec v4 = v4_spec(), v6 = v6_spec();
    v4.path_mtu = v6.path_mtu = 1280;
    const Bytes big4 = inner_icmp_echo(0x0101, 1, 1514), big6 = inner_icmp_echo(0x0202, 2, 3000);
    const auto frags4 = fragment_payloads(big4, v4, 7);
    const auto frags6 = fragment_payloads(big6, v6, 0xfffffff0u);
    ASSERT_EQ(frags4.size(), 2u);
    ASSERT_EQ(frags6.size(), 3u);
    const size_t piece4 = frags4[0].size() - 12, piece6 = frags6[0].size() - 12;
    ASSERT_EQ(piece4, (1280 - 20 - 8 - 22 - 16 - 12) & ~size_t{7});
    ASSERT_EQ(piece6, (1280 - 40 - 8 - 22 - 16 - 12) & ~size_t{7});
    struct Want {
        TunnelPacket t;
        const Bytes* frame;
        size_t index;
        size_t count;
        uint32_t id;
        size_t piece;
    };
    std::vector<Want> want;
    for (size_t i = 0; i < 2; i++)
        want.push_back({{.spec = v4, .type = wire::MsgType::DataFragment, .flow_hash = 0x77,
                         .seal = {.space = 1, .seq = seq_of(2, 10 + i)}, .payload = frags4[i]},
                        &big4, i, 2, 7, piece4});
    for (size_t i : {2, 0, 1})
        want.push_back({{.spec = v6, .type = wire::MsgType::DataFragment, .flow_hash = 0x99,
                         .seal = {.key = 2, .space = 0, .seq = seq_of(3, 20 + i)}, .payload = frags6[i]},
                        &big6, i, 3, 0xfffffff0u, piece6});
    std::vector<Bytes> frames;
    for (auto& w : want) frames.push_back(build_frame(w.t));
    TunnelPacket enc{.spec = v4, .type = wire::MsgType::DataFragment, .seal = {.encrypt = true, .seq = seq_of(2, 12)},
                     .payload = fragment_payloads(big4, v4, 8)[0]};
    frames.push_back(build_frame(enc));
    auto pcap = write_pcap(frames);
    auto fields = with_header_fields({"ftnet.payload", "icmp.type", "icmp.ident", "icmp.seq", "icmp.checksum.status",
                                      "ip.src", "ip.len", "eth.src", "udp.srcport", "ip.dsfield.dscp"});
    fields.insert(fields.end(), kFragFields.begin(), kFragFields.end());
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap, fields, &rows));
    ASSERT_EQ(rows.size(), 6u);

    for (size_t i = 0; i < want.size(); i++) {
        SCOPED_TRACE("frame " + std::to_string(i + 1));
        Fields& r = rows[i];
        const Want& w = want[i];
        const size_t off = w.index * w.piece;
        const size_t len = std::min(w.piece, w.frame->size() - off);
        expect_header(r, frames[i], w.t.spec, wire::MsgType::DataFragment, w.t.seal, 12 + len);
        EXPECT_EQ(r["ftnet.frag.frame_id"], std::to_string(w.id));
        EXPECT_EQ(r["ftnet.frag.frame_len"], std::to_string(w.frame->size()));
        EXPECT_EQ(r["ftnet.frag.offset"], std::to_string(off));
        EXPECT_EQ(r["ftnet.frag.index"], std::to_string(w.index));
        EXPECT_EQ(r["ftnet.frag.count"], std::to_string(w.count));
        EXPECT_EQ(r["ftnet.frag.reserved"], "0x0000");
        EXPECT_EQ(r["ftnet.frag.piece_len"], std::to_string(len));
        EXPECT_EQ(r["ftnet.frag.piece"], hex(w.frame->data() + off, len));
        EXPECT_EQ(r["ftnet.frag.inner.dst"], w.index == 0 ? "02:00:5e:00:20:02" : "");
        EXPECT_EQ(r["ftnet.frag.inner.src"], w.index == 0 ? "02:00:5e:00:10:01" : "");
        EXPECT_EQ(r["ftnet.frag.inner.type"], w.index == 0 ? "0x0800" : "");
        EXPECT_EQ(r["ftnet.payload"], "");
        EXPECT_EQ(r["udp.srcport"], std::to_string(0xc000 | (w.t.flow_hash & 0x3fff)));
        EXPECT_EQ(r["_ws.expert.message"], "");
        const std::string info = summary("DATA-FRAG", w.t.spec, w.t.seal.seq) + " frame " + std::to_string(w.id) +
                                 " frag " + std::to_string(w.index) + " of " + std::to_string(w.count) + ", bytes " +
                                 std::to_string(off) + "-" + std::to_string(off + len - 1) + " of " +
                                 std::to_string(w.frame->size());
        const bool completes = i == 1 || i == 4;
        if (completes) {
            EXPECT_THAT(r["_ws.col.Info"], StartsWith(info + " [reassembled] | "));
            EXPECT_THAT(r["_ws.col.Info"], HasSubstr("Echo (ping) request"));
            EXPECT_EQ(r["icmp.type"], "8");
            EXPECT_EQ(r["icmp.checksum.status"], "1") << "the whole inner frame";
            EXPECT_EQ(r["ftnet.frag.reassembled_len"], std::to_string(w.frame->size()));
        } else {
            EXPECT_EQ(r["_ws.col.Info"], info);
            EXPECT_EQ(r["icmp.type"], "");
            EXPECT_EQ(r["ftnet.frag.reassembled_len"], "");
            EXPECT_EQ(r["ftnet.frag.fragment"], "");
        }
    }
    // The IPv4 frame, from packets 1 and 2.
    EXPECT_EQ(rows[1]["ftnet.frag.fragment"], "1,2");
    EXPECT_EQ(rows[1]["icmp.ident"], "257");
    EXPECT_EQ(rows[1]["icmp.seq"], "1");
    EXPECT_EQ(rows[1]["ip.src"], "198.18.1.1,169.254.10.1");
    EXPECT_EQ(rows[0]["ip.len"], std::to_string(frames[0].size() - 14));
    EXPECT_LE(frames[0].size() - 14, 1280u) << "within the path MTU";
    EXPECT_GT(frames[0].size() - 14, 1280u - 8) << "as large as 8-byte pieces allow";
    EXPECT_EQ(rows[1]["ip.len"], std::to_string(frames[1].size() - 14) + ",1500");
    EXPECT_EQ(rows[0]["ip.src"], "198.18.1.1") << "no inner IP header decoded from a piece";
    // The IPv6 one, in fragment order: packets 4, 5, 3.
    EXPECT_EQ(rows[4]["ftnet.frag.fragment"], "4,5,3");
    EXPECT_EQ(rows[4]["icmp.ident"], "514");
    EXPECT_EQ(rows[4]["icmp.seq"], "2");
    EXPECT_EQ(rows[4]["ip.src"], "169.254.10.1");

    Fields& e = rows[5];
    expect_header(e, frames[5], v4, wire::MsgType::DataFragment, enc.seal, enc.payload.size());
    for (auto& name : kFragFields) EXPECT_EQ(e[name], "") << name << ": encrypted, not decoded";
    EXPECT_EQ(e["icmp.type"], "");
    EXPECT_EQ(e["_ws.col.Info"], summary("DATA-FRAG", v4, enc.seal.seq) + " [encrypted]");
    EXPECT_EQ(e["_ws.expert.message"], "");

    // Read through twice, every fragment names the packet that completed
    // its frame.
    ASSERT_NO_FATAL_FAILURE(decode(pcap, {"ftnet.frag.reassembled_in", "ftnet.frag.fragment", "icmp.type"}, &rows,
                                   {"-2"}));
    ASSERT_EQ(rows.size(), 6u);
    const char* in[] = {"2", "", "5", "5", "", ""};
    for (size_t i = 0; i < 6; i++) EXPECT_EQ(rows[i]["ftnet.frag.reassembled_in"], in[i]) << "frame " << i + 1;
    EXPECT_EQ(rows[1]["ftnet.frag.fragment"], "1,2");
    EXPECT_EQ(rows[4]["icmp.type"], "8");
    EXPECT_THAT(verbose(pcap), HasSubstr("[Reassembled frame length: 3000]"));
}

// What reassemble() drops, one fragment at a time (rx-frag-bad: no piece,
// impossible count or index, reserved bits, a frame shorter than an
// Ethernet header, a piece past the frame's end, fragments of one frame that
// disagree; rx-frag-too-big; rx-frag-duplicate), clear or encrypted. None of
// it is reassembled.
TEST_F(DissectorTest, DataFragmentsTheReceiverDropsRaiseExpertInfo) {
    TemplateSpec v4 = v4_spec();
    v4.path_mtu = 1280;
    const Bytes big = inner_icmp_echo(3, 3, 1514);
    const auto good = fragment_payloads(big, v4, 21);
    ASSERT_EQ(good.size(), 2u);
    auto edited = [&](size_t which, size_t off, std::initializer_list<uint8_t> bytes) {
        Bytes p = good[which];
        for (uint8_t b : bytes) p.at(off++) = b;
        return p;
    };
    uint64_t n = 0;
    auto frame = [&](const Bytes& payload, bool encrypt = false) {
        return build_frame({.spec = v4, .type = wire::MsgType::DataFragment,
                            .seal = {.encrypt = encrypt, .space = 2, .seq = seq_of(1, ++n)}, .payload = payload});
    };
    Bytes other_frame = edited(1, 0, {0, 0, 0, 22});        // frame id 22, fragment 1
    Bytes disagreeing = edited(0, 0, {0, 0, 0, 22, 0x05, 0xf0});  // frame id 22, fragment 0, 1520 bytes
    struct Case {
        Bytes payload;
        bool encrypt;
        std::string expert;
    };
    const Case cases[] = {
        {Bytes(good[0].begin(), good[0].begin() + 12), false,
         "DATA-FRAGMENT payload of 12 bytes holds no piece after the 12-byte FragmentHeader: receivers drop it "
         "(rx-frag-bad)"},
        {Bytes(good[0].begin(), good[0].begin() + 5), false, "DATA-FRAGMENT payload of 5 bytes holds no piece"},
        {edited(0, 9, {1}), false, "1 fragments (2..16): receivers drop it (rx-frag-bad)"},
        {edited(0, 9, {17}), false, "17 fragments (2..16): receivers drop it (rx-frag-bad)"},
        {edited(1, 8, {2}), false, "fragment index 2 of 2: receivers drop it (rx-frag-bad)"},
        {edited(0, 10, {0, 1}), false, "reserved 0x0001 is not 0: receivers drop it (rx-frag-bad)"},
        {edited(0, 4, {0, 10}), false, "a frame of 10 bytes is shorter than an Ethernet header: receivers drop it"},
        {edited(1, 6, {0x04, 0xc0}), false,
         "a piece of 314 bytes at offset 1216 passes the end of a 1514-byte frame: receivers drop it (rx-frag-bad)"},
        {edited(0, 4, {0x23, 0x8c}), false,
         "a frame of 9100 bytes is larger than ftnet0's MTU can be (9000) with its Ethernet header: receivers drop "
         "it (rx-frag-too-big)"},
        {good[0], false, ""},
        {good[0], false, "fragment 0 of frame 21 already arrived in packet 10: receivers drop it (rx-frag-duplicate)"},
        {other_frame, false, ""},
        {disagreeing, false,
         "count or frame length disagree with the fragment of frame 22 in packet 12: receivers drop both "
         "(rx-frag-bad)"},
        {Bytes(12, 0x42), true, "DATA-FRAGMENT payload of 12 bytes holds no piece"},
        {good[1], true, ""},
    };
    std::vector<Bytes> frames;
    for (auto& c : cases) frames.push_back(frame(c.payload, c.encrypt));
    auto pcap = write_pcap(frames);
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap,
                                   {"ftnet.payload", "ftnet.frag.frame_id", "ftnet.frag.count",
                                    "ftnet.frag.reassembled_len", "icmp.type"},
                                   &rows));
    ASSERT_EQ(rows.size(), std::size(cases));
    for (size_t i = 0; i < std::size(cases); i++) {
        SCOPED_TRACE("frame " + std::to_string(i + 1));
        if (cases[i].expert.empty())
            EXPECT_EQ(rows[i]["_ws.expert.message"], "");
        else
            EXPECT_THAT(rows[i]["_ws.expert.message"], HasSubstr(cases[i].expert));
        EXPECT_EQ(rows[i]["ftnet.frag.reassembled_len"], "") << "nothing is complete";
        EXPECT_EQ(rows[i]["icmp.type"], "");
    }
    EXPECT_EQ(rows[1]["ftnet.payload"], hex(good[0].data(), 5));
    EXPECT_EQ(rows[1]["ftnet.frag.frame_id"], "");
    EXPECT_EQ(rows[0]["ftnet.frag.frame_id"], "21");
    EXPECT_EQ(rows[0]["_ws.col.Info"], summary("DATA-FRAG", v4, seq_of(1, 1)) + " frame 21 frag 0 of 2, no bytes of 1514");
    EXPECT_EQ(rows[2]["ftnet.frag.count"], "1");
    EXPECT_EQ(rows[3]["ftnet.frag.count"], "17");
}

// With cluster.encrypt every message's payload is ciphertext, control
// messages too: their fields are not decoded, but their lengths, which
// AES-GCM keeps, are still checked as receivers check them.
TEST_F(DissectorTest, EncryptedControlMessagesAreNotDecodedButTheirLengthsAreChecked) {
    const auto down6 = notice_entry("fd00:2::1", "fd00:2::2", wire::kLinkNoticeDown, wire::kLinkReasonAdmin);
    const Heartbeat req{.boot_id = 0x11111111, .tx_time = 1, .interval_ms = 1000, .threshold = 5, .seq = 1};
    const Seal hello_s{.encrypt = true, .space = wire::kControlSpace, .seq = seq_of(6, 1)};
    const Seal hb_s{.encrypt = true, .key = 2, .space = 4, .seq = seq_of(6, 2)};
    const Seal notice_s{.encrypt = true, .space = wire::kControlSpace, .seq = seq_of(6, 3)};
    const Seal bad_s{.encrypt = true, .seq = seq_of(6, 4)};
    const std::vector<Bytes> frames = {
        sealed_frame(v6_spec(), 1, wire::MsgType::Hello, hello_payload(adapter_a(), true), hello_s),
        sealed_frame(v4_spec(), 3, wire::MsgType::HeartbeatReq, hb_payload(req), hb_s),
        sealed_frame(v6_spec(), 1, wire::MsgType::LinkNotice, notice_payload(1, 1, 1, {down6}), notice_s),
        sealed_frame(v4_spec(), 3, wire::MsgType::Hello, Bytes(60, 1), bad_s),
        sealed_frame(v4_spec(), 3, wire::MsgType::HeartbeatRep, Bytes(20, 2), bad_s),
        sealed_frame(v4_spec(), 3, wire::MsgType::LinkNotice, Bytes(13, 3), bad_s),
        build_frame({.spec = v4_spec(), .seal = bad_s, .payload = Bytes(10, 4)}),
    };
    auto pcap = write_pcap(frames);
    auto fields = with_header_fields({"ftnet.payload", "ftnet.hello.node_name", "ftnet.notice.count", "eth.type"});
    fields.insert(fields.end(), kHeartbeatFields.begin(), kHeartbeatFields.end());
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap, fields, &rows));
    ASSERT_EQ(rows.size(), 7u);

    expect_header(rows[0], frames[0], v6_spec(), wire::MsgType::Hello, hello_s, 100);
    expect_header(rows[1], frames[1], v4_spec(), wire::MsgType::HeartbeatReq, hb_s, 32);
    expect_header(rows[2], frames[2], v6_spec(), wire::MsgType::LinkNotice, notice_s, 48);
    EXPECT_EQ(rows[0]["_ws.col.Info"], summary("HELLO", v6_spec(), hello_s.seq) + " [encrypted]");
    EXPECT_EQ(rows[1]["_ws.col.Info"], summary("HB-REQ", v4_spec(), hb_s.seq) + " [encrypted]");
    EXPECT_EQ(rows[2]["_ws.col.Info"], summary("NOTICE", v6_spec(), notice_s.seq) + " [encrypted]");
    for (size_t i = 0; i < 3; i++) {
        SCOPED_TRACE("frame " + std::to_string(i + 1));
        EXPECT_EQ(rows[i]["ftnet.payload"], "");
        EXPECT_EQ(rows[i]["ftnet.hello.node_name"], "");
        EXPECT_EQ(rows[i]["ftnet.hb.boot_id"], "");
        EXPECT_EQ(rows[i]["ftnet.notice.count"], "");
        EXPECT_EQ(rows[i]["_ws.expert.message"], "");
    }
    for (size_t i = 3; i < 7; i++) {
        SCOPED_TRACE("frame " + std::to_string(i + 1));
        EXPECT_EQ(rows[i]["ftnet.encrypted_payload"], wire_payload_of(frames[i], Family::V4));
        EXPECT_THAT(rows[i]["_ws.col.Info"], HasSubstr("[encrypted]"));
    }
    EXPECT_THAT(rows[3]["_ws.expert.message"], HasSubstr("HELLO payload of 60 bytes is shorter than the 100-byte HelloPayload"));
    EXPECT_THAT(rows[4]["_ws.expert.message"], HasSubstr("heartbeat payload of 20 bytes, not the 32-byte HeartbeatPayload"));
    EXPECT_THAT(rows[4]["_ws.expert.message"], HasSubstr("rx-bad-length"));
    EXPECT_THAT(rows[5]["_ws.expert.message"], HasSubstr("link notice of 13 bytes"));
    EXPECT_THAT(rows[5]["_ws.expert.message"], HasSubstr("rx-notice-malformed"));
    EXPECT_THAT(rows[6]["_ws.expert.message"], HasSubstr("DATA payload of 10 bytes is shorter than an Ethernet header"));
    EXPECT_THAT(rows[6]["_ws.expert.message"], HasSubstr("rx-inner-runt"));
    EXPECT_EQ(rows[6]["eth.type"], "0x0800") << "the outer frame only";
}

// The route binding against the outer addresses (admit_message()'s
// rx-wrong-route): right on the route the message was sealed for; wrong for
// a message sealed for another network and sent on this one, and for one
// bound the other way round (sender and receiver swapped).
TEST_F(DissectorTest, RouteBindingIsCheckedAgainstTheOuterAddresses) {
    TemplateSpec net2 = v4_spec();
    net2.src_ip = ip("198.18.2.1");
    net2.dst_ip = ip("198.18.2.2");
    const uint32_t net1_binding = route_binding(Family::V4, v4_spec().src_ip, v4_spec().dst_ip);
    const TemplateSpec v6 = v6_spec();
    const uint32_t swapped = route_binding(Family::V6, v6.dst_ip, v6.src_ip);
    ASSERT_NE(binding_of(net2), binding_of(v4_spec()));
    TunnelPacket moved{.spec = net2, .seal = {.seq = seq_of(1, 3)}, .payload = inner_icmp_echo(1, 1)};
    TunnelPacket backwards{.spec = v6, .seal = {.seq = seq_of(1, 4)}, .payload = inner_icmp_echo(2, 2)};
    auto pcap = write_pcap({
        sealed_frame(v4_spec(), 3, wire::MsgType::HeartbeatReq, hb_payload({.seq = 1}), {.seq = seq_of(1, 1)}),
        sealed_frame(net2, 4, wire::MsgType::HeartbeatReq, hb_payload({.seq = 1}), {.seq = seq_of(1, 2)}),
        build_frame(moved, [&](Bytes& f) { put32(f, ftnet_off(Family::V4) + 8, net1_binding); }),
        build_frame(backwards, [&](Bytes& f) { put32(f, ftnet_off(Family::V6) + 8, swapped); }),
    });
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap, {"ftnet.route_binding", "ftnet.route_binding.status", "icmp.seq"}, &rows));
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[0]["ftnet.route_binding"], binding_of(v4_spec()));
    EXPECT_EQ(rows[0]["ftnet.route_binding.status"], "1");
    EXPECT_EQ(rows[1]["ftnet.route_binding"], binding_of(net2));
    EXPECT_EQ(rows[1]["ftnet.route_binding.status"], "1");
    for (size_t i = 0; i < 2; i++) EXPECT_EQ(rows[i]["_ws.expert.message"], "") << i;

    EXPECT_EQ(rows[2]["ftnet.route_binding"], binding_of(v4_spec()));
    EXPECT_EQ(rows[2]["ftnet.route_binding.status"], "0");
    EXPECT_THAT(rows[2]["_ws.expert.message"],
                HasSubstr("route binding " + binding_of(v4_spec()) + ", but " + binding_of(net2) +
                          " for these outer addresses: receivers drop it (rx-wrong-route)"));
    EXPECT_THAT(rows[2]["_ws.col.Info"], StartsWith("DATA node 1 -> node 2 seq 1:3 [wrong route] | "));
    EXPECT_EQ(rows[2]["icmp.seq"], "1") << "still decoded";
    char want[16];
    std::snprintf(want, sizeof want, "0x%08x", swapped);
    EXPECT_EQ(rows[3]["ftnet.route_binding"], want);
    EXPECT_EQ(rows[3]["ftnet.route_binding.status"], "0");
    EXPECT_THAT(rows[3]["_ws.expert.message"], HasSubstr("rx-wrong-route"));
    EXPECT_THAT(rows[3]["_ws.col.Info"], HasSubstr("[wrong route]"));
}

// The dissector holds no key: a message sealed with another cluster's key,
// or changed after sealing, reads the same as a good one; the tag is shown
// as the bytes the frame ends with and said to be unverified.
TEST_F(DissectorTest, TagsAreShownButNeverVerified) {
    const Heartbeat req{.boot_id = 0xabcdef01, .tx_time = 0x8000000000000001ULL, .interval_ms = 50,
                        .threshold = 3, .route_state = 1, .seq = 4};
    const Seal ours{.seq = seq_of(1, 4)};
    const Seal theirs{.seq = seq_of(1, 4), .ring = &other_cluster_keys()};
    Bytes tampered = sealed_frame(v4_spec(), 3, wire::MsgType::HeartbeatReq, hb_payload(req), ours);
    tampered[ftnet_off(Family::V4) + 22 + 23] = 2;  // route_state up -> down; IPv4: no UDP checksum to fix
    const std::vector<Bytes> frames = {
        sealed_frame(v4_spec(), 3, wire::MsgType::HeartbeatReq, hb_payload(req), ours),
        sealed_frame(v4_spec(), 3, wire::MsgType::HeartbeatReq, hb_payload(req), theirs),
        tampered,
    };
    ASSERT_NE(tag_of(frames[0]), tag_of(frames[1]));
    auto pcap = write_pcap(frames);
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap, {"ftnet.key_id", "ftnet.auth_tag", "ftnet.hb.route_state"}, &rows));
    ASSERT_EQ(rows.size(), 3u);
    for (size_t i = 0; i < 3; i++) {
        SCOPED_TRACE("frame " + std::to_string(i + 1));
        EXPECT_EQ(rows[i]["ftnet.key_id"], "1");
        EXPECT_EQ(rows[i]["ftnet.auth_tag"], tag_of(frames[i]));
        EXPECT_EQ(rows[i]["_ws.expert.message"], "");
        EXPECT_EQ(rows[i]["_ws.col.Info"], "HB-REQ node 1 -> node 2 seq 1:4 req 4");
    }
    EXPECT_EQ(rows[0]["ftnet.hb.route_state"], "1");
    EXPECT_EQ(rows[2]["ftnet.hb.route_state"], "2");
    EXPECT_THAT(verbose(pcap), HasSubstr("(not verified: the dissector holds no cluster key)"));
}

// A datagram shorter than the header and the tag (classify_tunnel() drops
// it as rx-truncated): header cut short, header without a tag, one byte
// short of the tag; over IPv4 and IPv6. An empty DATA payload with its tag
// is long enough (and an inner runt).
TEST_F(DissectorTest, FramesShorterThanHeaderAndTagRaiseTruncated) {
    TunnelPacket d4{.spec = v4_spec(), .flow_hash = 5, .seal = {.seq = seq_of(1, 17)}, .payload = inner_icmp_echo(9, 9)};
    TunnelPacket d6{.spec = v6_spec(), .flow_hash = 5, .seal = {.seq = seq_of(1, 18)}, .payload = inner_icmp_echo(9, 9)};
    TunnelPacket empty{.spec = v4_spec(), .seal = {.seq = seq_of(1, 19)}};
    auto pcap = write_pcap({
        cut_udp_payload(d4, 10),  // header cut to 10 bytes
        cut_udp_payload(d6, 22),  // the header, no tag
        cut_udp_payload(d4, 37),  // one byte short of header and tag
        build_frame(empty),       // 38 bytes: long enough
        build_frame(d4),          // intact, for contrast
    });
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap, {"ftnet.version", "ftnet.src_node", "ftnet.dst_node", "ftnet.route_binding",
                                          "ftnet.seq", "ftnet.space", "ftnet.payload_len", "ftnet.payload",
                                          "ftnet.auth_tag", "udp.length"},
                                   &rows));
    ASSERT_EQ(rows.size(), 5u);
    const std::string truncated = "shorter than the 22-byte ftnet header and the 16-byte tag: receivers drop it (rx-truncated)";
    for (size_t i = 0; i < 3; i++) {
        SCOPED_TRACE("frame " + std::to_string(i + 1));
        EXPECT_THAT(rows[i]["_ws.expert.message"], HasSubstr(truncated));
        EXPECT_THAT(rows[i]["_ws.col.Info"], HasSubstr("[truncated]"));
        EXPECT_EQ(rows[i]["ftnet.payload_len"], "");
        EXPECT_EQ(rows[i]["ftnet.auth_tag"], "");
    }
    // Ten bytes hold version..dst_node and half the route binding: those
    // are shown, the rest is not.
    EXPECT_EQ(rows[0]["udp.length"], "18");
    EXPECT_EQ(rows[0]["ftnet.version"], "2");
    EXPECT_EQ(rows[0]["ftnet.src_node"], "1");
    EXPECT_EQ(rows[0]["ftnet.dst_node"], "2");
    EXPECT_EQ(rows[0]["ftnet.route_binding"], "");
    EXPECT_EQ(rows[0]["ftnet.seq"], "");
    EXPECT_EQ(rows[0]["_ws.col.Info"], "ftnet truncated (10 bytes) [truncated]");
    EXPECT_EQ(rows[1]["udp.length"], "30");
    EXPECT_EQ(rows[1]["ftnet.route_binding"], binding_of(v6_spec()));
    EXPECT_EQ(rows[1]["ftnet.seq"], std::to_string(seq_of(1, 18)));
    EXPECT_EQ(rows[1]["ftnet.space"], "0");
    EXPECT_EQ(rows[1]["ftnet.payload"], "");
    EXPECT_EQ(rows[2]["udp.length"], "45");
    EXPECT_EQ(rows[2]["ftnet.payload"], hex(d4.payload.data(), 15));

    EXPECT_EQ(rows[3]["udp.length"], "46");
    EXPECT_EQ(rows[3]["ftnet.payload_len"], "0");
    EXPECT_THAT(rows[3]["_ws.expert.message"], HasSubstr("rx-inner-runt"));
    EXPECT_THAT(rows[3]["_ws.expert.message"], Not(HasSubstr("rx-truncated")));
    EXPECT_THAT(rows[4]["_ws.expert.message"], NoFtnetExpertInfo());
    EXPECT_THAT(rows[4]["_ws.col.Info"], Not(HasSubstr("[truncated]")));
}

// Empty and one-byte datagrams, empty payloads: expert info, never a Lua
// error (decode() fails the test on one).
TEST_F(DissectorTest, DegenerateLengthsRaiseExpertInfoWithoutLuaErrors) {
    TunnelPacket empty_hello{.spec = v4_spec(), .type = wire::MsgType::Hello, .seal = {.seq = seq_of(1, 1)}};
    TunnelPacket empty_notice{.spec = v6_spec(), .type = wire::MsgType::LinkNotice, .seal = {.seq = seq_of(1, 2)}};
    TunnelPacket one_byte{.spec = v4_spec(), .seal = {.seq = seq_of(1, 4)}};
    TunnelPacket new_version_byte{.spec = v6_spec(), .seal = {.seq = seq_of(1, 5)}};
    auto pcap = write_pcap({
        build_frame(empty_hello),
        build_frame(empty_notice),
        cut_udp_payload(one_byte, 1),
        build_frame(new_version_byte,
                    [](Bytes& f) {
                        f.resize(ftnet_off(Family::V6) + 1);
                        f.back() = 7;
                    }),
        cut_udp_payload(one_byte, 0),
    });
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap, {"ftnet.version", "ftnet.type", "ftnet.payload_len", "udp.length"}, &rows));
    ASSERT_EQ(rows.size(), 5u);
    EXPECT_EQ(rows[0]["ftnet.type"], "2");
    EXPECT_EQ(rows[0]["ftnet.payload_len"], "0");
    EXPECT_THAT(rows[0]["_ws.expert.message"], HasSubstr("shorter than the 100-byte HelloPayload"));
    EXPECT_EQ(rows[1]["ftnet.type"], "6");
    EXPECT_EQ(rows[1]["ftnet.payload_len"], "0");
    EXPECT_THAT(rows[1]["_ws.expert.message"], HasSubstr("rx-notice-malformed"));
    EXPECT_EQ(rows[2]["ftnet.version"], "2");
    EXPECT_THAT(rows[2]["_ws.expert.message"], HasSubstr("rx-truncated"));
    EXPECT_EQ(rows[3]["ftnet.version"], "7");
    EXPECT_THAT(rows[3]["_ws.expert.message"], HasSubstr("rx-bad-version"));
    EXPECT_EQ(rows[4]["udp.length"], "8");
}

// A version 1 frame (a 16-byte header with payload_len, the tag optional):
// refused by version 2 nodes (rx-bad-version, no downgrade), whatever its
// type, and not decoded.
TEST_F(DissectorTest, Version1FramesAreRefusedAndNotDecoded) {
    const Bytes arp = inner_arp_request();
    // The version 1 header: version, type, flags (16 bits), src_node,
    // dst_node, route_id, payload_len, seq (32 bits).
    auto v1_frame = [](const TemplateSpec& spec, uint8_t type, uint16_t flags, const Bytes& payload, size_t tag_len) {
        return build_frame({.spec = spec}, [&](Bytes& g) {
            Bytes h(16);
            h[0] = 1;
            h[1] = type;
            put16(h, 2, flags);
            put16(h, 4, spec.src_node);
            put16(h, 6, spec.dst_node);
            put16(h, 8, 1023);
            put16(h, 10, static_cast<uint16_t>(payload.size()));
            put32(h, 12, 7);
            g.resize(ftnet_off(spec.family));
            g.insert(g.end(), h.begin(), h.end());
            g.insert(g.end(), payload.begin(), payload.end());
            g.resize(g.size() + tag_len, 0x5c);
        });
    };
    const Bytes data = v1_frame(v6_spec(), 1, 0, arp, 0);
    const Bytes hb = v1_frame(v4_spec(), 3, 1, Bytes(28, 0x33), 16);
    auto pcap = write_pcap({data, hb});
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap,
                                   {"ftnet.version", "ftnet.type", "ftnet.src_node", "ftnet.seq", "ftnet.payload",
                                    "ftnet.hb.boot_id", "arp.opcode", "udp.checksum.status"},
                                   &rows));
    ASSERT_EQ(rows.size(), 2u);
    const Bytes* frames[] = {&data, &hb};
    for (size_t i = 0; i < 2; i++) {
        SCOPED_TRACE("frame " + std::to_string(i + 1));
        Fields& r = rows[i];
        const Family fam = i == 0 ? Family::V6 : Family::V4;
        EXPECT_EQ(r["ftnet.version"], "1");
        EXPECT_THAT(r["_ws.expert.message"], HasSubstr("ftnet wire version 1: refused by version 2 nodes"));
        EXPECT_THAT(r["_ws.expert.message"], HasSubstr("rx-bad-version"));
        // Version 1 lays out the rest differently: not interpreted.
        EXPECT_EQ(r["ftnet.type"], "");
        EXPECT_EQ(r["ftnet.src_node"], "");
        EXPECT_EQ(r["ftnet.seq"], "");
        EXPECT_EQ(r["ftnet.hb.boot_id"], "");
        EXPECT_EQ(r["arp.opcode"], "");
        const size_t fh = ftnet_off(fam);
        EXPECT_EQ(r["ftnet.payload"], hex(frames[i]->data() + fh + 1, frames[i]->size() - fh - 1));
        EXPECT_EQ(r["_ws.col.Info"], "ftnet version 1 (refused by version 2 nodes, not decoded)");
    }
    EXPECT_EQ(rows[0]["udp.checksum.status"], "1");
}

TEST_F(DissectorTest, UnknownVersionRaisesExpertInfoAndIsNotDecoded) {
    TunnelPacket t{.spec = v6_spec(), .payload = inner_arp_request()};
    Bytes f = build_frame(t, [](Bytes& g) { g[ftnet_off(Family::V6)] = 3; });
    auto pcap = write_pcap({f});
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(
        decode(pcap, {"ftnet.version", "ftnet.type", "ftnet.src_node", "ftnet.payload", "arp.opcode",
                      "udp.checksum.status"},
               &rows));
    ASSERT_EQ(rows.size(), 1u);
    Fields& r = rows[0];
    EXPECT_EQ(r["udp.checksum.status"], "1");
    EXPECT_EQ(r["ftnet.version"], "3");
    EXPECT_THAT(r["_ws.expert.message"], HasSubstr("ftnet version 3, this dissector knows version 2"));
    EXPECT_THAT(r["_ws.expert.message"], HasSubstr("rx-bad-version"));
    EXPECT_THAT(r["_ws.expert.message"], Not(HasSubstr("version 1")));
    // Another version may lay out the rest differently: not interpreted.
    EXPECT_EQ(r["ftnet.type"], "");
    EXPECT_EQ(r["ftnet.src_node"], "");
    EXPECT_EQ(r["arp.opcode"], "");
    const size_t fh = ftnet_off(Family::V6);
    EXPECT_EQ(r["ftnet.payload"], hex(f.data() + fh + 1, f.size() - fh - 1));
    EXPECT_EQ(r["_ws.col.Info"], "ftnet version 3 (unknown, not decoded)");
}

// What classify_tunnel() drops as rx-bad-type (unknown type, unknown flags,
// reserved byte not zero) and admission as rx-unknown-key (key id 0, which
// no key has); a SESSION payload too short for a segment is named and shown
// as bytes.
TEST_F(DissectorTest, UnknownTypeFlagsReservedAndKeyIdRaiseExpertInfo) {
    const size_t fh = ftnet_off(Family::V4);
    TunnelPacket bad_type{.spec = v4_spec(), .type = static_cast<wire::MsgType>(10), .payload = Bytes(8, 0x11)};
    TunnelPacket data{.spec = v4_spec(), .seal = {.seq = seq_of(1, 2)}, .payload = inner_icmp_echo(1, 1)};
    TunnelPacket enc{.spec = v4_spec(), .seal = {.encrypt = true, .seq = seq_of(1, 3)}, .payload = inner_icmp_echo(1, 1)};
    TunnelPacket runt{.spec = v4_spec(), .seal = {.seq = seq_of(1, 5)}, .payload = Bytes(10, 0)};
    TunnelPacket type0{.spec = v4_spec(), .type = static_cast<wire::MsgType>(0), .payload = Bytes(4, 0x22)};
    const Seal session_s{.space = 2, .seq = seq_of(1, 4)};
    auto pcap = write_pcap({
        build_frame(bad_type),
        build_frame(data, [&](Bytes& f) { f[fh + 2] = 0x02; }),
        build_frame(enc, [&](Bytes& f) { f[fh + 2] = 0x81; }),
        build_frame(data, [&](Bytes& f) { f[fh + 21] = 0x5a; }),
        build_frame(data, [&](Bytes& f) { f[fh + 3] = 0; }),
        sealed_frame(v6_spec(), 9, wire::MsgType::Session, Bytes{5, 6}, session_s),
        build_frame(runt),
        build_frame(type0),
    });
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap,
                                   {"ftnet.type", "ftnet.flags", "ftnet.flags.encrypted", "ftnet.key_id",
                                    "ftnet.reserved", "ftnet.payload", "ftnet.encrypted_payload", "ftnet.seq",
                                    "ftnet.space", "icmp.type"},
                                   &rows));
    ASSERT_EQ(rows.size(), 8u);
    EXPECT_EQ(rows[0]["ftnet.type"], "10");
    EXPECT_THAT(rows[0]["_ws.expert.message"], HasSubstr("unknown message type 10: receivers drop it (rx-bad-type)"));
    EXPECT_EQ(rows[0]["ftnet.payload"], "1111111111111111");
    EXPECT_EQ(rows[0]["_ws.col.Info"], "type 10 node 1 -> node 2 seq 1:1");

    EXPECT_EQ(rows[1]["ftnet.flags"], "0x02");
    EXPECT_TRUE(is_false(rows[1]["ftnet.flags.encrypted"])) << rows[1]["ftnet.flags.encrypted"];
    EXPECT_THAT(rows[1]["_ws.expert.message"], HasSubstr("unknown flags 0x02: receivers drop it (rx-bad-type)"));
    EXPECT_EQ(rows[1]["icmp.type"], "8") << "clear text: still decoded";

    EXPECT_EQ(rows[2]["ftnet.flags"], "0x81");
    EXPECT_TRUE(is_true(rows[2]["ftnet.flags.encrypted"])) << rows[2]["ftnet.flags.encrypted"];
    EXPECT_THAT(rows[2]["_ws.expert.message"], HasSubstr("unknown flags 0x80"));
    EXPECT_NE(rows[2]["ftnet.encrypted_payload"], "");
    EXPECT_EQ(rows[2]["icmp.type"], "");

    EXPECT_EQ(rows[3]["ftnet.reserved"], "0x5a");
    EXPECT_THAT(rows[3]["_ws.expert.message"], HasSubstr("reserved byte 0x5a is not 0: receivers drop it (rx-bad-type)"));

    EXPECT_EQ(rows[4]["ftnet.key_id"], "0");
    EXPECT_THAT(rows[4]["_ws.expert.message"], HasSubstr("key id 0 is no cluster key's: receivers drop it (rx-unknown-key)"));

    // Two bytes are no session segment: named, shown as bytes, and what the
    // receiver's session does with it said.
    EXPECT_EQ(rows[5]["ftnet.type"], "5");
    EXPECT_EQ(rows[5]["ftnet.space"], "2");
    EXPECT_EQ(rows[5]["ftnet.payload"], "0506");
    EXPECT_EQ(rows[5]["_ws.col.Info"], "SESSION node 4096 -> node 1 seq 1:4");
    EXPECT_EQ(rows[5]["_ws.expert.message"],
              "session segment of 2 bytes is shorter than the 44-byte SegHeader: receivers drop it "
              "(segs_malformed in ftnetctl session)");

    EXPECT_THAT(rows[6]["_ws.expert.message"], HasSubstr("rx-inner-runt"));
    EXPECT_THAT(rows[7]["_ws.expert.message"], HasSubstr("unknown message type 0"));
}

// tunnel.udp_port in ftnetd's config moves the tunnel; the dissector's
// preference follows it.
TEST_F(DissectorTest, PortPreferenceMovesTheDissector) {
    TunnelPacket t{.spec = v4_spec(), .seal = {.seq = seq_of(1, 42)}, .payload = inner_icmp_echo(1, 1)};
    t.spec.udp_port = 4000;
    auto pcap = write_pcap({build_frame(t)});
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap, {"udp.dstport", "ftnet.seq.counter", "icmp.type"}, &rows));
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0]["udp.dstport"], "4000");
    EXPECT_EQ(rows[0]["ftnet.seq.counter"], "") << "not on the default port";
    ASSERT_NO_FATAL_FAILURE(
        decode(pcap, {"udp.dstport", "ftnet.seq.counter", "icmp.type"}, &rows, {"-o", "ftnet.udp_port:4000"}));
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0]["ftnet.seq.counter"], "42");
    EXPECT_EQ(rows[0]["icmp.type"], "8");
}

// A frame cut by the capture's snapshot length is not a truncated datagram:
// the one on the wire was fine, and its payload length is the wire's.
TEST_F(DissectorTest, SnapshotTruncationIsNotATruncatedDatagram) {
    TunnelPacket t{.spec = v6_spec(), .seal = {.seq = seq_of(1, 8)}, .payload = inner_icmp_echo(1, 1)};
    Bytes f = build_frame(t);
    const auto orig = static_cast<uint32_t>(f.size());
    f.resize(ftnet_off(Family::V6) + 22 + 20);
    fs::path p = dir_ / "snap.pcap";
    PcapWriter w(p);
    w.add(f, orig);
    ASSERT_TRUE(w.close());
    last_pcap_ = p;
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(p, {"ftnet.seq.counter", "ftnet.payload_len", "ftnet.auth_tag"}, &rows));
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0]["ftnet.seq.counter"], "8");
    EXPECT_EQ(rows[0]["ftnet.payload_len"], std::to_string(t.payload.size()));
    EXPECT_EQ(rows[0]["ftnet.auth_tag"], "") << "not captured";
    EXPECT_THAT(rows[0]["_ws.expert.message"], Not(HasSubstr("rx-truncated")));
}

}  // namespace
}  // namespace ftnet
