#include "engine/core/drop_reason.h"

namespace ftnet {

namespace {
struct Entry {
    const char* name;
    const char* help;
};
constexpr Entry kEntries[] = {
#define FTNET_MODULE(name)
#define X(id, name, help) {name, help},
#include "engine/core/drop_reasons.def"
#include "engine/modules.def"
#undef X
#undef FTNET_MODULE
};
static_assert(sizeof(kEntries) / sizeof(kEntries[0]) == kNumDropReasons);

// Which module each reason belongs to: the same lists, read with
// FTNET_MODULE marking where each module's begins.
struct Owners {
    const char* of[kNumDropReasons] = {};
    constexpr Owners() {
        const char* current = "core";
        size_t i = 0;
#define FTNET_MODULE(name) current = #name;
#define X(id, name, help) of[i++] = current;
#include "engine/core/drop_reasons.def"
#include "engine/modules.def"
#undef X
#undef FTNET_MODULE
        (void)current;
    }
};
constexpr Owners kOwners;
}  // namespace

const char* drop_reason_name(DropReason r) {
    auto i = static_cast<size_t>(r);
    return i < kNumDropReasons ? kEntries[i].name : "?";
}

const char* drop_reason_help(DropReason r) {
    auto i = static_cast<size_t>(r);
    return i < kNumDropReasons ? kEntries[i].help : "?";
}

const char* drop_reason_module(DropReason r) {
    auto i = static_cast<size_t>(r);
    return i < kNumDropReasons ? kOwners.of[i] : "?";
}

}  // namespace ftnet
