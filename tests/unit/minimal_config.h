// The smallest config a node loads (one null port on one network), for
// unit tests that add a section of their own to it.
#pragma once

namespace ftnet::test {

inline constexpr const char* kMinimalConfig = R"([node]
id = 1
name = "n1"
[cluster]
key = "00112233445566778899aabbccddeeff"
[[network]]
name = "cluster"
subnets = ["198.18.2.0/24"]
[[network]]
name = "storage"
subnets = ["198.18.3.0/24"]
[[port]]
name = "p"
driver = "null"
network = "cluster"
ipv4 = "198.18.2.1/24"
)";

}  // namespace ftnet::test
