#include "engine/policy/datapath/policy_stage.h"

#include "engine/core/worker.h"
#include "engine/policy/datapath/policy_classify.h"

namespace ftnet {

namespace {

// The frame's bytes for classification: its first segment (frames from
// ftnet0 and decapsulated ones are contiguous; a chained one is classified
// on what its first segment holds).
inline void parse(const rte_mbuf* m, PolicyFrame& p) { policy_parse(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len, p); }

inline void count(const PolicyTable& t, PolicyCounterRow& row, uint32_t rule, uint32_t bytes) {
    row.hits[rule]++;
    row.bytes[rule] += bytes;
    const uint8_t c = t.rules[rule].class_id;
    row.class_pkts[c]++;
    row.class_bytes[c] += bytes;
}

}  // namespace

void policy_tx(Worker& w, rte_mbuf** pkts, uint16_t n, const uint8_t** steer, uint8_t* n_steer) {
    const PolicyTable& t = *w.policy;
    if (t.rules.empty()) return;
    PolicyFrame frames[kMaxBurst];
    uint32_t rule[kMaxBurst];
    for (uint16_t i = 0; i < n; i++) parse(pkts[i], frames[i]);
    policy_classify_burst(t, t.out, frames, n, rule, t.scratch[w.index]);
    PolicyCounterRow& row = t.rows[w.index];
    for (uint16_t i = 0; i < n; i++) {
        if (rule[i] == kNoRule) continue;
        const CompiledRule& r = t.rules[rule[i]];
        count(t, row, rule[i], pkts[i]->pkt_len);
        if (r.action == PolicyAction::Deny) {
            drop_packet(w, pkts[i], DropReason::policy_deny_tx);
            pkts[i] = nullptr;
        } else if (r.action == PolicyAction::Steer) {
            steer[i] = r.steer;
            n_steer[i] = r.n_steer;
        }
    }
}

bool policy_rx(Worker& w, rte_mbuf* m) {
    const PolicyTable& t = *w.policy;
    if (!t.has_deny) return false;
    PolicyFrame f;
    parse(m, f);
    uint32_t rule;
    policy_classify_burst(t, t.in, &f, 1, &rule, t.scratch[w.index]);
    if (rule == kNoRule) return false;
    count(t, t.rows[w.index], rule, m->pkt_len);
    drop_packet(w, m, DropReason::policy_deny_rx);
    return true;
}

}  // namespace ftnet
