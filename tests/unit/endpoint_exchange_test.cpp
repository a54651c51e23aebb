// HELLO codec and the endpoint exchange's schedule and decisions
// (engine/hello/control/endpoint_exchange.h).
#include "engine/hello/control/endpoint_exchange.h"

#include <gtest/gtest.h>

#include <cstring>

#include "engine/core/adapter_identity.h"

namespace ftnet {
namespace {

AdapterInfo adapter(uint16_t id, const char* name, uint32_t boot = 7) {
    AdapterInfo a;
    a.mac = *MacAddr::parse("02:00:5e:00:53:21");
    a.apipa = derive_apipa(id);
    a.link_local = derive_link_local(id);
    a.mtu = 1400;
    a.boot_id = boot;
    a.node_name = name;
    a.cluster = "lab";
    return a;
}

TEST(Hello, RoundTrip) {
    wire::HelloPayload h = encode_hello(adapter(2, "node2"), true);
    bool want = false;
    auto a = decode_hello(reinterpret_cast<const uint8_t*>(&h), sizeof h, &want);
    ASSERT_TRUE(a);
    EXPECT_TRUE(want);
    EXPECT_EQ(a->mac.str(), "02:00:5e:00:53:21");
    EXPECT_EQ(a->apipa.str(), "169.254.1.2");
    EXPECT_EQ(a->link_local.str(), "fe80::a9fe:1:2");
    EXPECT_EQ(a->mtu, 1400);
    EXPECT_EQ(a->boot_id, 7u);
    EXPECT_EQ(a->node_name, "node2");
    EXPECT_EQ(a->cluster, "lab");
}

TEST(Hello, RejectsMalformedPayloads) {
    wire::HelloPayload good = encode_hello(adapter(2, "node2"), false);
    auto try_decode = [](wire::HelloPayload h, size_t len = sizeof(wire::HelloPayload)) {
        return decode_hello(reinterpret_cast<const uint8_t*>(&h), len, nullptr).has_value();
    };
    EXPECT_TRUE(try_decode(good));
    EXPECT_FALSE(try_decode(good, sizeof good - 1)) << "short";
    auto h = good;
    std::memset(h.node_name, 'x', sizeof h.node_name);
    EXPECT_FALSE(try_decode(h)) << "name without terminator";
    h = good;
    h.node_name[0] = '/';
    EXPECT_FALSE(try_decode(h)) << "name with a bad character";
    h = good;
    h.adapter_mac[0] = 0x01;
    EXPECT_FALSE(try_decode(h)) << "multicast MAC";
    h = good;
    h.apipa[0] = 10;
    EXPECT_FALSE(try_decode(h)) << "APIPA outside 169.254/16";
    h = good;
    h.link_local[0] = 0xfd;
    EXPECT_FALSE(try_decode(h)) << "link-local outside fe80::/10";
    h = good;
    h.adapter_mtu = 0;
    EXPECT_FALSE(try_decode(h)) << "MTU";
}

TEST(EndpointExchange, LearnsPeersAndSchedulesHellos) {
    EndpointExchange ex(adapter(1, "node1"), HelloTiming{1000, 30000});
    EXPECT_TRUE(ex.due(2, 0));
    EXPECT_FALSE(ex.due(2, 500));
    EXPECT_TRUE(ex.due(2, 1000)) << "unknown peer: every hello_ms";
    EXPECT_TRUE(ex.wants_reply(2));

    wire::HelloPayload h = encode_hello(adapter(2, "node2"), true);
    auto out = ex.on_hello(2, "node2", reinterpret_cast<const uint8_t*>(&h), sizeof h, "a <-> b", 1100);
    EXPECT_TRUE(out.changed);
    EXPECT_TRUE(out.reply);
    ASSERT_TRUE(ex.peer(2));
    EXPECT_TRUE(ex.peer(2)->known);
    EXPECT_FALSE(ex.wants_reply(2));
    EXPECT_TRUE(ex.due(2, 1100)) << "answer a new peer at once";
    EXPECT_FALSE(ex.due(2, 2100)) << "known peer: only every refresh_ms";
    EXPECT_TRUE(ex.due(2, 31100));

    // The same HELLO again changes nothing; a new MAC does.
    out = ex.on_hello(2, "node2", reinterpret_cast<const uint8_t*>(&h), sizeof h, "a <-> b", 1200);
    EXPECT_FALSE(out.changed);
    AdapterInfo moved = adapter(2, "node2", 8);
    moved.mac = *MacAddr::parse("02:00:5e:00:53:99");
    h = encode_hello(moved, false);
    out = ex.on_hello(2, "node2", reinterpret_cast<const uint8_t*>(&h), sizeof h, "a <-> b", 1300);
    EXPECT_TRUE(out.changed);
    EXPECT_FALSE(out.reply);
    EXPECT_EQ(ex.peer(2)->adapter.mac.str(), "02:00:5e:00:53:99");
}

TEST(EndpointExchange, IgnoresOtherClustersAndGarbage) {
    EndpointExchange ex(adapter(1, "node1"));
    AdapterInfo foreign = adapter(2, "node2");
    foreign.cluster = "other";
    wire::HelloPayload h = encode_hello(foreign, true);
    auto out = ex.on_hello(2, "node2", reinterpret_cast<const uint8_t*>(&h), sizeof h, "x", 0);
    EXPECT_FALSE(out.changed);
    EXPECT_FALSE(out.reply);
    EXPECT_FALSE(ex.peer(2) && ex.peer(2)->known);
    uint8_t junk[10] = {};
    out = ex.on_hello(2, "node2", junk, sizeof junk, "x", 0);
    EXPECT_FALSE(out.changed);
}

}  // namespace
}  // namespace ftnet
