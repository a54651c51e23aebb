// Drivers: the kernel file descriptor that becomes readable when a port's
// rx queue has frames, so that an idle worker can wait on it (epoll)
// instead of polling or sleeping a fixed time.
//
// Where each comes from:
//   tap       the PMD's own rx interrupt (intr_conf.rxq, then
//             rte_eth_dev_rx_intr_ctl_q_get_fd): the queue's TAP fd
//   af_packet the PMD's PACKET_MMAP socket of the queue (poll() reports
//             frames waiting in its ring); DPDK 22.11's PMD has no rx
//             interrupt, so the socket is found among the process's fds:
//             the AF_PACKET sockets bound to the interface, TPACKET_V2, in
//             the order the PMD opened them (one per queue pair)
//   af_xdp    the queue's XDP socket (poll() reports a non-empty rx ring):
//             the one AF_XDP socket created by that queue's setup
//   others    none (ring, null; PCI NICs busy-poll)
// Only ever polled for readability: the PMD keeps reading and writing the
// socket as if nobody watched. Main thread only, while ports are set up.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace ftnet {

// The socket fds open in this process now (from /proc/self/fd).
std::set<int> open_socket_fds();

// Of `after` minus `before`: the AF_PACKET sockets bound to `ifindex` with a
// TPACKET_V2 ring, lowest fd first (the order the PMD opened them).
std::vector<int> new_packet_ring_sockets(const std::set<int>& before, const std::set<int>& after, int ifindex);

// Of `after` minus `before`: the AF_XDP sockets.
std::vector<int> new_xdp_sockets(const std::set<int>& before, const std::set<int>& after);

}  // namespace ftnet
