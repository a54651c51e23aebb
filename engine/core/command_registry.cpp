#include "engine/core/command_registry.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "engine/core/registry_error.h"

namespace ftnet {

using nlohmann::json;

namespace {

const char* type_name(ArgType t) {
    switch (t) {
    case ArgType::String: return "string";
    case ArgType::Integer: return "integer";
    case ArgType::UnsignedInteger: return "unsigned integer";
    case ArgType::Boolean: return "boolean";
    }
    return "?";
}

bool has_type(const json& v, ArgType t) {
    switch (t) {
    case ArgType::String: return v.is_string();
    case ArgType::Integer: return v.is_number_integer();
    case ArgType::UnsignedInteger: return v.is_number_unsigned();
    case ArgType::Boolean: return v.is_boolean();
    }
    return false;
}

}  // namespace

void CommandRegistry::add(Command c) {
    if (c.name.empty()) throw RegistryError(fmt::format("module {}: a command needs a name", c.module));
    if (!c.handler) throw RegistryError(fmt::format("module {}: command \"{}\" has no handler", c.module, c.name));
    if (auto it = commands_.find(c.name); it != commands_.end())
        throw RegistryError(fmt::format("module {}: command \"{}\" is already registered by module {}", c.module,
                                        c.name, it->second.module));
    const std::string name = c.name;
    commands_.emplace(name, std::move(c));
}

const Command* CommandRegistry::find(const std::string& name) const {
    auto it = commands_.find(name);
    return it == commands_.end() ? nullptr : &it->second;
}

std::vector<std::string> CommandRegistry::names() const {
    std::vector<std::string> out;
    for (auto& [n, c] : commands_) out.push_back(n);
    return out;
}

bool Command::reads_only(const json& args) const {
    if (read_only) return true;
    if (read_only_actions.empty()) return false;
    if (!args.is_object() || !args.contains("action")) return true;
    const json& a = args["action"];
    return a.is_string() && std::find(read_only_actions.begin(), read_only_actions.end(), a.get<std::string>()) !=
                                read_only_actions.end();
}

json CommandRegistry::dispatch(const json& req, bool may_change) const {
    if (!req.is_object() || !req.contains("cmd") || !req["cmd"].is_string())
        throw MgmtError("a request is a JSON object with a string \"cmd\"");
    const std::string name = req["cmd"].get<std::string>();
    const json args = req.contains("args") ? req["args"] : json::object();
    if (!args.is_object()) throw MgmtError("\"args\" must be a JSON object");
    const Command* c = find(name);
    if (!c) throw MgmtError(fmt::format("unknown command \"{}\" (known: {}, events)", name, fmt::join(names(), ", ")));
    for (auto& [key, value] : args.items()) {
        const CommandArg* a = nullptr;
        for (auto& x : c->args)
            if (x.name == key) a = &x;
        if (!a) {
            std::vector<std::string> known;
            for (auto& x : c->args) known.push_back(x.name);
            throw MgmtError(fmt::format("{}: unknown argument \"{}\" (known: {})", name, key,
                                        known.empty() ? std::string("none") : fmt::format("{}", fmt::join(known, ", "))));
        }
        if (!has_type(value, a->type))
            throw MgmtError(fmt::format("{}: argument \"{}\" must be a {}", name, key, type_name(a->type)));
        if (!a->choices.empty() && std::find(a->choices.begin(), a->choices.end(), value.get<std::string>()) == a->choices.end())
            throw MgmtError(fmt::format("{}: argument \"{}\" is \"{}\", not one of {}", name, key, value.get<std::string>(),
                                        fmt::join(a->choices, ", ")));
    }
    for (auto& a : c->args)
        if (a.required && !args.contains(a.name))
            throw MgmtError(fmt::format("{}: argument \"{}\" ({}) is required", name, a.name, type_name(a.type)));
    if (!may_change && !c->reads_only(args))
        throw MgmtError(fmt::format("permission denied: {}{} changes the engine and this client may only read "
                                    "(management.socket_group gives full access)",
                                    name, args.contains("action") ? " " + args["action"].get<std::string>() : ""));
    return c->handler(args);
}

json CommandRegistry::describe() const {
    json out = json::array();
    for (auto& [n, c] : commands_) {
        json args = json::array();
        for (auto& a : c.args)
            args.push_back({{"name", a.name}, {"type", type_name(a.type)}, {"required", a.required}, {"help", a.help},
                            {"choices", a.choices}});
        out.push_back({{"name", n}, {"module", c.module}, {"help", c.help}, {"read_only", c.read_only},
                        {"read_only_actions", c.read_only_actions}, {"args", args}});
    }
    return out;
}

}  // namespace ftnet
