// Drop reasons: one enum generated from the core's list
// (engine/core/drop_reasons.def) and every module's (engine/modules.def),
// plus their names and help. Pure; any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ftnet {

enum class DropReason : uint8_t {
#define FTNET_MODULE(name)
#define X(id, name, help) id,
#include "engine/core/drop_reasons.def"
#include "engine/modules.def"
#undef X
#undef FTNET_MODULE
    count_
};

inline constexpr size_t kNumDropReasons = static_cast<size_t>(DropReason::count_);

const char* drop_reason_name(DropReason r);
const char* drop_reason_help(DropReason r);
// The module whose list the reason is in ("core" for the core's own).
const char* drop_reason_module(DropReason r);

}  // namespace ftnet
