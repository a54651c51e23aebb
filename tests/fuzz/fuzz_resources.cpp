// libFuzzer target: what reaches the resources module from peers (its
// session messages, engine/resources/resources_wire.h), what reaches the
// DNS module from a server (engine/dns/dns_update.h parse_reply), and a
// dependency expression as an operator writes it: anything gives a value or
// a refusal, never a crash, and a decoded message re-encodes to itself.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/dns/dns_update.h"
#include "engine/resources/dependency_expr.h"
#include "engine/resources/resources_wire.h"

using namespace ftnet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (auto m = resources::decode(data, size)) {
        auto bytes = resources::encode(*m);
        auto again = resources::decode(bytes.data(), bytes.size());
        if (!again || again->kind != m->kind) std::abort();
    }
    const dns::TsigKey key{"ftnet-update", "hmac-sha256", "2gaWz6I5Ty8+uW1Ssx9XYk2IcpLN9EeG7QCvSwvo2Ac="};
    dns::parse_reply(data, size, key, std::vector<uint8_t>(32, 7));
    try {
        auto e = DependencyExpr::parse(std::string(reinterpret_cast<const char*>(data), size));
        // The canonical text means the same thing.
        auto back = DependencyExpr::parse(e.str());
        if (back.str() != e.str()) std::abort();
    } catch (const DependencyError&) {
    }
    return 0;
}
