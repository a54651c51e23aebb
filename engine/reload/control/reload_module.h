// The reload module: `ftnetctl reload` and SIGHUP read the config file
// again. A file with any error changes nothing (the reply and the log name
// every key and line). A valid one is compared with the file as it was last
// applied, key by key: each changed top-level key goes to the modules that
// apply it while running (engine/core/reload_registry.h: heartbeat
// properties, network roles and metrics, cluster keys, the traffic policy),
// without stopping traffic; the others (EAL, ports, lcores, peers, ...) are
// reported as needing a restart and left as they run.
//
// Control thread only.
#pragma once

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "engine/core/module.h"

namespace ftnet {

class ReloadModule : public Module {
  public:
    void start(Engine& e) override;

    // Reads and applies the file; throws MgmtError when it has errors.
    nlohmann::json reload(const std::string& by);

  private:
    Engine* e_ = nullptr;
    toml::table applied_;  // the file as last applied, key by key
    uint64_t reloads_ = 0, refused_ = 0;
    std::string last_;
};

}  // namespace ftnet
