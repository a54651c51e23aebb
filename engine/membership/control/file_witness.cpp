#include "engine/membership/control/file_witness.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

namespace ftnet {

std::optional<WitnessRecord> parse_witness(const std::string& text) {
    WitnessRecord r;
    unsigned long long node = 0, epoch = 0, expires = 0;
    char tail = 0;
    if (std::sscanf(text.c_str(), "node=%llu epoch=%llu expires=%llu%c", &node, &epoch, &expires, &tail) < 3) return std::nullopt;
    if (tail != 0 && tail != '\n') return std::nullopt;
    if (node == 0 || node > 0xffff) return std::nullopt;
    r.node = static_cast<uint16_t>(node);
    r.epoch = epoch;
    r.expires_ms = expires;
    return r;
}

std::string format_witness(const WitnessRecord& r) {
    return fmt::format("node={} epoch={} expires={}\n", r.node, r.epoch, r.expires_ms);
}

namespace {

std::string read_all(int fd) {
    std::string s;
    char buf[256];
    ssize_t n;
    off_t off = 0;
    while ((n = pread(fd, buf, sizeof buf, off)) > 0 && s.size() < 4096) {
        s.append(buf, static_cast<size_t>(n));
        off += n;
    }
    return s;
}

}  // namespace

std::optional<WitnessRecord> FileWitness::read() {
    int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error_ = errno == ENOENT ? "" : fmt::format("cannot open {}: {}", path_, std::strerror(errno));
        return std::nullopt;
    }
    std::string text = read_all(fd);
    ::close(fd);
    error_.clear();
    if (text.empty()) return std::nullopt;
    auto r = parse_witness(text);
    if (!r) error_ = fmt::format("{} does not hold a witness record", path_);
    return r;
}

bool FileWitness::acquire(uint16_t self, uint64_t epoch, const std::vector<uint16_t>& members, uint64_t now_ms) {
    int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        error_ = fmt::format("cannot open {}: {}", path_, std::strerror(errno));
        return false;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        // Another node is updating it right now: try again at the next tick.
        error_ = errno == EWOULDBLOCK ? "" : fmt::format("cannot lock {}: {}", path_, std::strerror(errno));
        ::close(fd);
        return false;
    }
    const std::optional<WitnessRecord> cur = parse_witness(read_all(fd));
    const bool ours = cur && std::binary_search(members.begin(), members.end(), cur->node);
    const bool free = !cur || cur->expires_ms <= now_ms;
    bool held = false;
    if (ours || free) {
        const std::string rec = format_witness({self, epoch, now_ms + lease_ms_});
        if (ftruncate(fd, 0) == 0 && pwrite(fd, rec.data(), rec.size(), 0) == static_cast<ssize_t>(rec.size()) &&
            fsync(fd) == 0) {
            held = true;
            error_.clear();
        } else {
            error_ = fmt::format("cannot write {}: {}", path_, std::strerror(errno));
        }
    } else {
        error_.clear();
    }
    flock(fd, LOCK_UN);
    ::close(fd);
    return held;
}

}  // namespace ftnet
