// The Prometheus text exposition (format 0.0.4) of an engine's state, from
// the JSON of its own management commands (status, counters, routes,
// membership), so the endpoint shows exactly what `ftnetctl` shows.
//
// Pure; the metrics module calls it on the control thread per scrape.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ftnet {

struct EngineSnapshot {
    nlohmann::json status, counters, routes, membership;  // null: not available
};

std::string render_prometheus(const EngineSnapshot& s);

// A label value with \, " and newlines escaped as the format wants.
std::string prometheus_label(const std::string& v);

}  // namespace ftnet
