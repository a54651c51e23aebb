// The DHCPv4 client (engine/dhcp): the message codec, frames, and the
// client's state machine driven by a scripted server and a fake clock:
// the whole exchange with ARP probes, renewal at T1, rebinding at T2,
// expiry, NAKs, no server, a conflict (DECLINE), RELEASE, and replies that
// are not ours; and an exchange with dnsmasq 2.90 as recorded in the lab
// (tcpdump; its xids rewritten to the client's).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "engine/dhcp/dhcp_client.h"
#include "engine/dhcp/dhcp_frame.h"
#include "engine/dhcp/dhcp_message.h"

namespace ftnet {
namespace {

using namespace dhcp;
using ::testing::HasSubstr;

const MacAddr kMac{{0x00, 0x00, 0x5e, 0x00, 0x53, 0x11}};
const MacAddr kServerMac{{0x02, 0x00, 0x5e, 0x00, 0x53, 0x99}};
const IpAddr kServer = *IpAddr::parse("198.18.1.99");
const IpAddr kOffered = *IpAddr::parse("198.18.1.117");

std::vector<uint8_t> client_id() {
    const std::string s = "ftnet/ftlab/ipD";
    std::vector<uint8_t> v(s.size() + 1, 0);  // type 0, then the identifier
    std::memcpy(v.data() + 1, s.data(), s.size());
    return v;
}

// A server reply as dnsmasq sends it (options 53, 54, 51, 58, 59, 1, 28, 3, 61).
Message reply(MsgType t, uint32_t xid, const IpAddr& yiaddr = kOffered, uint32_t lease = 120, uint32_t t1 = 5,
              uint32_t t2 = 8) {
    Message m;
    m.op = 2;
    m.xid = xid;
    m.type = t;
    m.yiaddr = t == MsgType::Nak ? IpAddr::v4(0, 0, 0, 0) : yiaddr;
    m.siaddr = kServer;
    m.chaddr = kMac;
    m.server_id = kServer;
    if (t != MsgType::Nak) {
        m.lease_s = lease;
        m.t1_s = t1;
        m.t2_s = t2;
        m.prefix_len = 24;
        m.router = *IpAddr::parse("198.18.1.254");
    } else {
        m.message = "wrong address";
    }
    m.client_id = client_id();
    return m;
}

// Round trip through bytes, as a frame: the client sees what the wire carries.
Message through_wire(const Message& m) {
    auto bytes = encode(m);
    auto back = decode(bytes.data(), bytes.size());
    EXPECT_TRUE(back);
    return *back;
}

struct Sent {
    Message m;
    bool broadcast;
    uint64_t at;
};

class ClientTest : public testing::Test {
  protected:
    ClientTest() {
        t.retransmit_initial_ms = 4000;
        t.probe_count = 2;
        t.probe_interval_ms = 300;
        t.decline_wait_ms = 10000;
        Client::Io io;
        io.send = [this](const Message& m, bool b) { sent.push_back({through_wire(m), b, now}); };
        io.arp_probe = [this](const IpAddr& a) { probes.push_back(a); };
        io.bound = [this](const Lease& l) { bound.push_back(l); };
        io.lost = [this](const std::string& why) { lost.push_back(why); };
        c = std::make_unique<Client>(io, kMac, client_id(), t, 7);
    }
    void run_until(uint64_t until) {
        for (; now < until; now += 10) c->tick(now);
        c->tick(now);
    }
    void answer(MsgType type, const IpAddr& addr = kOffered, uint32_t lease = 120) {
        c->on_message(through_wire(reply(type, c->xid(), addr, lease)), kServerMac, now);
    }
    // From start to BOUND, at `now`.
    void bind() {
        c->start(now);
        run_until(now + 10);
        answer(MsgType::Offer);
        answer(MsgType::Ack);
        run_until(now + 700);
        ASSERT_EQ(c->state(), State::Bound);
    }

    Timing t;
    std::unique_ptr<Client> c;
    std::vector<Sent> sent;
    std::vector<IpAddr> probes;
    std::vector<Lease> bound;
    std::vector<std::string> lost;
    uint64_t now = 1000000;
};

TEST_F(ClientTest, TheWholeExchangeThenProbesThenBound) {
    c->start(now);
    run_until(now + 10);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].m.type, MsgType::Discover);
    EXPECT_TRUE(sent[0].broadcast);
    EXPECT_TRUE(sent[0].m.broadcast) << "the B flag: we cannot receive unicast yet";
    EXPECT_EQ(sent[0].m.client_id, client_id());
    EXPECT_TRUE(sent[0].m.param_request);
    EXPECT_EQ(sent[0].m.chaddr, kMac);
    EXPECT_EQ(c->state(), State::Selecting);

