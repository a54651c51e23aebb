// The Wireshark dissector (scripts/wireshark/ftnet.lua) against frames built
// by the engine's own code: build_encap_template() for the outer headers,
// patched the way encap_frame() patches them (engine/tunnel/datapath/encap.h) for
// DATA, build_signed_message() (engine/tunnel/signed_message.h) for HELLOs
// and heartbeats exactly as the control thread and the workers send them,
// and encode_hello() for a HELLO payload. Each test writes a classic pcap
// file into its own temporary directory, decodes it with tshark and the
// dissector, and checks that every field reads back as it was encoded, that
// the inner frame is decoded, that the dissector's SipHash agrees with the
// engine's, and that malformed packets raise the dissector's expert info.
//
// Needs tshark (scripts/setup.sh installs it) and FTNET_SOURCE_ROOT (set by
// meson for the test). Without either the tests fail; they never skip.

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
#include <string>
#include <utility>
#include <vector>

#include "engine/core/checksum.h"
#include "engine/tunnel/encap_template.h"
#include "engine/tunnel/ftnet_wire.h"
#include "engine/tunnel/route_table.h"
#include "engine/tunnel/signed_message.h"
#include "engine/core/siphash.h"
#include "engine/hello/control/endpoint_exchange.h"

namespace ftnet {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;
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

// An inner Ethernet frame as the host writes it into ftnet0: an ICMP echo
// request between two APIPA addresses.
Bytes inner_icmp_echo(uint16_t ident, uint16_t seqno) {
    Bytes f(14 + 20 + 8 + 32);
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
    s.route_id = 3;
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
    s.route_id = 1023;
    return s;
}

struct TunnelPacket {
    TemplateSpec spec;
    wire::MsgType type = wire::MsgType::Data;
    uint16_t flags = 0;
    uint32_t flow_hash = 0;
    uint32_t seq = 0;
    Bytes payload;
    Bytes auth_tag;  // appended after the payload (kFlagAuth)
};

// Offset of the ftnet header in an encapsulated frame.
size_t ftnet_off(Family f) { return outer_l4_off(f) + wire::kUdpHdrLen; }

// The route's template followed by the payload (and tag), patched as
// encap_frame() patches an mbuf when the port does not offload checksums.
// `edit`, when given, changes the frame (cuts it, corrupts a field) before
// the outer lengths and checksums are computed, so that the outer headers
// stay valid and only the ftnet layer is wrong, as a receiver would see a
// datagram that a broken or hostile sender emitted.
Bytes build_frame(const TunnelPacket& t, const std::function<void(Bytes&)>& edit = {}) {
    alignas(64) RouteEntry r{};
    build_encap_template(r, t.spec);
    Bytes f(r.tmpl, r.tmpl + r.hdr_len);
    f.insert(f.end(), t.payload.begin(), t.payload.end());
    f.insert(f.end(), t.auth_tag.begin(), t.auth_tag.end());

    const uint16_t l4 = outer_l4_off(t.spec.family);
    const size_t fh = ftnet_off(t.spec.family);
    // What the sender sets besides the template: the type (control_loop's
    // send_tunnel() patches it for HELLO) and the flags.
    f[fh + 1] = static_cast<uint8_t>(t.type);
    put16(f, fh + 2, t.flags);
    // encap_frame(): payload_len (without the tag), seq, UDP source port.
    put16(f, fh + 10, static_cast<uint16_t>(t.payload.size()));
    put32(f, fh + 12, t.seq);
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

// The cluster key of the tests, and the same 16 bytes as the 32 hex digits
// of `[cluster] key` (and of the dissector's ftnet.cluster_key preference).
constexpr uint8_t kKey[16] = {'f', 't', 'n', 'e', 't', '-', 't', 'e', 's', 't', '-', 'k', 'e', 'y', '-', '1'};
constexpr uint8_t kOtherKey[16] = {'f', 't', 'n', 'e', 't', '-', 't', 'e', 's', 't', '-', 'k', 'e', 'y', '-', '2'};

std::string hex(const uint8_t* p, size_t n) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < n; i++) {
        s += digits[p[i] >> 4];
        s += digits[p[i] & 15];
    }
    return s;
}

const std::string kKeyHex = hex(kKey, sizeof kKey);

// A signed message as the engine sends it: build_signed_message() on the
// route `spec` describes, as the workers send heartbeats and the control
// thread HELLOs.
Bytes signed_frame(const TemplateSpec& spec, wire::MsgType type, uint32_t seq, const Bytes& payload,
                   const uint8_t (&key)[16] = kKey) {
    alignas(64) RouteEntry r{};
    build_encap_template(r, spec);
    r.route_id = spec.route_id;
    Bytes f(signed_message_len(spec.family, payload.size()));
    const size_t n = build_signed_message(f.data(), r, type, seq, payload.data(), payload.size(), SipKey::from_bytes(key));
    EXPECT_EQ(n, f.size());
    return f;
}

// The tag a signed frame ends with, as tshark prints ftnet.auth_tag.
std::string tag_of(const Bytes& f) { return hex(f.data() + f.size() - wire::kAuthTagLen, wire::kAuthTagLen); }

