// The control thread: one epoll loop over the signalfd, the workers'
// wake-up eventfd, the LSC eventfd, the netlink link watcher, the management
// socket and a 10 ms housekeeping tick.

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstring>

#include "engine/common/encap_template.h"
#include "engine/common/signed_message.h"
#include "engine/control/cluster_log.h"
#include "engine/control/engine.h"
#include "engine/control/mono_clock.h"
#include "engine/datapath/classify.h"

namespace ftnet {

namespace {
constexpr int kTickMs = 10;
constexpr uint64_t kLinkPollMs = 100;
}  // namespace

void Engine::run() {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    auto add = [&](int fd) {
        if (fd < 0) return;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    };
    add(signal_fd_);
    add(dp_->control_wakeup_fd);
    add(lsc_fd_);
    if (link_watcher_) add(link_watcher_->fd());
    mgmt_->attach(ep);

    uint64_t next_tick = mono_ms();
    bool running = true;
    while (running) {
        uint64_t now = mono_ms();
        int timeout = next_tick > now ? static_cast<int>(next_tick - now) : 0;
        // Tell workers we may sleep; re-check the ring afterwards so that a
        // packet enqueued just before cannot be left waiting for the tick.
        dp_->control_sleeping.store(true, std::memory_order_seq_cst);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (rte_ring_count(dp_->to_control) != 0 || rte_ring_count(dp_->route_events) != 0) timeout = 0;
        epoll_event evs[16];
        int n = epoll_wait(ep, evs, 16, timeout);
        dp_->control_sleeping.store(false, std::memory_order_relaxed);
        now = mono_ms();
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == signal_fd_) {
                signalfd_siginfo si;
                while (read(signal_fd_, &si, sizeof si) == sizeof si) {
                    if (si.ssi_signo == SIGHUP) {
                        clog::info("ENGINE", "SIGHUP: configuration reload is not supported yet; restart ftnetd");
                    } else {
                        clog::info("ENGINE", "signal {} received: stopping", si.ssi_signo);
                        running = false;
                    }
                }
            } else if (fd == dp_->control_wakeup_fd || fd == lsc_fd_) {
                eventfd_t v;
                eventfd_read(fd, &v);
                if (fd == lsc_fd_) last_poll_ms_ = 0;  // re-read NIC link state now
            } else if (link_watcher_ && fd == link_watcher_->fd()) {
                link_watcher_->drain([&](const std::string& ifname, bool up) { on_link_event(ifname, up, now); });
            } else {
                mgmt_->on_event(fd, evs[i].events);
            }
        }
        drain_control_ring(now);
        drain_route_events();
        if (now >= next_tick || last_poll_ms_ == 0) {
            on_tick(now);
            next_tick = now + kTickMs;
        }
        if (routes_dirty_) publish_routes();
        reclaim_routes(false);
    }
    close(ep);
}

void Engine::on_tick(uint64_t now) {
    if (neighbors_->tick(now)) routes_dirty_ = true;
    send_hellos(now);
    if (now - last_poll_ms_ >= kLinkPollMs) {
        last_poll_ms_ = now;
        for (size_t i = 0; i < ports_.size(); i++) {
            if (i == adapter_index_) continue;
            const PortHandle& h = ports_[i].handle;
            if (h.link_source != LinkSource::Poll && h.link_source != LinkSource::LscInterrupt) continue;
            rte_eth_link link{};
            if (rte_eth_link_get_nowait(h.port_id, &link) == 0) refresh_link(i, link.link_status == RTE_ETH_LINK_UP, now);
        }
    }
}

void Engine::drain_control_ring(uint64_t now) {
    void* objs[64];
    unsigned n;
    while ((n = rte_ring_sc_dequeue_burst(dp_->to_control, objs, 64, nullptr)) > 0) {
        for (unsigned i = 0; i < n; i++) {
            auto* m = static_cast<rte_mbuf*>(objs[i]);
            uint16_t pi = m->port < RTE_MAX_ETHPORTS ? dp_->port_index_by_id[m->port] : kMaxPorts;
            if (pi < ports_.size()) handle_control_frame(pi, m, now);
            rte_pktmbuf_free(m);
        }
    }
}

void Engine::handle_control_frame(uint16_t pi, rte_mbuf* m, uint64_t now) {
    const uint8_t* f = rte_pktmbuf_mtod(m, const uint8_t*);
    const size_t len = m->data_len;
    const RouteTable* rt = dp_->routes.load(std::memory_order_acquire);
    RxResult c = classify_frame(f, static_cast<uint32_t>(len), *rt, pi, true, true);
    if (c.kind == RxKind::TunnelControl) {
        if (!signed_message_ok(c.hdr, c.payload_len, dp_->auth_key)) {
            // Counted; logged the first time and every 1000th after: a wrong
            // key is a configuration error an operator must see, a flood of
            // forgeries is not news.
            const uint64_t n = ctl_drops_[static_cast<size_t>(DropReason::ctl_bad_auth)].get();
            ctl_drop(DropReason::ctl_bad_auth);
            if (n % 1000 == 0)
                clog::warn("FTNET", "HELLO with a missing or wrong authentication tag from node {} on port {} "
                           "dropped ({} so far): is the cluster key the same on every node?",
                           rte_be_to_cpu_16(c.hdr->src_node), ports_[pi].spec.name, n + 1);
            return;
        }
        handle_hello(pi, c, f, now);
        return;
    }
    if (c.kind != RxKind::Control) return;
    if (neighbors_->handle_frame(pi, f, len, now)) routes_dirty_ = true;
    if (auto reply = build_echo_reply(f, len, ports_[pi].handle.mac)) send_frame(pi, *reply);
}

