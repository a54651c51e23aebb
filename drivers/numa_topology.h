// NUMA placement helpers (libnuma), for choosing where pools and per-worker
// state live. Main thread only, at start-up.
#pragma once

#include <string>

namespace ftnet {

// The NUMA node of the CPUs an lcore runs on (the first CPU of its set), or
// 0 when NUMA is unavailable.
int numa_node_of_lcore(unsigned lcore_id);

// "2 NUMA nodes" / "NUMA not available", for the start-up log.
std::string numa_summary();

}  // namespace ftnet