    answer(MsgType::Offer);
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(sent[1].m.type, MsgType::Request);
    EXPECT_EQ(sent[1].m.xid, sent[0].m.xid);
    EXPECT_EQ(*sent[1].m.requested_ip, kOffered);
    EXPECT_EQ(*sent[1].m.server_id, kServer);
    EXPECT_TRUE(sent[1].m.ciaddr.is_unspecified());

    answer(MsgType::Ack);
    EXPECT_EQ(c->state(), State::Probing);
    EXPECT_TRUE(bound.empty()) << "not before the probes";
    run_until(now + 700);
    EXPECT_EQ(probes, (std::vector<IpAddr>{kOffered, kOffered}));
    ASSERT_EQ(bound.size(), 1u);
    EXPECT_EQ(bound[0].addr, kOffered);
    EXPECT_EQ(bound[0].prefix_len, 24);
    EXPECT_EQ(bound[0].server, kServer);
    EXPECT_EQ(bound[0].server_mac, kServerMac);
    EXPECT_EQ(bound[0].t1_s, 5u);
    EXPECT_EQ(bound[0].t2_s, 8u);
    EXPECT_EQ(c->status(now)["state"], "bound");
}

TEST_F(ClientTest, RenewsAtT1ByUnicastRebindsAtT2ByBroadcastAndLosesTheLeaseAtExpiry) {
    bind();
    const uint64_t obtained = bound[0].obtained_ms;
    sent.clear();
    run_until(obtained + 5000 - 20);
    EXPECT_TRUE(sent.empty()) << "nothing before T1";
    run_until(obtained + 5000 + 10);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].m.type, MsgType::Request);
    EXPECT_FALSE(sent[0].broadcast) << "RENEWING talks to the server";
    EXPECT_EQ(sent[0].m.ciaddr, kOffered);
    EXPECT_FALSE(sent[0].m.server_id) << "RFC 2131 4.3.2";
    EXPECT_FALSE(sent[0].m.requested_ip);
    answer(MsgType::Ack);
    ASSERT_EQ(bound.size(), 2u) << "renewed";
    EXPECT_EQ(c->state(), State::Bound);
    EXPECT_EQ(probes.size(), 2u) << "the same address is not probed again";

    // The server goes away: renew until T2, rebind by broadcast until expiry.
    const uint64_t renewed = bound[1].obtained_ms;
    sent.clear();
    run_until(renewed + 8000 - 10);
    ASSERT_GE(sent.size(), 2u);
    for (auto& s : sent) EXPECT_FALSE(s.broadcast);
    sent.clear();
    run_until(renewed + 8000 + 10);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_TRUE(sent[0].broadcast) << "REBINDING asks any server";
    EXPECT_EQ(c->state(), State::Rebinding);
    EXPECT_TRUE(lost.empty());
    run_until(renewed + 120000 + 10);
    ASSERT_EQ(lost.size(), 1u);
    EXPECT_THAT(lost[0], HasSubstr("expired"));
    run_until(now + 20);
    EXPECT_EQ(sent.back().m.type, MsgType::Discover) << "and starts over";
}

TEST_F(ClientTest, ANakStartsOver) {
    c->start(now);
    run_until(now + 10);
    answer(MsgType::Offer);
    answer(MsgType::Nak);
    ASSERT_EQ(lost.size(), 1u);
    EXPECT_THAT(lost[0], HasSubstr("DHCPNAK: wrong address"));
    run_until(now + 10);
    EXPECT_EQ(sent.back().m.type, MsgType::Discover);
    EXPECT_NE(sent.back().m.xid, sent.front().m.xid) << "a new exchange, a new xid";
    // In RENEWING too.
    answer(MsgType::Offer);
    answer(MsgType::Ack);
    run_until(now + 700);
    ASSERT_EQ(c->state(), State::Bound);
    run_until(bound.back().obtained_ms + 5010);
    answer(MsgType::Nak);
    EXPECT_EQ(lost.size(), 2u);
    EXPECT_EQ(c->state(), State::Init);
}

TEST_F(ClientTest, WithoutAServerItBacksOffAsRfc2131SaysAndSaysSo) {
    c->start(now);
    run_until(now + 200000);
    std::vector<uint64_t> gaps;
    for (size_t i = 1; i < sent.size(); i++) gaps.push_back(sent[i].at - sent[i - 1].at);
    ASSERT_GE(gaps.size(), 5u);
    const uint64_t want[] = {4000, 8000, 16000, 32000, 64000};
    for (size_t i = 0; i < 5; i++) {
        EXPECT_GE(gaps[i], want[i] - 1000) << i;
        EXPECT_LE(gaps[i], want[i] + 1010) << i;
    }
    for (size_t i = 5; i < gaps.size(); i++) EXPECT_LE(gaps[i], 65010u);
    ASSERT_EQ(lost.size(), 1u) << "said once, not at every retry";
    EXPECT_THAT(lost[0], HasSubstr("no DHCP server answered"));
    for (auto& s : sent) EXPECT_EQ(s.m.type, MsgType::Discover);
}

