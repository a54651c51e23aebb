// libFuzzer target: a HELLO payload as the control thread decodes it
// (engine/hello/control/endpoint_exchange.h): any bytes give either a
// refusal or an adapter whose fields are in range, and re-encoding that
// adapter decodes to the same adapter.

#include <cstdint>
#include <cstdlib>

#include "engine/hello/control/endpoint_exchange.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    bool want_reply = false;
    auto a = ftnet::decode_hello(data, size, &want_reply);
    if (!a) return 0;
    ftnet::wire::HelloPayload p = ftnet::encode_hello(*a, want_reply);
    bool again = false;
    auto b = ftnet::decode_hello(reinterpret_cast<const uint8_t*>(&p), sizeof p, &again);
    if (!b || b->mac != a->mac || b->apipa != a->apipa || b->link_local != a->link_local || b->mtu != a->mtu ||
        again != want_reply)
        std::abort();
    return 0;
}
