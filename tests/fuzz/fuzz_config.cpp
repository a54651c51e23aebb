// libFuzzer target: the TOML config loader (engine/config/config_loader.h)
// with every module's section: any text gives either a config or errors,
// each naming a key and a reason, and never throws or crashes.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/config/config_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > 16384) return 0;
    const std::string text(reinterpret_cast<const char*>(data), size);
    ftnet::ConfigResult r = ftnet::load_config_string(text, "fuzz.toml");
    if (r.config.has_value() == !r.errors.empty()) std::abort();
    for (auto& e : r.errors)
        if (e.message.empty()) std::abort();
    return 0;
}
