// Initialises DPDK's EAL once for the mbuf-based unit tests.
#include <gtest/gtest.h>

#include "tests/unit/test_eal.h"

namespace {

class EalEnvironment : public testing::Environment {
  public:
    void SetUp() override { ftnet::test::start_eal("ftunit", "0", 256); }
    void TearDown() override { ftnet::test::stop_eal(); }
};

const auto* const kEnv = testing::AddGlobalTestEnvironment(new EalEnvironment);

}  // namespace
