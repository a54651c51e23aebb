// The traffic policy's stage on the workers (the DatapathRegistry's
// tx_policy and rx_policy, engine/core/datapath_registry.h): a burst from
// ftnet0 classified before route selection (deny: dropped and counted;
// steer: its preferred networks; class: counted), and a frame decapsulated
// for ftnet0 checked against the deny rules.
//
// Worker-only. Reads the worker's policy snapshot (Worker::policy), writes
// its own counter row.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

namespace ftnet {

struct Worker;

void policy_tx(Worker& w, rte_mbuf** pkts, uint16_t n, const uint8_t** steer, uint8_t* n_steer);
bool policy_rx(Worker& w, rte_mbuf* m);

}  // namespace ftnet