// The other end of a route: the peer's route back, with its own id.
TemplateSpec reversed(const TemplateSpec& s, uint16_t route_id) {
    TemplateSpec r = s;
    std::swap(r.src_mac, r.dst_mac);
    std::swap(r.src_ip, r.dst_ip);
    std::swap(r.src_node, r.dst_node);
    r.route_id = route_id;
    return r;
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
    const auto* b = reinterpret_cast<const uint8_t*>(&p);
    return Bytes(b, b + sizeof p);
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
        std::string args = "-r " + shell_quote(pcap.string()) +
                           " -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE";
        for (auto& a : extra_args) args += " " + shell_quote(a);
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

const std::vector<std::string> kHeaderFields = {
    "ftnet.version", "ftnet.type",        "ftnet.flags", "ftnet.flags.auth", "ftnet.src_node",
    "ftnet.dst_node", "ftnet.route_id", "ftnet.payload_len", "ftnet.seq", "ftnet.auth_tag",
};

// ---------------------------------------------------------------- tests

TEST_F(DissectorTest, DataOverIpv4DecodesEveryHeaderFieldAndTheInnerIcmp) {
    TunnelPacket t{.spec = v4_spec(), .flow_hash = 0x1234abcd, .seq = 17,
                   .payload = inner_icmp_echo(0x4242, 7)};
    auto pcap = write_pcap({build_frame(t)});
    auto fields = kHeaderFields;
    for (auto f : {"ftnet.payload", "icmp.type", "icmp.ident", "icmp.seq", "icmp.checksum.status",
                   "ip.src", "ip.dst", "eth.src"})
        fields.push_back(f);
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap, fields, &rows));
    ASSERT_EQ(rows.size(), 1u);
    Fields& r = rows[0];
    EXPECT_EQ(r["ftnet.version"], "1");
    EXPECT_EQ(r["ftnet.type"], "1");
    EXPECT_EQ(r["ftnet.flags"], "0x0000");
    EXPECT_TRUE(is_false(r["ftnet.flags.auth"])) << r["ftnet.flags.auth"];
    EXPECT_EQ(r["ftnet.src_node"], "1");
    EXPECT_EQ(r["ftnet.dst_node"], "2");
    EXPECT_EQ(r["ftnet.route_id"], "3");
    EXPECT_EQ(r["ftnet.payload_len"], std::to_string(t.payload.size()));
    EXPECT_EQ(r["ftnet.seq"], "17");
    EXPECT_EQ(r["ftnet.auth_tag"], "");
    EXPECT_EQ(r["ftnet.payload"], "") << "a DATA payload goes to the Ethernet dissector";
    // The inner frame, decoded by Wireshark's own dissectors.
    EXPECT_EQ(r["icmp.type"], "8");
    EXPECT_EQ(r["icmp.ident"], "16962");
    EXPECT_EQ(r["icmp.seq"], "7");
    EXPECT_EQ(r["icmp.checksum.status"], "1");
    EXPECT_EQ(r["ip.src"], "198.18.1.1,169.254.10.1");
    EXPECT_EQ(r["ip.dst"], "198.18.1.2,169.254.20.2");
    EXPECT_EQ(r["eth.src"], "02:00:00:00:01:01,02:00:5e:00:10:01");
    EXPECT_THAT(r["_ws.col.Info"], StartsWith("DATA node 1 -> node 2 route 3 seq 17"));
    EXPECT_THAT(r["_ws.col.Info"], HasSubstr("Echo (ping) request"));
    EXPECT_EQ(r["_ws.expert.message"].find("ftnet"), std::string::npos) << r["_ws.expert.message"];
}

TEST_F(DissectorTest, DataOverIpv6DecodesEveryHeaderFieldAndTheInnerArp) {
    TunnelPacket t{.spec = v6_spec(), .flow_hash = 0xfedcba98, .seq = 0xfffffffe,
                   .payload = inner_arp_request()};
    auto pcap = write_pcap({build_frame(t)});
    auto fields = kHeaderFields;
    for (auto f : {"arp.opcode", "arp.src.hw_mac", "arp.src.proto_ipv4", "arp.dst.proto_ipv4",
                   "ipv6.src", "ipv6.dst", "eth.dst"})
        fields.push_back(f);
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap, fields, &rows));
    ASSERT_EQ(rows.size(), 1u);
    Fields& r = rows[0];
    EXPECT_EQ(r["ftnet.version"], "1");
    EXPECT_EQ(r["ftnet.type"], "1");
    EXPECT_EQ(r["ftnet.flags"], "0x0000");
    EXPECT_EQ(r["ftnet.src_node"], "4096");
    EXPECT_EQ(r["ftnet.dst_node"], "1");
    EXPECT_EQ(r["ftnet.route_id"], "1023");
    EXPECT_EQ(r["ftnet.payload_len"], "42");
    EXPECT_EQ(r["ftnet.seq"], "4294967294");
    EXPECT_EQ(r["arp.opcode"], "1");
    EXPECT_EQ(r["arp.src.hw_mac"], "02:00:5e:00:20:02");
    EXPECT_EQ(r["arp.src.proto_ipv4"], "169.254.20.2");
    EXPECT_EQ(r["arp.dst.proto_ipv4"], "169.254.10.1");
    EXPECT_EQ(r["ipv6.src"], "fd00:2::1");
    EXPECT_EQ(r["ipv6.dst"], "fd00:2::2");
    EXPECT_EQ(r["eth.dst"], "02:00:00:00:02:02,ff:ff:ff:ff:ff:ff");
    EXPECT_THAT(r["_ws.col.Info"], StartsWith("DATA node 4096 -> node 1 route 1023 seq 4294967294"));
    EXPECT_THAT(r["_ws.col.Info"], HasSubstr("Who has 169.254.10.1?"));
    EXPECT_EQ(r["_ws.expert.message"].find("ftnet"), std::string::npos) << r["_ws.expert.message"];
}

// The outer headers as the engine builds them: valid checksums (zero UDP
// checksum over IPv4, computed over IPv6), the UDP source port and IPv6 flow
// label from the flow hash, the DSCP, DF over IPv4, the hop limit.
TEST_F(DissectorTest, OuterHeadersCarryTheEncapChoices) {
    TunnelPacket t4{.spec = v4_spec(), .flow_hash = 0x1234abcd, .seq = 1,
                    .payload = inner_icmp_echo(1, 1)};
    TunnelPacket t6{.spec = v6_spec(), .flow_hash = 0xfedcba98, .seq = 2,
                    .payload = inner_icmp_echo(2, 2)};
    auto pcap = write_pcap({build_frame(t4), build_frame(t6)});
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap,
                                   {"udp.srcport", "udp.dstport", "udp.length", "udp.checksum",
                                    "udp.checksum.status", "ip.checksum.status", "ip.dsfield.dscp",
                                    "ip.flags.df", "ip.ttl", "ip.len", "ipv6.flow", "ipv6.tclass.dscp",
                                    "ipv6.hlim", "ipv6.plen", "ftnet.seq"},
                                   &rows));
    ASSERT_EQ(rows.size(), 2u);
    const size_t udp_len = 8 + 16 + t4.payload.size();

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
    EXPECT_EQ(a["ftnet.seq"], "1");

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
    EXPECT_EQ(b["ftnet.seq"], "2");
}

