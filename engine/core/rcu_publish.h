// Publishing a table to the workers with RCU (QSBR): the control thread
// builds a new immutable table, swaps the pointer the workers read (release;
// workers load it with acquire once per poll loop), and frees the previous
// one once every worker has reported quiescence since the swap, without ever
// waiting for them. The route table uses it; so will keys, policies and
// resources.
//
// Control thread only (publish, reclaim). The table memory comes from
// rte_malloc and is returned with rte_free.
#pragma once

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include <atomic>
#include <vector>

namespace ftnet {

template <class T>
class RcuPublisher {
  public:
    using Destroy = void (*)(T*);
    RcuPublisher() = default;
    // `destroy` frees a table that owns more than its own memory (the
    // policy's ACL tries and Hyperscan database); rte_free otherwise.
    RcuPublisher(std::atomic<T*>* slot, rte_rcu_qsbr* qsbr, Destroy destroy = nullptr)
        : slot_(slot), qsbr_(qsbr), destroy_(destroy) {}
    RcuPublisher(const RcuPublisher&) = delete;
    RcuPublisher& operator=(const RcuPublisher&) = delete;
    RcuPublisher(RcuPublisher&& o) noexcept { *this = std::move(o); }
    RcuPublisher& operator=(RcuPublisher&& o) noexcept {
        slot_ = o.slot_;
        qsbr_ = o.qsbr_;
        destroy_ = o.destroy_;
        retired_ = std::move(o.retired_);
        o.slot_ = nullptr;
        return *this;
    }

    // Makes `next` the table workers see; the previous one is retired.
    void publish(T* next) {
        T* old = slot_->exchange(next, std::memory_order_acq_rel);
        if (old) retired_.push_back({old, rte_rcu_qsbr_start(qsbr_)});
    }

    // Frees retired tables no worker can still be reading; with wait, waits
    // for the workers' grace period (only when they are known to be running).
    void reclaim(bool wait) {
        size_t kept = 0;
        for (auto& r : retired_) {
            if (rte_rcu_qsbr_check(qsbr_, r.token, wait) == 1)
                free_table(r.table);
            else
                retired_[kept++] = r;
        }
        retired_.resize(kept);
    }

    // After the workers have stopped: frees the current table and every
    // retired one (no grace period is needed any more).
    void release_all() {
        if (slot_) free_table(slot_->exchange(nullptr));
        for (auto& r : retired_) free_table(r.table);
        retired_.clear();
    }

    size_t retired() const { return retired_.size(); }
    const T* current() const { return slot_ ? slot_->load(std::memory_order_acquire) : nullptr; }

  private:
    void free_table(T* t) {
        if (!t) return;
        if (destroy_) destroy_(t);
        else rte_free(t);
    }
    struct Retired {
        T* table;
        uint64_t token;
    };
    std::atomic<T*>* slot_ = nullptr;
    rte_rcu_qsbr* qsbr_ = nullptr;
    Destroy destroy_ = nullptr;
    std::vector<Retired> retired_;
};

}  // namespace ftnet
