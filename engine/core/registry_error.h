// A module registered something that cannot work together with what is
// already registered (a name used twice, a section without a reader, a
// handler for a message type that already has one). Thrown at start-up,
// before anything runs; the message names both modules.
//
// Main thread only (registration happens before workers start).
#pragma once

#include <stdexcept>

namespace ftnet {

struct RegistryError : std::logic_error {
    using std::logic_error::logic_error;
};

}  // namespace ftnet