// HELLOs as the control thread sends them: signed (build_signed_message()).
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
    const Bytes f6 = signed_frame(v6_spec(), wire::MsgType::Hello, 5, hello_payload(a, true));
    const Bytes f4 = signed_frame(v4_spec(), wire::MsgType::Hello, 6, hello_payload(b, false));
    auto pcap = write_pcap({f6, f4});
    auto fields = kHeaderFields;
    for (auto f : {"ftnet.hello.mac", "ftnet.hello.apipa", "ftnet.hello.link_local", "ftnet.hello.mtu",
                   "ftnet.hello.boot_id", "ftnet.hello.flags", "ftnet.hello.flags.want_reply",
                   "ftnet.hello.node_name", "ftnet.hello.cluster", "ftnet.payload", "udp.checksum.status"})
        fields.push_back(f);
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap, fields, &rows));
    ASSERT_EQ(rows.size(), 2u);

    Fields& r = rows[0];
    EXPECT_EQ(r["ftnet.type"], "2");
    EXPECT_EQ(r["ftnet.flags"], "0x0001");
    EXPECT_TRUE(is_true(r["ftnet.flags.auth"])) << r["ftnet.flags.auth"];
    EXPECT_EQ(r["ftnet.src_node"], "4096");
    EXPECT_EQ(r["ftnet.dst_node"], "1");
    EXPECT_EQ(r["ftnet.route_id"], "1023");
    EXPECT_EQ(r["ftnet.payload_len"], "100");
    EXPECT_EQ(r["ftnet.seq"], "5");
    EXPECT_EQ(r["ftnet.auth_tag"], tag_of(f6));
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
    EXPECT_EQ(r["udp.checksum.status"], "1");
    EXPECT_THAT(r["_ws.col.Info"], StartsWith("HELLO node 4096 -> node 1 route 1023 seq 5"));
    EXPECT_THAT(r["_ws.col.Info"], HasSubstr("node-a"));
    EXPECT_EQ(r["_ws.expert.message"], "");

    Fields& s = rows[1];
    EXPECT_EQ(s["ftnet.type"], "2");
    EXPECT_EQ(s["ftnet.flags"], "0x0001");
    EXPECT_EQ(s["ftnet.auth_tag"], tag_of(f4));
    EXPECT_EQ(s["ftnet.src_node"], "1");
    EXPECT_EQ(s["ftnet.dst_node"], "2");
    EXPECT_EQ(s["ftnet.route_id"], "3");
    EXPECT_EQ(s["ftnet.seq"], "6");
    EXPECT_EQ(s["ftnet.hello.mac"], "02:00:5e:00:20:02");
    EXPECT_EQ(s["ftnet.hello.apipa"], "169.254.20.2");
    EXPECT_EQ(s["ftnet.hello.link_local"], "fe80::2");
    EXPECT_EQ(s["ftnet.hello.mtu"], "9000");
    EXPECT_EQ(s["ftnet.hello.boot_id"], "0x00000007");
    EXPECT_EQ(s["ftnet.hello.flags"], "0x00000000");
    EXPECT_TRUE(is_false(s["ftnet.hello.flags.want_reply"])) << s["ftnet.hello.flags.want_reply"];
    EXPECT_EQ(s["ftnet.hello.node_name"], "n2");
    EXPECT_EQ(s["ftnet.hello.cluster"], "");
    EXPECT_EQ(s["_ws.expert.message"], "");
}

// decode_hello()'s domain checks, seen in Wireshark: a HELLO a receiver
// ignores is flagged.
TEST_F(DissectorTest, HelloOutOfDomainRaisesExpertInfo) {
    AdapterInfo a = adapter_a();
    a.mtu = 1000;
    a.apipa = ip("10.0.0.1");
    Bytes hello = hello_payload(a, false);
    auto pcap = write_pcap({signed_frame(v6_spec(), wire::MsgType::Hello, 1, hello),
                            signed_frame(v4_spec(), wire::MsgType::Hello, 2, Bytes(hello.begin(), hello.begin() + 60))});
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap, {"ftnet.hello.mtu", "ftnet.hello.node_name"}, &rows));
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0]["ftnet.hello.mtu"], "1000");
    EXPECT_THAT(rows[0]["_ws.expert.message"], HasSubstr("MTU outside 1280..9000"));
    EXPECT_THAT(rows[0]["_ws.expert.message"], HasSubstr("169.254.0.0/16"));
    EXPECT_EQ(rows[1]["ftnet.hello.node_name"], "");
    EXPECT_THAT(rows[1]["_ws.expert.message"], HasSubstr("shorter than the 100-byte HelloPayload"));
}

TEST_F(DissectorTest, AuthFlagShowsTheTagAfterThePayload) {
    Bytes tag(wire::kAuthTagLen);
    for (size_t i = 0; i < tag.size(); i++) tag[i] = static_cast<uint8_t>(0xa0 + i);
    TunnelPacket t{.spec = v6_spec(), .flags = wire::kFlagAuth, .flow_hash = 9, .seq = 99,
                   .payload = inner_icmp_echo(3, 3), .auth_tag = tag};
    auto pcap = write_pcap({build_frame(t)});
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap, {"ftnet.flags", "ftnet.flags.auth", "ftnet.payload_len",
                                          "ftnet.auth_tag", "icmp.seq", "icmp.checksum.status"},
                                   &rows));
    ASSERT_EQ(rows.size(), 1u);
    Fields& r = rows[0];
    EXPECT_EQ(r["ftnet.flags"], "0x0001");
    EXPECT_TRUE(is_true(r["ftnet.flags.auth"])) << r["ftnet.flags.auth"];
    EXPECT_EQ(r["ftnet.payload_len"], std::to_string(t.payload.size()));
    EXPECT_EQ(r["ftnet.auth_tag"], "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
    // The tag is not part of the inner frame.
    EXPECT_EQ(r["icmp.seq"], "3");
    EXPECT_EQ(r["icmp.checksum.status"], "1");
    EXPECT_THAT(r["_ws.col.Info"], StartsWith("DATA node 4096 -> node 1 route 1023 seq 99"));
    EXPECT_EQ(r["_ws.expert.message"].find("ftnet"), std::string::npos) << r["_ws.expert.message"];
}

