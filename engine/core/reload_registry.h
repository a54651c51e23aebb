// What modules can change while running when the config file is read again
// (`ftnetctl reload`, SIGHUP; engine/reload/). Each reloader names the
// top-level config keys whose changes it applies and gets the running and
// the new (validated) config: it applies what differs in its part and says
// so in the report, or says what needs a restart. A changed key no
// reloader claims is reported as needing a restart and left alone.
//
// Registration: control thread, at module start. Calls: control thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/config/config.h"

namespace ftnet {

struct ReloadReport {
    std::vector<std::string> applied;  // "cluster: SameSubnetDelay 1000 -> 500"
    std::vector<std::string> restart;  // "port: ... (needs a restart)"
    std::vector<std::string> refused;  // a change that was checked and refused, with why
};

struct Reloader {
    std::string module;
    std::vector<std::string> keys;  // top-level config keys it applies
    std::function<void(const Config& next, ReloadReport& report)> apply;
};

class ReloadRegistry {
  public:
    void add(Reloader r) { reloaders_.push_back(std::move(r)); }
    const std::vector<Reloader>& all() const { return reloaders_; }

  private:
    std::vector<Reloader> reloaders_;
};

}  // namespace ftnet
