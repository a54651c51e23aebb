// The EAL command line the engine starts DPDK with, derived from the
// config's [eal] table and its PCI ports. Pure; main thread.
#pragma once

#include <string>
#include <vector>

#include "engine/config/config.h"

namespace ftnet {

std::vector<std::string> eal_args(const Config& cfg, const std::string& argv0);

}  // namespace ftnet
