// The management module: the local socket `ftnetctl` talks to (requests
// dispatched through the engine's command registry, events streamed to
// subscribers), and the commands about the engine as a whole: `status`
// (with every module's fields), `counters`, `help`. Config: [management].
//
// Control thread only.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>

#include "engine/core/module.h"
#include "engine/management/control/mgmt_server.h"

namespace ftnet {

class ManagementModule : public Module {
  public:
    void start(Engine& e) override;
    void stop(Engine& e) override;

  private:
    nlohmann::json cmd_status() const;
    nlohmann::json cmd_counters() const;
    nlohmann::json mgmt_json() const;

    Engine* e_ = nullptr;
    std::unique_ptr<MgmtServer> server_;
};

void register_management_config(ConfigSections& s);

}  // namespace ftnet
