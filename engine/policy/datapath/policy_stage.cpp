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

static_assert(kNoDscp == kKeepDscp);

// Higher class priorities first, in arrival order within a priority (a
// flow's frames are of one class unless a payload rule splits it).
void reorder_by_priority(const PolicyTable& t, rte_mbuf** pkts, uint16_t n, TxDecision* d, const uint32_t* rule) {
    rte_mbuf* p2[kMaxBurst];
    TxDecision d2[kMaxBurst];
    uint16_t k = 0;
    for (int prio = kMaxClassPriority; prio >= 0; prio--)
        for (uint16_t i = 0; i < n; i++) {
            const int q = rule[i] == kNoRule ? 0 : t.rules[rule[i]].queue_priority;
            if (q != prio || !pkts[i]) continue;
            p2[k] = pkts[i];
            d2[k++] = d[i];
        }
    for (uint16_t i = 0; i < n; i++) {
        pkts[i] = i < k ? p2[i] : nullptr;  // the denied ones (nullptr) last
        d[i] = i < k ? d2[i] : kNoTxDecision;
    }
}

}  // namespace

void policy_tx(Worker& w, rte_mbuf** pkts, uint16_t n, TxDecision* d) {
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
            continue;
        }
        if (r.action == PolicyAction::Steer) {
            d[i].steer = r.steer;
            d[i].n_steer = r.n_steer;
        }
        d[i].dscp = r.dscp;
    }
    if (t.has_priorities) reorder_by_priority(t, pkts, n, d, rule);
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
