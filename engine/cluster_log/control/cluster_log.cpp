#include "engine/cluster_log/control/cluster_log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <filesystem>

namespace ftnet::clog {

namespace {
struct State {
    std::shared_ptr<spdlog::logger> logger;
    std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> ring;
};
State& state() {
    static State s;
    return s;
}
}  // namespace

std::string init(const std::string& file, size_t lines, bool to_stderr) {
    State& s = state();
    s.ring = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(lines);
    std::vector<spdlog::sink_ptr> sinks{s.ring};
    if (to_stderr) sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    std::string err;
    if (!file.empty()) {
        try {
            std::filesystem::create_directories(std::filesystem::path(file).parent_path());
            sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(file, false));
        } catch (const std::exception& e) {
            err = fmt::format("cannot open cluster log {}: {}", file, e.what());
        }
    }
    s.logger = std::make_shared<spdlog::logger>("cluster", sinks.begin(), sinks.end());
    // 2026/11/27-21:09:39.953 INFO  [ROUTE] Adding route ...
    s.logger->set_pattern("%Y/%m/%d-%H:%M:%S.%e %v");
    s.logger->set_level(spdlog::level::debug);
    s.logger->flush_on(spdlog::level::info);
    return err;
}

void write(Level lvl, const char* component, const std::string& msg) {
    State& s = state();
    if (!s.logger) init("", 1000, true);
    auto l = lvl == Level::Debug  ? spdlog::level::debug
             : lvl == Level::Info ? spdlog::level::info
             : lvl == Level::Warn ? spdlog::level::warn
                                  : spdlog::level::err;
    const char* name = lvl == Level::Debug  ? "DEBUG"
                       : lvl == Level::Info ? "INFO"
                       : lvl == Level::Warn ? "WARN"
                                            : "ERROR";
    s.logger->log(l, "{:<5} [{}] {}", name, component, msg);
}

std::vector<std::string> recent(size_t n) {
    State& s = state();
    if (!s.ring) return {};
    auto v = s.ring->last_formatted(n);
    for (auto& line : v)
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    return v;
}

void flush() {
    if (state().logger) state().logger->flush();
}

}  // namespace ftnet::clog
