// libFuzzer target: one frame received on a cluster port, through the
// worker's whole receive path (engine/tunnel/datapath/physical_input.cpp):
// classification, admission (source, binding, key, replay window, AES-GCM),
// decapsulation into ftnet0, and the message handlers (heartbeats answered
// in place, link notices, HELLOs handed to the control thread).
//
// The first input byte chooses what the rest is: an arbitrary frame (what a
// hostile host can send), or the fields and payload of a message node 2
// seals with the cluster key (what reaches the handlers, which a tag would
// otherwise keep the fuzzer from). Runs on net_ring ports in one EAL
// (--no-huge, --in-memory); every mbuf is freed again or held by the
// reassembly table (at most one per slot), so the pool never runs dry and a
// leak shows as a pool short of what the table holds.

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <cstdint>
#include <cstring>
#include <memory>

#include "engine/core/dataplane.h"
#include "engine/core/worker.h"
#include "engine/heartbeat/cluster_properties.h"
#include "engine/tunnel/datapath/reassembly.h"
#include "engine/tunnel/protected_message.h"
#include "tests/unit/packet_fixtures.h"
#include "tests/unit/test_eal.h"

using namespace ftnet;
using namespace ftnet::test;

namespace {

struct Harness {
    RingPort ports[3];
    std::unique_ptr<Dataplane> dp = std::make_unique<Dataplane>();
    std::unique_ptr<WorkerCounters> ctr = std::make_unique<WorkerCounters>();
    std::unique_ptr<RouteTable> rt = make_test_table();
    std::unique_ptr<PeerReplayWindows[]> windows = make_replay_windows();
    std::unique_ptr<Worker> w = std::make_unique<Worker>();
    unsigned pool_at_start = 0;

    Harness() {
        const char* names[] = {"fzcluster", "fzstorage", "fzftnet0"};
        for (int i = 0; i < 3; i++) {
            ports[i] = make_ring_port(names[i], test_pool(), 4096);
            dp->ports[i].port_id = ports[i].port_id;
            dp->ports[i].role = i == kAdapterIndex ? PortRole::Adapter : PortRole::Physical;
            dp->ports[i].nb_rxq = dp->ports[i].nb_txq = 1;
            dp->port_index_by_id[ports[i].port_id] = static_cast<uint16_t>(i);
            dp->port_live[i].usable.store(true);
        }
        dp->n_ports = 3;
        dp->adapter_index = kAdapterIndex;
        dp->n_workers = 1;
        dp->to_control = rte_ring_create("fz_toctl", 1024, SOCKET_ID_ANY, RING_F_SC_DEQ);
        dp->from_control[0] = rte_ring_create("fz_fromctl", 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
        dp->route_events = rte_ring_create_elem("fz_ev", sizeof(RouteEvent), 1024, SOCKET_ID_ANY, RING_F_SC_DEQ);
        dp->counters[0] = ctr.get();
        dp->tsc_hz = rte_get_tsc_hz();
        dp->boot_id = 0x1111;
        dp->epoch = 1;
        dp->replay = windows.get();
        dp->keys.store(const_cast<KeyRing*>(&test_keys()));
        rt->hb = heartbeat_settings(ClusterProperties::defaults(HeartbeatProfile::Fast), dp->tsc_hz);
        dp->routes.store(rt.get());
        w->dp = dp.get();
        w->ctr = ctr.get();
        w->pool = test_pool();
        w->rt = rt.get();
        w->keys = &test_keys();
        pool_at_start = rte_mempool_avail_count(test_pool());
    }

    // Frees whatever the input made the worker send or hand over.
    void drain() {
        tx_flush_all(*w);
        for (auto& p : ports) drain_ring(p.tx);
        drain_ring(dp->to_control);
        RouteEvent ev;
        while (rte_ring_dequeue_elem(dp->route_events, &ev, sizeof ev) == 0) {
        }
    }
};

Harness* h = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    start_eal("fuzz_physical_input", "0", 256);
    h = new Harness();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 4 || size > 1600) return 0;
    const uint8_t mode = data[0], a = data[1], b = data[2];
    data += 3;
    size -= 3;
    Bytes frame;
    uint16_t port = a & 1;
    if (mode & 1) {
        // A message node 2 seals: type, family, mode and space from the
        // input, a sequence that mostly moves on (and sometimes repeats).
        static uint64_t counter = 0;
        const Family f = a & 2 ? Family::V6 : Family::V4;
        RouteEntry e = route_towards_local(f, port);
        const auto type = static_cast<wire::MsgType>(1 + (b % wire::kMaxMsgType));
        const uint8_t space = (a & 4) ? wire::kControlSpace : static_cast<uint8_t>(b >> 4);
        if (!(mode & 2)) counter++;
        frame.resize(message_len(f, size));
        build_message(frame.data(), e, type, data, size, test_keys(a & 8, a & 16 ? 2 : 1), space,
                      uint64_t{1} << 48 | (counter + 1));
    } else {
        frame.assign(data, data + size);
    }
    rte_mbuf* m = to_mbuf(test_pool(), frame);
    physical_input(*h->w, port, &m, 1);
    h->drain();
    // A DATA_FRAGMENT may stay behind in the worker's reassembly table (one
    // mbuf per frame being rebuilt, kept across inputs so that fragments of
    // one frame can meet); anything else missing from the pool leaked.
    if (rte_mempool_avail_count(test_pool()) + reassembly_in_use(h->w->reasm) != h->pool_at_start) __builtin_trap();
    return 0;
}
