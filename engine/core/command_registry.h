// Management commands, registered by the modules that own what they show or
// change: a name, a help line, an argument schema, read-only or not, and a
// handler from JSON arguments to a JSON result. The management socket
// dispatches every request through it; `{"cmd": "help"}` lists it.
//
// Registration: main thread at start-up (a name registered twice is a
// RegistryError naming both modules). Dispatch: control thread only.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace ftnet {

// Thrown by command handlers (and by dispatch) for a bad request; becomes
// {"ok": false, "error": ...} and changes nothing.
struct MgmtError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class ArgType { String, Integer, UnsignedInteger, Boolean };

struct CommandArg {
    std::string name;
    ArgType type = ArgType::String;
    bool required = false;
    std::string help;
    std::vector<std::string> choices;  // for strings: the allowed values (empty: any)
};

struct Command {
    std::string name;
    std::string module;  // who registered it, for messages
    std::string help;
    std::vector<CommandArg> args;
    bool read_only = true;
    std::function<nlohmann::json(const nlohmann::json& args)> handler;
    // For a command that reads or changes by its "action" argument: the
    // actions that only read (a request without an action takes the
    // command's default, which reads). Empty: read_only decides alone.
    std::vector<std::string> read_only_actions = {};

    // Whether this request only reads (a read-only client may send it).
    bool reads_only(const nlohmann::json& args) const;
};

class CommandRegistry {
  public:
    void add(Command c);
    const Command* find(const std::string& name) const;
    std::vector<std::string> names() const;
    // Checks the arguments against the command's schema (unknown, missing,
    // wrong type or value: MgmtError naming the argument), then runs it.
    // With may_change false (a read-only client) a request that would
    // change anything is refused with MgmtError before it runs.
    nlohmann::json dispatch(const nlohmann::json& request, bool may_change = true) const;
    // Every command with its help and arguments (the "help" command).
    nlohmann::json describe() const;

  private:
    std::map<std::string, Command> commands_;
};

}  // namespace ftnet
