// The management socket (engine/management/control/mgmt_server.h) over a real UNIX
// socket: replies, errors for bad requests, limits, and that the server
// keeps serving after each.
#include "engine/management/control/mgmt_server.h"

#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <thread>

namespace ftnet {
namespace {

using nlohmann::json;

class MgmtServerTest : public testing::Test {
  protected:
    void SetUp() override {
        path = "/tmp/ftnet-mgmt-test-" + std::to_string(getpid()) + ".sock";
        server = std::make_unique<MgmtServer>(path, MgmtAccessConfig{}, [this](const json& req, bool may_change) -> json {
            calls++;
            std::string cmd = req["cmd"];
            if (cmd == "change" && !may_change) throw MgmtError("permission denied: read-only");
            if (cmd == "echo") return req.value("args", json::object());
            if (cmd == "fail") throw MgmtError("this command always fails");
            if (cmd == "big") return std::string(300000, 'x');
            throw MgmtError("unknown command \"" + cmd + "\"");
        });
        ep = epoll_create1(0);
        server->attach(ep);
    }
    void TearDown() override {
        server.reset();
        close(ep);
        struct stat st;
        EXPECT_NE(stat(path.c_str(), &st), 0) << "socket file removed on shutdown";
    }

    // Pumps the server's events until `done` or a timeout.
    void pump(const std::function<bool()>& done) {
        for (int i = 0; i < 500 && !done(); i++) {
            epoll_event evs[8];
            int n = epoll_wait(ep, evs, 8, 10);
            for (int k = 0; k < n; k++) server->on_event(evs[k].data.fd, evs[k].events, now_ms);
        }
    }

    int connect_client() {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
        EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        return fd;
    }

