#include "tests/unit/test_eal.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

namespace ftnet::test {

void start_eal(const std::string& program, const std::string& lcores, unsigned memory_mb) {
    // --in-memory cannot go with --no-huge: a per-process prefix and no
    // shared config keep parallel runs apart instead.
    std::vector<std::string> args = {program, "-l", lcores, "--no-huge", "-m", std::to_string(memory_mb), "--no-pci",
                                     "--no-shconf", "--file-prefix=" + program + "-" + std::to_string(getpid()),
                                     "--log-level=error", "--no-telemetry"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) {
        std::fprintf(stderr, "%s: rte_eal_init: %s\n", program.c_str(), rte_strerror(rte_errno));
        std::exit(1);
    }
}

void stop_eal() {
    std::string dir = rte_eal_get_runtime_dir();
    rte_eal_cleanup();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}

}  // namespace ftnet::test