void Engine::handle_hello(uint16_t pi, const RxResult& c, const uint8_t* f, uint64_t now) {
    uint16_t node = rte_be_to_cpu_16(c.hdr->src_node);
    // The route it came over: the peer's route on this port and family.
    const RouteDesc* via = nullptr;
    for (auto& r : routes_)
        if (r.peer_node == node && r.port_cfg == pi && r.family == c.family) via = &r;
    const PeerConfig* peer = nullptr;
    for (auto& p : cfg_.peers)
        if (p.id == node) peer = &p;
    if (!peer) return;
    std::string pair = via ? fmt::format("{} <-> {} ({}, {})", via->local.str(), via->remote.str(),
                                         cfg_.networks[via->network_cfg].name, family_name(via->family))
                           : fmt::format("port {}", ports_[pi].spec.name);
    auto out = endpoints_->on_hello(node, peer->name, f + c.payload_off, c.payload_len, pair, now);
    if (out.changed) routes_dirty_ = true;
    if (out.reply && via) {
        wire::HelloPayload h = encode_hello(adapter_, endpoints_->wants_reply(node));
        send_tunnel(*via, wire::MsgType::Hello, &h, sizeof h);
    }
}

void Engine::send_hellos(uint64_t now) {
    for (auto& p : cfg_.peers) {
        if (!endpoints_->due(p.id, now)) continue;
        wire::HelloPayload h = encode_hello(adapter_, endpoints_->wants_reply(p.id));
        for (auto& r : routes_)
            if (r.peer_node == p.id && route_is_up(r)) send_tunnel(r, wire::MsgType::Hello, &h, sizeof h);
    }
}

void Engine::on_link_event(const std::string& ifname, bool up, uint64_t now) {
    for (size_t i = 0; i < ports_.size(); i++) {
        const PortHandle& h = ports_[i].handle;
        if (h.link_source != LinkSource::KernelNetlink) continue;
        if (ifname.empty()) {  // events were lost: ask again
            refresh_link(i, netlink::link_is_up(h.kernel_iface).value_or(false), now);
        } else if (h.kernel_iface == ifname) {
            refresh_link(i, up, now);
        }
    }
}

void Engine::refresh_link(size_t i, bool up, uint64_t now) {
    PortRuntime& p = ports_[i];
    if (p.link_up == up) return;
    p.link_up = up;
    p.changed_ms = now;
    set_port_usable(i);
    clog::info("PORT", "port {} link {}", p.spec.name, up ? "up" : "down");
    emit_event({{"time", event_time(rte_rdtsc())}, {"type", "link"}, {"port", p.spec.name}, {"state", up ? "up" : "down"}});
    for (auto& r : routes_)
        if (r.port_cfg == i)
            clog::info("ROUTE", "{} is {}", route_title(cfg_, r), route_is_up(r) ? "up" : fmt::format("down ({})", route_down_reason(r)));
    if (up) neighbors_->link_up(static_cast<uint16_t>(i), now);
    if (p.admin_up) send_link_notices(i, up, wire::kLinkReasonLink);
}

void Engine::set_port_usable(size_t i) {
    dp_->port_live[i].admin_down.store(!ports_[i].admin_up, std::memory_order_relaxed);
    dp_->port_live[i].usable.store(ports_[i].link_up && ports_[i].admin_up, std::memory_order_release);
    kick_heartbeats();
}

void Engine::kick_heartbeats() { dp_->hb_kick.fetch_add(1, std::memory_order_release); }

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
    m->port = ports_[pi].handle.port_id;
    if (rte_ring_sp_enqueue(dp_->from_control[0], m) != 0) {
        rte_pktmbuf_free(m);
        ctl_drop(DropReason::ctl_tx_ring_full);
    }
}

bool Engine::send_tunnel(const RouteDesc& r, wire::MsgType type, const void* payload, size_t len, uint32_t seq) {
    alignas(64) RouteEntry e{};
    if (!fill_route_entry(e, r)) return false;
    e.tx_csum_offload = false;  // control frames carry complete checksums
    rte_mbuf* m = rte_pktmbuf_alloc(ctrl_pool_);
    if (!m) {
        ctl_drop(DropReason::ctl_tx_no_mbuf);
        return false;
    }
    const size_t total = signed_message_len(r.family, len);
    auto* out = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(total)));
    if (!out) {
        rte_pktmbuf_free(m);
        ctl_drop(DropReason::ctl_tx_no_mbuf);
        return false;
    }
    build_signed_message(out, e, type, seq ? seq : ++hello_seq_, payload, len, dp_->auth_key);
    m->port = ports_[r.port_cfg].handle.port_id;
    if (rte_ring_sp_enqueue(dp_->from_control[0], m) != 0) {
        rte_pktmbuf_free(m);
        ctl_drop(DropReason::ctl_tx_ring_full);
        return false;
    }
    return true;
}

}  // namespace ftnet
