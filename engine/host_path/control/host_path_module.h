// The host path's control side: the `hosts` command, which shows each host
// interface (the kernel interface that stands for a physical port), what it
// carried each way and what it dropped.
//
// Control thread only.
#pragma once

#include <nlohmann/json.hpp>

#include "engine/core/module.h"

namespace ftnet {

class HostPathModule : public Module {
  public:
    void start(Engine& e) override;

  private:
    nlohmann::json cmd_hosts() const;
    Engine* e_ = nullptr;
};

}  // namespace ftnet