TEST_F(ClientTest, AnAddressInUseIsDeclined) {
    c->start(now);
    run_until(now + 10);
    answer(MsgType::Offer);
    answer(MsgType::Ack);
    run_until(now + 100);
    ASSERT_EQ(c->probing(), kOffered);
    c->on_conflict(kOffered, now);
    ASSERT_FALSE(sent.empty());
    EXPECT_EQ(sent.back().m.type, MsgType::Decline);
    EXPECT_EQ(*sent.back().m.requested_ip, kOffered);
    EXPECT_EQ(*sent.back().m.server_id, kServer);
    EXPECT_TRUE(bound.empty());
    EXPECT_THAT(lost.back(), HasSubstr("in use by another host"));
    const size_t n = sent.size();
    run_until(now + 9900);
    EXPECT_EQ(sent.size(), n) << "RFC 2131 3.1.5: wait before trying again";
    run_until(now + 200);
    EXPECT_EQ(sent.back().m.type, MsgType::Discover);
}

TEST_F(ClientTest, StopReleasesAHeldLease) {
    bind();
    sent.clear();
    c->stop(now);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].m.type, MsgType::Release);
    EXPECT_FALSE(sent[0].broadcast);
    EXPECT_EQ(sent[0].m.ciaddr, kOffered);
    EXPECT_EQ(*sent[0].m.server_id, kServer);
    EXPECT_EQ(c->state(), State::Stopped);
    run_until(now + 100000);
    EXPECT_EQ(sent.size(), 1u) << "a stopped client is silent";
}

TEST_F(ClientTest, RepliesThatAreNotOursAreIgnored) {
    c->start(now);
    run_until(now + 10);
    Message other = reply(MsgType::Offer, c->xid() + 1);
    c->on_message(other, kServerMac, now);
    other = reply(MsgType::Offer, c->xid());
    other.chaddr = kServerMac;
    c->on_message(other, kServerMac, now);
    other = reply(MsgType::Offer, c->xid());
    other.client_id = {0, 'x'};
    c->on_message(other, kServerMac, now);
    other = reply(MsgType::Ack, c->xid());  // an ACK while selecting
    c->on_message(other, kServerMac, now);
    EXPECT_EQ(c->state(), State::Selecting);
    EXPECT_EQ(sent.size(), 1u);
}

// dnsmasq 2.90's replies in the lab (a tcpdump of a DHCP resource's lease,
// renewal and NAK; UDP payloads):
// the first 44 bytes (op .. chaddr), zeros to the magic cookie, then the
// cookie and the options. Its OFFER, ACK, the unicast ACK of a renewal,
// and the NAK it sent when restarted with another range.
std::vector<uint8_t> recorded(const std::string& head, const std::string& options, uint32_t xid) {
    auto hex = [](const std::string& h) {
        std::vector<uint8_t> v;
        for (size_t i = 0; i + 1 < h.size(); i += 2) v.push_back(static_cast<uint8_t>(std::stoul(h.substr(i, 2), nullptr, 16)));
        return v;
    };
    std::vector<uint8_t> m = hex(head);
    m.resize(236, 0);
    auto o = hex(options);
    m.insert(m.end(), o.begin(), o.end());
    for (int i = 0; i < 4; i++) m[4 + static_cast<size_t>(i)] = static_cast<uint8_t>(xid >> (24 - 8 * i));  // the client's xid
    return m;
}
const char* kOfferHead = "02010600ed49ddde0000800000000000c6120175c61201630000000000005e005311";
const char* kAckHead = "02010600ed49ddde0003800000000000c6120175c61201630000000000005e005311";
const char* kRenewAckHead = "0201060054182e2e00000000c6120175c6120175c61201630000000000005e005311";
const char* kNakHead = "02010600c0152c36000080000000000000000000000000000000000000005e005311";
const char* kOfferOptions = "638253633501023604c61201633304000000783a04000000043b04000000070104ffffff001c04c61201ff0304c6120163ff";
const char* kAckOptions = "638253633501053604c61201633304000000783a04000000043b04000000070104ffffff001c04c61201ff0304c6120163ff";
const char* kNakOptions = "638253633501063604c6120163381561646472657373206e6f7420617661696c61626c65ff";