const std::vector<std::string> kHeartbeatFields = {
    "ftnet.hb.boot_id",  "ftnet.hb.echo_boot_id", "ftnet.hb.tx_time",    "ftnet.hb.echo_seq",
    "ftnet.hb.interval_ms", "ftnet.hb.threshold", "ftnet.hb.route_state", "ftnet.hb.send_skew_us",
    "ftnet.auth_tag.status",
};

// Heartbeats as the workers send them (build_signed_message(), heartbeat.cpp):
// a request from node 1 and node 2's reply to it, over IPv4 and IPv6. Every
// header and payload field reads back as encoded, tx_time with all 64 bits;
// the outer headers are those of a control message (DSCP CS6 whatever the
// route's data DSCP, UDP source port from the route id, IPv6 flow label 0,
// valid checksums).
TEST_F(DissectorTest, HeartbeatsDecodeEveryField) {
    TemplateSpec v4 = v4_spec();
    v4.dscp = 0;  // the data DSCP; heartbeats carry CS6 regardless
    const TemplateSpec v6 = v6_spec();  // data DSCP 46
    const Heartbeat req4{.boot_id = 0x1234abcd, .tx_time = 0x0123456789abcdefULL, .interval_ms = 1000,
                         .threshold = 5, .route_state = 1, .send_skew_us = 7250};
    const Heartbeat rep4{.boot_id = 0x0badf00d, .echo_boot_id = 0x1234abcd, .tx_time = 0x0123456789abcdefULL,
                         .echo_seq = 17, .interval_ms = 1000, .threshold = 5, .route_state = 2};
    const Heartbeat req6{.boot_id = 0xfeedface, .tx_time = 0xfffffffffffffffeULL, .interval_ms = 10,
                         .threshold = 3, .route_state = 0};
    const Heartbeat rep6{.boot_id = 1, .echo_boot_id = 0xfeedface, .tx_time = 0xfffffffffffffffeULL,
                         .echo_seq = 4000000000u, .interval_ms = 65535, .threshold = 10, .route_state = 1,
                         .send_skew_us = 4000000000u};
    const std::vector<Bytes> frames = {
        signed_frame(v4, wire::MsgType::HeartbeatReq, 17, hb_payload(req4)),
        signed_frame(reversed(v4, 7), wire::MsgType::HeartbeatRep, 9, hb_payload(rep4)),
        signed_frame(v6, wire::MsgType::HeartbeatReq, 4000000000u, hb_payload(req6)),
        signed_frame(reversed(v6, 12), wire::MsgType::HeartbeatRep, 1, hb_payload(rep6)),
    };
    auto pcap = write_pcap(frames);
    auto fields = kHeaderFields;
    fields.insert(fields.end(), kHeartbeatFields.begin(), kHeartbeatFields.end());
    for (auto f : {"ftnet.payload", "ftnet.trailer", "udp.srcport", "udp.dstport", "udp.checksum.status",
                   "ip.checksum.status", "ip.dsfield.dscp", "ipv6.tclass.dscp", "ipv6.flow"})
        fields.push_back(f);
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap, fields, &rows));
    ASSERT_EQ(rows.size(), 4u);

    struct Want {
        const char* type;
        const char* src;
        const char* dst;
        uint16_t route;
        const char* seq;
        const Heartbeat& hb;
        const char* info;
    };
    const Want want[] = {
        {"3", "1", "2", 3, "17", req4, "HB-REQ node 1 -> node 2 route 3 seq 17"},
        {"4", "2", "1", 7, "9", rep4, "HB-REP node 2 -> node 1 route 7 seq 9 echo 17"},
        {"3", "4096", "1", 1023, "4000000000", req6, "HB-REQ node 4096 -> node 1 route 1023 seq 4000000000"},
        {"4", "1", "4096", 12, "1", rep6, "HB-REP node 1 -> node 4096 route 12 seq 1 echo 4000000000"},
    };
    char buf[32];
    for (size_t i = 0; i < 4; i++) {
        SCOPED_TRACE("frame " + std::to_string(i + 1));
        Fields& r = rows[i];
        const Want& w = want[i];
        EXPECT_EQ(r["ftnet.version"], "1");
        EXPECT_EQ(r["ftnet.type"], w.type);
        EXPECT_EQ(r["ftnet.flags"], "0x0001");
        EXPECT_TRUE(is_true(r["ftnet.flags.auth"])) << r["ftnet.flags.auth"];
        EXPECT_EQ(r["ftnet.src_node"], w.src);
        EXPECT_EQ(r["ftnet.dst_node"], w.dst);
        EXPECT_EQ(r["ftnet.route_id"], std::to_string(w.route));
        EXPECT_EQ(r["ftnet.payload_len"], "28");
        EXPECT_EQ(r["ftnet.seq"], w.seq);
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
        EXPECT_EQ(r["ftnet.auth_tag"], tag_of(frames[i]));
        EXPECT_EQ(r["ftnet.auth_tag.status"], "2") << "no key given: not verified";
        EXPECT_EQ(r["ftnet.payload"], "");
        EXPECT_EQ(r["ftnet.trailer"], "");
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
    // The route state's names, as the packet tree shows them.
    const std::string tree = verbose(pcap);
    EXPECT_THAT(tree, HasSubstr("Sender's route state: up (1)"));
    EXPECT_THAT(tree, HasSubstr("Sender's route state: down (2)"));
    EXPECT_THAT(tree, HasSubstr("Sender's route state: unknown (0)"));
    EXPECT_THAT(tree, HasSubstr("Heartbeat request: boot id 0x1234abcd, every 1000 ms x 5, route up"));
    EXPECT_THAT(tree, HasSubstr("Heartbeat reply: boot id 0x0badf00d, every 1000 ms x 5, route down"));
}

