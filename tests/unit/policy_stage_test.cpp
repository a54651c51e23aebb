// The traffic policy's stage in a real worker poll loop (net_ring ports):
// frames from ftnet0 that a deny rule hits are dropped and counted, every
// other rule's class marks the outer DSCP of the DATA messages, a class
// with a priority goes out first within the burst, and the receive side
// drops what a deny rule hits before ftnet0.

#include <gtest/gtest.h>

#include <memory>

#include "engine/core/datapath_registry.h"
#include "engine/core/worker.h"
#include "engine/policy/datapath/policy_stage.h"
#include "engine/policy/policy_table.h"
#include "tests/unit/packet_fixtures.h"
#include "tests/unit/ring_dataplane.h"

namespace ftnet::test {
namespace {

// An inner UDP frame to node 2's adapter, `tag` as the first payload byte.
Bytes udp_frame(uint16_t dport, uint8_t tag) {
    Bytes f = inner_frame(kPeer2AdapterMac, kLocalAdapterMac, 100);
    f[14 + 9] = 17;
    f[34] = 0x30, f[35] = 0x39;  // sport 12345
    f[36] = static_cast<uint8_t>(dport >> 8), f[37] = static_cast<uint8_t>(dport);
    f[38] = 0, f[39] = 100 - 34;
    f[42] = tag;
    return f;
}

PolicyRule udp_rule(const char* name, uint16_t dport, PolicyAction a, const char* cls) {
    PolicyRule r;
    r.name = name;
    r.protocol = 17;
    r.dport = {dport, dport};
    r.action = a;
    r.traffic_class = cls;
    return r;
}

class PolicyStageTest : public RingDataplaneTest {
  protected:
    void SetUp() override {
        build("pst", {{"cluster", PortRole::Physical}, {"storage", PortRole::Physical}, {"ftnet0", PortRole::Adapter}});
        registry.set_policy(policy_tx, policy_rx, "policy");
        dp->handlers = &registry;
        PolicyCompileOptions o;
        o.networks = {"cluster", "storage"};
        o.classes = {{"urgent", 46, 5, 0}, {"bulk", 10, 0, 0}};
        std::string error;
        policy.reset(compile_policy({udp_rule("bulk", 9000, PolicyAction::Class, "bulk"),
                                     udp_rule("urgent", 7000, PolicyAction::Class, "urgent"),
                                     udp_rule("no-telnet", 23, PolicyAction::Deny, "")},
                                    o, &error));
        ASSERT_TRUE(policy) << error;
        dp->policy.store(policy.get());
    }
    void TearDown() override {
        dp->policy.store(nullptr);
        RingDataplaneTest::TearDown();
    }
    DatapathRegistry registry;
    std::unique_ptr<PolicyTable, void (*)(PolicyTable*)> policy{nullptr, destroy_policy};
};

// The outer IPv6 header's DSCP, and the inner frame's tag byte.
uint8_t dscp_of(const Bytes& p) { return static_cast<uint8_t>((p[14] & 0x0f) << 2 | p[15] >> 6); }
uint8_t tag_of(const Bytes& p) { return p[54 + 8 + 22 + 42]; }

TEST_F(PolicyStageTest, ClassesMarkTheOuterDscpAndThePriorityClassGoesFirst) {
    inject(kAdapterIndex, udp_frame(9000, 1));
    inject(kAdapterIndex, udp_frame(23, 2));
    inject(kAdapterIndex, udp_frame(9000, 3));
    inject(kAdapterIndex, udp_frame(7000, 4));
    inject(kAdapterIndex, udp_frame(4444, 5));  // no rule: the tunnel's DSCP
    inject(kAdapterIndex, udp_frame(7000, 6));
    worker_poll_once(*w);
    auto out = sent(0);
    ASSERT_EQ(out.size(), 5u);
    ASSERT_EQ(out[0][12], 0x86);
    // Urgent (priority 5) first, then the rest in arrival order.
    const uint8_t order[] = {4, 6, 1, 3, 5};
    const uint8_t dscp[] = {46, 46, 10, 10, 48};
    for (size_t i = 0; i < 5; i++) {
        EXPECT_EQ(tag_of(out[i]), order[i]) << i;
        EXPECT_EQ(dscp_of(out[i]), dscp[i]) << i;
    }
    EXPECT_EQ(drops(DropReason::policy_deny_tx), 1u);
    const PolicyCounterRow& row = policy->rows[0];
    EXPECT_EQ(row.hits[0], 2u);  // bulk
    EXPECT_EQ(row.hits[1], 2u);  // urgent
    EXPECT_EQ(row.hits[2], 1u);  // no-telnet
}

TEST_F(PolicyStageTest, WithoutPrioritiesTheBurstKeepsItsOrder) {
    PolicyCompileOptions o;
    o.networks = {"cluster", "storage"};
    o.classes = {{"urgent", 46, 0, 0}};
    std::string error;
    std::unique_ptr<PolicyTable, void (*)(PolicyTable*)> flat(
        compile_policy({udp_rule("urgent", 7000, PolicyAction::Class, "urgent")}, o, &error), destroy_policy);
    ASSERT_TRUE(flat) << error;
    EXPECT_FALSE(flat->has_priorities);
    dp->policy.store(flat.get());
    for (uint8_t t = 1; t <= 4; t++) inject(kAdapterIndex, udp_frame(t % 2 ? 9000 : 7000, t));
    worker_poll_once(*w);
    auto out = sent(0);
    ASSERT_EQ(out.size(), 4u);
    for (size_t i = 0; i < 4; i++) {
        EXPECT_EQ(tag_of(out[i]), i + 1);
        EXPECT_EQ(dscp_of(out[i]), i % 2 ? 46 : 48);
    }
    dp->policy.store(policy.get());
}

}  // namespace
}  // namespace ftnet::test
