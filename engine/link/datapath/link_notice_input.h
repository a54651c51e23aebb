// A peer's LINK_NOTICE, received on a worker: checked (tag, boot id and
// sequence replay window), and the routes it names marked down (or up) for
// their owners; m is consumed.
//
// Worker lcores only.
#pragma once

#include <rte_mbuf.h>

namespace ftnet {

struct Worker;
struct RxResult;

void link_notice_input(Worker& w, rte_mbuf* m, const RxResult& c);

}  // namespace ftnet
