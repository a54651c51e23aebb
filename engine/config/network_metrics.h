// Automatic network metrics, as the classic cluster assigns them to the
// networks whose metric the operator did not set: those where no port has
// a default gateway (private interconnects) rank before those with one
// (client networks), and within each kind cluster-only (role 1) before
// cluster and client (role 3), then config order. Automatic metrics are
//   kAutoNoGateway + 100 * k   or   kAutoGateway + 100 * k
// (k counts the automatic networks of that kind), so an operator's metric
// below 1000 always wins and one between them slots in.
//
// Pure; config loading and the control thread (`network set`).
#pragma once

#include <cstdint>

#include "engine/config/config.h"

namespace ftnet {

constexpr uint32_t kAutoMetricNoGateway = 1000;
constexpr uint32_t kAutoMetricGateway = 10000;

// Whether any port on the network has a default gateway (IPv4 or IPv6).
bool network_has_gateway(const Config& c, const std::string& network);

// "none", "cluster", "cluster-and-client".
const char* network_role_name(NetworkRole r);

// Sets the metric of every network with metric_auto.
void assign_auto_metrics(Config& c);

}  // namespace ftnet
