#include "engine/reload/control/reload_module.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <rte_cycles.h>

#include <algorithm>

#include "engine/cluster_log/control/cluster_log.h"
#include "engine/config/config_loader.h"
#include "engine/core/engine.h"
#include "engine/reload/control/config_diff.h"

namespace ftnet {

using nlohmann::json;

void ReloadModule::start(Engine& e) {
    e_ = &e;
    try {
        applied_ = toml::parse_file(e.config().path);
    } catch (const toml::parse_error& err) {
        // Read moments ago by the loader: only a file changed since then
        // lands here, and then every key counts as changed at the next reload.
        clog::warn("RELOAD", "cannot read {} again: {}", e.config().path, err.description());
    }
    e.commands().add({"reload", "reload",
                      "read the config file again: apply what can change while running, report what needs a restart",
                      {}, false, [this](const json&) { return reload("ftnetctl"); }});
    e.on_sighup([this] {
        try {
            reload("SIGHUP");
        } catch (const MgmtError&) {
            // Logged with its reasons by reload().
        }
    });
    e.add_status([this](json& out) {
        out["reload"] = {{"reloads", reloads_}, {"refused", refused_}, {"last", last_}};
    });
}

json ReloadModule::reload(const std::string& by) {
    const std::string& path = e_->config().path;
    ConfigResult r = load_config_file(path);
    if (!r.config) {
        refused_++;
        std::vector<std::string> errs;
        for (auto& err : r.errors) errs.push_back(err.str());
        last_ = fmt::format("refused ({}): {}", by, errs.empty() ? "?" : errs.front());
        clog::warn("RELOAD", "reload ({}) refused, nothing changed: {} has {} error(s): {}", by, path, errs.size(),
                   fmt::join(errs, "; "));
        throw MgmtError(fmt::format("{} has {} error(s), nothing changed: {}", path, errs.size(), fmt::join(errs, "; ")));
    }
    toml::table next_file;
    try {
        next_file = toml::parse_file(path);
    } catch (const toml::parse_error& err) {
        throw MgmtError(fmt::format("{} changed while being read: {}", path, err.description()));
    }
    const std::vector<std::string> changed = changed_top_level_keys(applied_, next_file);
    ReloadReport report;
    std::vector<std::string> claimed, refused_keys;  // refused_keys: refused or partly left for a restart
    for (const Reloader& rl : e_->reloaders().all()) {
        bool mine = false;
        for (auto& k : rl.keys) mine = mine || std::find(changed.begin(), changed.end(), k) != changed.end();
        if (!mine) continue;
        const size_t refused_before = report.refused.size(), restart_before = report.restart.size();
        try {
            rl.apply(*r.config, report);
        } catch (const std::exception& ex) {
            report.refused.push_back(fmt::format("{}: {}", rl.module, ex.what()));
        }
        // A key with a part left for a restart (or refused) keeps its old
        // baseline, so the next reload reports that part again; what was
        // applied is found already in force then and not applied twice.
        const bool whole = report.refused.size() == refused_before && report.restart.size() == restart_before;
        for (auto& k : rl.keys) (whole ? claimed : refused_keys).push_back(k);
    }
    for (auto& k : changed) {
        const bool applied = std::find(claimed.begin(), claimed.end(), k) != claimed.end() &&
                             std::find(refused_keys.begin(), refused_keys.end(), k) == refused_keys.end();
        bool handled = applied;
        for (const Reloader& rl : e_->reloaders().all())
            handled = handled || std::find(rl.keys.begin(), rl.keys.end(), k) != rl.keys.end();
        if (!handled) report.restart.push_back(fmt::format("[{}] changed: applied at the next restart", k));
        // What was applied is the new baseline; what was not stays
        // different, so the next reload (or the report) still sees it.
        if (applied) {
            if (const toml::node* n = next_file.get(k))
                applied_.insert_or_assign(k, *n);
            else
                applied_.erase(k);
        }
    }
    reloads_++;
    for (auto& a : report.applied) clog::info("RELOAD", "{}", a);
    for (auto& a : report.restart) clog::warn("RELOAD", "{}", a);
    for (auto& a : report.refused) clog::warn("RELOAD", "refused: {}", a);
    last_ = fmt::format("{} ({}): {} applied, {} need a restart, {} refused", changed.empty() ? "nothing changed" : "reloaded",
                        by, report.applied.size(), report.restart.size(), report.refused.size());
    clog::info("RELOAD", "reload ({}) of {}: {}", by, path, last_);
    json out = {{"file", path},
                {"changed", changed},
                {"applied", report.applied},
                {"restart", report.restart},
                {"refused", report.refused}};
    e_->emit_event({{"time", e_->event_time(rte_rdtsc())}, {"type", "reload"}, {"by", by}, {"changed", changed},
                    {"applied", report.applied.size()}, {"restart", report.restart.size()},
                    {"refused", report.refused.size()}});
    return out;
}

}  // namespace ftnet
