#include "engine/config/private_file.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace ftnet {

std::optional<std::string> read_private_file(const std::string& path, std::string* error) {
    struct stat st;
    if (path.empty() || path[0] != '/') {
        *error = fmt::format("\"{}\" must be an absolute path", path);
        return std::nullopt;
    }
    std::ifstream f(path);
    if (stat(path.c_str(), &st) != 0 || !f) {
        *error = fmt::format("cannot read \"{}\"", path);
        return std::nullopt;
    }
    if (st.st_mode & 077) {
        *error = fmt::format("\"{}\" is accessible to group or other users (mode {:04o}); chmod 600 it", path,
                             st.st_mode & 07777);
        return std::nullopt;
    }
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

}  // namespace ftnet
