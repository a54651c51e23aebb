// The security module's control side: the AEAD (chosen once at start),
// this life's epoch, the receive replay windows, the cluster keys
// published to the workers (KeyRing, RCU), `ftnetctl key list|add|use|retire`
// for a rotation without loss, and a rate-limited log line naming the
// source of refused messages (forgeries, replays, version 1 peers).
//
// Control thread only (start() on the main thread before the workers run).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/drop_reason.h"
#include "engine/core/module.h"
#include "engine/core/rcu_publish.h"
#include "engine/security/control/key_config.h"
#include "engine/security/key_ring.h"

namespace ftnet {

class SecurityModule : public Module {
  public:
    void start(Engine& e) override;
    void stop(Engine& e) override;

  private:
    // Builds a KeyRing from keys_/primary_ and publishes it.
    void publish();
    void log_refusals();
    nlohmann::json cmd_key(const nlohmann::json& args);
    nlohmann::json key_list() const;

    Engine* e_ = nullptr;
    SecurityConfig cfg_;  // the keys held now (config, then `key add|use|retire`)
    RcuPublisher<KeyRing> rings_;
    uint64_t refused_seen_[kNumDropReasons] = {};
};

}  // namespace ftnet
