// The inner flow hash (engine/tunnel/datapath/flow_hash.h) reads frames at
// any alignment and gives what rte_hash_crc gives on an aligned copy; one
// flow hashes alike, whatever else the frame carries.

#include <gtest/gtest.h>
#include <rte_hash_crc.h>

#include <cstring>
#include <vector>

#include "engine/tunnel/datapath/flow_hash.h"

namespace ftnet::test {
namespace {

TEST(FlowHash, UnalignedCrcEqualsRteHashCrcOnAnAlignedCopy) {
    alignas(8) uint8_t aligned[40];
    std::vector<uint8_t> buf(64);
    for (size_t i = 0; i < buf.size(); i++) buf[i] = static_cast<uint8_t>(i * 31 + 7);
    for (size_t off = 0; off < 8; off++)
        for (uint32_t len : {12u, 32u}) {
            std::memcpy(aligned, buf.data() + off, len);
            EXPECT_EQ(crc_unaligned(buf.data() + off, len, 0x1234), rte_hash_crc(aligned, len, 0x1234)) << off << " " << len;
        }
}

TEST(FlowHash, OneFlowHashesAlikeAndAnotherDiffers) {
    // IPv6 UDP frame: addresses at 22..53, ports at 54..57.
    std::vector<uint8_t> f(14 + 40 + 8 + 16, 0);
    f[12] = 0x86;
    f[13] = 0xdd;
    f[20] = 17;
    for (int i = 0; i < 32; i++) f[22 + i] = static_cast<uint8_t>(i);
    f[54] = 0x13;
    f[55] = 0x88;
    const uint32_t h = inner_flow_hash(f.data(), static_cast<uint32_t>(f.size()));
    f[70] ^= 0xff;  // payload
    EXPECT_EQ(inner_flow_hash(f.data(), static_cast<uint32_t>(f.size())), h);
    f[55] ^= 1;  // another source port: another flow
    EXPECT_NE(inner_flow_hash(f.data(), static_cast<uint32_t>(f.size())), h);
}

}  // namespace
}  // namespace ftnet::test
