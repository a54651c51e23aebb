// The rotation of the cluster keys a node holds (`ftnetctl key add|use|
// retire`): pure rules on SecurityConfig, so that a refused step changes
// nothing and every rule is tested without an engine.
//
//   add ID KEY   hold another key: accepted from peers at once
//   use ID       seal with a held key
//   retire ID    stop accepting a key (never the one sealing)
//
// A rotation without loss: add the new key on every node, then use it on
// every node, then retire the old one on every node (docs/wire-format.md 10.5).
// Control thread (or tests).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/security/control/key_config.h"

namespace ftnet {

// Each returns the reason it refused (s unchanged), or nullopt once done.
std::optional<std::string> key_add(SecurityConfig& s, ClusterKey k);
std::optional<std::string> key_use(SecurityConfig& s, uint8_t id);
std::optional<std::string> key_retire(SecurityConfig& s, uint8_t id);

}  // namespace ftnet
