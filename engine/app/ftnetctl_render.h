// Text rendering of management replies for ftnetctl. Pure: JSON in, text
// out; the daemon's JSON is the single source of truth.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ftnet::ctl {

// Renders the result of `cmd`; unknown commands fall back to pretty JSON.
std::string render(const std::string& cmd, const nlohmann::json& result);

// One line for one event of `ftnetctl events`.
std::string render_event(const nlohmann::json& ev);

}  // namespace ftnet::ctl
