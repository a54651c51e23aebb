#include "drivers/rx_wakeup.h"

#include <dirent.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdlib>

#ifndef AF_XDP
#define AF_XDP 44
#endif

namespace ftnet {

namespace {

int socket_domain(int fd) {
    int dom = -1;
    socklen_t len = sizeof dom;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) != 0) return -1;
    return dom;
}

std::vector<int> added(const std::set<int>& before, const std::set<int>& after) {
    std::vector<int> v;
    for (int fd : after)
        if (!before.count(fd)) v.push_back(fd);
    return v;
}

}  // namespace

std::set<int> open_socket_fds() {
    std::set<int> fds;
    DIR* d = opendir("/proc/self/fd");
    if (!d) return fds;
    const int own = dirfd(d);
    while (dirent* e = readdir(d)) {
        char* end = nullptr;
        const long fd = std::strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end || fd == own) continue;
        struct stat st;
        if (fstat(static_cast<int>(fd), &st) == 0 && S_ISSOCK(st.st_mode)) fds.insert(static_cast<int>(fd));
    }
    closedir(d);
    return fds;
}

std::vector<int> new_packet_ring_sockets(const std::set<int>& before, const std::set<int>& after, int ifindex) {
    std::vector<int> v;
    for (int fd : added(before, after)) {
        if (socket_domain(fd) != AF_PACKET) continue;
        sockaddr_ll sll{};
        socklen_t len = sizeof sll;
        if (getsockname(fd, reinterpret_cast<sockaddr*>(&sll), &len) != 0 || sll.sll_ifindex != ifindex) continue;
        int ver = -1;
        socklen_t vl = sizeof ver;
        if (getsockopt(fd, SOL_PACKET, PACKET_VERSION, &ver, &vl) != 0 || ver != TPACKET_V2) continue;
        v.push_back(fd);
    }
    return v;
}

std::vector<int> new_xdp_sockets(const std::set<int>& before, const std::set<int>& after) {
    std::vector<int> v;
    for (int fd : added(before, after))
        if (socket_domain(fd) == AF_XDP) v.push_back(fd);
    return v;
}

}  // namespace ftnet
