// Reassembly of DATA_FRAGMENTs (fragment.h) into the inner frame they were
// cut from. A frame's fragments travel on one route with one outer 5-tuple,
// so they reach one receive queue: each worker reassembles on its own, in a
// fixed table of kSlots frames (bounded memory: one mbuf per slot), and a
// frame not complete within the timeout is dropped.
//
// Worker-only (each worker owns its Reassembly; tests drive one directly).
// No malloc: a slot's frame is an mbuf from the worker's pool.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "engine/core/drop_reason.h"

namespace ftnet {

struct ReassemblySlot {
    rte_mbuf* m = nullptr;  // the frame being rebuilt; nullptr: the slot is free
    uint64_t started_tsc = 0;
    uint32_t frame_id = 0;
    uint16_t node = 0;  // sender's node id
    uint8_t space = 0;  // sender's sequence space (its worker)
    uint8_t count = 0;
    uint16_t frame_len = 0;
    uint16_t have_bytes = 0;
    uint32_t have = 0;  // bit i: fragment i arrived
};

struct Reassembly {
    static constexpr unsigned kSlots = 32;
    ReassemblySlot slot[kSlots];
    uint64_t timeout_tsc = 0;  // kTimeoutMs in TSC cycles (0: set at the first fragment)
    static constexpr unsigned kTimeoutMs = 200;
};

// What adding one fragment did. At most one of frame/dropped; expired and
// evicted count other frames given up on the way (each is one drop).
struct ReassemblyStep {
    rte_mbuf* frame = nullptr;  // the completed inner frame: the caller owns it
    bool dropped = false;       // the fragment was refused (why)
    DropReason why = DropReason::rx_frag_bad;
    unsigned expired = 0;       // incomplete frames older than the timeout, freed
    bool evicted = false;       // every slot busy: the oldest frame was given up for this one
};

// Adds the fragment `payload` (FragmentHeader + piece, len bytes) from
// (node, space); frames longer than max_frame (ftnet0's MTU and Ethernet
// header) are refused. The fragment's bytes are copied: the caller frees
// its mbuf.
ReassemblyStep reassemble(Reassembly& ra, rte_mempool* pool, uint16_t node, uint8_t space, const uint8_t* payload,
                          uint32_t len, uint32_t max_frame, uint64_t now_tsc);

// Frees every slot (worker exit, tests).
void reassembly_clear(Reassembly& ra);

// Frames being reassembled now.
unsigned reassembly_in_use(const Reassembly& ra);

struct Worker;
struct RxResult;
// The DATA_FRAGMENT handler (registered by engine/tunnel/module.cpp): adds
// an admitted fragment to the worker's table and delivers the rebuilt frame
// into ftnet0 (fragment_input.cpp).
void fragment_input(Worker& w, uint16_t port_index, rte_mbuf* m, const RxResult& c);

}  // namespace ftnet