// What a receiver drops in heartbeat_input() before looking at the fields:
// no AUTH flag (rx-bad-auth) and a payload that is not 24 bytes
// (rx-bad-length); a HELLO without AUTH is dropped by the control thread.
TEST_F(DissectorTest, HeartbeatWithoutAuthOrOfAnotherLengthRaisesExpertInfo) {
    const Heartbeat req{.boot_id = 0x11111111, .tx_time = 123456789, .interval_ms = 1000, .threshold = 5,
                        .route_state = 1};
    const Heartbeat rep{.boot_id = 0x22222222, .echo_boot_id = 0x11111111, .tx_time = 123456789, .echo_seq = 5,
                        .interval_ms = 10, .threshold = 3, .route_state = 1};
    // Unsigned: what a sender without the key, or an old build, would emit.
    TunnelPacket unsigned_req{.spec = v4_spec(), .type = wire::MsgType::HeartbeatReq, .seq = 5,
                              .payload = hb_payload(req)};
    TunnelPacket unsigned_rep{.spec = v6_spec(), .type = wire::MsgType::HeartbeatRep, .seq = 6,
                              .payload = hb_payload(rep)};
    TunnelPacket unsigned_hello{.spec = v4_spec(), .type = wire::MsgType::Hello, .seq = 7,
                                .payload = hello_payload(adapter_a(), false)};
    Bytes longer = hb_payload(rep);
    longer.insert(longer.end(), {0xde, 0xad, 0xbe, 0xef});
    auto pcap = write_pcap({
        build_frame(unsigned_req),
        build_frame(unsigned_rep),
        signed_frame(v4_spec(), wire::MsgType::HeartbeatReq, 8, Bytes(20, 0x42)),
        signed_frame(reversed(v6_spec(), 2), wire::MsgType::HeartbeatRep, 9, longer),
        build_frame(unsigned_hello),
        signed_frame(v4_spec(), wire::MsgType::HeartbeatReq, 10, hb_payload(req)),  // for contrast
    });
    auto fields = kHeartbeatFields;
    for (auto f : {"ftnet.type", "ftnet.flags.auth", "ftnet.payload_len", "ftnet.payload", "ftnet.auth_tag",
                   "ftnet.hello.node_name"})
        fields.push_back(f);
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap, fields, &rows));
    ASSERT_EQ(rows.size(), 6u);

    // No AUTH: flagged, still decoded.
    EXPECT_TRUE(is_false(rows[0]["ftnet.flags.auth"])) << rows[0]["ftnet.flags.auth"];
    EXPECT_EQ(rows[0]["ftnet.auth_tag"], "");
    EXPECT_EQ(rows[0]["ftnet.hb.boot_id"], "0x11111111");
    EXPECT_EQ(rows[0]["ftnet.hb.tx_time"], "123456789");
    EXPECT_THAT(rows[0]["_ws.expert.message"], HasSubstr("HEARTBEAT-REQ without the AUTH flag"));
    EXPECT_THAT(rows[0]["_ws.expert.message"], HasSubstr("rx-bad-auth"));
    EXPECT_EQ(rows[0]["_ws.col.Info"], "HB-REQ node 1 -> node 2 route 3 seq 5 [no auth]");
    EXPECT_EQ(rows[1]["ftnet.hb.echo_seq"], "5");
    EXPECT_THAT(rows[1]["_ws.expert.message"], HasSubstr("HEARTBEAT-REP without the AUTH flag"));
    EXPECT_THAT(rows[1]["_ws.expert.message"], HasSubstr("rx-bad-auth"));
    EXPECT_EQ(rows[1]["_ws.col.Info"], "HB-REP node 4096 -> node 1 route 1023 seq 6 echo 5 [no auth]");

    // Signed but 20 bytes: shown as bytes, not as fields.
    EXPECT_EQ(rows[2]["ftnet.payload_len"], "20");
    EXPECT_EQ(rows[2]["ftnet.hb.boot_id"], "");
    const Bytes twenty(20, 0x42);
    EXPECT_EQ(rows[2]["ftnet.payload"], hex(twenty.data(), twenty.size()));
    EXPECT_THAT(rows[2]["_ws.expert.message"], HasSubstr("heartbeat payload of 20 bytes, not the 28-byte"));
    EXPECT_THAT(rows[2]["_ws.expert.message"], HasSubstr("rx-bad-length"));
    EXPECT_THAT(rows[2]["_ws.expert.message"], Not(HasSubstr("AUTH")));
    EXPECT_EQ(rows[2]["_ws.col.Info"], "HB-REQ node 1 -> node 2 route 3 seq 8");

    // Signed but 32 bytes: the 28 decoded, the rest shown as bytes.
    EXPECT_EQ(rows[3]["ftnet.payload_len"], "32");
    EXPECT_EQ(rows[3]["ftnet.hb.echo_boot_id"], "0x11111111");
    EXPECT_EQ(rows[3]["ftnet.hb.interval_ms"], "10");
    EXPECT_EQ(rows[3]["ftnet.payload"], "deadbeef");
    EXPECT_THAT(rows[3]["_ws.expert.message"], HasSubstr("heartbeat payload of 32 bytes"));
    EXPECT_THAT(rows[3]["_ws.expert.message"], HasSubstr("rx-bad-length"));

    // A HELLO without AUTH: the control thread drops it.
    EXPECT_EQ(rows[4]["ftnet.hello.node_name"], "node-a");
    EXPECT_THAT(rows[4]["_ws.expert.message"], HasSubstr("HELLO without the AUTH flag"));
    EXPECT_THAT(rows[4]["_ws.expert.message"], HasSubstr("ctl-bad-auth"));
    EXPECT_THAT(rows[4]["_ws.col.Info"], HasSubstr("[no auth]"));

    EXPECT_EQ(rows[5]["ftnet.hb.boot_id"], "0x11111111");
    EXPECT_EQ(rows[5]["_ws.expert.message"], "");
    EXPECT_EQ(rows[5]["_ws.col.Info"], "HB-REQ node 1 -> node 2 route 3 seq 10");
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

