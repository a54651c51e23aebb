// The exception path on the workers: frames of a physical port that are the
// host's go to the port's host interface (a kernel TAP that stands for the
// port), and what the host sends on it leaves through the port after the
// tunnel's frames (Worker::tx_host). No locks: each worker uses its own
// queue of every port, host interfaces included.
//
// Workers only; registered as the DatapathRegistry's host path.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

namespace ftnet {

struct Worker;
struct RxResult;

// A burst the host sent on host interface `host_index`.
void host_input(Worker& w, uint16_t host_index, rte_mbuf** pkts, uint16_t n);

// A frame of physical port `port_index` for the host (RxKind::Host: consumed,
// returns true) or one the control thread gets (RxKind::Control: a copy goes
// to the host when it needs it, m is left alone, returns false). Returns
// false when the port has no host interface.
bool host_output(Worker& w, uint16_t port_index, rte_mbuf* m, const RxResult& c);

}  // namespace ftnet
