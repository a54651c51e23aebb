#include "drivers/numa_topology.h"

#include <fmt/format.h>
#include <numa.h>
#include <rte_lcore.h>

namespace ftnet {

int numa_node_of_lcore(unsigned lcore_id) {
    if (numa_available() < 0) return 0;
    rte_cpuset_t set = rte_lcore_cpuset(lcore_id);
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &set)) {
            int node = numa_node_of_cpu(cpu);
            return node < 0 ? 0 : node;
        }
    return 0;
}

std::string numa_summary() {
    if (numa_available() < 0) return "NUMA not available";
    int n = numa_num_configured_nodes();
    return fmt::format("{} NUMA node{}, {} CPUs", n, n == 1 ? "" : "s", numa_num_configured_cpus());
}

}  // namespace ftnet
