#include "drivers/mempool.h"

#include <fmt/format.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <map>

#include "drivers/port.h"

namespace ftnet {

namespace {
std::map<int, rte_mempool*>& pools() {
    static std::map<int, rte_mempool*> p;
    return p;
}
std::map<std::string, rte_mempool*>& port_pools() {
    static std::map<std::string, rte_mempool*> p;
    return p;
}
}  // namespace

uint16_t mbuf_data_room(unsigned max_frame) {
    unsigned room = RTE_PKTMBUF_HEADROOM + std::max(2048u, max_frame + 4);
    return static_cast<uint16_t>(std::min(room, 65535u));
}

rte_mempool* pool_for_socket(int socket, unsigned n_mbufs, uint16_t data_room) {
    auto it = pools().find(socket);
    if (it != pools().end()) return it->second;
    std::string name = fmt::format("ftnet_mbufs_s{}", socket < 0 ? 0 : socket);
    rte_mempool* p = rte_pktmbuf_pool_create(name.c_str(), n_mbufs, 256, 0, data_room,
                                             socket < 0 ? SOCKET_ID_ANY : socket);
    if (!p)
        throw PortError(fmt::format("cannot create {} mbufs of {} bytes on NUMA socket {} ({}); "
                                    "raise eal.memory_mb or lower dataplane.mbufs",
                                    n_mbufs, data_room, socket, rte_strerror(rte_errno)));
    pools()[socket] = p;
    return p;
}

rte_mempool* pool_for_port(const std::string& port, int socket, unsigned n_mbufs, uint16_t data_room) {
    auto it = port_pools().find(port);
    if (it != port_pools().end()) return it->second;
    std::string name = fmt::format("ftnet_mbufs_{}", port).substr(0, 25);
    rte_mempool* p = rte_pktmbuf_pool_create(name.c_str(), n_mbufs, 256, 0, data_room, socket < 0 ? SOCKET_ID_ANY : socket);
    if (!p)
        throw PortError(fmt::format("port \"{}\": cannot create {} mbufs of {} bytes on NUMA socket {} ({}); raise "
                                    "eal.memory_mb or lower dataplane.mbufs",
                                    port, n_mbufs, data_room, socket, rte_strerror(rte_errno)));
    port_pools()[port] = p;
    return p;
}

void free_port_pool(const std::string& port) {
    auto it = port_pools().find(port);
    if (it == port_pools().end()) return;
    rte_mempool_free(it->second);
    port_pools().erase(it);
}

void free_pools() {
    for (auto& [s, p] : pools()) rte_mempool_free(p);
    pools().clear();
    for (auto& [n, p] : port_pools()) rte_mempool_free(p);
    port_pools().clear();
}

}  // namespace ftnet
