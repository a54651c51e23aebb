// The engine's life cycle: EAL, ports, NUMA-local pools, ftnet0, the shared
// dataplane state, the workers and the modules; the control loop; shutdown.

#include <fmt/format.h>
#include <rte_eal.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <random>

#include "drivers/mempool.h"
#include "drivers/numa_topology.h"
#include "engine/cluster_log/control/cluster_log.h"
#include "engine/core/adapter_identity.h"
#include "engine/core/eal_args.h"
#include "engine/core/kernel_netlink.h"
#include "engine/core/engine.h"
#include "engine/core/idle_wait.h"
#include "engine/core/mono_clock.h"
#include "engine/tunnel/ftnet_wire.h"

namespace ftnet {

namespace {

// Workers that back off when idle wait for traffic where the ports say so.
bool wants_rx_wakeup(const DataplaneConfig& d) { return d.idle_sleep_max_us > 0 && d.idle_wakeup; }

}  // namespace

Engine::Engine(Config cfg) : cfg_(std::move(cfg)) {}

Engine::~Engine() { shutdown(); }

void Engine::start(const std::string& argv0) {
    start_ms_ = mono_ms();
    do boot_id_ = std::random_device{}();
    while (boot_id_ == 0);  // 0 means "no peer seen yet" in the heartbeat state
    try {
        init_eal(argv0);
        init_ports();
        init_adapter();
        init_host_interfaces();
        init_dataplane();
        init_workers();
        init_modules();
        launch_workers();
    } catch (...) {
        shutdown();
        throw;
    }
}

void Engine::init_eal(const std::string& argv0) {
    // Signals are taken through a signalfd by the control thread; block them
    // before EAL creates its threads so that every thread inherits the mask.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_IGN);
    signal_fd_ = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);

    std::vector<std::string> args = eal_args(cfg_, argv0);
    clog::info("ENGINE", "starting ftnetd for node {} (id {}) of cluster {}: EAL {}", cfg_.node.name,
               cfg_.node.id, cfg_.node.cluster, fmt::join(args.begin() + 1, args.end(), " "));
    std::vector<char*> argv;
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    int rc = rte_eal_init(static_cast<int>(args.size()), argv.data());
    if (rc < 0)
        throw EngineError(fmt::format("DPDK EAL initialisation failed: {} (EAL arguments: {})",
                                      rte_strerror(rte_errno), fmt::join(args.begin() + 1, args.end(), " ")));
    eal_ready_ = true;
    for (unsigned w : cfg_.dataplane.workers)
        if (!rte_lcore_is_enabled(w))
            throw EngineError(fmt::format("dataplane.workers: lcore {} is not enabled by eal.lcores \"{}\"",
                                          w, cfg_.eal.lcores));
    clog::info("ENGINE", "{}; main lcore {}, workers on lcores {}", numa_summary(), rte_get_main_lcore(),
               fmt::join(cfg_.dataplane.workers, ","));
}

void Engine::init_ports() {
    const uint16_t n_workers = static_cast<uint16_t>(cfg_.dataplane.workers.size());
    const int worker_node = numa_node_of_lcore(cfg_.dataplane.workers.front());
    // One segment per frame, whatever the MTUs: classification and
    // encapsulation never have to walk a chain.
    // Largest frame: an inner frame of adapter.mtu in the worst-case outer
    // headers, or a port's own MTU-sized frame.
    unsigned max_frame = RTE_ETHER_HDR_LEN + static_cast<unsigned>(wire::kMaxOverhead) + RTE_ETHER_HDR_LEN + cfg_.adapter.mtu;
    for (auto& p : cfg_.ports) max_frame = std::max(max_frame, p.mtu + RTE_ETHER_HDR_LEN);
    data_room_ = mbuf_data_room(max_frame);

    for (size_t i = 0; i < cfg_.ports.size(); i++) {
        const PortConfig& pc = cfg_.ports[i];
        PortRuntime pr;
        pr.cfg_index = static_cast<int>(i);
        pr.spec.name = pc.name;
        pr.spec.driver = pc.driver;
        pr.spec.iface = pc.iface;
        pr.spec.pci = pc.pci;
        pr.spec.devargs = pc.devargs;
        pr.spec.rx_queues = static_cast<uint16_t>(pc.rx_queues);
        pr.spec.tx_queues = n_workers;
        pr.spec.rx_desc = static_cast<uint16_t>(pc.rx_desc);
        pr.spec.tx_desc = static_cast<uint16_t>(pc.tx_desc);
        pr.spec.mtu = static_cast<uint16_t>(pc.mtu);
        pr.spec.rx_wakeup = wants_rx_wakeup(cfg_.dataplane);
        adjust_queue_counts(pr.spec);
        ports_.push_back(pr);
        PortRuntime& p = ports_.back();
        p.handle = probe_port(p.spec);
        p.probed = true;
        if (p.handle.socket < 0) p.handle.socket = worker_node;
        rte_mempool* pool = pc.driver == PortDriver::AfXdp
                                ? pool_for_port(pc.name, p.handle.socket, cfg_.dataplane.mbufs, data_room_)
                                : pool_for_socket(p.handle.socket, cfg_.dataplane.mbufs, data_room_);
        start_port(p.handle, p.spec, pool);
        clog::info("PORT", "port {} ({} {}) started: MAC {}, {} rx / {} tx queues, MTU {}, NUMA socket {}{}",
                   pc.name, port_driver_name(pc.driver), p.handle.device, p.handle.mac.str(), p.handle.nb_rxq,
                   p.handle.nb_txq, pc.mtu, p.handle.socket, p.handle.tx_csum_offload ? ", checksum offload" : "");
    }
}

