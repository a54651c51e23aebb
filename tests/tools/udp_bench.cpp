// ftnet-udp-bench: UDP throughput and latency between two namespaces, the
// same way for every path (ftnet0, the kernel's VXLAN, plain addresses), so
// that a system bench can put them side by side in one run.
//
//   ftnet-udp-bench send ADDR PORT SIZE SECONDS      sendmmsg bursts of 64, as fast as the socket takes them
//   ftnet-udp-bench recv PORT SECONDS                recvmmsg until SECONDS pass (or SIGTERM)
//   ftnet-udp-bench pong PORT                        echo every datagram back (until SIGTERM)
//   ftnet-udp-bench ping ADDR PORT COUNT INTERVAL_US one datagram at a time, RTT per answer
//
// Each prints one JSON object on stdout: counts, seconds, the process's own
// CPU seconds (user + system, for messages per busy core), and for ping the
// RTT p50/p99/max in microseconds and the datagrams never answered.

#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

volatile sig_atomic_t stop = 0;
constexpr unsigned kBurst = 64;

uint64_t now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

addrinfo* resolve(const char* host, const char* port, bool passive) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    addrinfo* res = nullptr;
    if (int rc = getaddrinfo(host, port, &hints, &res); rc != 0) {
        std::fprintf(stderr, "ftnet-udp-bench: cannot resolve %s: %s\n", host ? host : "*", gai_strerror(rc));
        std::exit(2);
    }
    return res;
}

int open_socket(addrinfo* a, bool bind_it) {
    int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) {
        std::perror("ftnet-udp-bench: socket");
        std::exit(2);
    }
    int big = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    if (bind_it) {
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (a->ai_family == AF_INET6) {
            int zero = 0;
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
        }
        if (bind(fd, a->ai_addr, a->ai_addrlen) != 0) {
            std::perror("ftnet-udp-bench: bind");
            std::exit(2);
        }
    }
    return fd;
}

// A socket connected to host:port (exits on failure).
int connected_socket(const char* host, const char* port) {
    addrinfo* a = resolve(host, port, false);
    int fd = open_socket(a, false);
    if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
        std::perror("ftnet-udp-bench: connect");
        std::exit(2);
    }
    freeaddrinfo(a);
    return fd;
}

// A passive socket for both families.
int listen_socket(const char* port) {
    addrinfo hints{};
    hints.ai_family = AF_INET6;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* a = nullptr;
    if (getaddrinfo(nullptr, port, &hints, &a) != 0) a = resolve(nullptr, port, true);
    int fd = open_socket(a, true);
    freeaddrinfo(a);
    return fd;
}

