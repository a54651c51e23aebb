// Feature modules: how a feature plugs into the engine without editing the
// core or any other module.
//
// A module is a folder under engine/ with its workers' part (datapath/) and
// its control thread's part (control/) kept apart, and one entry in
// engine/modules.def naming it. It provides `ModuleSpec NAME_module()`,
// which says what it registers:
//   - config: its config sections (engine/config/config_sections.h);
//   - datapath: its handlers of tunnel message types and its per-loop work on
//     the workers (engine/core/datapath_registry.h);
//   - control: a factory of its control-thread object (a Module), which at
//     start() registers its management commands (engine/core/command_registry.h),
//     its descriptors, timers and hooks on the control loop
//     (engine/core/control_loop.h), its handlers of frames the workers hand
//     to the control thread (engine/tunnel/control/control_frames.h), and
//     publishes its tables with RcuPublisher (engine/core/rcu_publish.h).
//   - its drop reasons: a drop_reasons.def beside it, included by its entry
//     in engine/modules.def.
//
// Main thread only: registration and start-up happen before workers run.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace ftnet {

class Engine;
class ConfigSections;
struct DatapathRegistry;

// A module's control-thread side. The engine creates every module's object
// after the ports, the dataplane and the workers exist, then calls start()
// on each in engine/modules.def order, then ready() on each, then launches
// the workers and calls running(); stop() runs in reverse order after the
// workers have stopped, before the ports close.
class Module {
  public:
    virtual ~Module() = default;
    virtual void start(Engine&) {}
    virtual void ready(Engine&) {}
    virtual void running(Engine&) {}
    virtual void stop(Engine&) {}
};

struct ModuleSpec {
    const char* name = nullptr;
    void (*config)(ConfigSections&) = nullptr;
    void (*datapath)(DatapathRegistry&) = nullptr;
    std::unique_ptr<Module> (*control)() = nullptr;
};

// Every module of engine/modules.def, in order; checked once (a name used
// twice, or a module that registers nothing, is a RegistryError).
const std::vector<ModuleSpec>& module_specs();

// The check module_specs() applies, for tests of other lists.
void check_module_specs(const std::vector<ModuleSpec>& specs);

}  // namespace ftnet