void Engine::init_adapter() {
    if (!cfg_.adapter.driver_auto || cfg_.adapter.driver == PortDriver::Tap) {
        open_adapter(cfg_.adapter.driver);
        return;
    }
    // Auto: the fastest path measured (bench/README.md, system bench),
    // where the kernel and the PMD allow it; the TAP PMD works everywhere.
    try {
        open_adapter(cfg_.adapter.driver);
    } catch (const std::exception& e) {
        clog::warn("FTNET", "adapter.driver auto: af_xdp cannot drive {} ({}); using tap", cfg_.adapter.name, e.what());
        close_adapter();
        open_adapter(PortDriver::Tap);
    }
}

void Engine::remove_adapter_veth() {
    if (!adapter_veth_) return;
    try {
        netlink::delete_link(cfg_.adapter.name);  // both ends
    } catch (const std::exception& e) {
        clog::warn("FTNET", "{}", e.what());
    }
    adapter_veth_ = false;
}

void Engine::close_adapter() {
    if (ports_.empty() || ports_.back().cfg_index != -1) return;  // ftnet0 was never added
    PortRuntime& p = ports_.back();
    if (p.probed) close_port(p.handle);
    free_port_pool(p.spec.name);
    ports_.pop_back();
    adapter_index_ = ports_.size();
    remove_adapter_veth();
    adapter_ifindex_ = 0;
}

