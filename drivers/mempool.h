// NUMA-local packet buffer pools.
//
// One pool per NUMA socket that has ports or workers, so that every buffer a
// worker touches lives on its own socket. Main thread only, at start-up.
#pragma once

#include <rte_mempool.h>

#include <cstdint>
#include <string>

namespace ftnet {

// Mbuf data room for frames up to max_frame bytes in one segment, with the
// headroom that encapsulation prepends into.
uint16_t mbuf_data_room(unsigned max_frame);

// Returns the pool for `socket` (creating it on first use). Throws PortError.
rte_mempool* pool_for_socket(int socket, unsigned n_mbufs, uint16_t data_room);

// A pool of its own for one port: AF_XDP registers a pool's memory as the
// socket's UMEM, which several sockets cannot share without shared_umem.
rte_mempool* pool_for_port(const std::string& port, int socket, unsigned n_mbufs, uint16_t data_room);

// Frees a port's own pool (after the port is closed: an adapter path that
// failed and was replaced).
void free_port_pool(const std::string& port);

// Frees every pool created here. Call after all ports are closed.
void free_pools();

}  // namespace ftnet
