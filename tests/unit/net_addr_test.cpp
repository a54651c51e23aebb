#include "engine/core/net_addr.h"

#include <gtest/gtest.h>

namespace ftnet {
namespace {

TEST(NetAddr, ParsesAndPrintsBothFamilies) {
    auto a = IpAddr::parse("198.18.2.1");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->family, Family::V4);
    EXPECT_EQ(a->str(), "198.18.2.1");
    auto b = IpAddr::parse("fd00:2::1");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->family, Family::V6);
    EXPECT_EQ(b->str(), "fd00:2::1");
    EXPECT_FALSE(IpAddr::parse(""));
    EXPECT_FALSE(IpAddr::parse("198.18.2"));
    EXPECT_FALSE(IpAddr::parse("198.18.2.256"));
    EXPECT_FALSE(IpAddr::parse("fd00::2::1"));
    EXPECT_FALSE(IpAddr::parse("hello"));
}

TEST(NetAddr, PrefixesContainTheirAddressesOnly) {
    auto p = IpPrefix::parse("198.18.2.77/24");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->str(), "198.18.2.0/24") << "host bits are cleared";
    EXPECT_TRUE(p->contains(*IpAddr::parse("198.18.2.200")));
    EXPECT_FALSE(p->contains(*IpAddr::parse("198.18.3.1")));
    EXPECT_FALSE(p->contains(*IpAddr::parse("fd00:2::1"))) << "other family";
    EXPECT_EQ(p->v4_mask_str(), "255.255.255.0");
    auto q = IpPrefix::parse("fd00:2::/61");
    ASSERT_TRUE(q);
    EXPECT_TRUE(q->contains(*IpAddr::parse("fd00:2:0:7::1")));
    EXPECT_FALSE(q->contains(*IpAddr::parse("fd00:2:0:8::1")));
    EXPECT_FALSE(IpPrefix::parse("198.18.2.0"));
    EXPECT_FALSE(IpPrefix::parse("198.18.2.0/33"));
    EXPECT_FALSE(IpPrefix::parse("fd00::/129"));
    EXPECT_FALSE(IpPrefix::parse("fd00::/x"));
}

TEST(NetAddr, InterfaceAddressesDefaultTheirPrefix) {
    auto a = IfAddr::parse("198.18.2.1");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->prefix_len, 24);
    EXPECT_EQ(a->subnet().str(), "198.18.2.0/24");
    auto b = IfAddr::parse("fd00:2::1/48");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->subnet().str(), "fd00:2::/48");
}

TEST(NetAddr, MacParsingAndClasses) {
    auto m = MacAddr::parse("02-00-5E-00-53-01");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->str(), "02:00:5e:00:53:01");
    EXPECT_EQ(m->windows_str(), "02-00-5E-00-53-01");
    EXPECT_FALSE(m->is_multicast());
    EXPECT_TRUE(MacAddr::parse("33:33:ff:00:00:01")->is_multicast());
    EXPECT_FALSE(MacAddr::parse("02:00:5e:00:53"));
    EXPECT_FALSE(MacAddr::parse("02:00:5e:00:53:zz"));
    EXPECT_TRUE(IpAddr::parse("169.254.1.1")->is_link_local());
    EXPECT_TRUE(IpAddr::parse("fe80::1")->is_link_local());
    EXPECT_TRUE(IpAddr::parse("ff02::1")->is_multicast());
    EXPECT_TRUE(IpAddr::parse("::")->is_unspecified());
}

}  // namespace
}  // namespace ftnet
