#include "drivers/port.h"

#include <fmt/format.h>
#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include <net/if.h>

#include <algorithm>

#include "drivers/rx_wakeup.h"

namespace ftnet {

namespace {

std::string dpdk_error(int rc) { return rte_strerror(rc < 0 ? -rc : rc); }

std::string device_name(const PortSpec& s) {
    switch (s.driver) {
    case PortDriver::Pci: return s.pci.size() == 7 ? "0000:" + s.pci : s.pci;
    case PortDriver::AfPacket: return "net_af_packet_" + s.name;
    case PortDriver::AfXdp: return "net_af_xdp_" + s.name;
    case PortDriver::Tap: return "net_tap_" + s.name;
    case PortDriver::VirtioUser: return "net_virtio_user_" + s.name;
    case PortDriver::Ring: return "net_ring_" + s.name;
    case PortDriver::Null: return "net_null_" + s.name;
    }
    return s.name;
}

}  // namespace

void adjust_queue_counts(PortSpec& s) {
    if (s.driver == PortDriver::AfPacket || s.driver == PortDriver::Tap || s.driver == PortDriver::VirtioUser ||
        s.driver == PortDriver::AfXdp) {
        uint16_t q = std::max(s.rx_queues, s.tx_queues);
        s.rx_queues = s.tx_queues = q;
    }
}

std::vector<std::string> port_eal_args(const PortSpec& s) {
    if (s.driver != PortDriver::Pci) return {};
    std::string a = device_name(s);
    if (!s.devargs.empty()) a += "," + s.devargs;
    return {"-a", a};
}

std::string port_vdev_string(const PortSpec& s) {
    std::string d = device_name(s);
    switch (s.driver) {
    case PortDriver::AfPacket:
        d += fmt::format(",iface={},qpairs={}", s.iface, s.rx_queues);
        // The PMD's rings (512 frames by default, whatever the queue setup
        // asks for) hold rx_desc / tx_desc frames instead: a ring that
        // overflows drops heartbeats as well as data. Two 2 KB frames per
        // 4 KB block, so an even count.
        if (s.devargs.find("framecnt") == std::string::npos)
            d += fmt::format(",framecnt={}", (std::max(s.rx_desc, s.tx_desc) + 1u) & ~1u);
        break;
    case PortDriver::AfXdp:
        d += fmt::format(",iface={},start_queue=0,queue_count={}", s.iface, s.rx_queues);
        // Preferred busy polling (the PMD's default) only pays with NAPI
        // tuned for it (napi_defer_hard_irqs, gro_flush_timeout); without,
        // it delayed frames by up to seconds here. Operators can set it.
        if (s.devargs.find("busy_budget") == std::string::npos) d += ",busy_budget=0";
        break;
    case PortDriver::Tap:
        d += fmt::format(",iface={}", s.iface);
        if (s.mac) d += ",mac=" + s.mac->str();
        break;
    case PortDriver::VirtioUser:
        // The vhost-net kernel backend: the kernel creates the TAP
        // interface `iface` and moves frames through virtqueues in batches.
        d += fmt::format(",path=/dev/vhost-net,iface={},queues={},queue_size=1024", s.iface, s.rx_queues);
        if (s.mac) d += ",mac=" + s.mac->str();
        break;
    case PortDriver::Ring:
    case PortDriver::Null:
    case PortDriver::Pci:
        break;
    }
    if (!s.devargs.empty()) d += "," + s.devargs;
    return d;
}

PortHandle probe_port(const PortSpec& s) {
    PortHandle h;
    h.device = device_name(s);
    if (s.driver != PortDriver::Pci) {
        std::string vdev = port_vdev_string(s);
        const std::set<int> before = s.driver == PortDriver::AfPacket ? open_socket_fds() : std::set<int>{};
        int rc = rte_dev_probe(vdev.c_str());
        if (rc < 0)
            throw PortError(fmt::format("port \"{}\": cannot probe {} ({}); check that the "
                                        "interface exists and that the driver is available",
                                        s.name, vdev, dpdk_error(rc)));
        // The af_packet PMD opens its queue sockets while probing.
        if (s.driver == PortDriver::AfPacket) {
            std::vector<int> fds = new_packet_ring_sockets(before, open_socket_fds(),
                                                           static_cast<int>(if_nametoindex(s.iface.c_str())));
            if (fds.size() == s.rx_queues) h.queue_sockets = std::move(fds);
        }
    }
    if (rte_eth_dev_get_port_by_name(h.device.c_str(), &h.port_id) != 0)
        throw PortError(fmt::format("port \"{}\": no ethdev named {} after probing{}", s.name,
                                    h.device,
                                    s.driver == PortDriver::Pci
                                        ? " (is the device bound to vfio-pci or uio?)"
                                        : ""));
    rte_ether_addr mac;
    if (rte_eth_macaddr_get(h.port_id, &mac) != 0)
        throw PortError(fmt::format("port \"{}\": cannot read its MAC address", s.name));
    std::copy(mac.addr_bytes, mac.addr_bytes + 6, h.mac.b.begin());
    h.socket = rte_eth_dev_socket_id(h.port_id);
    switch (s.driver) {
    case PortDriver::AfPacket:
    case PortDriver::AfXdp:
        h.link_source = LinkSource::KernelNetlink;
        h.kernel_iface = s.iface;
        break;
    case PortDriver::Ring:
    case PortDriver::Null:
        h.link_source = LinkSource::AlwaysUp;
        break;
    default: {
        rte_eth_dev_info info;
        bool lsc = rte_eth_dev_info_get(h.port_id, &info) == 0 && info.dev_flags &&
                   (*info.dev_flags & RTE_ETH_DEV_INTR_LSC);
        h.link_source = lsc ? LinkSource::LscInterrupt : LinkSource::Poll;
    }
    }
    return h;
}

void start_port(PortHandle& h, const PortSpec& s, rte_mempool* pool) {
    rte_eth_dev_info info;
    int rc = rte_eth_dev_info_get(h.port_id, &info);
    if (rc != 0) throw PortError(fmt::format("port \"{}\": cannot query the device ({})", s.name, dpdk_error(rc)));
    if (s.rx_queues > info.max_rx_queues || s.tx_queues > info.max_tx_queues)
        throw PortError(fmt::format("port \"{}\": needs {} rx and {} tx queues, the device has "
                                    "at most {} and {}",
                                    s.name, s.rx_queues, s.tx_queues, info.max_rx_queues,
                                    info.max_tx_queues));
    rte_eth_conf conf{};
    conf.rxmode.mtu = s.mtu;
    const uint64_t csum_tx = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
    // Virtual PMDs that "offload" in software (tap) gain nothing; only trust
    // real NICs with checksum offload.
    if (s.driver == PortDriver::Pci && (info.tx_offload_capa & csum_tx) == csum_tx) {
        conf.txmode.offloads |= csum_tx;
        h.tx_csum_offload = true;
    }
    if (s.driver == PortDriver::Pci) {
        const uint64_t csum_rx = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
        conf.rxmode.offloads |= info.rx_offload_capa & csum_rx;
    }
    if (s.rx_queues > 1 && info.flow_type_rss_offloads) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf =
            info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP);
    }
    if (h.link_source == LinkSource::LscInterrupt) conf.intr_conf.lsc = 1;
    if (s.rx_wakeup && s.driver == PortDriver::Tap) conf.intr_conf.rxq = 1;

    rc = rte_eth_dev_configure(h.port_id, s.rx_queues, s.tx_queues, &conf);
    if (rc != 0)
        throw PortError(fmt::format("port \"{}\": configure with {} rx / {} tx queues, MTU {} "
                                    "failed ({})",
                                    s.name, s.rx_queues, s.tx_queues, s.mtu, dpdk_error(rc)));
    uint16_t nb_rxd = s.rx_desc, nb_txd = s.tx_desc;
    rte_eth_dev_adjust_nb_rx_tx_desc(h.port_id, &nb_rxd, &nb_txd);
    unsigned sock = h.socket < 0 ? SOCKET_ID_ANY : static_cast<unsigned>(h.socket);
    // The af_xdp PMD creates each queue's XDP socket in its setup.
    std::vector<int> xsk_fds;
    for (uint16_t q = 0; q < s.rx_queues; q++) {
        const bool watch = s.driver == PortDriver::AfXdp;
        const std::set<int> before = watch ? open_socket_fds() : std::set<int>{};
        rc = rte_eth_rx_queue_setup(h.port_id, q, nb_rxd, sock, nullptr, pool);
        if (rc != 0)
            throw PortError(fmt::format("port \"{}\": rx queue {} setup failed ({})", s.name, q, dpdk_error(rc)));
        if (watch) {
            std::vector<int> fds = new_xdp_sockets(before, open_socket_fds());
            if (fds.size() == 1) xsk_fds.push_back(fds.front());
        }
    }
    if (xsk_fds.size() == s.rx_queues && s.driver == PortDriver::AfXdp) h.queue_sockets = std::move(xsk_fds);
    for (uint16_t q = 0; q < s.tx_queues; q++) {
        rte_eth_txconf txc = info.default_txconf;
        txc.offloads = conf.txmode.offloads;
        rc = rte_eth_tx_queue_setup(h.port_id, q, nb_txd, sock, &txc);
        if (rc != 0)
            throw PortError(fmt::format("port \"{}\": tx queue {} setup failed ({})", s.name, q, dpdk_error(rc)));
    }
    h.nb_rxq = s.rx_queues;
    h.nb_txq = s.tx_queues;
    // Kernel-backed PMDs follow the kernel interface's MTU; set it only when
    // it differs, and treat "not supported" as "the kernel decides".
    uint16_t cur = 0;
    if (rte_eth_dev_get_mtu(h.port_id, &cur) == 0 && cur != s.mtu) {
        rc = rte_eth_dev_set_mtu(h.port_id, s.mtu);
        if (rc != 0 && rc != -ENOTSUP)
            throw PortError(fmt::format("port \"{}\": cannot set MTU {} ({})", s.name, s.mtu, dpdk_error(rc)));
    }
    rc = rte_eth_dev_start(h.port_id);
    if (rc != 0) throw PortError(fmt::format("port \"{}\": start failed ({})", s.name, dpdk_error(rc)));
    h.started = true;
    // An idle worker waits on the queue sockets, or on the TAP's rx
    // interrupt fds (drivers/rx_wakeup.h).
    if (s.rx_wakeup && !h.queue_sockets.empty()) {
        h.rx_wake_fds = h.queue_sockets;
        h.rx_wake_kind = s.driver == PortDriver::AfXdp ? "af_xdp socket" : "af_packet socket";
    }
    if (s.rx_wakeup && s.driver == PortDriver::Tap) {
        std::vector<int> fds;
        for (uint16_t q = 0; q < s.rx_queues; q++) {
            const int fd = rte_eth_dev_rx_intr_ctl_q_get_fd(h.port_id, q);
            if (fd < 0) break;
            fds.push_back(fd);
        }
        if (fds.size() == s.rx_queues) {
            h.rx_wake_fds = std::move(fds);
            h.rx_wake_kind = "tap rx interrupt";
        }
    }
    // Physical ports must see ND multicast; tap already delivers everything.
    if (s.driver == PortDriver::Pci) rte_eth_allmulticast_enable(h.port_id);
}

void close_port(PortHandle& h) {
    if (h.started) rte_eth_dev_stop(h.port_id);
    h.started = false;
    rte_eth_dev_close(h.port_id);
}

}  // namespace ftnet
