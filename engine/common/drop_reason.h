// Drop reasons: one enum generated from drop_reasons.def, plus names.
// Pure; any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ftnet {

enum class DropReason : uint8_t {
#define X(id, name, help) id,
#include "engine/common/drop_reasons.def"
#undef X
    count_
};

inline constexpr size_t kNumDropReasons = static_cast<size_t>(DropReason::count_);

const char* drop_reason_name(DropReason r);
const char* drop_reason_help(DropReason r);

}  // namespace ftnet
