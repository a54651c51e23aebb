// Drivers: turn a port entry of the config into a started DPDK ethdev.
//
// One abstraction over every PMD the engine supports (PCI NICs, af_xdp,
// af_packet, tap, ring, null). Drivers know nothing of tunnels: they only
// probe, configure queues and offloads, start, and say where link state
// comes from. Main thread only, after rte_eal_init(); errors are exceptions
// (PortError) with the port's name and the DPDK reason.
#pragma once

#include <rte_mempool.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/core/net_addr.h"
#include "engine/config/config.h"

namespace ftnet {

struct PortError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Where the link state of a port can be learnt.
enum class LinkSource : uint8_t {
    KernelNetlink,  // af_packet/af_xdp: the PMD does not track carrier; watch the kernel interface
    LscInterrupt,   // the PMD raises RTE_ETH_EVENT_INTR_LSC
    Poll,           // ask rte_eth_link_get_nowait() periodically
    AlwaysUp,       // ring, null
};

struct PortSpec {
    std::string name;  // config name, also used in the DPDK device name
    PortDriver driver = PortDriver::AfPacket;
    std::string iface;    // kernel interface (af_packet, af_xdp, tap)
    std::string pci;      // PCI address (pci)
    std::string devargs;  // extra driver arguments
    std::optional<MacAddr> mac;  // tap only: the MAC the kernel interface gets
    uint16_t rx_queues = 1;
    uint16_t tx_queues = 1;
    uint16_t rx_desc = 1024;
    uint16_t tx_desc = 1024;
    uint16_t mtu = 1500;
    // Find, per rx queue, an fd that becomes readable when frames arrive
    // (drivers/rx_wakeup.h), for workers that wait instead of polling.
    bool rx_wakeup = false;
};

struct PortHandle {
    uint16_t port_id = 0;
    std::string device;  // DPDK device name
    int socket = -1;     // NUMA socket, or -1 when the device has none
    MacAddr mac;
    uint16_t nb_rxq = 0;
    uint16_t nb_txq = 0;
    bool tx_csum_offload = false;  // IPv4 header and UDP checksums by the NIC
    LinkSource link_source = LinkSource::Poll;
    std::string kernel_iface;  // for LinkSource::KernelNetlink
    // Per rx queue, the fd an idle worker may wait on (drivers/rx_wakeup.h);
    // empty when the driver offers none (or rx_wakeup was not asked for).
    // Owned by the PMD: never read or closed here.
    std::vector<int> rx_wake_fds;
    const char* rx_wake_kind = "none";  // "tap rx interrupt", "af_packet socket", "af_xdp socket"
    // af_packet, af_xdp: the PMD's socket of each queue (drivers/rx_wakeup.h),
    // for the kernel's own drop counters (drivers/socket_drops.h).
    std::vector<int> queue_sockets;
    mutable uint64_t packet_drops_read = 0;  // af_packet: PACKET_STATISTICS resets on read; the sum so far
    bool started = false;
};

// EAL arguments a PCI port needs at rte_eal_init() time ("-a", address).
std::vector<std::string> port_eal_args(const PortSpec& s);

// The device string that probes a virtual device ("net_af_packet_x,iface=...").
// Queue counts are part of it for PMDs that fix them at probe time.
std::string port_vdev_string(const PortSpec& s);

// Probes (vdev) or finds (PCI) the device; reads its MAC, socket, limits.
PortHandle probe_port(const PortSpec& s);

// Configures queues and offloads on `pool` and starts the port.
void start_port(PortHandle& h, const PortSpec& s, rte_mempool* pool);

// Stops and closes; safe on a handle that never started. Never throws.
void close_port(PortHandle& h);

// Queue counts the driver actually needs: af_packet and tap use one
// socket/fd per queue pair, so rx and tx counts must be equal.
void adjust_queue_counts(PortSpec& s);

}  // namespace ftnet
