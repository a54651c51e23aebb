#include "tests/unit/test_keys.h"

#include <memory>
#include <stdexcept>

namespace ftnet::test {

const KeyRing& test_keys(bool encrypt, uint8_t primary) {
    static std::unique_ptr<KeyRing> rings[2][3];
    auto& kr = rings[encrypt][primary == 2 ? 2 : 1];
    if (!kr) {
        if (!aead_init()) throw std::runtime_error("intel-ipsec-mb cannot run here");
        kr = std::make_unique<KeyRing>();
        const uint8_t k1[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
        uint8_t k2[32];
        for (unsigned i = 0; i < 32; i++) k2[i] = static_cast<uint8_t>(0xa0 + i);
        kr->add(1, k1, sizeof k1, primary != 2);
        kr->add(2, k2, sizeof k2, primary == 2);
        kr->encrypt = encrypt;
    }
    return *kr;
}

const KeyRing& other_cluster_keys() {
    static std::unique_ptr<KeyRing> kr;
    if (!kr) {
        test_keys();  // aead_init()
        kr = std::make_unique<KeyRing>();
        const uint8_t k[16] = {9, 9, 9};
        kr->add(1, k, sizeof k, true);
    }
    return *kr;
}

uint64_t next_test_seq() {
    static uint64_t counter = 0;
    return uint64_t{1} << 48 | ++counter;
}

}  // namespace ftnet::test
