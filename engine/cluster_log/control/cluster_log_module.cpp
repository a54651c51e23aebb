// The cluster log module: the `log` command (the newest lines of the
// cluster log, from memory). The log itself (cluster_log.h) is opened by
// ftnetd before the engine starts, so that start-up is logged too.

#include <fmt/format.h>

#include "engine/cluster_log/control/cluster_log.h"
#include "engine/core/engine.h"

namespace ftnet {

namespace {

class ClusterLogModule : public Module {
  public:
    void start(Engine& e) override {
        const unsigned max_lines = e.config().management.log_lines;
        e.commands().add({"log",
                          "cluster_log",
                          "the newest lines of the cluster log",
                          {{"lines", ArgType::UnsignedInteger, false, fmt::format("how many (1..{}, default 50)", max_lines), {}}},
                          true,
                          [max_lines](const nlohmann::json& args) {
                              size_t n = 50;
                              if (args.contains("lines")) {
                                  const uint64_t v = args["lines"].get<uint64_t>();
                                  if (v == 0 || v > max_lines)
                                      throw MgmtError(fmt::format("\"lines\" must be an integer in 1..{}", max_lines));
                                  n = static_cast<size_t>(v);
                              }
                              return nlohmann::json(clog::recent(n));
                          }});
    }
};

}  // namespace

ModuleSpec cluster_log_module() {
    ModuleSpec s;
    s.name = "cluster_log";
    s.control = [] { return std::unique_ptr<Module>(new ClusterLogModule()); };
    return s;
}

}  // namespace ftnet
