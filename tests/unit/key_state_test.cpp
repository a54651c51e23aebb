// The key rotation rules (engine/security/control/key_set.h) and this
// node's epoch (engine/security/control/epoch_file.h): every refused step
// changes nothing, and no two starts of a node ever get the same epoch.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <vector>

#include "engine/security/control/epoch_file.h"
#include "engine/security/control/key_set.h"
#include "engine/security/key_ring.h"

namespace ftnet {
namespace {

using testing::HasSubstr;

ClusterKey key(uint8_t id, size_t len = 16) { return ClusterKey{id, std::vector<uint8_t>(len, id), "test"}; }

SecurityConfig one_key() {
    SecurityConfig s;
    s.keys.push_back(key(1));
    s.primary = 1;
    return s;
}

TEST(KeyRotation, AddUseRetireIsALosslessRotation) {
    SecurityConfig s = one_key();
    EXPECT_EQ(key_add(s, key(2, 32)), std::nullopt);
    EXPECT_EQ(s.keys.size(), 2u);
    EXPECT_EQ(s.primary, 1) << "adding accepts a key, it does not seal with it";
    EXPECT_EQ(key_use(s, 2), std::nullopt);
    EXPECT_EQ(s.primary, 2);
    EXPECT_EQ(key_retire(s, 1), std::nullopt);
    ASSERT_EQ(s.keys.size(), 1u);
    EXPECT_EQ(s.keys[0].id, 2);
}

TEST(KeyRotation, RefusedStepsSayWhyAndChangeNothing) {
    SecurityConfig s = one_key();
    const auto same = [&](const SecurityConfig& t) { return t.keys.size() == s.keys.size() && t.primary == s.primary; };
    SecurityConfig t = s;
    EXPECT_THAT(key_add(t, key(1)).value_or(""), HasSubstr("key 1 is already held; retire it first"));
    EXPECT_TRUE(same(t));
    EXPECT_THAT(key_add(t, key(0)).value_or(""), HasSubstr("out of range (1..254)"));
    EXPECT_THAT(key_add(t, key(255)).value_or(""), HasSubstr("out of range"));
    EXPECT_THAT(key_add(t, key(3, 24)).value_or(""), HasSubstr("16 or 32 bytes"));
    EXPECT_THAT(key_use(t, 9).value_or(""), HasSubstr("key 9 is not held; add it first"));
    EXPECT_THAT(key_retire(t, 1).value_or(""), HasSubstr("the one this node seals with"));
    EXPECT_THAT(key_retire(t, 7).value_or(""), HasSubstr("key 7 is not held"));
    EXPECT_TRUE(same(t));
    for (uint8_t id = 2; id <= kMaxKeys; id++) EXPECT_EQ(key_add(t, key(id)), std::nullopt);
    EXPECT_THAT(key_add(t, key(100)).value_or(""), HasSubstr("keys are held already (at most 8)"));
    EXPECT_EQ(t.keys.size(), kMaxKeys);
}

class Epoch : public testing::Test {
  protected:
    void TearDown() override { std::filesystem::remove_all(root); }
    std::string root = "/tmp/ftnet-epoch-test-" + std::to_string(getpid());
    std::string dir = root + "/state";
};

TEST_F(Epoch, EveryStartGetsANewOneThatSurvivesOnDisk) {
    EXPECT_EQ(take_epoch(dir, 4), 1);
    EXPECT_EQ(take_epoch(dir, 4), 2);
    EXPECT_EQ(take_epoch(dir, 5), 1) << "per node";
    EXPECT_EQ(take_epoch(dir, 4), 3);
    std::ifstream f(epoch_path(dir, 4));
    std::string text;
    std::getline(f, text);
    EXPECT_EQ(text, "00003");
    struct stat st;
    ASSERT_EQ(stat(epoch_path(dir, 4).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(Epoch, ConcurrentStartsOfOneNodeNeverShareAnEpoch) {
    std::vector<std::thread> ts;
    std::vector<uint16_t> got(8);
    for (size_t i = 0; i < got.size(); i++)
        ts.emplace_back([&, i] {
            for (int k = 0; k < 20; k++) got[i] = std::max(got[i], take_epoch(dir, 1));
        });
    for (auto& t : ts) t.join();
    EXPECT_EQ(take_epoch(dir, 1), 8 * 20 + 1) << "every take advanced the file exactly once";
}

TEST_F(Epoch, GarbageOrAnExhaustedCounterRefusesToStart) {
    take_epoch(dir, 1);
    std::ofstream(epoch_path(dir, 1)) << "12ab\n";
    try {
        take_epoch(dir, 1);
        FAIL() << "garbage accepted";
    } catch (const EpochError& e) {
        EXPECT_THAT(e.what(), HasSubstr("does not hold an epoch number"));
    }
    std::ofstream(epoch_path(dir, 1)) << "65535\n";
    try {
        take_epoch(dir, 1);
        FAIL() << "epoch 65536 handed out";
    } catch (const EpochError& e) {
        EXPECT_THAT(e.what(), HasSubstr("give every node a new key"));
    }
    std::ofstream(epoch_path(dir, 1)) << "65534\n";
    EXPECT_EQ(take_epoch(dir, 1), 65535) << "the last one is still usable";
}

TEST_F(Epoch, AStateDirThatCannotBeCreatedIsAClearError) {
    std::filesystem::create_directories(dir);
    const std::string file = dir + "/a-file";
    std::ofstream(file) << "x";
    try {
        take_epoch(file + "/state", 1);  // a regular file where a directory must be: refused even for root
        FAIL() << "an epoch was handed out without a place to keep it";
    } catch (const EpochError& e) {
        EXPECT_THAT(e.what(), HasSubstr("cannot create " + file));
    }
}

}  // namespace
}  // namespace ftnet
