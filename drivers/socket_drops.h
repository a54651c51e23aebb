// Drivers: frames the kernel dropped before a PMD could read them, because
// the queue's ring was full (the engine did not keep up). The af_packet
// PMD of DPDK 22.11 never reads these counters and the af_xdp PMD reads
// only part of them, so without this they are silent loss.
//
//   af_packet  PACKET_STATISTICS tp_drops of each queue socket (reset by
//              every read, so the handle keeps the sum)
//   af_xdp     XDP_STATISTICS rx_ring_full of each queue socket
//   others     0 (NICs count theirs in rte_eth_stats imissed)
//
// Control thread only (it owns the PortHandle after start).
#pragma once

#include <cstdint>

#include "drivers/port.h"

namespace ftnet {

uint64_t socket_rx_ring_drops(const PortHandle& h, PortDriver driver);

}  // namespace ftnet
