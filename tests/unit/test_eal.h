// DPDK's EAL for test and bench processes: no hugepages, no PCI, a file
// prefix of their own (so runs never meet), and no runtime directory left
// behind. Main thread only.
#pragma once

#include <string>

namespace ftnet::test {

// Exits the process with a message when the EAL cannot start.
void start_eal(const std::string& program, const std::string& lcores, unsigned memory_mb);
void stop_eal();

}  // namespace ftnet::test