void Engine::open_adapter(PortDriver drv) {
    const uint16_t n_workers = static_cast<uint16_t>(cfg_.dataplane.workers.size());
    // The first enumerated physical port gives the adapter its MAC.
    adapter_.mac = derive_adapter_mac(ports_.front().handle.mac);
    adapter_.apipa = derive_apipa(cfg_.node.id);
    adapter_.link_local = derive_link_local(cfg_.node.id);
    adapter_.mtu = static_cast<uint16_t>(cfg_.adapter.mtu);
    adapter_.boot_id = boot_id_;
    adapter_.node_name = cfg_.node.name;
    adapter_.cluster = cfg_.node.cluster;

    PortRuntime pr;
    pr.spec.name = cfg_.adapter.name;
    pr.spec.driver = drv;
    pr.spec.iface = cfg_.adapter.name;
    pr.spec.mac = adapter_.mac;
    uint16_t q = static_cast<uint16_t>(cfg_.adapter.queues ? cfg_.adapter.queues : n_workers);
    pr.spec.rx_queues = q;
    pr.spec.tx_queues = std::max(q, n_workers);
    pr.spec.mtu = static_cast<uint16_t>(cfg_.adapter.mtu);
    pr.spec.rx_wakeup = wants_rx_wakeup(cfg_.dataplane);
    adjust_queue_counts(pr.spec);
    ports_.push_back(pr);
    adapter_index_ = ports_.size() - 1;
    PortRuntime& p = ports_.back();
    const std::string& name = cfg_.adapter.name;
    const bool veth = drv == PortDriver::AfPacket || drv == PortDriver::AfXdp;
    if (veth) {
        // ftnet0 is one end of a veth pair; the engine drives the other
        // (NAME-dp) with af_packet or af_xdp: batched rings, no syscall per
        // frame. A pair left by an ftnetd that was killed is ours to remove.
        const std::string peer = name + "-dp";
        p.spec.iface = peer;
        if (netlink::ifindex(name) != 0 && netlink::ifindex(peer) != 0) {
            clog::warn("FTNET", "removing {} / {} left by an earlier ftnetd", name, peer);
            netlink::delete_link(name);
        }
        if (netlink::ifindex(name) != 0 || netlink::ifindex(peer) != 0)
            throw EngineError(fmt::format("adapter.name: interface {} or {} already exists (another ftnetd?); remove it "
                                          "or choose another name",
                                          name, peer));
        netlink::create_veth(name, peer);
        adapter_veth_ = true;
        const int host = netlink::ifindex(name), engine = netlink::ifindex(peer);
        // Before the interfaces come up, so the kernel never adds EUI-64
        // link-local addresses of its own (the engine's end has none).
        netlink::set_ipv6_addr_gen_none(host);
        netlink::set_ipv6_addr_gen_none(engine);
        netlink::set_mac(host, adapter_.mac);
        // The engine carries what the host sends as it is: complete,
        // checksummed, MTU-sized frames (a TAP's frames are; a veth's
        // would otherwise be TSO super-frames with partial checksums).
        netlink::disable_tx_offloads(name);
        netlink::set_mtu(host, cfg_.adapter.mtu);
        netlink::set_mtu(engine, cfg_.adapter.mtu);
        netlink::set_up(engine);
        netlink::set_up(host);
    } else if (drv == PortDriver::VirtioUser && access("/dev/vhost-net", R_OK | W_OK) != 0) {
        throw EngineError("adapter.driver virtio_user needs /dev/vhost-net (the vhost-net kernel backend: modprobe "
                          "vhost_net); this kernel has none");
    } else if ((drv == PortDriver::Tap || drv == PortDriver::VirtioUser) && netlink::ifindex(name) != 0) {
        throw EngineError(fmt::format("adapter.name: interface {} already exists (another ftnetd, or a "
                                      "leftover?); remove it or choose another name",
                                      name));
    }
    p.handle = probe_port(p.spec);
    p.probed = true;
    if (p.handle.socket < 0) p.handle.socket = numa_node_of_lcore(cfg_.dataplane.workers.front());
    if (drv == PortDriver::Tap) {
        adapter_ifindex_ = netlink::ifindex(cfg_.adapter.name);
        if (adapter_ifindex_ == 0)
            throw EngineError(fmt::format("the TAP PMD did not create {}", cfg_.adapter.name));
        // Before the interface comes up, so the kernel never adds an EUI-64
        // link-local address of its own.
        netlink::set_ipv6_addr_gen_none(adapter_ifindex_);
    } else if (veth) {
        adapter_ifindex_ = netlink::ifindex(cfg_.adapter.name);
    }
    rte_mempool* pool = drv == PortDriver::AfXdp
                            ? pool_for_port(name, p.handle.socket, cfg_.dataplane.mbufs, data_room_)
                            : pool_for_socket(p.handle.socket, cfg_.dataplane.mbufs, data_room_);
    start_port(p.handle, p.spec, pool);
    p.link_up = true;
    if (drv == PortDriver::VirtioUser) {
        // vhost-net's TAP appears when the queues start.
        adapter_ifindex_ = netlink::ifindex(cfg_.adapter.name);
        if (adapter_ifindex_ == 0)
            throw EngineError(fmt::format("virtio_user with vhost-net did not create {}", cfg_.adapter.name));
        netlink::set_ipv6_addr_gen_none(adapter_ifindex_);
        netlink::set_mac(adapter_ifindex_, adapter_.mac);
        netlink::set_up(adapter_ifindex_);
    }
    if (drv == PortDriver::Tap || drv == PortDriver::VirtioUser || veth) {
        netlink::set_mtu(adapter_ifindex_, cfg_.adapter.mtu);
        netlink::add_address(adapter_ifindex_, adapter_.apipa, 16);
        netlink::add_address(adapter_ifindex_, adapter_.link_local, 64);
    }
    clog::info("FTNET", "Virtual adapter {} (ftnet Failover Cluster Virtual Adapter): MAC {} (from port {}), "
               "APIPA {}/16, link-local {}/64, MTU {}, {}",
               cfg_.adapter.name, adapter_.mac.windows_str(), ports_.front().spec.name, adapter_.apipa.str(),
               adapter_.link_local.str(), cfg_.adapter.mtu,
               veth ? fmt::format("a veth driven with {} on {}-dp", port_driver_name(drv), name)
                    : std::string(port_driver_name(drv)));
}

