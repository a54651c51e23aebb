// ftnetd: the ftnet engine daemon.
//
//   ftnetd --config FILE          run
//   ftnetd --check-config FILE    validate FILE and exit (0 valid, 2 invalid)
//
// Exit status: 0 stopped cleanly (SIGTERM/SIGINT); 1 start-up failed (the
// reason is logged); 2 bad command line or config.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fmt/format.h>

#include "engine/config/config_loader.h"
#include "engine/cluster_log/control/cluster_log.h"
#include "engine/core/engine.h"

namespace {

int print_errors(const ftnet::ConfigResult& r) {
    for (auto& e : r.errors) std::fprintf(stderr, "%s\n", e.str().c_str());
    std::fprintf(stderr, "%zu error%s; nothing was started\n", r.errors.size(), r.errors.size() == 1 ? "" : "s");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"ftnetd: ftnet cluster interconnect engine (DPDK)"};
    std::string config, check;
    app.add_option("-c,--config", config, "TOML config file to run with");
    app.add_option("--check-config", check, "validate a config file and exit");
    app.set_version_flag("--version", FTNET_VERSION);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;  // --help/--version, or a bad command line
    }

    if (!check.empty()) {
        auto r = ftnet::load_config_file(check);
        if (!r.config) return print_errors(r);
        const auto& c = *r.config;
        std::printf("%s: valid: node %s (id %u) of cluster %s, %zu port(s), %zu network(s), %zu peer(s)\n",
                    check.c_str(), c.node.name.c_str(), c.node.id, c.node.cluster.c_str(), c.ports.size(),
                    c.networks.size(), c.peers.size());
        return 0;
    }
    if (config.empty()) {
        std::fprintf(stderr, "ftnetd: --config FILE is required (or --check-config FILE)\n%s",
                     app.help().c_str());
        return 2;
    }
    auto r = ftnet::load_config_file(config);
    if (!r.config) return print_errors(r);
    ftnet::Config cfg = std::move(*r.config);
    std::string err = ftnet::clog::init(cfg.management.cluster_log, cfg.management.log_lines);
    if (!err.empty()) ftnet::clog::warn("ENGINE", "{}; logging to stderr only", err);

    ftnet::Engine engine(std::move(cfg));
    try {
        engine.start(argv[0]);
    } catch (const std::exception& e) {
        ftnet::clog::error("ENGINE", "start-up failed: {}", e.what());
        ftnet::clog::flush();
        return 1;
    }
    engine.run();
    engine.shutdown();
    return 0;
}
