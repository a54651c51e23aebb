// ftnet-xfer: a TCP transfer with an end-to-end checksum, for the lab and
// the integration tests (the data crosses ftnet0; both ends print the
// SHA-256 of what they sent or received, which must match).
//
//   ftnet-xfer recv PORT [--bind ADDR]       prints: received BYTES SHA256 SECONDS
//   ftnet-xfer send ADDR PORT BYTES [SEED [MBIT]]   prints: sent BYTES SHA256 SECONDS
//                                            (MBIT: pace the sender to that rate)
//
// ADDR may be an IPv6 link-local address with a zone (fe80::1%ftnet0).

#include <netdb.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

struct Sha256 {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    Sha256() { EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
    ~Sha256() { EVP_MD_CTX_free(ctx); }
    void update(const void* p, size_t n) { EVP_DigestUpdate(ctx, p, n); }
    std::string hex() {
        unsigned char md[32];
        unsigned len = 0;
        EVP_DigestFinal_ex(ctx, md, &len);
        std::string s;
        char b[3];
        for (unsigned i = 0; i < len; i++) {
            std::snprintf(b, sizeof b, "%02x", md[i]);
            s += b;
        }
        return s;
    }
};

[[noreturn]] void die(const std::string& m) {
    std::fprintf(stderr, "ftnet-xfer: %s\n", m.c_str());
    std::exit(1);
}

addrinfo* resolve(const char* host, const char* port, bool passive) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) die(std::string("cannot resolve ") + (host ? host : "*") + ": " + gai_strerror(rc));
    return res;
}

uint64_t parse_size(const char* s) {
    char* end = nullptr;
    uint64_t v = std::strtoull(s, &end, 10);
    if (*end == 'K' || *end == 'k') v <<= 10;
    if (*end == 'M' || *end == 'm') v <<= 20;
    if (*end == 'G' || *end == 'g') v <<= 30;
    return v;
}

int do_recv(const char* port, const char* bind_addr) {
    addrinfo* ai = resolve(bind_addr ? bind_addr : "::", port, true);
    int ls = socket(ai->ai_family, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ai->ai_family == AF_INET6) {
        int zero = 0;
        setsockopt(ls, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    }
    if (bind(ls, ai->ai_addr, ai->ai_addrlen) < 0 || listen(ls, 1) < 0) die(std::string("listen: ") + strerror(errno));
    freeaddrinfo(ai);
    std::printf("listening\n");
    std::fflush(stdout);
    int s = accept(ls, nullptr, nullptr);
    if (s < 0) die(std::string("accept: ") + strerror(errno));
    auto t0 = std::chrono::steady_clock::now();
    Sha256 h;
    std::vector<char> buf(1 << 16);
    uint64_t total = 0;
    for (;;) {
        ssize_t n = read(s, buf.data(), buf.size());
        if (n < 0) die(std::string("read: ") + strerror(errno));
        if (n == 0) break;
        h.update(buf.data(), static_cast<size_t>(n));
        total += static_cast<uint64_t>(n);
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("received %llu %s %.3f\n", static_cast<unsigned long long>(total), h.hex().c_str(), secs);
    return 0;
}

int do_send(const char* host, const char* port, uint64_t bytes, unsigned seed, double mbit) {
    addrinfo* ai = resolve(host, port, false);
    int s = socket(ai->ai_family, SOCK_STREAM, 0);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (connect(s, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (std::chrono::steady_clock::now() > deadline) die(std::string("connect: ") + strerror(errno));
        close(s);
        usleep(100000);
        s = socket(ai->ai_family, SOCK_STREAM, 0);
    }
    freeaddrinfo(ai);
    auto t0 = std::chrono::steady_clock::now();
    std::mt19937_64 rng(seed);
    Sha256 h;
    std::vector<uint64_t> buf(8192);
    uint64_t left = bytes;
    while (left) {
        if (mbit > 0) {
            // Pace: never get ahead of the schedule bytes_sent / rate.
            double due = static_cast<double>(bytes - left) * 8 / (mbit * 1e6);
            double now = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            if (due > now) usleep(static_cast<useconds_t>((due - now) * 1e6));
        }
        for (auto& w : buf) w = rng();
        size_t chunk = std::min<uint64_t>(left, buf.size() * 8);
        const char* p = reinterpret_cast<const char*>(buf.data());
        h.update(p, chunk);
        size_t off = 0;
        while (off < chunk) {
            ssize_t n = write(s, p + off, chunk - off);
            if (n < 0) die(std::string("write: ") + strerror(errno));
            off += static_cast<size_t>(n);
        }
        left -= chunk;
    }
    shutdown(s, SHUT_WR);
    char c;
    while (read(s, &c, 1) > 0) {
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("sent %llu %s %.3f\n", static_cast<unsigned long long>(bytes), h.hex().c_str(), secs);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 3 && std::strcmp(argv[1], "recv") == 0)
        return do_recv(argv[2], argc >= 5 && std::strcmp(argv[3], "--bind") == 0 ? argv[4] : nullptr);
    if (argc >= 5 && std::strcmp(argv[1], "send") == 0)
        return do_send(argv[2], argv[3], parse_size(argv[4]), argc >= 6 ? static_cast<unsigned>(std::atoi(argv[5])) : 1,
                       argc >= 7 ? std::atof(argv[6]) : 0);
    std::fprintf(stderr, "usage: ftnet-xfer recv PORT [--bind ADDR] | send ADDR PORT BYTES [SEED [MBIT]]\n");
    return 2;
}
