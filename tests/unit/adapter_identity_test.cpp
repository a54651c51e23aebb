// The virtual adapter's MAC, APIPA and link-local derivation
// (engine/core/adapter_identity.h).
#include "engine/core/adapter_identity.h"

#include <gtest/gtest.h>

#include <set>

namespace ftnet {
namespace {

TEST(AdapterIdentity, MacIsThePortMacWithTheLocalBitSet) {
    EXPECT_EQ(derive_adapter_mac(*MacAddr::parse("00:00:5e:00:53:11")).str(), "02:00:5e:00:53:11");
    EXPECT_EQ(derive_adapter_mac(*MacAddr::parse("52:54:00:12:34:56")).str(), "52:54:00:12:34:56")
        << "already locally administered";
    EXPECT_EQ(derive_adapter_mac(*MacAddr::parse("01:00:5e:00:00:01")).str(), "02:00:5e:00:00:01")
        << "never a group address";
}

TEST(AdapterIdentity, ApipaAndLinkLocalFollowTheNodeId) {
    EXPECT_EQ(derive_apipa(1).str(), "169.254.1.1");
    EXPECT_EQ(derive_apipa(2).str(), "169.254.1.2");
    EXPECT_EQ(derive_apipa(254).str(), "169.254.1.254");
    EXPECT_EQ(derive_apipa(255).str(), "169.254.2.1");
    EXPECT_EQ(derive_link_local(1).str(), "fe80::a9fe:1:1");
    EXPECT_EQ(derive_link_local(255).str(), "fe80::a9fe:2:1");
}

TEST(AdapterIdentity, EveryNodeIdGetsItsOwnUsableAddresses) {
    std::set<std::string> v4, v6;
    for (unsigned id = 1; id <= kMaxNodeId; id++) {
        IpAddr a = derive_apipa(static_cast<uint16_t>(id));
        ASSERT_TRUE(a.is_link_local());
        // RFC 3927 2.1: the first and last 256 addresses are reserved.
        ASSERT_NE(a.b[2], 0);
        ASSERT_NE(a.b[2], 255);
        ASSERT_NE(a.b[3], 0) << id;
        ASSERT_NE(a.b[3], 255) << id;
        ASSERT_TRUE(v4.insert(a.str()).second) << "APIPA collision at node " << id;
        ASSERT_TRUE(v6.insert(derive_link_local(static_cast<uint16_t>(id)).str()).second);
    }
}

TEST(AdapterIdentity, SameNodeSameAddressesAcrossRestarts) {
    EXPECT_EQ(derive_apipa(42), derive_apipa(42));
    EXPECT_EQ(derive_link_local(42), derive_link_local(42));
}

}  // namespace
}  // namespace ftnet
