// The traffic policy's stage on the workers (the DatapathRegistry's
// tx_policy and rx_policy, engine/core/datapath_registry.h): a burst from
// ftnet0 classified before route selection (deny: dropped and counted;
// steer: its preferred networks; every rule: its class's outer DSCP and
// counters, and the burst reordered by class priority when a class has
// one), and a frame decapsulated for ftnet0 checked against the deny rules.
//
// Worker-only. Reads the worker's policy snapshot (Worker::policy), writes
// its own counter row.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "engine/core/datapath_registry.h"

namespace ftnet {

struct Worker;

void policy_tx(Worker& w, rte_mbuf** pkts, uint16_t n, TxDecision* d);
bool policy_rx(Worker& w, rte_mbuf* m);

}  // namespace ftnet