// Link notices (the far side learns of a link loss at once): header and
// every entry decoded, both families; a count that disagrees with the
// length is flagged as receivers drop it.
TEST_F(DissectorTest, LinkNoticesDecodeEveryEntry) {
    const auto down6 = notice_entry("fd00:2::1", "fd00:2::2", wire::kLinkNoticeDown, wire::kLinkReasonLink);
    const auto up4 = notice_entry("198.18.2.1", "198.18.2.2", wire::kLinkNoticeUp, 0);
    auto pcap = write_pcap({
        signed_frame(v6_spec(), wire::MsgType::LinkNotice, 7, notice_payload(0xabcd0001, 7, 2, {down6, up4})),
        signed_frame(v4_spec(), wire::MsgType::LinkNotice, 8, notice_payload(0xabcd0001, 8, 3, {down6, up4})),
    });
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap,
                                   {"ftnet.type", "ftnet.payload_len", "ftnet.notice.boot_id", "ftnet.notice.seq",
                                    "ftnet.notice.count", "ftnet.notice.family", "ftnet.notice.state", "ftnet.notice.reason",
                                    "ftnet.notice.sender_ipv6", "ftnet.notice.receiver_ipv6", "ftnet.notice.sender_ipv4",
                                    "ftnet.notice.receiver_ipv4", "ftnet.auth_tag.status"},
                                   &rows, {"-o", "ftnet.cluster_key:" + kKeyHex}));
    ASSERT_EQ(rows.size(), 2u);
    Fields& r = rows[0];
    EXPECT_EQ(r["ftnet.type"], "6");
    EXPECT_EQ(r["ftnet.payload_len"], "84");
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
    EXPECT_EQ(r["ftnet.auth_tag.status"], "1");
    EXPECT_THAT(r["_ws.col.Info"], HasSubstr("NOTICE node"));
    EXPECT_THAT(r["_ws.col.Info"], HasSubstr(": 1 down, 1 up"));
    EXPECT_EQ(r["_ws.expert.message"], "");
    EXPECT_THAT(rows[1]["_ws.expert.message"], HasSubstr("3 entries in 84 bytes"));
    EXPECT_THAT(rows[1]["_ws.expert.message"], HasSubstr("rx-notice-malformed"));
}

// With the cluster key as a preference, the dissector checks tags with its
// own SipHash-2-4-128, which must agree with the engine's: every length of
// tail (HELLO 116 bytes, heartbeats 44, a short heartbeat 36), both
// families; a tag made with another key, or a payload changed after
// signing, is flagged as receivers would drop it.
TEST_F(DissectorTest, AuthTagIsCheckedWithTheClusterKey) {
    const Heartbeat req{.boot_id = 0xabcdef01, .tx_time = 0x8000000000000001ULL, .interval_ms = 50,
                        .threshold = 3, .route_state = 1};
    Bytes tampered = signed_frame(v4_spec(), wire::MsgType::HeartbeatReq, 4, hb_payload(req));
    tampered[ftnet_off(Family::V4) + 16 + 23] = 2;  // route_state up -> down; IPv4: no UDP checksum to fix
    auto pcap = write_pcap({
        signed_frame(v6_spec(), wire::MsgType::Hello, 1, hello_payload(adapter_a(), true)),
        signed_frame(v4_spec(), wire::MsgType::HeartbeatReq, 2, hb_payload(req)),
        signed_frame(reversed(v6_spec(), 5), wire::MsgType::HeartbeatRep, 3, hb_payload(req)),
        signed_frame(v4_spec(), wire::MsgType::HeartbeatReq, 3, Bytes(20, 7)),
        signed_frame(v4_spec(), wire::MsgType::HeartbeatReq, 4, hb_payload(req), kOtherKey),
        tampered,
        signed_frame(v4_spec(), wire::MsgType::Hello, 5, hello_payload(adapter_a(), false), kOtherKey),
    });
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(
        decode(pcap, {"ftnet.type", "ftnet.auth_tag.status"}, &rows, {"-o", "ftnet.cluster_key:" + kKeyHex}));
    ASSERT_EQ(rows.size(), 7u);
    for (size_t i = 0; i < 3; i++) {
        SCOPED_TRACE("frame " + std::to_string(i + 1));
        EXPECT_EQ(rows[i]["ftnet.auth_tag.status"], "1");
        EXPECT_EQ(rows[i]["_ws.expert.message"], "");
    }
    EXPECT_EQ(rows[3]["ftnet.auth_tag.status"], "1");
    EXPECT_THAT(rows[3]["_ws.expert.message"], Not(HasSubstr("auth tag wrong")));
    for (size_t i = 4; i < 6; i++) {
        SCOPED_TRACE("frame " + std::to_string(i + 1));
        EXPECT_EQ(rows[i]["ftnet.auth_tag.status"], "0");
        EXPECT_THAT(rows[i]["_ws.expert.message"], HasSubstr("auth tag wrong for the configured cluster key"));
        EXPECT_THAT(rows[i]["_ws.expert.message"], HasSubstr("rx-bad-auth"));
        EXPECT_THAT(rows[i]["_ws.col.Info"], HasSubstr("[bad auth]"));
    }
    EXPECT_EQ(rows[6]["ftnet.auth_tag.status"], "0");
    EXPECT_THAT(rows[6]["_ws.expert.message"], HasSubstr("ctl-bad-auth"));

    // Without the key nothing is verified, and nothing is flagged.
    ASSERT_NO_FATAL_FAILURE(decode(pcap, {"ftnet.auth_tag.status"}, &rows));
    ASSERT_EQ(rows.size(), 7u);
    for (auto& r : rows) {
        EXPECT_EQ(r["ftnet.auth_tag.status"], "2");
        EXPECT_THAT(r["_ws.expert.message"], Not(HasSubstr("auth tag wrong")));
    }
}

