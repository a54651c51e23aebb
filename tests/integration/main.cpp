#include <gtest/gtest.h>
#include <unistd.h>

int main(int argc, char** argv) {
    testing::InitGoogleTest(&argc, argv);
    if (geteuid() != 0) {
        // Network namespaces and DPDK need root: say so instead of failing
        // every test with an obscure error.
        std::fprintf(stderr, "integration tests need root (network namespaces, DPDK); run scripts/test.sh as root\n");
        return 1;
    }
    return RUN_ALL_TESTS();
}
