// The traffic policy module: compiles the [[policy.rule]]s (policy_table.h:
// an ACL trie and one Hyperscan database, loaded from policy.cache_file
// when the patterns did not change), publishes the table to the workers
// with RCU (Dataplane::policy) and swaps it on `policy reload` without
// stopping traffic: in-flight frames finish with the old table, which is
// freed after the grace period. A reload whose file has an error, or whose
// patterns Hyperscan refuses, changes nothing and says why.
//
// Commands: `policy` (show: every rule with its hits and bytes, every
// class; test FILE.pcap: which rule each frame of a capture would hit;
// reload). Telemetry: /ftnet/policy (rules and classes with their
// counters, as of the last second). Cluster log: every load and reload.
//
// Control thread only (the telemetry callback reads a snapshot under a
// mutex).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/core/module.h"
#include "engine/core/rcu_publish.h"
#include "engine/policy/control/policy_config.h"
#include "engine/policy/policy_table.h"

namespace ftnet {

class Engine;

class PolicyModule : public Module {
  public:
    ~PolicyModule() override;
    void start(Engine& e) override;
    void running(Engine& e) override;
    void stop(Engine& e) override;

    // The snapshot telemetry reads (any thread).
    nlohmann::json snapshot() const;

  private:
    bool load(const PolicySettings& s, std::string* error);
    nlohmann::json show() const;
    nlohmann::json test(const std::string& pcap) const;
    nlohmann::json reload();
    void refresh_snapshot();
    // What each rule and class counted in tables that are gone, by name.
    void carry_counters(const PolicyTable& old);

    Engine* e_ = nullptr;
    RcuPublisher<PolicyTable> tables_;
    PolicySettings settings_;
    uint64_t generation_ = 0;
    uint64_t reloads_ = 0, reloads_refused_ = 0;
    std::string last_error_;
    std::map<std::string, std::pair<uint64_t, uint64_t>> carried_rules_, carried_classes_;
    mutable std::mutex snapshot_mu_;
    nlohmann::json snapshot_;
};

}  // namespace ftnet
