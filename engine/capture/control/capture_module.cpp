#include "engine/capture/control/capture_module.h"

#include <fmt/format.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_pdump.h>

#include "engine/cluster_log/control/cluster_log.h"
#include "engine/core/engine.h"

namespace ftnet {

using nlohmann::json;

void CaptureModule::start(Engine& e) {
    e_ = &e;
    const EalConfig& eal = e.config().eal;
    if (eal.in_memory)
        why_not_ = "eal.in_memory = true: no runtime directory for dpdk-dumpcap to attach to";
    else if (eal.no_huge)
        why_not_ = "eal.no_huge = true: a secondary process (dpdk-dumpcap) cannot share memory without hugepages";
    else if (rte_pdump_init() != 0)
        why_not_ = fmt::format("rte_pdump_init: {}", rte_strerror(rte_errno));
    else
        serving_ = true;
    if (serving_)
        clog::info("CAPTURE", "live capture on: dpdk-dumpcap --file-prefix={} -i PORT (ftnetctl capture lists the ports)",
                   eal.file_prefix);
    else
        clog::info("CAPTURE", "live capture off: {}", why_not_);
    e.commands().add({"capture", "capture", "live capture with dpdk-dumpcap: available or why not, the ports it can take",
                      {}, true, [this](const json&) { return cmd_capture(); }});
    e.add_status([this](json& out) { out["capture"] = serving_ ? "available" : "off: " + why_not_; });
}

void CaptureModule::stop(Engine&) {
    if (serving_) rte_pdump_uninit();
    serving_ = false;
}

json CaptureModule::cmd_capture() const {
    json ports = json::array();
    for (const auto& p : e_->ports()) {
        char name[RTE_ETH_NAME_MAX_LEN] = {};
        rte_eth_dev_get_name_by_port(p.handle.port_id, name);
        ports.push_back({{"port", p.spec.name}, {"dpdk_id", p.handle.port_id}, {"dpdk_name", name}});
    }
    const std::string prefix = e_->config().eal.file_prefix;
    json out = {{"available", serving_}, {"ports", ports}};
    if (serving_)
        out["command"] = fmt::format("dpdk-dumpcap --file-prefix={} -i PORT -w FILE.pcapng", prefix);
    else
        out["reason"] = why_not_;
    return out;
}

}  // namespace ftnet