// A datagram whose length disagrees with its ftnet header (classify.h drops
// it as rx-bad-length): payload cut short, header cut short, auth tag
// missing, bytes after the announced payload. Over IPv4 and IPv6.
TEST_F(DissectorTest, TruncatedPacketRaisesBadLength) {
    TunnelPacket d4{.spec = v4_spec(), .flow_hash = 5, .seq = 17, .payload = inner_icmp_echo(9, 9)};
    TunnelPacket d6{.spec = v6_spec(), .flow_hash = 5, .seq = 18, .payload = inner_icmp_echo(9, 9)};
    TunnelPacket auth{.spec = v4_spec(), .flags = wire::kFlagAuth, .seq = 19,
                      .payload = inner_icmp_echo(9, 9), .auth_tag = Bytes(wire::kAuthTagLen, 0x55)};
    TunnelPacket extra = d4;
    extra.seq = 20;
    // Announces 4 bytes less than the datagram holds.
    Bytes extra_frame = build_frame(extra, [&](Bytes& f) {
        put16(f, ftnet_off(Family::V4) + 10, static_cast<uint16_t>(extra.payload.size() - 4));
    });
    const size_t full = 16 + d4.payload.size();
    auto pcap = write_pcap({
        cut_udp_payload(d4, 16 + 20),                // payload cut to 20 of 74 bytes
        cut_udp_payload(d6, 16 + 20),                // the same over IPv6
        cut_udp_payload(d4, 10),                     // header cut to 10 bytes
        cut_udp_payload(auth, full),                 // AUTH flag, tag missing
        extra_frame,                                 // 4 bytes more than announced
        build_frame(d4),                             // intact, for contrast
    });
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap, {"ftnet.version", "ftnet.src_node", "ftnet.payload_len",
                                          "ftnet.seq", "ftnet.trailer", "udp.length"},
                                   &rows));
    ASSERT_EQ(rows.size(), 6u);
    const std::string bad = "receivers drop it (rx-bad-length)";
    for (size_t i = 0; i < 5; i++) {
        SCOPED_TRACE("frame " + std::to_string(i + 1));
        EXPECT_THAT(rows[i]["_ws.expert.message"], HasSubstr(bad));
        EXPECT_THAT(rows[i]["_ws.col.Info"], HasSubstr("[bad length]"));
    }
    EXPECT_EQ(rows[0]["udp.length"], "44");
    EXPECT_EQ(rows[0]["ftnet.payload_len"], std::to_string(d4.payload.size()));
    EXPECT_EQ(rows[0]["ftnet.seq"], "17");
    EXPECT_EQ(rows[1]["ftnet.seq"], "18");
    // Ten bytes hold version..route_id: those are shown, the rest is not.
    EXPECT_EQ(rows[2]["udp.length"], "18");
    EXPECT_EQ(rows[2]["ftnet.version"], "1");
    EXPECT_EQ(rows[2]["ftnet.src_node"], "1");
    EXPECT_EQ(rows[2]["ftnet.payload_len"], "");
    EXPECT_THAT(rows[2]["_ws.expert.message"], HasSubstr("shorter than the 16-byte ftnet header"));
    EXPECT_THAT(rows[3]["_ws.expert.message"], HasSubstr("+ auth tag 16"));
    // The last 4 bytes of the ICMP data (byte i holds i) lie after the
    // announced payload.
    EXPECT_EQ(rows[4]["ftnet.trailer"], "46474849");
    EXPECT_EQ(rows[4]["ftnet.payload_len"], std::to_string(extra.payload.size() - 4));
    EXPECT_EQ(rows[5]["_ws.expert.message"].find("ftnet"), std::string::npos) << rows[5]["_ws.expert.message"];
    EXPECT_THAT(rows[5]["_ws.col.Info"], Not(HasSubstr("[bad length]")));
}

