// Live capture without a restart: the engine serves DPDK's packet capture
// framework (rte_pdump), so `dpdk-dumpcap --file-prefix=PREFIX -i PORT`
// (a DPDK secondary process) copies the frames a port receives and sends
// into a pcapng file while the engine runs. Workers pay for it only while
// a capture is on (the framework's rx/tx callbacks).
//
// It needs what a secondary process needs: hugepages (eal.no_huge = false)
// and the runtime directory (eal.in_memory = false); otherwise `capture`
// says why it is off. `ftnetctl capture` lists the ports with the names and
// ids dumpcap takes, and the command line to use.
//
// Control thread only.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "engine/core/module.h"

namespace ftnet {

class CaptureModule : public Module {
  public:
    void start(Engine& e) override;
    void stop(Engine& e) override;

  private:
    nlohmann::json cmd_capture() const;

    Engine* e_ = nullptr;
    bool serving_ = false;
    std::string why_not_;
};

}  // namespace ftnet
