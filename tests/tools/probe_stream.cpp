// ftnet-probe: a steady UDP probe stream across ftnet0, for failover
// measurements. Both ends run on one host (network namespaces), so they
// share CLOCK_MONOTONIC: the receiver's log holds send and arrival times on
// one clock.
//
//   ftnet-probe send ADDR PORT INTERVAL_US SECONDS
//   ftnet-probe recv PORT OUTFILE            (until SIGTERM/SIGINT)
//
// OUTFILE: binary records {u64 seq, u64 send_ns, u64 recv_ns}, native order.

#include <netdb.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

volatile sig_atomic_t stop = 0;

uint64_t now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

addrinfo* resolve(const char* host, const char* port, bool passive) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    addrinfo* res = nullptr;
    if (getaddrinfo(host, port, &hints, &res) != 0) {
        std::fprintf(stderr, "ftnet-probe: cannot resolve %s\n", host ? host : "*");
        std::exit(1);
    }
    return res;
}

int do_send(const char* host, const char* port, long interval_us, double seconds) {
    addrinfo* ai = resolve(host, port, false);
    int s = socket(ai->ai_family, SOCK_DGRAM, 0);
    prctl(PR_SET_TIMERSLACK, 1000UL);
    uint64_t start = now_ns(), end = start + static_cast<uint64_t>(seconds * 1e9);
    timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (uint64_t seq = 0;; seq++) {
        uint64_t rec[2] = {seq, now_ns()};
        if (rec[1] >= end) break;
        sendto(s, rec, sizeof rec, 0, ai->ai_addr, ai->ai_addrlen);  // losses are what we measure
        next.tv_nsec += interval_us * 1000;
        while (next.tv_nsec >= 1000000000) {
            next.tv_nsec -= 1000000000;
            next.tv_sec++;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr);
    }
    freeaddrinfo(ai);
    return 0;
}

int do_recv(const char* port, const char* out) {
    signal(SIGTERM, [](int) { stop = 1; });
    signal(SIGINT, [](int) { stop = 1; });
    addrinfo* ai = resolve("::", port, true);
    int s = socket(ai->ai_family, SOCK_DGRAM, 0);
    int zero = 0;
    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    int big = 4 << 20;
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    if (bind(s, ai->ai_addr, ai->ai_addrlen) < 0) {
        std::perror("ftnet-probe: bind");
        return 1;
    }
    freeaddrinfo(ai);
    timeval tv{0, 200000};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::printf("listening\n");
    std::fflush(stdout);
    std::vector<uint64_t> log;
    log.reserve(1 << 22);
    while (!stop) {
        uint64_t rec[2];
        ssize_t n = recv(s, rec, sizeof rec, 0);
        if (n != sizeof rec) continue;
        log.insert(log.end(), {rec[0], rec[1], now_ns()});
    }
    FILE* f = std::fopen(out, "wb");
    if (!f) return 1;
    std::fwrite(log.data(), sizeof(uint64_t), log.size(), f);
    std::fclose(f);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 6 && std::strcmp(argv[1], "send") == 0) return do_send(argv[2], argv[3], std::atol(argv[4]), std::atof(argv[5]));
    if (argc == 4 && std::strcmp(argv[1], "recv") == 0) return do_recv(argv[2], argv[3]);
    std::fprintf(stderr, "usage: ftnet-probe send ADDR PORT INTERVAL_US SECONDS | recv PORT OUTFILE\n");
    return 2;
}
