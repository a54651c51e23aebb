// The cluster-wide part of this node's config, one 64-bit hash per section,
// compared by regroup before a node is let into the membership
// (engine/membership/regroup.h). Per-node settings (ports, addresses, EAL,
// sockets) are left out; what every node must agree on is in:
//   cluster     the cluster's name, UDP port and heartbeat profile
//   networks    each network's name and subnets
// (Heartbeat properties, metrics and roles may differ for a while: each
// node tunes them at run time, one after the other.)
//   nodes       every node's id and name (this node and its peers)
//   keys        the cluster keys' ids and whether payloads are encrypted
//               (never the key material)
//   membership  the witness (configured or not)
//
// Pure; control thread (start-up) or tests.
#pragma once

#include "engine/config/config.h"
#include "engine/membership/regroup.h"

namespace ftnet {

membership::Digest config_digest(const Config& cfg);

}  // namespace ftnet
