// ftnet-delay-relay: joins two interfaces with a fixed one-way delay in each
// direction, in place of a bridge, for tests that need latency on a network
// (this kernel has no netem).
//
//   ftnet-delay-relay IFACE_A IFACE_B DELAY_MS [--armed]
//
// Runs until killed. With --armed it opens both ports, prints "ready" and
// discards frames until SIGUSR1 starts the relaying, so that a test can
// take the ports off their bridge and start relaying without a gap. Frames are forwarded in order, each DELAY_MS after it
// arrived; nothing is dropped unless the queue passes 100k frames.

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Pending {
    Clock::time_point due;
    std::vector<uint8_t> frame;
};

int open_port(const char* iface) {
    int s = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
    if (s < 0) return -1;
    int one = 1;
    // Our own transmissions must not come back to us as input.
    setsockopt(s, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(if_nametoindex(iface));
    if (sll.sll_ifindex == 0 || bind(s, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) return -1;
    return s;
}

}  // namespace

volatile sig_atomic_t relaying = 1;

int main(int argc, char** argv) {
    if (argc != 4 && !(argc == 5 && std::string(argv[4]) == "--armed")) {
        std::fprintf(stderr, "usage: ftnet-delay-relay IFACE_A IFACE_B DELAY_MS [--armed]\n");
        return 2;
    }
    if (argc == 5) {
        relaying = 0;
        signal(SIGUSR1, [](int) { relaying = 1; });
    }
    int fd[2] = {open_port(argv[1]), open_port(argv[2])};
    if (fd[0] < 0 || fd[1] < 0) {
        std::perror("ftnet-delay-relay: cannot open the interfaces");
        return 1;
    }
    const auto delay = std::chrono::microseconds(static_cast<long>(std::atof(argv[3]) * 1000));
    std::deque<Pending> q[2];  // q[i]: received on i, to send on 1 - i
    std::printf("%s %s <-> %s with %s ms\n", relaying ? "relaying" : "ready", argv[1], argv[2], argv[3]);
    std::fflush(stdout);
    std::vector<uint8_t> buf(65536);
    for (;;) {
        int timeout = 100;
        auto now = Clock::now();
        for (auto& d : q)
            if (!d.empty())
                timeout = std::min<int>(timeout, static_cast<int>(std::max<long>(
                                                     0, std::chrono::duration_cast<std::chrono::milliseconds>(d.front().due - now).count())));
        pollfd p[2] = {{fd[0], POLLIN, 0}, {fd[1], POLLIN, 0}};
        poll(p, 2, timeout);
        now = Clock::now();
        for (int i = 0; i < 2; i++) {
            ssize_t n;
            while ((n = recv(fd[i], buf.data(), buf.size(), 0)) > 0)
                if (relaying && q[i].size() < 100000) q[i].push_back({now + delay, std::vector<uint8_t>(buf.begin(), buf.begin() + n)});
        }
        for (int i = 0; i < 2; i++)
            while (!q[i].empty() && q[i].front().due <= now) {
                ssize_t ignored = send(fd[1 - i], q[i].front().frame.data(), q[i].front().frame.size(), 0);
                (void)ignored;
                q[i].pop_front();
            }
    }
}
