// The cluster log: what the engine did and why, with timestamps, in the
// spirit of the Windows cluster log the seed quotes ("Adding route ...",
// "endpoint exchange ..."). Lines go to the log file, to stderr and to an
// in-memory ring that `ftnetctl log` reads.
//
// Control thread and main thread only; never called on a worker lcore.
#pragma once

#include <fmt/format.h>

#include <string>
#include <vector>

namespace ftnet::clog {

// Opens the file (may be empty: no file) and keeps `lines` in memory.
// Returns an error message, or "" on success. Safe to call again.
std::string init(const std::string& file, size_t lines, bool to_stderr = true);

enum class Level { Debug, Info, Warn, Error };

void write(Level lvl, const char* component, const std::string& msg);

std::vector<std::string> recent(size_t n);

void flush();

template <typename... A>
void info(const char* comp, fmt::format_string<A...> f, A&&... a) {
    write(Level::Info, comp, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void warn(const char* comp, fmt::format_string<A...> f, A&&... a) {
    write(Level::Warn, comp, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void error(const char* comp, fmt::format_string<A...> f, A&&... a) {
    write(Level::Error, comp, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void debug(const char* comp, fmt::format_string<A...> f, A&&... a) {
    write(Level::Debug, comp, fmt::format(f, std::forward<A>(a)...));
}

}  // namespace ftnet::clog
