// What a group is on one node (engine/resources/control/local_resources.h),
// with fake ports, leases and DNS: static addresses placed and removed, an
// address of another site left unavailable without failing "ipA or ipB",
// DHCP pending until the lease, a resource that follows a static port
// failing with the reason, RegisterAllProvidersIP 0 and 1, a run-time
// setting, and DNS records left alone on a failover but removed for good.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/config/config_loader.h"
#include "engine/resources/control/local_resources.h"

namespace ftnet {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

// This node has port 0 on public's site-A subnets (198.18.1.0/24,
// fd00:1::/64) only; port 1 is a DHCP port on "dhcpnet".
class FakePlacer : public AddressPlacer {
  public:
    int port_for(const std::string& network, const std::optional<IpAddr>& a, std::string* why) const override {
        if (network == "dhcpnet") return 1;
        if (network != "public") {
            *why = "no port on " + network;
            return -1;
        }
        if (!a) return static_port_dhcp ? 0 : 0;
        if (IpPrefix::parse("198.18.1.0/24")->contains(*a) || IpPrefix::parse("fd00:1::/64")->contains(*a)) return 0;
        *why = "another site's address";
        return -1;
    }
    bool port_is_dhcp(uint16_t port) const override { return port == 1; }
    void add(uint16_t port, const IfAddr& a, uint64_t) override {
        if (fail_add) throw std::runtime_error("netlink says no");
        placed.insert(std::to_string(port) + " " + a.str());
    }
    void remove(uint16_t port, const IfAddr& a) override { placed.erase(std::to_string(port) + " " + a.str()); }
    std::set<std::string> placed;
    bool fail_add = false;
    bool static_port_dhcp = false;
};

class FakeLeases : public LeaseSource {
  public:
    uint32_t acquire(uint16_t, const std::string& client_id, Notify n) override {
        ids.push_back(client_id);
        notify[++next] = std::move(n);
        return next;
    }
    void release(uint32_t h) override {
        released.push_back(h);
        notify.erase(h);
    }
    nlohmann::json status(uint32_t) const override { return {{"state", "fake"}}; }
    std::map<uint32_t, Notify> notify;
    std::vector<std::string> ids;
    std::vector<uint32_t> released;
    uint32_t next = 0;
};

class FakeDns : public NameRegistrar {
  public:
    void set(const std::string& fqdn, const std::vector<IpAddr>& addrs, uint32_t ttl, bool) override {
        std::string s = fqdn + " " + std::to_string(ttl);
        for (auto& a : addrs) {
            s += ' ';
            s += a.str();
        }
        calls.push_back(s);
    }
    void stop(const std::string& fqdn, bool remove) override { calls.push_back(fqdn + (remove ? " removed" : " stopped")); }
    nlohmann::json status(const std::string&) const override { return {}; }
    std::vector<std::string> calls;
};

const char* kConfig = R"([node]
id = 1
name = "node1"
[cluster]
key = "00112233445566778899aabbccddeeff"
[[network]]
name = "public"
role = 3
subnets = ["198.18.1.0/24", "198.19.1.0/24", "fd00:1::/64"]
[[network]]
name = "dhcpnet"
role = 3
[[port]]
name = "public"
driver = "af_packet"
iface = "public"
network = "public"
ipv4 = "198.18.1.1/24"
[[port]]
name = "other"
driver = "af_packet"
iface = "other"
network = "dhcpnet"
ipv4 = "dhcp"
[[resource]]
name = "ipA"
type = "ip_address"
network = "public"
address = "198.18.1.50/24"
[[resource]]
name = "ipB"
type = "ip_address"
network = "public"
address = "198.19.1.50/24"
[[resource]]
name = "ipD"
type = "ip_address"
network = "public"
address = "dhcp"
[[resource]]
name = "ipF"
type = "ip_address"
network = "dhcpnet"
[[resource]]
name = "ipS"
type = "ip_address"
network = "public"
[[resource]]
name = "web0"
type = "network_name"
dns_name = "web0.ftlab.example"
depends = "ipA or ipB"
HostRecordTTL = 60
[[resource]]
name = "web1"
type = "network_name"
dns_name = "web1.ftlab.example"
depends = "ipA or ipB"
RegisterAllProvidersIP = 1
[[resource]]
name = "both"
type = "network_name"
dns_name = "both.ftlab.example"
depends = "ipA and ipB"
[[group]]
name = "web"
resources = ["ipA", "ipB", "web0", "web1", "both"]
[[group]]
name = "leased"
resources = ["ipD", "ipF"]
[[group]]
name = "follows"
resources = ["ipS"]
)";

class LocalResourcesTest : public testing::Test {
  protected:
    LocalResourcesTest() {
        ConfigResult r = load_config_string(kConfig, "t.toml");
        std::string errs;
        for (auto& e : r.errors) errs += e.str() + "\n";
        if (!r.config) ADD_FAILURE() << errs;
        cfg = std::move(*r.config);
        settings = cfg.find_section<ResourcesSettings>(kResourcesSection);
        local = std::make_unique<LocalResources>(*settings, placer, &leases, &dns, "ftlab");
    }
    std::string state(const std::string& g, const std::string& res) {
        return local->group_status(g)["resources"][res]["state"].get<std::string>();
    }

    Config cfg;
    const ResourcesSettings* settings = nullptr;
    FakePlacer placer;
    FakeLeases leases;
    FakeDns dns;
    std::unique_ptr<LocalResources> local;
};

