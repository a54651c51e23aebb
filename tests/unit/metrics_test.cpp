// The metrics module (engine/metrics): the Prometheus text rendered from
// the management commands' JSON, the [metrics] section, and the HTTP
// server against well-behaved and hostile clients (over a UNIX socket,
// driven by an epoll loop of the test's own).

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "engine/config/config_loader.h"
#include "engine/metrics/control/metrics_config.h"
#include "engine/metrics/control/metrics_server.h"
#include "engine/metrics/control/prometheus_text.h"
#include "tests/unit/minimal_config.h"

namespace ftnet {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

EngineSnapshot sample() {
    EngineSnapshot s;
    s.status = {{"node", {{"id", 1}, {"name", "n\"1"}, {"cluster", "lab"}}}, {"version", "0.1"}, {"dpdk", "DPDK 22.11"},
                {"uptime_s", 42}, {"peers", 1}};
    s.counters = {{"ports", json::array({{{"name", "cluster"}, {"rx_packets", 10}, {"rx_bytes", 1000}, {"tx_packets", 20},
                                          {"tx_bytes", 2000}, {"hw_imissed", 0}, {"hw_rx_nombuf", 0},
                                          {"kernel", {{"rx_ring_full", 3}}}}})},
                  {"drops", {{"rx-bad-tag", 5}, {"tx-no-route", 0}}},
                  {"workers", json::array({{{"index", 0}, {"packets", 30}, {"loops", 100}, {"busy_loops", 7},
                                            {"cycles_per_packet", 312.5}, {"stalls", 0}}})}};
    s.routes = json::array({{{"id", 0}, {"peer", "n2"}, {"network", "cluster"}, {"family", "ipv6"}, {"state", "up"},
                             {"in_use", true}, {"rank", 1}, {"flaps", 0}, {"tx_packets", 20}, {"tx_bytes", 1500},
                             {"rx_packets", 10}, {"rx_bytes", 800},
                             {"heartbeat", {{"requests_sent", 100}, {"replies_received", 99}, {"periods_missed", 1},
                                            {"loss_pct", 1.0}, {"rtt_smoothed_us", 250.0}}}},
                            {{"id", 1}, {"peer", "n2"}, {"network", "storage"}, {"family", "ipv4"}, {"state", "down"},
                             {"in_use", false}, {"rank", 2}, {"heartbeat", json::object()}}});
    s.membership = {{"epoch", 7}, {"members", json::array({1, 2})}, {"regrouping", false},
                    {"quorum", {{"has", true}, {"votes", 2}, {"needed", 2}}}};
    return s;
}

TEST(Prometheus, EveryObjectIsRenderedWithItsLabelsAndOneHelpPerMetric) {
    const std::string t = render_prometheus(sample());
    EXPECT_THAT(t, HasSubstr("ftnet_info{node=\"n\\\"1\",node_id=\"1\",cluster=\"lab\",version=\"0.1\",dpdk=\"DPDK 22.11\"} 1\n"));
    EXPECT_THAT(t, HasSubstr("ftnet_port_tx_packets_total{port=\"cluster\"} 20\n"));
    EXPECT_THAT(t, HasSubstr("ftnet_port_kernel_dropped_total{port=\"cluster\",where=\"rx_ring_full\"} 3\n"));
    EXPECT_THAT(t, HasSubstr("ftnet_drops_total{reason=\"rx-bad-tag\"} 5\n"));
    EXPECT_THAT(t, HasSubstr("ftnet_drops_total{reason=\"tx-no-route\"} 0\n"));
    EXPECT_THAT(t, HasSubstr("ftnet_worker_cycles_per_packet{worker=\"0\"} 312.5\n"));
    EXPECT_THAT(t, HasSubstr("ftnet_route_up{route=\"0\",peer=\"n2\",network=\"cluster\",family=\"ipv6\"} 1\n"));
    EXPECT_THAT(t, HasSubstr("ftnet_route_up{route=\"1\",peer=\"n2\",network=\"storage\",family=\"ipv4\"} 0\n"));
    EXPECT_THAT(t, HasSubstr("ftnet_route_rtt_seconds{route=\"0\",peer=\"n2\",network=\"cluster\",family=\"ipv6\"} 0.00025\n"));
    EXPECT_THAT(t, HasSubstr("ftnet_route_heartbeat_loss_ratio{route=\"0\",peer=\"n2\",network=\"cluster\",family=\"ipv6\"} 0.01\n"));
    EXPECT_THAT(t, HasSubstr("ftnet_membership_epoch 7\n"));
    EXPECT_THAT(t, HasSubstr("ftnet_membership_members 2\n"));
    EXPECT_THAT(t, HasSubstr("ftnet_membership_quorum 1\n"));
    // Each metric's HELP and TYPE once, before its samples.
    size_t helps = 0;
    for (size_t p = t.find("# HELP ftnet_route_up "); p != std::string::npos; p = t.find("# HELP ftnet_route_up ", p + 1)) helps++;
    EXPECT_EQ(helps, 1u);
    EXPECT_LT(t.find("# TYPE ftnet_route_up gauge"), t.find("ftnet_route_up{"));
    EXPECT_THAT(t, HasSubstr("# TYPE ftnet_port_tx_packets_total counter\n"));
}

TEST(Prometheus, AMissingPartIsLeftOut) {
    EngineSnapshot s = sample();
    s.membership = nullptr;
    s.routes = json("not an array");
    const std::string t = render_prometheus(s);
    EXPECT_THAT(t, Not(HasSubstr("ftnet_membership")));
    EXPECT_THAT(t, Not(HasSubstr("ftnet_route_")));
    EXPECT_THAT(t, HasSubstr("ftnet_port_rx_packets_total"));
    EXPECT_EQ(prometheus_label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
}

TEST(MetricsConfig, ListenAddressesAndTheirErrors) {
    auto load = [](const std::string& extra) { return load_config_string(std::string(test::kMinimalConfig) + extra, "m.toml"); };
    {
        ConfigResult r = load("[metrics]\nprometheus = \"127.0.0.1:9343\"\nmax_clients = 4\n");
        ASSERT_TRUE(r.config);
        const auto* s = r.config->find_section<MetricsSettings>(kMetricsSection);
        ASSERT_TRUE(s);
        EXPECT_TRUE(s->tcp);
        EXPECT_EQ(s->host, "127.0.0.1");
        EXPECT_EQ(s->port, 9343u);
        EXPECT_EQ(s->max_clients, 4u);
    }
    {
        ConfigResult r = load("[metrics]\nprometheus = \"[::1]:9100\"\n");
        ASSERT_TRUE(r.config);
        EXPECT_EQ(r.config->find_section<MetricsSettings>(kMetricsSection)->host, "::1");
    }
    {
        ConfigResult r = load("[metrics]\nprometheus = \"unix:/run/ftnet/metrics.sock\"\n");
        ASSERT_TRUE(r.config);
        EXPECT_EQ(r.config->find_section<MetricsSettings>(kMetricsSection)->unix_path, "/run/ftnet/metrics.sock");
    }
    struct Bad {
        const char* toml;
        const char* error;
    } bad[] = {
        {"[metrics]\nprometheus = \"localhost:9343\"\n", "metrics.prometheus: \"localhost:9343\" is not ADDRESS:PORT"},
        {"[metrics]\nprometheus = \"::1:9343\"\n", "[ADDRESS]:PORT for IPv6"},
        {"[metrics]\nprometheus = \"127.0.0.1:70000\"\n", "is not ADDRESS:PORT"},
        {"[metrics]\nprometheus = \"unix:relative\"\n", "unix:/absolute/path"},
        {"[metrics]\nmax_clients = 0\n", "metrics.max_clients: value 0 is out of range"},
        {"[metrics]\nport = 9343\n", "metrics.port: unknown key"},
    };
    for (auto& b : bad) {
        ConfigResult r = load(b.toml);
        std::string all;
        for (auto& e : r.errors) all += e.str() + "\n";
        EXPECT_FALSE(r.config) << b.toml;
        EXPECT_THAT(all, HasSubstr(b.error)) << b.toml;
    }
}

// A server on a UNIX socket and the test's own epoll loop around it.
class MetricsServerTest : public testing::Test {
  protected:
    void SetUp() override {
        path = "/tmp/ftnet-metrics-test-" + std::to_string(getpid()) + ".sock";
        s.unix_path = path;
        s.listen = "unix:" + path;
        s.max_clients = 3;
        ep = epoll_create1(EPOLL_CLOEXEC);
        server = std::make_unique<MetricsServer>(s, [this] { return body; });
        server->attach(ep);
    }
    void TearDown() override {
        server.reset();
        close(ep);
        EXPECT_NE(access(path.c_str(), F_OK), 0) << "the socket file is removed";
    }
    // Serves events for `ms`.
    void pump(int ms = 50) {
        const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
        while (std::chrono::steady_clock::now() < end) {
            epoll_event ev[16];
            const int n = epoll_wait(ep, ev, 16, 5);
            for (int i = 0; i < n; i++) server->on_event(ev[i].data.fd, ev[i].events);
        }
    }
    int connect_client() {
        const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
        EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        return fd;
    }
    // Sends `request` and reads the whole answer, serving meanwhile.
    std::string ask(const std::string& request) {
        const int fd = connect_client();
        pump(10);
        EXPECT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
        fcntl(fd, F_SETFL, O_NONBLOCK);
        std::string got;
        const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (std::chrono::steady_clock::now() < end) {
            pump(5);
            char buf[65536];
            const ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n == 0) break;
            if (n > 0) got.append(buf, static_cast<size_t>(n));
        }
        close(fd);
        return got;
    }
    std::string path;
    MetricsSettings s;
    int ep = -1;
    std::string body = "ftnet_up 1\n";
    std::unique_ptr<MetricsServer> server;
};

TEST_F(MetricsServerTest, AScrapeGetsTheTextAndTheConnectionCloses) {
    const std::string r = ask("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n\r\n");
    EXPECT_THAT(r, HasSubstr("HTTP/1.0 200 OK\r\n"));
    EXPECT_THAT(r, HasSubstr("Content-Type: text/plain; version=0.0.4"));
    EXPECT_THAT(r, HasSubstr("Content-Length: 11\r\n"));
    EXPECT_EQ(r.substr(r.size() - 11), "ftnet_up 1\n");
    EXPECT_EQ(server->stats().scrapes, 1u);
    EXPECT_EQ(server->clients(), 0u);
    // A query string is ignored; HEAD gets the headers only.
    EXPECT_THAT(ask("GET /metrics?x=1 HTTP/1.0\r\n\r\n"), HasSubstr("200 OK"));
    const std::string h = ask("HEAD /metrics HTTP/1.0\r\n\r\n");
    EXPECT_THAT(h, HasSubstr("200 OK"));
    EXPECT_EQ(h.find("ftnet_up"), std::string::npos);
}

TEST_F(MetricsServerTest, BadRequestsGetAnErrorAndTheServerGoesOn) {
    EXPECT_THAT(ask("hello there\r\n\r\n"), HasSubstr("400 Bad Request"));
    EXPECT_THAT(ask("GET / HTTP/1.1\r\n\r\n"), HasSubstr("404 Not Found"));
    EXPECT_THAT(ask("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), HasSubstr("405 Method Not Allowed"));
    EXPECT_THAT(ask("GET /metrics HTTP/1.1\r\nX: " + std::string(10000, 'a')), HasSubstr("431"));
    EXPECT_EQ(server->stats().errors, 4u);
    EXPECT_THAT(ask("GET /metrics HTTP/1.1\r\n\r\n"), HasSubstr("200 OK"));
    EXPECT_EQ(server->clients(), 0u);
}

TEST_F(MetricsServerTest, SilentClientsAreClosedAndTooManyAreRefused) {
    int silent[3];
    for (int& fd : silent) fd = connect_client();
    pump(30);
    EXPECT_EQ(server->clients(), 3u);
    const int extra = connect_client();  // over max_clients: closed at once
    pump(30);
    char c;
    EXPECT_EQ(recv(extra, &c, 1, 0), 0) << "closed";
    EXPECT_EQ(server->stats().refused, 1u);
    // Time passes: the silent ones are closed.
    server->expire(UINT64_MAX / 2);
    EXPECT_EQ(server->clients(), 0u);
    EXPECT_EQ(server->stats().timed_out, 3u);
    for (int fd : silent) {
        EXPECT_EQ(recv(fd, &c, 1, 0), 0);
        close(fd);
    }
    close(extra);
    EXPECT_THAT(ask("GET /metrics HTTP/1.1\r\n\r\n"), HasSubstr("200 OK"));
}

TEST_F(MetricsServerTest, AnAnswerBiggerThanTheSocketBufferIsWrittenAsTheClientReads) {
    body.assign(8 << 20, 'x');
    body += "\n";
    const std::string r = ask("GET /metrics HTTP/1.0\r\n\r\n");
    EXPECT_THAT(r, HasSubstr("200 OK"));
    EXPECT_EQ(r.size() - r.find("\r\n\r\n") - 4, body.size());
}

}  // namespace
}  // namespace ftnet