void Engine::init_dataplane() {
    void* mem = rte_zmalloc("ftnet_dataplane", sizeof(Dataplane), RTE_CACHE_LINE_SIZE);
    if (!mem) throw EngineError("cannot allocate the dataplane state (raise eal.memory_mb)");
    dp_ = new (mem) Dataplane();
    dp_->n_ports = static_cast<uint16_t>(ports_.size());
    dp_->adapter_index = static_cast<uint16_t>(adapter_index_);
    std::fill(std::begin(dp_->port_index_by_id), std::end(dp_->port_index_by_id), uint16_t(kMaxPorts));
    for (size_t i = 0; i < ports_.size(); i++) {
        PortInfo& pi = dp_->ports[i];
        pi.port_id = ports_[i].handle.port_id;
        pi.role = i == adapter_index_ ? PortRole::Adapter : ports_[i].cfg_index < 0 ? PortRole::Host : PortRole::Physical;
        pi.host_peer = ports_[i].host_peer >= 0 ? static_cast<uint16_t>(ports_[i].host_peer) : uint16_t(kMaxPorts);
        pi.nb_rxq = ports_[i].handle.nb_rxq;
        pi.nb_txq = ports_[i].handle.nb_txq;
        pi.socket = ports_[i].handle.socket;
        pi.mac = ports_[i].handle.mac;
        std::snprintf(pi.name, sizeof pi.name, "%s", ports_[i].spec.name.c_str());
        dp_->port_index_by_id[pi.port_id] = static_cast<uint16_t>(i);
    }
    dp_->port_live[adapter_index_].usable.store(true);
    dp_->n_workers = static_cast<uint16_t>(cfg_.dataplane.workers.size());

    size_t qsz = rte_rcu_qsbr_get_memsize(dp_->n_workers);
    dp_->qsbr = static_cast<rte_rcu_qsbr*>(rte_zmalloc("ftnet_qsbr", qsz, RTE_CACHE_LINE_SIZE));
    if (!dp_->qsbr || rte_rcu_qsbr_init(dp_->qsbr, dp_->n_workers) != 0)
        throw EngineError("cannot initialise the RCU (QSBR) state");

    dp_->to_control = rte_ring_create("ftnet_to_ctrl", 4096, SOCKET_ID_ANY, RING_F_SC_DEQ);
    if (!dp_->to_control) throw EngineError(fmt::format("cannot create the control ring: {}", rte_strerror(rte_errno)));
    for (uint16_t w = 0; w < dp_->n_workers; w++) {
        std::string name = fmt::format("ftnet_from_ctrl{}", w);
        dp_->from_control[w] = rte_ring_create(name.c_str(), 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
        if (!dp_->from_control[w]) throw EngineError(fmt::format("cannot create ring {}", name));
    }
    dp_->control_wakeup_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

    dp_->boot_id = boot_id_;
    dp_->tsc_hz = rte_get_tsc_hz();
    tsc0_ = rte_rdtsc();
    timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    realtime0_ns_ = static_cast<int64_t>(rt.tv_sec) * 1000000000 + rt.tv_nsec;
    dp_->route_events = rte_ring_create_elem("ftnet_route_events", sizeof(RouteEvent), 4096, SOCKET_ID_ANY, RING_F_SC_DEQ);
    if (!dp_->route_events) throw EngineError(fmt::format("cannot create the route event ring: {}", rte_strerror(rte_errno)));

    ctrl_pool_ = rte_pktmbuf_pool_create("ftnet_ctrl_mbufs", 2047, 32, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    if (!ctrl_pool_) throw EngineError(fmt::format("cannot create the control mbuf pool: {}", rte_strerror(rte_errno)));
}

void Engine::init_workers() {
    const auto& lcores = cfg_.dataplane.workers;
    for (uint16_t w = 0; w < lcores.size(); w++) {
        int node = numa_node_of_lcore(lcores[w]);
        void* cmem = rte_zmalloc_socket("ftnet_counters", sizeof(WorkerCounters), RTE_CACHE_LINE_SIZE, node);
        void* wmem = rte_zmalloc_socket("ftnet_worker", sizeof(Worker), RTE_CACHE_LINE_SIZE, node);
        if (!cmem || !wmem) throw EngineError("cannot allocate worker state (raise eal.memory_mb)");
        dp_->counters[w] = new (cmem) WorkerCounters();
        Worker* wk = new (wmem) Worker();
        wk->dp = dp_;
        wk->index = w;
        wk->lcore = lcores[w];
        wk->ctr = dp_->counters[w];
        wk->cfg.burst = static_cast<uint16_t>(cfg_.dataplane.burst);
        wk->cfg.idle_polls = cfg_.dataplane.idle_polls;
        wk->cfg.idle_sleep_max_us = cfg_.dataplane.idle_sleep_max_us;
        wk->cfg.idle_wakeup = cfg_.dataplane.idle_wakeup;
        wk->pool = pool_for_socket(node, cfg_.dataplane.mbufs, data_room_);
        workers_.push_back(wk);
    }
    // Spread every rx queue of every port over the workers, round-robin.
    size_t k = 0;
    for (size_t i = 0; i < ports_.size(); i++) {
        for (uint16_t q = 0; q < ports_[i].handle.nb_rxq; q++, k++) {
            Worker& w = *workers_[k % workers_.size()];
            if (w.n_rxq >= kMaxRxQueuesPerWorker) throw EngineError("too many rx queues per worker");
            w.rxq[w.n_rxq++] = RxQueueRef{static_cast<uint16_t>(i), ports_[i].handle.port_id, q,
                                          dp_->ports[i].role, ports_[i].spec.driver == PortDriver::Tap};
        }
    }
    for (Worker* w : workers_) {
        dp_->worker_wakeup_fd[w->index] = -1;
        std::vector<int> fds;
        std::vector<std::string> kinds;
        for (unsigned q = 0; q < w->n_rxq; q++) {
            const PortHandle& h = ports_[w->rxq[q].port_index].handle;
            fds.push_back(w->rxq[q].queue < h.rx_wake_fds.size() ? h.rx_wake_fds[w->rxq[q].queue] : -1);
            if (std::find(kinds.begin(), kinds.end(), h.rx_wake_kind) == kinds.end()) kinds.push_back(h.rx_wake_kind);
        }
        std::string why = idle_wait_open(*w, fds);
        std::string mode = why.empty() ? fmt::format("waits for traffic ({})", fmt::join(kinds, ", ")) : why;
        clog::info("ENGINE", "worker {} (lcore {}): when idle, {}", w->index, w->lcore, mode);
        worker_idle_modes_.push_back(std::move(mode));
    }
}

}  // namespace ftnet

namespace ftnet {

void Engine::init_modules() {
    loop_ = std::make_unique<ControlLoop>();
    loop_->add_fd(signal_fd_, "core", [this](uint32_t) {
        signalfd_siginfo si;
        while (read(signal_fd_, &si, sizeof si) == sizeof si) {
            if (si.ssi_signo == SIGHUP) {
                if (sighup_)
                    sighup_();
                else
                    clog::info("ENGINE", "SIGHUP: no module reloads the configuration; restart ftnetd");
            } else {
                clog::info("ENGINE", "signal {} received: stopping", si.ssi_signo);
                loop_->stop();
            }
        }
    });
    // Workers write the eventfd when they hand the control thread work while
    // it sleeps; the hooks that drain the rings run after every wake-up.
    loop_->add_fd(dp_->control_wakeup_fd, "core", [this](uint32_t) {
        eventfd_t v;
        eventfd_read(dp_->control_wakeup_fd, &v);
    });
    // Tell workers we may sleep, with a full fence before the modules'
    // pending checks, so that a frame enqueued just before cannot be left
    // waiting (the workers' side: Worker wake_control()).
    loop_->set_sleep_edges(
        [this] {
            dp_->control_sleeping.store(true, std::memory_order_seq_cst);
            std::atomic_thread_fence(std::memory_order_seq_cst);
        },
        [this] { dp_->control_sleeping.store(false, std::memory_order_relaxed); });

    for (const ModuleSpec& spec : module_specs())
        if (spec.control) modules_.push_back(spec.control());
    for (auto& m : modules_) {
        m->start(*this);
        modules_started_++;
    }
    for (auto& m : modules_) m->ready(*this);
}

void Engine::launch_workers() {
    for (Worker* w : workers_) {
        int rc = rte_eal_remote_launch(worker_main, w, w->lcore);
        if (rc != 0) throw EngineError(fmt::format("cannot launch the worker on lcore {}: {}", w->lcore, rte_strerror(-rc)));
    }
    workers_launched_ = true;
    for (auto& m : modules_) m->running(*this);
    clog::info("ENGINE", "ftnetd running: {} port(s), {} worker(s), {} module(s), {} peer(s); management socket {}",
               ports_.size() - 1, workers_.size(), modules_.size(), cfg_.peers.size(), cfg_.management.socket);
}

void Engine::run() { loop_->run(); }

std::string Engine::event_time(uint64_t tsc) const {
    const int64_t ns = realtime0_ns_ + static_cast<int64_t>((static_cast<double>(tsc) - static_cast<double>(tsc0_)) * 1e9 /
                                                            static_cast<double>(dp_->tsc_hz));
    time_t secs = static_cast<time_t>(ns / 1000000000);
    tm t;
    gmtime_r(&secs, &t);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
    return fmt::format("{}.{:06d}Z", buf, (ns % 1000000000) / 1000);
}

void Engine::emit_event(const nlohmann::json& ev) {
    for (auto& sink : event_sinks_) sink(ev);
}

void Engine::send_frame(uint16_t pi, const Frame& f) {
    if (pi >= ports_.size() || pi == adapter_index_) return;
    rte_mbuf* m = rte_pktmbuf_alloc(ctrl_pool_);
    if (!m) {
        ctl_drop(DropReason::ctl_tx_no_mbuf);
        return;
    }
    char* p = rte_pktmbuf_append(m, static_cast<uint16_t>(f.size()));
    if (!p) {
        rte_pktmbuf_free(m);
        ctl_drop(DropReason::ctl_tx_no_mbuf);
        return;
    }
    std::memcpy(p, f.data(), f.size());
    send_mbuf(pi, m);
}

bool Engine::send_mbuf(uint16_t pi, rte_mbuf* m) {
    m->port = ports_[pi].handle.port_id;
    if (rte_ring_sp_enqueue(dp_->from_control[0], m) != 0) {
        rte_pktmbuf_free(m);
        ctl_drop(DropReason::ctl_tx_ring_full);
        return false;
    }
    wake_worker(*dp_, 0);
    return true;
}

void Engine::shutdown() {
    if (shut_down_) return;
    shut_down_ = true;
    if (dp_) {
        dp_->stop.store(true);
        wake_workers(*dp_);
    }
    if (workers_launched_) rte_eal_mp_wait_lcore();
    for (Worker* w : workers_) idle_wait_close(*w);
    // Modules stop in reverse order of their start (only those started).
    for (size_t i = modules_started_; i-- > 0;) modules_[i]->stop(*this);
    modules_.clear();
    modules_started_ = 0;
    for (auto& p : ports_)
        if (p.probed) close_port(p.handle);
    remove_adapter_veth();
    if (dp_) {
        auto drain = [](rte_ring* r) {
            if (!r) return;
            void* m;
            while (rte_ring_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
            rte_ring_free(r);
        };
        drain(dp_->to_control);
        for (auto* r : dp_->from_control) drain(r);
        rte_ring_free(dp_->route_events);
        for (Worker* w : workers_) {
            for (auto* bufs : {w->tx, w->tx_ctl, w->tx_host})
                for (size_t p = 0; p < kMaxPorts; p++)
                    for (uint16_t i = 0; i < bufs[p].n; i++) rte_pktmbuf_free(bufs[p].pkts[i]);
            reassembly_clear(w->reasm);
            w->~Worker();
            rte_free(w);
        }
        workers_.clear();
        for (auto*& c : dp_->counters) {
            if (c) c->~WorkerCounters();
            rte_free(c);
            c = nullptr;
        }
        rte_free(dp_->qsbr);
        if (dp_->control_wakeup_fd >= 0) close(dp_->control_wakeup_fd);
        dp_->~Dataplane();
        rte_free(dp_);
        dp_ = nullptr;
    }
    if (ctrl_pool_) rte_mempool_free(ctrl_pool_);
    ctrl_pool_ = nullptr;
    if (eal_ready_) free_pools();
    loop_.reset();
    if (signal_fd_ >= 0) close(signal_fd_);
    signal_fd_ = -1;
    if (eal_ready_) {
        // The runtime directory is named after our unique file prefix; DPDK
        // leaves it behind, so remove it to not litter /var/run/dpdk.
        std::string runtime_dir = rte_eal_get_runtime_dir();
        rte_eal_cleanup();
        std::error_code ec;
        if (!cfg_.eal.in_memory && !runtime_dir.empty()) std::filesystem::remove_all(runtime_dir, ec);
        clog::info("ENGINE", "ftnetd stopped");
    }
    eal_ready_ = false;
    clog::flush();
}

}  // namespace ftnet
