// Initialises DPDK's EAL once for the mbuf-based unit tests: no hugepages,
// no PCI, nothing shared with other processes, one lcore.
#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace {

class EalEnvironment : public testing::Environment {
  public:
    void SetUp() override {
        // --in-memory cannot go with --no-huge; a per-process prefix and no
        // shared config keep parallel runs apart instead.
        std::string prefix = "--file-prefix=ftunit-" + std::to_string(getpid());
        std::vector<std::string> args = {"unit_dpdk_tests", "-l", "0", "--no-huge", "-m", "256", "--no-pci",
                                         "--no-shconf", prefix, "--log-level=error", "--no-telemetry"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        ASSERT_GE(rte_eal_init(static_cast<int>(argv.size()), argv.data()), 0)
            << "rte_eal_init: " << rte_strerror(rte_errno);
    }
    void TearDown() override {
        std::string dir = rte_eal_get_runtime_dir();
        rte_eal_cleanup();
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

const auto* const kEnv = testing::AddGlobalTestEnvironment(new EalEnvironment);

}  // namespace