// Empty and one-byte datagrams, empty payloads: expert info, never a Lua
// error (decode() fails the test on one).
TEST_F(DissectorTest, DegenerateLengthsRaiseExpertInfoWithoutLuaErrors) {
    TunnelPacket empty_hello{.spec = v4_spec(), .type = wire::MsgType::Hello, .seq = 1};
    TunnelPacket empty_data{.spec = v6_spec(), .seq = 2};
    TunnelPacket header_only{.spec = v4_spec(), .seq = 3, .payload = inner_arp_request()};
    TunnelPacket one_byte{.spec = v4_spec(), .seq = 4};
    TunnelPacket new_version_byte{.spec = v6_spec(), .seq = 5};
    auto pcap = write_pcap({
        build_frame(empty_hello),
        build_frame(empty_data),
        cut_udp_payload(header_only, 16),
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
    ASSERT_EQ(rows.size(), 6u);
    EXPECT_EQ(rows[0]["ftnet.type"], "2");
    EXPECT_EQ(rows[0]["ftnet.payload_len"], "0");
    EXPECT_THAT(rows[0]["_ws.expert.message"], HasSubstr("shorter than the 100-byte HelloPayload"));
    EXPECT_EQ(rows[1]["ftnet.payload_len"], "0");
    EXPECT_THAT(rows[1]["_ws.expert.message"], HasSubstr("rx-inner-runt"));
    EXPECT_EQ(rows[2]["ftnet.payload_len"], "42");
    EXPECT_THAT(rows[2]["_ws.expert.message"], HasSubstr("rx-bad-length"));
    EXPECT_EQ(rows[3]["ftnet.version"], "1");
    EXPECT_THAT(rows[3]["_ws.expert.message"], HasSubstr("rx-bad-length"));
    EXPECT_EQ(rows[4]["ftnet.version"], "7");
    EXPECT_THAT(rows[4]["_ws.expert.message"], HasSubstr("rx-bad-version"));
    EXPECT_EQ(rows[5]["udp.length"], "8");
}

TEST_F(DissectorTest, UnknownVersionRaisesExpertInfoAndIsNotDecoded) {
    TunnelPacket t{.spec = v6_spec(), .seq = 1, .payload = inner_arp_request()};
    Bytes f = build_frame(t, [](Bytes& g) { g[ftnet_off(Family::V6)] = 2; });
    auto pcap = write_pcap({f});
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(
        decode(pcap, {"ftnet.version", "ftnet.type", "ftnet.src_node", "ftnet.payload", "arp.opcode",
                      "udp.checksum.status"},
               &rows));
    ASSERT_EQ(rows.size(), 1u);
    Fields& r = rows[0];
    EXPECT_EQ(r["udp.checksum.status"], "1");
    EXPECT_EQ(r["ftnet.version"], "2");
    EXPECT_THAT(r["_ws.expert.message"], HasSubstr("ftnet version 2"));
    EXPECT_THAT(r["_ws.expert.message"], HasSubstr("rx-bad-version"));
    // Another version may lay out the rest differently: not interpreted.
    EXPECT_EQ(r["ftnet.type"], "");
    EXPECT_EQ(r["ftnet.src_node"], "");
    EXPECT_EQ(r["arp.opcode"], "");
    EXPECT_NE(r["ftnet.payload"], "");
    EXPECT_THAT(r["_ws.col.Info"], StartsWith("ftnet version 2"));
}

TEST_F(DissectorTest, UnknownTypeAndFlagsRaiseExpertInfo) {
    TunnelPacket bad_type{.spec = v4_spec(), .type = static_cast<wire::MsgType>(9), .seq = 1,
                          .payload = Bytes(8, 0x11)};
    TunnelPacket bad_flags{.spec = v4_spec(), .flags = 0x0002, .seq = 2, .payload = inner_icmp_echo(1, 1)};
    // Unsigned, and 4 bytes instead of 24: dropped twice over.
    TunnelPacket heartbeat{.spec = v4_spec(), .type = wire::MsgType::HeartbeatReq, .seq = 3,
                           .payload = Bytes{1, 2, 3, 4}};
    TunnelPacket session{.spec = v6_spec(), .type = wire::MsgType::Session, .seq = 4,
                         .payload = Bytes{5, 6}};
    TunnelPacket runt{.spec = v4_spec(), .seq = 5, .payload = Bytes(10, 0)};
    auto pcap = write_pcap({build_frame(bad_type), build_frame(bad_flags), build_frame(heartbeat),
                            build_frame(session), build_frame(runt)});
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(
        decode(pcap, {"ftnet.type", "ftnet.flags", "ftnet.flags.auth", "ftnet.payload", "ftnet.seq"}, &rows));
    ASSERT_EQ(rows.size(), 5u);
    EXPECT_EQ(rows[0]["ftnet.type"], "9");
    EXPECT_THAT(rows[0]["_ws.expert.message"], HasSubstr("unknown message type 9"));
    EXPECT_THAT(rows[0]["_ws.expert.message"], HasSubstr("rx-bad-type"));
    EXPECT_EQ(rows[0]["ftnet.payload"], "1111111111111111");
    EXPECT_THAT(rows[0]["_ws.col.Info"], StartsWith("type 9 node 1 -> node 2 route 3 seq 1"));

    EXPECT_EQ(rows[1]["ftnet.flags"], "0x0002");
    EXPECT_TRUE(is_false(rows[1]["ftnet.flags.auth"])) << rows[1]["ftnet.flags.auth"];
    EXPECT_THAT(rows[1]["_ws.expert.message"], HasSubstr("unknown flags 0x0002"));

    EXPECT_EQ(rows[2]["ftnet.type"], "3");
    EXPECT_EQ(rows[2]["ftnet.payload"], "01020304");
    EXPECT_EQ(rows[2]["_ws.col.Info"], "HB-REQ node 1 -> node 2 route 3 seq 3 [no auth]");
    EXPECT_THAT(rows[2]["_ws.expert.message"], HasSubstr("rx-bad-auth"));
    EXPECT_THAT(rows[2]["_ws.expert.message"], HasSubstr("rx-bad-length"));
    // The reserved type: named, payload shown as bytes, no complaint.
    EXPECT_EQ(rows[3]["ftnet.type"], "5");
    EXPECT_THAT(rows[3]["_ws.col.Info"], StartsWith("SESSION node 4096 -> node 1 route 1023 seq 4"));
    EXPECT_EQ(rows[3]["_ws.expert.message"], "");

    EXPECT_THAT(rows[4]["_ws.expert.message"], HasSubstr("rx-inner-runt"));
}

// tunnel.udp_port in ftnetd's config moves the tunnel; the dissector's
// preference follows it.
TEST_F(DissectorTest, PortPreferenceMovesTheDissector) {
    TunnelPacket t{.spec = v4_spec(), .seq = 42, .payload = inner_icmp_echo(1, 1)};
    t.spec.udp_port = 4000;
    auto pcap = write_pcap({build_frame(t)});
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(pcap, {"udp.dstport", "ftnet.seq", "icmp.type"}, &rows));
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0]["udp.dstport"], "4000");
    EXPECT_EQ(rows[0]["ftnet.seq"], "") << "not on the default port";
    ASSERT_NO_FATAL_FAILURE(
        decode(pcap, {"udp.dstport", "ftnet.seq", "icmp.type"}, &rows, {"-o", "ftnet.udp_port:4000"}));
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0]["ftnet.seq"], "42");
    EXPECT_EQ(rows[0]["icmp.type"], "8");
}

// A frame cut by the capture's snapshot length is not a bad length: the
// datagram on the wire was fine.
TEST_F(DissectorTest, SnapshotTruncationIsNotABadLength) {
    TunnelPacket t{.spec = v6_spec(), .seq = 8, .payload = inner_icmp_echo(1, 1)};
    Bytes f = build_frame(t);
    const auto orig = static_cast<uint32_t>(f.size());
    f.resize(ftnet_off(Family::V6) + 16 + 20);
    fs::path p = dir_ / "snap.pcap";
    PcapWriter w(p);
    w.add(f, orig);
    ASSERT_TRUE(w.close());
    last_pcap_ = p;
    std::vector<Fields> rows;
    ASSERT_NO_FATAL_FAILURE(decode(p, {"ftnet.seq", "ftnet.payload_len"}, &rows));
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0]["ftnet.seq"], "8");
    EXPECT_EQ(rows[0]["ftnet.payload_len"], std::to_string(t.payload.size()));
    EXPECT_THAT(rows[0]["_ws.expert.message"], Not(HasSubstr("rx-bad-length")));
}

}  // namespace
}  // namespace ftnet
