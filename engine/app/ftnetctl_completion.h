// `ftnetctl completion bash`: a bash completion script made from ftnetctl's
// own command tree, so it lists every command and option there is.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace ftnet::ctl {

std::string bash_completion(CLI::App& app);

}  // namespace ftnet::ctl
