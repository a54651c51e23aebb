#include "engine/common/drop_reason.h"

namespace ftnet {

namespace {
struct Entry {
    const char* name;
    const char* help;
};
constexpr Entry kEntries[] = {
#define X(id, name, help) {name, help},
#include "engine/common/drop_reasons.def"
#undef X
};
static_assert(sizeof(kEntries) / sizeof(kEntries[0]) == kNumDropReasons);
}  // namespace

const char* drop_reason_name(DropReason r) {
    auto i = static_cast<size_t>(r);
    return i < kNumDropReasons ? kEntries[i].name : "?";
}

const char* drop_reason_help(DropReason r) {
    auto i = static_cast<size_t>(r);
    return i < kNumDropReasons ? kEntries[i].help : "?";
}

}  // namespace ftnet
