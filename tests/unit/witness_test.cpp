// The file-share witness (who holds the tie-breaking vote, and for how
// long) and the config digest that regroup compares.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine/membership/control/config_digest.h"
#include "engine/membership/control/file_witness.h"
#include "engine/membership/control/membership_config.h"

namespace ftnet {
namespace {

class Witness : public testing::Test {
  protected:
    void SetUp() override {
        dir = std::filesystem::temp_directory_path() / ("ftnet-witness-" + std::to_string(getpid()));
        std::filesystem::create_directories(dir);
        path = (dir / "witness").string();
    }
    void TearDown() override { std::filesystem::remove_all(dir); }
    std::filesystem::path dir;
    std::string path;
};

TEST_F(Witness, RecordsRoundTripAndGarbageIsRefused) {
    WitnessRecord r{3, 65539, 1764800000000};
    auto back = parse_witness(format_witness(r));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->node, 3);
    EXPECT_EQ(back->epoch, 65539u);
    EXPECT_EQ(back->expires_ms, 1764800000000u);
    EXPECT_FALSE(parse_witness("node=0 epoch=1 expires=2\n"));
    EXPECT_FALSE(parse_witness("hello"));
    EXPECT_FALSE(parse_witness("node=70000 epoch=1 expires=2\n"));
}

TEST_F(Witness, OnePartitionHoldsItUntilItsLeaseRunsOut) {
    FileWitness a(path, 3000), b(path, 3000);
    const uint64_t t = 1'000'000;
    EXPECT_TRUE(a.acquire(1, 65537, {1, 2}, t)) << "free: the first partition takes it";
    EXPECT_FALSE(b.acquire(3, 65539, {3, 4}, t + 100)) << "held by another partition and not expired";
    EXPECT_TRUE(a.acquire(2, 131074, {1, 2}, t + 1000)) << "a member of the holder's partition renews it";
    auto rec = b.read();
    ASSERT_TRUE(rec);
    EXPECT_EQ(rec->node, 2);
    EXPECT_EQ(rec->expires_ms, t + 1000 + 3000);
    EXPECT_FALSE(b.acquire(3, 65539, {3, 4}, t + 3999));
    EXPECT_TRUE(b.acquire(3, 65539, {3, 4}, t + 4000)) << "expired: the other partition takes it";
    EXPECT_FALSE(a.acquire(1, 196609, {1, 2}, t + 4001));
}

TEST_F(Witness, AGarbledFileIsReportedAndCanBeTakenOver) {
    std::ofstream(path) << "not a record";
    FileWitness w(path, 1000);
    EXPECT_FALSE(w.read());
    EXPECT_NE(w.error().find("does not hold a witness record"), std::string::npos) << w.error();
    EXPECT_TRUE(w.acquire(1, 65537, {1}, 5000));
    EXPECT_TRUE(w.read());
}

TEST_F(Witness, AnUnreachableShareIsAnErrorNotACrash) {
    FileWitness w("/nonexistent-ftnet-share/witness", 1000);
    EXPECT_FALSE(w.acquire(1, 65537, {1}, 5000));
    EXPECT_NE(w.error().find("cannot open /nonexistent-ftnet-share/witness"), std::string::npos) << w.error();
}

Config small_cluster() {
    Config c;
    c.node.id = 1;
    c.node.name = "n1";
    c.node.cluster = "lab";
    NetworkConfig n;
    n.name = "cluster";
    c.networks.push_back(n);
    PeerConfig p;
    p.id = 2;
    p.name = "n2";
    c.peers.push_back(p);
    return c;
}

TEST(ConfigDigest, NamesTheSectionsThatDifferAndIgnoresPerNodeSettings) {
    Config a = small_cluster(), b = small_cluster();
    // The same cluster seen from node 2: its own id and peers swap, its ports differ.
    b.node.id = 2;
    b.node.name = "n2";
    b.peers[0].id = 1;
    b.peers[0].name = "n1";
    b.eal.file_prefix = "other";
    EXPECT_TRUE(membership::digest_differences(config_digest(a), config_digest(b)).empty());
    // Heartbeat properties, metrics and roles are tuned per node at run
    // time (`cluster set`, `network set`, a reload): not compared.
    b.cluster.properties.same_subnet_delay_ms = 250;
    b.networks[0].metric = 5;
    b.networks[0].role = NetworkRole::ClusterAndClient;
    EXPECT_TRUE(membership::digest_differences(config_digest(a), config_digest(b)).empty());
    b.cluster.properties.profile = a.cluster.properties.profile == HeartbeatProfile::Fast ? HeartbeatProfile::Classic
                                                                                         : HeartbeatProfile::Fast;
    b.networks[0].subnets.push_back(*IpPrefix::parse("198.18.99.0/24"));
    EXPECT_EQ(membership::digest_differences(config_digest(a), config_digest(b)),
              (std::vector<std::string>{"cluster", "networks"}));
    Config c = small_cluster();
    c.section<MembershipSettings>(kMembershipSection).witness_file = "/srv/w";
    EXPECT_EQ(membership::digest_differences(config_digest(a), config_digest(c)), (std::vector<std::string>{"membership"}));
}

}  // namespace
}  // namespace ftnet
