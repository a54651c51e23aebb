// [metrics]: the Prometheus endpoint (config/schema.md, "[metrics]").
//
//   [metrics]
//   prometheus = "127.0.0.1:9343"   # or "[::1]:9343", or "unix:/run/ftnet/metrics.sock"
//   max_clients = 16                # scrapes served at once; more are refused
//
// Off unless `prometheus` is given. Read on the main thread at start-up;
// the metrics module keeps it.
#pragma once

#include <string>

namespace ftnet {

class ConfigSections;

struct MetricsSettings {
    // Where to listen: a TCP address and port, or a UNIX socket path.
    bool tcp = false;
    std::string host;  // the address, without brackets
    unsigned port = 0;
    std::string unix_path;
    unsigned max_clients = 16;
    std::string listen;  // as written, for messages
};

inline constexpr const char* kMetricsSection = "metrics";

void register_metrics_config(ConfigSections& s);

}  // namespace ftnet
