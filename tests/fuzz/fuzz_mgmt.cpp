// libFuzzer target: request lines on the management socket
// (engine/management/control/mgmt_server.h) dispatched through a command
// registry with every argument type (engine/core/command_registry.h): any
// line gets one reply line that is valid JSON with "ok", and never throws.

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "engine/core/command_registry.h"
#include "engine/management/control/mgmt_server.h"

using nlohmann::json;

namespace {

ftnet::CommandRegistry* registry = nullptr;
ftnet::MgmtServer* server = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    registry = new ftnet::CommandRegistry();
    auto echo = [](const json& a) { return a; };
    registry->add({"status", "fuzz", "no arguments", {}, true, echo});
    registry->add({"link", "fuzz", "string with choices", {{"port", ftnet::ArgType::String, true, "", {}},
                   {"state", ftnet::ArgType::String, true, "", {"up", "down"}}}, false, echo});
    registry->add({"key", "fuzz", "every type", {{"action", ftnet::ArgType::String, false, "", {"list", "add"}},
                   {"id", ftnet::ArgType::UnsignedInteger, false, "", {}},
                   {"value", ftnet::ArgType::Integer, false, "", {}},
                   {"flag", ftnet::ArgType::Boolean, false, "", {}}}, false,
                   [](const json& a) -> json {
                       if (a.value("action", std::string()) == "add") throw ftnet::MgmtError("refused");
                       return a;
                   },
                   {"list"}});
    const std::string path = "/tmp/ftnet-fuzz-mgmt-" + std::to_string(getpid()) + ".sock";
    server = new ftnet::MgmtServer(path, ftnet::MgmtAccessConfig{},
                                   [](const json& req, bool may_change) { return registry->dispatch(req, may_change); });
    std::atexit([] { delete server; });  // removes the socket file
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string input(reinterpret_cast<const char*>(data), size);
    size_t start = 0;
    while (start <= input.size()) {
        size_t end = input.find('\n', start);
        if (end == std::string::npos) end = input.size();
        bool subscribe = false;
        // Alternately as a full and as a read-only client: a read-only
        // one is never let through to a request that changes anything.
        const bool may_change = (start & 1) == 0;
        const std::string line = input.substr(start, end - start);
        const std::string reply = server->handle_line(line, may_change, &subscribe);
        json r = json::parse(reply, nullptr, false);
        if (!r.is_object() || !r.contains("ok") || r.value("v", 0) != 1) std::abort();
        if (!may_change && r.value("ok", false)) {
            json req = json::parse(line, nullptr, false);
            const ftnet::Command* c = req.is_object() && req.contains("cmd") && req["cmd"].is_string()
                                          ? registry->find(req["cmd"].get<std::string>())
                                          : nullptr;
            if (c && !c->reads_only(req.value("args", json::object()))) std::abort();
        }
        start = end + 1;
    }
    return 0;
}
