#include "engine/security/control/epoch_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ftnet {

namespace {

// Closes the descriptor (and with it the lock) on every path.
struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) close(fd);
    }
};

void make_dirs(const std::string& dir) {
    for (size_t i = 1; i <= dir.size(); i++) {
        if (i < dir.size() && dir[i] != '/') continue;
        const std::string part = dir.substr(0, i);
        if (mkdir(part.c_str(), 0700) != 0 && errno != EEXIST)
            throw EpochError(fmt::format("cannot create {}: {}", part, std::strerror(errno)));
    }
}

}  // namespace

std::string epoch_path(const std::string& dir, uint16_t node) { return fmt::format("{}/epoch-node{}", dir, node); }

uint16_t take_epoch(const std::string& dir, uint16_t node) {
    make_dirs(dir);
    const std::string path = epoch_path(dir, node);
    const bool existed = access(path.c_str(), F_OK) == 0;
    Fd f{open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)};
    if (f.fd < 0) throw EpochError(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
    if (!existed) {
        // The new file's name must survive a crash too, or the next start
        // would begin again at epoch 1.
        Fd d{open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
        if (d.fd < 0 || fsync(d.fd) != 0) throw EpochError(fmt::format("cannot sync {}: {}", dir, std::strerror(errno)));
    }
    if (flock(f.fd, LOCK_EX) != 0) throw EpochError(fmt::format("cannot lock {}: {}", path, std::strerror(errno)));
    char buf[32] = {};
    const ssize_t n = pread(f.fd, buf, sizeof buf - 1, 0);
    if (n < 0) throw EpochError(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
    uint32_t last = 0;
    for (ssize_t i = 0; i < n && buf[i] != '\n'; i++) {
        if (buf[i] < '0' || buf[i] > '9' || last > kMaxEpoch)
            throw EpochError(fmt::format("{} does not hold an epoch number; it must never be edited (remove it only "
                                         "together with a new cluster key on every node)",
                                         path));
        last = last * 10 + static_cast<uint32_t>(buf[i] - '0');
    }
    if (last >= kMaxEpoch)
        throw EpochError(fmt::format("{} has reached epoch {}: this node has used up its sequence lives under the "
                                     "cluster keys; give every node a new key, then remove the epoch files (peers refuse "
                                     "this node's messages as rx-too-old until they restart too)",
                                     path, last));
    const uint32_t next = last + 1;
    // Fixed width: the write replaces the old number in place.
    const std::string text = fmt::format("{:05}\n", next);
    if (pwrite(f.fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()) || ftruncate(f.fd, static_cast<off_t>(text.size())) != 0 ||
        fsync(f.fd) != 0)
        throw EpochError(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
    return static_cast<uint16_t>(next);
}

}  // namespace ftnet