    // Sends raw bytes and collects `lines` reply lines.
    std::vector<std::string> exchange(int fd, const std::string& bytes, size_t lines) {
        EXPECT_EQ(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
        std::string buf;
        pump([&] {
            char tmp[65536];
            ssize_t n;
            while ((n = recv(fd, tmp, sizeof tmp, 0)) > 0) buf.append(tmp, static_cast<size_t>(n));
            return static_cast<size_t>(std::count(buf.begin(), buf.end(), '\n')) >= lines;
        });
        std::vector<std::string> out;
        size_t pos = 0, nl;
        while ((nl = buf.find('\n', pos)) != std::string::npos) {
            out.push_back(buf.substr(pos, nl - pos));
            pos = nl + 1;
        }
        return out;
    }

    std::string path;
    std::unique_ptr<MgmtServer> server;
    int ep = -1;
    int calls = 0;
    uint64_t now_ms = 1000;
};

TEST_F(MgmtServerTest, AnswersAndSurvivesEveryKindOfBadRequest) {
    int fd = connect_client();
    pump([&] { return false; });
    auto r = exchange(fd,
                      "{\"cmd\":\"echo\",\"args\":{\"a\":1}}\n"
                      "this is not json\n"
                      "[1,2,3]\n"
                      "{\"cmd\":42}\n"
                      "{\"cmd\":\"fail\"}\n"
                      "{\"cmd\":\"nope\"}\n"
                      "\n"
                      "{\"cmd\":\"echo\",\"args\":{\"b\":2}}\n",
                      7);
    ASSERT_EQ(r.size(), 7u);
    EXPECT_EQ(json::parse(r[0]), json({{"v", 1}, {"ok", true}, {"result", {{"a", 1}}}}));
    EXPECT_EQ(json::parse(r[1])["error"], "the request is not valid JSON");
    EXPECT_EQ(json::parse(r[2])["error"], "a request is a JSON object with a string \"cmd\"");
    EXPECT_FALSE(json::parse(r[3])["ok"]);
    EXPECT_EQ(json::parse(r[4])["error"], "this command always fails");
    EXPECT_EQ(json::parse(r[5])["error"], "unknown command \"nope\"");
    EXPECT_EQ(json::parse(r[6]), json({{"v", 1}, {"ok", true}, {"result", {{"b", 2}}}})) << "still serving after errors";
    close(fd);
}

TEST_F(MgmtServerTest, LargeRepliesArriveWhole) {
    int fd = connect_client();
    auto r = exchange(fd, "{\"cmd\":\"big\"}\n", 1);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(json::parse(r[0])["result"].get<std::string>().size(), 300000u);
    close(fd);
}

TEST_F(MgmtServerTest, OverlongRequestIsRefusedAndTheServerCarriesOn) {
    int fd = connect_client();
    std::string huge(MgmtServer::kMaxLine + 10, 'a');
    auto r = exchange(fd, huge, 1);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(json::parse(r[0])["error"], "request longer than 64 KiB");
    close(fd);
    int fd2 = connect_client();
    r = exchange(fd2, "{\"cmd\":\"echo\"}\n", 1);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_TRUE(json::parse(r[0])["ok"]);
    close(fd2);
}

TEST_F(MgmtServerTest, SocketIsPrivateToRootAndASecondServerIsRefused) {
    struct stat st;
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto none = [](const json&, bool) { return json(); };
    EXPECT_THROW(MgmtServer(path, MgmtAccessConfig{}, none), std::runtime_error);
    EXPECT_THROW(MgmtServer("/tmp/x.sock", MgmtAccessConfig{"no-such-group-ftnet"}, none), std::runtime_error);
    EXPECT_THROW(MgmtServer("/tmp/x.sock", MgmtAccessConfig{"", "no-such-group-ftnet"}, none), std::runtime_error);
}

TEST_F(MgmtServerTest, ClientsBeyondTheLimitAreTurnedAway) {
    std::vector<int> fds;
    for (size_t i = 0; i < MgmtServer::kMaxClients; i++) {
        fds.push_back(connect_client());
        pump([&] { return true; });  // let the server accept it
        epoll_event evs[8];
        int n = epoll_wait(ep, evs, 8, 10);
        for (int k = 0; k < n; k++) server->on_event(evs[k].data.fd, evs[k].events, now_ms);
    }
    int extra = connect_client();
    std::string buf;
    pump([&] {
        char tmp[256];
        ssize_t n = recv(extra, tmp, sizeof tmp, 0);
        if (n > 0) buf.append(tmp, static_cast<size_t>(n));
        return buf.find('\n') != std::string::npos;
    });
    EXPECT_EQ(json::parse(buf.substr(0, buf.find('\n')))["error"], "too many management clients (64); try again");
    for (int fd : fds) close(fd);
    close(extra);
}

TEST_F(MgmtServerTest, AHalfClosedClientStillGetsItsReplies) {
    int fd = connect_client();
    const std::string req = "{\"cmd\":\"echo\",\"args\":{\"n\":1}}\n{\"cmd\":\"big\"}\n{\"cmd\":\"echo\"}";  // last without newline
    ASSERT_EQ(send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
    shutdown(fd, SHUT_WR);
    std::string buf;
    bool closed = false;
    pump([&] {
        char tmp[65536];
        ssize_t n;
        while ((n = recv(fd, tmp, sizeof tmp, 0)) > 0) buf.append(tmp, static_cast<size_t>(n));
        closed = closed || n == 0;
        return closed;
    });
    EXPECT_TRUE(closed) << "the server closes once it has answered";
    EXPECT_EQ(std::count(buf.begin(), buf.end(), '\n'), 3) << "three replies, the last request without its newline too";
    EXPECT_EQ(server->clients(), 0u);
    close(fd);
}

TEST_F(MgmtServerTest, ProtocolVersionsAreCheckedAndEveryReplyCarriesOne) {
    int fd = connect_client();
    auto r = exchange(fd,
                      "{\"v\":1,\"cmd\":\"echo\"}\n"
                      "{\"v\":2,\"cmd\":\"echo\"}\n"
                      "{\"v\":\"1\",\"cmd\":\"echo\"}\n"
                      "{\"v\":0,\"cmd\":\"echo\"}\n",
                      4);
    ASSERT_EQ(r.size(), 4u);
    EXPECT_TRUE(json::parse(r[0])["ok"]);
    EXPECT_EQ(json::parse(r[1])["error"], "protocol version 2 is not spoken here (this ftnetd speaks 1)");
    EXPECT_FALSE(json::parse(r[2])["ok"]);
    EXPECT_FALSE(json::parse(r[3])["ok"]);
    for (auto& line : r) EXPECT_EQ(json::parse(line)["v"], 1);
    close(fd);
}

TEST_F(MgmtServerTest, ASilentClientIsClosedAfterTheIdleTimeAndOthersAreServed) {
    int silent = connect_client();
    pump([&] { return server->clients() == 1; });
    ASSERT_EQ(server->clients(), 1u);
    now_ms += MgmtServer::kIdleMs - 1;
    server->expire(now_ms);
    EXPECT_EQ(server->clients(), 1u) << "not before its time";
    int busy = connect_client();
    EXPECT_EQ(exchange(busy, "{\"cmd\":\"echo\"}\n", 1).size(), 1u);
    now_ms += 2;
    server->expire(now_ms);
    EXPECT_EQ(server->clients(), 1u) << "the silent one closed, the one that asked kept";
    EXPECT_EQ(server->stats().closed_idle, 1u);
    char buf[512];
    ssize_t n = recv(silent, buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    EXPECT_NE(std::string(buf, static_cast<size_t>(n)).find("no request for 10 s"), std::string::npos);
    close(silent);
    close(busy);
}

TEST_F(MgmtServerTest, AClientThatNeverReadsCostsBoundedMemory) {
    int hog = connect_client();
    int one = 1 << 16;
    setsockopt(hog, SOL_SOCKET, SO_RCVBUF, &one, sizeof one);
    // 60 requests for 300 kB each: 18 MB of replies it never reads.
    std::string reqs;
    for (int i = 0; i < 60; i++) reqs += "{\"cmd\":\"big\"}\n";
    size_t sent = 0;
    for (int round = 0; round < 200 && sent < reqs.size(); round++) {
        ssize_t n = send(hog, reqs.data() + sent, reqs.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) sent += static_cast<size_t>(n);
        pump([&] { return true; });
        epoll_event evs[8];
        int k = epoll_wait(ep, evs, 8, 5);
        for (int i = 0; i < k; i++) server->on_event(evs[i].data.fd, evs[i].events, now_ms);
    }
    EXPECT_LT(calls, 60) << "it stops being served once its replies pile up";
    // Another client is served at once.
    int other = connect_client();
    auto r = exchange(other, "{\"cmd\":\"echo\"}\n", 1);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_TRUE(json::parse(r[0])["ok"]);
    close(other);
    // And the hog goes when idle.
    now_ms += MgmtServer::kIdleMs;
    server->expire(now_ms);
    EXPECT_EQ(server->clients(), 0u);
    close(hog);
}

TEST_F(MgmtServerTest, AccessFollowsTheGroupsAndReadOnlyCanOnlyRead) {
    // The decision, for made-up users (the test runs as root, who always
    // has full access).
    MgmtAccess closed{MgmtAccessConfig{}};
    EXPECT_EQ(closed.rights(0, std::vector<gid_t>{0}), MgmtRights::Full);
    EXPECT_EQ(closed.rights(12345, std::vector<gid_t>{100}), MgmtRights::None);
    EXPECT_EQ(closed.file_mode(), 0600u);
    MgmtAccess everyone{MgmtAccessConfig{"", "", true}};
    EXPECT_EQ(everyone.rights(12345, std::vector<gid_t>{100}), MgmtRights::ReadOnly);
    EXPECT_EQ(everyone.file_mode(), 0666u);
    MgmtAccess groups{MgmtAccessConfig{"root", "daemon", false}};  // gids 0 and 1 on Debian
    EXPECT_EQ(groups.rights(12345, std::vector<gid_t>{100, 0}), MgmtRights::Full);
    EXPECT_EQ(groups.rights(12345, std::vector<gid_t>{1}), MgmtRights::ReadOnly);
    EXPECT_EQ(groups.rights(12345, std::vector<gid_t>{100}), MgmtRights::None);
    EXPECT_EQ(groups.file_mode(), 0666u);
    // What a read-only client may send is decided by the command (the
    // registry), given may_change = false by the server.
    EXPECT_EQ(json::parse(server->handle_line("{\"cmd\":\"change\"}", false))["error"], "permission denied: read-only");
    EXPECT_EQ(server->stats().denied, 1u);
}

}  // namespace
}  // namespace ftnet
