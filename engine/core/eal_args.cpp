#include "engine/core/eal_args.h"

#include <fmt/format.h>

#include "drivers/port.h"

namespace ftnet {

std::vector<std::string> eal_args(const Config& cfg, const std::string& argv0) {
    const EalConfig& e = cfg.eal;
    std::vector<std::string> a = {argv0, "--lcores", e.lcores, "--main-lcore",
                                  std::to_string(e.main_lcore), "-m", std::to_string(e.memory_mb)};
    if (e.no_huge) a.push_back("--no-huge");
    if (e.in_memory)
        a.push_back("--in-memory");
    else
        a.push_back("--file-prefix=" + e.file_prefix);
    a.push_back("--log-level=" + e.log_level);
    bool any_pci = false;
    for (const PortConfig& p : cfg.ports) {
        if (p.driver != PortDriver::Pci) continue;
        any_pci = true;
        PortSpec s;
        s.name = p.name;
        s.driver = p.driver;
        s.pci = p.pci;
        s.devargs = p.devargs;
        for (auto& x : port_eal_args(s)) a.push_back(x);
    }
    // Virtual ports are probed after start-up (drivers/port.cpp) so that each
    // failure names its port; without PCI ports, skip the PCI bus scan.
    if (!any_pci) a.push_back("--no-pci");
    for (auto& x : e.extra_args) a.push_back(x);
    return a;
}

}  // namespace ftnet
