// [membership]: how a partition decides whether it has quorum.
//
//   [membership]
//   witness_file = "/srv/cluster-share/ftnet.witness"  # optional tie-breaker
//   witness_lease_ms = 3000
//
// Quorum is a majority of votes: one per node of the config, plus one for
// the witness when configured, which goes to the partition holding it.
// The witness is a file on a share every node can reach (engine/membership/
// control/file_witness.h). Read on the main thread at start-up.
#pragma once

#include <cstdint>
#include <string>

namespace ftnet {

class ConfigSections;

struct MembershipSettings {
    std::string witness_file;        // empty: no witness, node majority only
    uint32_t witness_lease_ms = 3000;
};

inline constexpr const char* kMembershipSection = "membership";

void register_membership_config(ConfigSections& s);

}  // namespace ftnet