TEST_F(LocalResourcesTest, ASiteAOwnerHasIpAOnlineIpBUnavailableAndTheOrNameOnline) {
    EXPECT_TRUE(local->set_group("web", true, false, 0));
    EXPECT_THAT(placer.placed, ElementsAre("0 198.18.1.50/24"));
    EXPECT_EQ(state("web", "ipA"), "online");
    EXPECT_EQ(state("web", "ipB"), "unavailable");
    EXPECT_THAT(local->group_status("web")["resources"]["ipB"]["reason"].get<std::string>(), HasSubstr("another site"));
    EXPECT_EQ(state("web", "web0"), "online") << "ipA or ipB holds with ipA alone";
    EXPECT_EQ(state("web", "both"), "failed") << "ipA and ipB does not";
    EXPECT_THAT(local->group_status("web")["resources"]["both"]["reason"].get<std::string>(), HasSubstr("ipA and ipB"));
    EXPECT_EQ(local->group_phase("web"), ResourcePhase::Failed);
    // RegisterAllProvidersIP: 0 the online address, 1 every address it depends on.
    EXPECT_THAT(dns.calls, UnorderedElementsAre("web0.ftlab.example 60 198.18.1.50",
                                                "web1.ftlab.example 1200 198.18.1.50 198.19.1.50"));
    EXPECT_TRUE(local->holds("web"));

    // A failover or a loss of quorum: offline, DNS left for the next owner.
    dns.calls.clear();
    local->set_group("web", false, false, 0);
    EXPECT_TRUE(placer.placed.empty());
    EXPECT_THAT(dns.calls, UnorderedElementsAre("web0.ftlab.example stopped", "web1.ftlab.example stopped",
                                                "both.ftlab.example stopped"));
    EXPECT_FALSE(local->holds("web"));
    EXPECT_EQ(state("web", "ipA"), "offline");
    // Online again, then offline for good: DNS records removed.
    local->set_group("web", true, false, 0);
    dns.calls.clear();
    local->set_group("web", false, true, 0);
    // Every name of the group, also one that never came online here: its
    // records may be an earlier owner's.
    EXPECT_THAT(dns.calls, UnorderedElementsAre("web0.ftlab.example removed", "web1.ftlab.example removed",
                                                "both.ftlab.example removed"));
}

TEST_F(LocalResourcesTest, DhcpResourcesArePendingUntilTheLeaseAndReleasedWhenOffline) {
    local->set_group("leased", true, false, 0);
    EXPECT_THAT(leases.ids, ElementsAre("ftnet/ftlab/ipD", "ftnet/ftlab/ipF")) << "the resource's own, on every node";
    EXPECT_EQ(state("leased", "ipD"), "pending");
    EXPECT_EQ(local->group_phase("leased"), ResourcePhase::Pending);
    leases.notify[1](LeaseInfo{*IfAddr::parse("198.18.1.117/24"), *IpAddr::parse("198.18.1.99"), std::nullopt, 120, {}}, "");
    EXPECT_TRUE(local->take_changed());
    EXPECT_EQ(state("leased", "ipD"), "online");
    EXPECT_THAT(placer.placed, ElementsAre("0 198.18.1.117/24"));
    // A new lease with another address replaces it; a lost one removes it.
    leases.notify[1](LeaseInfo{*IfAddr::parse("198.18.1.120/24"), *IpAddr::parse("198.18.1.99"), std::nullopt, 120, {}}, "");
    EXPECT_THAT(placer.placed, ElementsAre("0 198.18.1.120/24"));
    leases.notify[1](std::nullopt, "the lease expired");
    EXPECT_TRUE(placer.placed.empty());
    EXPECT_EQ(state("leased", "ipD"), "pending");
    EXPECT_EQ(local->group_status("leased")["resources"]["ipD"]["reason"], "the lease expired");
    local->set_group("leased", false, false, 0);
    EXPECT_THAT(leases.released, ElementsAre(1u, 2u));
}

TEST_F(LocalResourcesTest, AResourceFollowingAStaticPortFailsWithTheReason) {
    local->set_group("follows", true, false, 0);
    EXPECT_EQ(state("follows", "ipS"), "failed");
    EXPECT_THAT(local->group_status("follows")["resources"]["ipS"]["reason"].get<std::string>(),
                HasSubstr("whose address on this node is static"));
    EXPECT_TRUE(leases.ids.empty());
}

TEST_F(LocalResourcesTest, ARunTimeSettingRestartsAnOnlineResourceAndAPlacementErrorIsAFailure) {
    local->set_group("web", true, false, 0);
    IpAddressSpec spec = *local->spec("ipA");
    spec.address = *IfAddr::parse("198.18.1.60/24");
    local->apply_setting("ipA", spec, 0);
    EXPECT_THAT(placer.placed, ElementsAre("0 198.18.1.60/24"));
    EXPECT_EQ(local->group_status("web")["resources"]["ipA"]["setting"], "198.18.1.60/24");
    placer.fail_add = true;
    spec.address = *IfAddr::parse("198.18.1.61/24");
    local->apply_setting("ipA", spec, 0);
    EXPECT_EQ(state("web", "ipA"), "failed");
    EXPECT_EQ(local->group_status("web")["resources"]["ipA"]["reason"], "netlink says no");
    EXPECT_TRUE(placer.placed.empty());
}

}  // namespace
}  // namespace ftnet
