// `ftnetctl stats`: per port and per worker packets, bytes and drops by
// reason from the daemon's `counters`; with --watch, the rates between two
// samples. Pure: JSON in, text or JSON out.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ftnet::ctl {

// Totals (the counters as they are).
std::string render_stats(const nlohmann::json& counters);

// Rates between two samples `seconds` apart: packets/s, Mbit/s, drops/s
// per reason (those that moved), per worker packets/s.
nlohmann::json stats_rates(const nlohmann::json& before, const nlohmann::json& after, double seconds);
std::string render_rates(const nlohmann::json& rates);

}  // namespace ftnet::ctl
