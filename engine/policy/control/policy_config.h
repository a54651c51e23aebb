// [policy] and [[policy.rule]]: the traffic policy (config/schema.md,
// "[policy]"). Every pattern is compiled by Hyperscan while the file is
// checked, so a bad one is refused with the rule's name, its line and
// Hyperscan's message, by `ftnetd --check-config` too.
//
// Main thread (config load); `ftnetctl policy reload` reads the same file
// through the same reader on the control thread.
#pragma once

#include <string>
#include <vector>

#include "engine/policy/policy_rule.h"

namespace ftnet {

class ConfigSections;
struct Config;

struct PolicySettings {
    std::vector<PolicyRule> rules;
    std::vector<PolicyClass> classes;  // [[policy.class]]
    std::string cache_file;  // the compiled database, serialized ("" none)
};

inline constexpr const char* kPolicySection = "policy";

void register_policy_config(ConfigSections& s);

// The policy of the config file at `path` (for a reload): the settings, or
// the errors (file:line: key: message) when the file cannot be used.
bool read_policy_file(const std::string& path, PolicySettings& out, std::string* errors);

}  // namespace ftnet
