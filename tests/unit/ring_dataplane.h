// A dataplane over net_ring ports for tests that drive a real worker poll
// loop (worker_poll_once): the ports given (cluster ports, ftnet0, host
// interfaces), the test route table and keys, one worker reading every
// port's queue, rings to and from the control thread; TearDown checks that
// no mbuf leaked. Test thread only.
#pragma once

#include <gtest/gtest.h>
#include <rte_cycles.h>
#include <rte_ring.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/core/dataplane.h"
#include "engine/core/worker.h"
#include "tests/unit/packet_fixtures.h"

namespace ftnet::test {

class RingDataplaneTest : public testing::Test {
  protected:
    struct PortSetup {
        const char* name;
        PortRole role;
        unsigned ring_size = 1024;  // of each of the port's rings (a ring of N holds N - 1)
    };

    // Builds everything; `tag` keeps ring and port names unique per test binary.
    void build(const std::string& tag, const std::vector<PortSetup>& setup) {
        static int instance = 0;
        const std::string base = tag + std::to_string(++instance);
        dp = std::make_unique<Dataplane>();
        for (size_t i = 0; i < setup.size(); i++) {
            ports.push_back(make_ring_port(base + setup[i].name, test_pool(), setup[i].ring_size));
            PortInfo& pi = dp->ports[i];
            pi.port_id = ports[i].port_id;
            pi.role = setup[i].role;
            pi.nb_rxq = pi.nb_txq = 1;
            dp->port_index_by_id[pi.port_id] = static_cast<uint16_t>(i);
            dp->port_live[i].usable.store(true);
        }
        dp->n_ports = static_cast<uint16_t>(setup.size());
        dp->adapter_index = kAdapterIndex;
        dp->n_workers = 1;
        dp->to_control = rte_ring_create((base + "toctl").c_str(), 256, SOCKET_ID_ANY, RING_F_SC_DEQ);
        dp->from_control[0] = rte_ring_create((base + "fromctl").c_str(), 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
        counters = std::make_unique<WorkerCounters>();
        dp->counters[0] = counters.get();
        table = make_test_table();
        dp->routes.store(table.get());
        // Heartbeats are not under test here: every route is up, and the
        // table gives this worker no routes to heartbeat.
        for (auto& r : dp->route_live) r.up.store(true);
        dp->tsc_hz = rte_get_tsc_hz();
        dp->keys.store(const_cast<KeyRing*>(&test_keys()));
        windows = make_replay_windows();
        dp->replay = windows.get();
        dp->epoch = 1;

        w = std::make_unique<Worker>();
        w->dp = dp.get();
        w->index = 0;
        w->ctr = counters.get();
        w->pool = test_pool();
        w->cfg.burst = 32;
        for (uint16_t i = 0; i < setup.size(); i++)
            w->rxq[w->n_rxq++] = RxQueueRef{i, ports[i].port_id, 0, dp->ports[i].role};
        pool_free_at_start = rte_mempool_avail_count(test_pool());
    }

    void TearDown() override {
        for (auto& p : ports) free_ring_port(p);
        drain_ring(dp->to_control);
        drain_ring(dp->from_control[0]);
        rte_ring_free(dp->to_control);
        rte_ring_free(dp->from_control[0]);
        EXPECT_EQ(rte_mempool_avail_count(test_pool()), pool_free_at_start) << "mbufs leaked";
    }

    void inject(int port, const Bytes& b) { ASSERT_EQ(rte_ring_enqueue(ports[port].rx, to_mbuf(test_pool(), b)), 0); }

    std::vector<Bytes> take(rte_ring* r) {
        std::vector<Bytes> out;
        void* m;
        while (rte_ring_dequeue(r, &m) == 0) {
            out.push_back(to_bytes(static_cast<rte_mbuf*>(m)));
            rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
        }
        return out;
    }
    std::vector<Bytes> sent(int port) { return take(ports[port].tx); }

    uint64_t drops(DropReason r) const { return counters->drops[static_cast<size_t>(r)].get(); }

    std::vector<RingPort> ports;
    std::unique_ptr<Dataplane> dp;
    std::unique_ptr<WorkerCounters> counters;
    std::unique_ptr<PeerReplayWindows[]> windows;
    std::unique_ptr<RouteTable> table;
    std::unique_ptr<Worker> w;
    unsigned pool_free_at_start = 0;
};

}  // namespace ftnet::test