TEST_F(ClientTest, ARecordedDnsmasqExchangeLeaseRenewalAndNak) {
    auto feed = [&](const char* head, const char* options) {
        auto bytes = recorded(head, options, c->xid());
        auto m = decode(bytes.data(), bytes.size());
        ASSERT_TRUE(m);
        c->on_message(*m, kServerMac, now);
    };
    c->start(now);
    run_until(now + 10);
    feed(kOfferHead, kOfferOptions);
    ASSERT_EQ(c->state(), State::Requesting);
    EXPECT_EQ(*sent.back().m.requested_ip, *IpAddr::parse("198.18.1.117"));
    EXPECT_EQ(*sent.back().m.server_id, *IpAddr::parse("198.18.1.99"));
    feed(kAckHead, kAckOptions);
    run_until(now + 700);
    ASSERT_EQ(bound.size(), 1u);
    EXPECT_EQ(bound[0].addr, *IpAddr::parse("198.18.1.117"));
    EXPECT_EQ(bound[0].prefix_len, 24);
    EXPECT_EQ(bound[0].lease_s, 120u);
    EXPECT_EQ(bound[0].t1_s, 4u);
    EXPECT_EQ(bound[0].t2_s, 7u);
    EXPECT_EQ(*bound[0].router, *IpAddr::parse("198.18.1.99"));
    run_until(bound[0].obtained_ms + 4010);
    ASSERT_EQ(c->state(), State::Renewing);
    feed(kRenewAckHead, kAckOptions);
    ASSERT_EQ(bound.size(), 2u);
    EXPECT_EQ(c->state(), State::Bound);
    run_until(bound[1].obtained_ms + 4010);
    feed(kNakHead, kNakOptions);
    ASSERT_EQ(lost.size(), 1u);
    EXPECT_THAT(lost[0], HasSubstr("DHCPNAK: address not available"));
    EXPECT_EQ(c->state(), State::Init);
}

TEST(DhcpMessage, CodecRoundTripAndRefusals) {
    Message m = reply(MsgType::Ack, 0x12345678);
    m.dns_servers = {*IpAddr::parse("198.18.1.53"), *IpAddr::parse("198.18.1.54")};
    auto bytes = encode(m);
    EXPECT_GE(bytes.size(), 300u);
    auto back = decode(bytes.data(), bytes.size());
    ASSERT_TRUE(back);
    EXPECT_EQ(back->xid, 0x12345678u);
    EXPECT_EQ(back->type, MsgType::Ack);
    EXPECT_EQ(back->yiaddr, kOffered);
    EXPECT_EQ(*back->lease_s, 120u);
    EXPECT_EQ(*back->prefix_len, 24);
    EXPECT_EQ(back->dns_servers.size(), 2u);
    EXPECT_EQ(back->client_id, client_id());
    for (size_t n = 0; n < 241; n++) EXPECT_FALSE(decode(bytes.data(), n)) << n;
    auto bad = bytes;
    bad[236] = 0;  // the magic cookie
    EXPECT_FALSE(decode(bad.data(), bad.size()));
    bad = bytes;
    bad[241] = 250;  // message type option's length runs past the end
    EXPECT_FALSE(decode(bad.data(), bad.size()));
    const uint8_t mask[4] = {255, 255, 0, 255};
    EXPECT_FALSE(mask_to_prefix(mask));
    const uint8_t mask22[4] = {255, 255, 252, 0};
    EXPECT_EQ(mask_to_prefix(mask22), 22);
}

TEST(DhcpFrame, BuiltFramesParseBackAndBadOnesAreRefused) {
    Message m = reply(MsgType::Offer, 9);
    auto f = build_frame(kServerMac, kMac, kServer, IpAddr::v4(255, 255, 255, 255), encode(m));
    // The client's own frames go to port 67; turn this one into a server's.
    std::swap(f[14 + 20], f[14 + 20 + 2]);
    std::swap(f[14 + 20 + 1], f[14 + 20 + 3]);
    f[14 + 20 + 6] = f[14 + 20 + 7] = 0;  // no UDP checksum (allowed)
    auto r = parse_frame(f.data(), f.size());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->src_mac, kServerMac);
    EXPECT_EQ(r->src_ip, kServer);
    auto back = decode(r->payload, r->len);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->xid, 9u);
    auto bad = f;
    bad[14 + 20 + 6] = 0x12;  // a wrong UDP checksum
    EXPECT_FALSE(parse_frame(bad.data(), bad.size()));
    bad = f;
    bad[14 + 6] = 0x20;  // more fragments
    EXPECT_FALSE(parse_frame(bad.data(), bad.size()));
    for (size_t n = 0; n < 42; n++) EXPECT_FALSE(parse_frame(f.data(), n)) << n;
}

}  // namespace
}  // namespace ftnet
