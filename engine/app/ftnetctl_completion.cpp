#include "engine/app/ftnetctl_completion.h"

#include <fmt/format.h>

#include <vector>

namespace ftnet::ctl {

namespace {

struct Level {
    std::string path;  // " group move"
    std::string words;
};

void walk(CLI::App* app, const std::string& path, std::vector<Level>& out) {
    std::string words;
    for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; })) {
        words += sub->get_name() + " ";
    }
    for (const CLI::Option* o : app->get_options()) {
        for (auto& l : o->get_lnames()) words += "--" + l + " ";
        for (auto& s : o->get_snames()) words += "-" + s + " ";
    }
    out.push_back({path, words});
    for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; })) walk(sub, path + " " + sub->get_name(), out);
}

}  // namespace

std::string bash_completion(CLI::App& app) {
    std::vector<Level> levels;
    walk(&app, "", levels);
    // Deepest first, so that "group move" is matched before "group".
    std::stable_sort(levels.begin(), levels.end(), [](auto& a, auto& b) {
        return std::count(a.path.begin(), a.path.end(), ' ') > std::count(b.path.begin(), b.path.end(), ' ');
    });
    std::string cases;
    for (auto& l : levels)
        cases += l.path.empty() ? fmt::format("        *) words=\"{}\" ;;\n", l.words)
                                : fmt::format("        \"{}\"|\"{} \"*) words=\"{}\" ;;\n", l.path, l.path, l.words);
    return fmt::format(R"(# bash completion for ftnetctl (made by `ftnetctl completion bash`)
_ftnetctl() {{
    local cur prev path="" words i w
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    case "$prev" in
        -o|--output) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
        -s|--socket) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="${{COMP_WORDS[i]}}"
        case "$w" in
            -s|--socket|-o|--output) ((i++)) ;;
            -*) ;;
            *) path="$path $w" ;;
        esac
    done
    case "$path" in
{}    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}}
complete -F _ftnetctl ftnetctl
)",
                       cases);
}

}  // namespace ftnet::ctl