int cmd_send(const char* host, const char* port, size_t size, double seconds) {
    const int fd = connected_socket(host, port);
    std::vector<char> buf(size, 'u');
    mmsghdr msgs[kBurst];
    iovec iov[kBurst];
    for (unsigned i = 0; i < kBurst; i++) {
        iov[i] = {buf.data(), size};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    uint64_t sent = 0, refused = 0, would_block = 0;
    const double cpu0 = cpu_seconds();
    const uint64_t t0 = now_ns(), end = t0 + static_cast<uint64_t>(seconds * 1e9);
    while (!stop && now_ns() < end) {
        int n = sendmmsg(fd, msgs, kBurst, 0);
        if (n > 0) {
            sent += static_cast<uint64_t>(n);
        } else if (errno == ECONNREFUSED) {
            refused++;  // an ICMP error from an earlier datagram: keep going
        } else if (errno == ENOBUFS || errno == EAGAIN) {
            would_block++;
            usleep(10);
        } else if (errno != EINTR) {
            std::perror("ftnet-udp-bench: sendmmsg");
            return 2;
        }
    }
    const double secs = static_cast<double>(now_ns() - t0) / 1e9;
    std::printf("{\"mode\": \"send\", \"size\": %zu, \"sent\": %llu, \"seconds\": %.3f, \"cpu_s\": %.3f, \"refused\": %llu, "
                "\"would_block\": %llu}\n",
                size, static_cast<unsigned long long>(sent), secs, cpu_seconds() - cpu0,
                static_cast<unsigned long long>(refused), static_cast<unsigned long long>(would_block));
    return 0;
}

int cmd_recv(const char* port, double seconds) {
    int fd = listen_socket(port);
    std::vector<char> bufs(kBurst * 2048);
    mmsghdr msgs[kBurst];
    iovec iov[kBurst];
    for (unsigned i = 0; i < kBurst; i++) {
        iov[i] = {bufs.data() + i * 2048, 2048};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    uint64_t got = 0, bytes = 0, first = 0, last = 0;
    const double cpu0 = cpu_seconds();
    const uint64_t end = now_ns() + static_cast<uint64_t>(seconds * 1e9);
    while (!stop && now_ns() < end) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        timespec zero{0, 0};
        int n = recvmmsg(fd, msgs, kBurst, MSG_DONTWAIT, &zero);
        if (n <= 0) continue;
        if (!first) first = now_ns();
        last = now_ns();
        got += static_cast<uint64_t>(n);
        for (int i = 0; i < n; i++) bytes += msgs[i].msg_len;
    }
    std::printf("{\"mode\": \"recv\", \"received\": %llu, \"bytes\": %llu, \"active_seconds\": %.3f, \"cpu_s\": %.3f}\n",
                static_cast<unsigned long long>(got), static_cast<unsigned long long>(bytes),
                first ? static_cast<double>(last - first) / 1e9 : 0.0, cpu_seconds() - cpu0);
    return 0;
}

int cmd_pong(const char* port) {
    int fd = listen_socket(port);
    char buf[2048];
    uint64_t n = 0;
    while (!stop) {
        sockaddr_storage from{};
        socklen_t fl = sizeof from;
        ssize_t len = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
        if (len < 0) continue;
        sendto(fd, buf, static_cast<size_t>(len), 0, reinterpret_cast<sockaddr*>(&from), fl);
        n++;
    }
    std::printf("{\"mode\": \"pong\", \"answered\": %llu}\n", static_cast<unsigned long long>(n));
    return 0;
}

int cmd_ping(const char* host, const char* port, unsigned count, unsigned interval_us) {
    const int fd = connected_socket(host, port);
    std::vector<double> rtt;
    unsigned lost = 0;
    for (unsigned i = 0; i < count && !stop; i++) {
        uint64_t msg[2] = {i, now_ns()};
        send(fd, msg, sizeof msg, 0);
        // The answer to this datagram, within 100 ms; a late answer to an
        // earlier one is skipped.
        const uint64_t deadline = msg[1] + 100000000ull;
        bool answered = false;
        while (!answered) {
            const uint64_t t = now_ns();
            if (t >= deadline) break;
            pollfd p{fd, POLLIN, 0};
            if (poll(&p, 1, static_cast<int>((deadline - t) / 1000000 + 1)) <= 0) continue;
            uint64_t back[2];
            if (recv(fd, back, sizeof back, MSG_DONTWAIT) != sizeof back || back[0] != i) continue;
            rtt.push_back(static_cast<double>(now_ns() - back[1]) / 1000.0);
            answered = true;
        }
        lost += !answered;
        usleep(interval_us);
    }
    std::sort(rtt.begin(), rtt.end());
    auto pct = [&](double q) { return rtt.empty() ? 0.0 : rtt[std::min(rtt.size() - 1, static_cast<size_t>(q * static_cast<double>(rtt.size())))]; };
    std::printf("{\"mode\": \"ping\", \"sent\": %u, \"answered\": %zu, \"lost\": %u, \"p50_us\": %.1f, \"p99_us\": %.1f, "
                "\"max_us\": %.1f}\n",
                count, rtt.size(), lost, pct(0.50), pct(0.99), rtt.empty() ? 0.0 : rtt.back());
    return 0;
}

void usage() {
    std::fprintf(stderr,
                 "usage: ftnet-udp-bench send ADDR PORT SIZE SECONDS\n"
                 "       ftnet-udp-bench recv PORT SECONDS\n"
                 "       ftnet-udp-bench pong PORT\n"
                 "       ftnet-udp-bench ping ADDR PORT COUNT INTERVAL_US\n");
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    struct sigaction sa{};
    sa.sa_handler = [](int) { stop = 1; };
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    if (argc < 2) usage();
    const std::string m = argv[1];
    if (m == "send" && argc == 6) {
        const long size = std::atol(argv[4]);
        if (size < 1 || size > 65000) usage();
        return cmd_send(argv[2], argv[3], static_cast<size_t>(size), std::atof(argv[5]));
    }
    if (m == "recv" && argc == 4) return cmd_recv(argv[2], std::atof(argv[3]));
    if (m == "pong" && argc == 3) return cmd_pong(argv[2]);
    if (m == "ping" && argc == 6)
        return cmd_ping(argv[2], argv[3], static_cast<unsigned>(std::atol(argv[4])), static_cast<unsigned>(std::atol(argv[5])));
    usage();
}
