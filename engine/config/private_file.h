// Secrets an operator keeps in files only root may read (the cluster key,
// a DNS TSIG key): read whole, refused with the reason when the path is
// not absolute, the file cannot be read, or group or others may access it.
//
// Main thread (config load) or control thread (management commands).
#pragma once

#include <optional>
#include <string>

namespace ftnet {

std::optional<std::string> read_private_file(const std::string& path, std::string* error);

}  // namespace ftnet
