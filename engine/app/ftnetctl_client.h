// ftnetctl's side of the management socket (docs/management-protocol.md):
// one request, one reply; or the event stream.
//
// ftnetctl's process only.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace ftnet::ctl {

// The exit statuses scripts may rely on (docs/management-protocol.md).
enum Exit : int {
    kOk = 0,
    kRefused = 1,       // the daemon answered with an error
    kUsage = 2,         // bad command line
    kUnreachable = 3,   // no daemon, or no reply in time
    kDenied = 4,        // permission denied (socket file or SO_PEERCRED)
};

// No daemon answered (kUnreachable) or it turned us away (kDenied).
struct ClientError : std::runtime_error {
    ClientError(int exit_code, const std::string& what) : std::runtime_error(what), code(exit_code) {}
    int code;
};

// Sends one request line and returns the reply line.
std::string transact(const std::string& path, const std::string& line);

// One request as JSON ({"v": 1, "cmd": ..., "args": ...}) and its reply.
nlohmann::json request(const std::string& path, const std::string& cmd, const nlohmann::json& args = nullptr);

// The exit status for an error reply ("permission denied..." is kDenied).
int exit_for_error(const std::string& error);

// Subscribes and prints each event until the daemon goes away, the count
// is reached, or Ctrl-C. Returns the exit status.
int follow_events(const std::string& path, bool as_json, unsigned max_events);

}  // namespace ftnet::ctl
