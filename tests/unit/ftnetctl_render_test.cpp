// ftnetctl's text rendering (engine/app/ftnetctl_render.h): the lines an
// operator reads, from the daemon's JSON.
#include "engine/app/ftnetctl_render.h"

#include <gtest/gtest.h>

namespace ftnet::ctl {
namespace {

using nlohmann::json;

json route(const char* title, const char* state, const char* reason, bool in_use) {
    return {{"title", title}, {"state", state}, {"reason", reason}, {"in_use", in_use}, {"peer", "node2"},
            {"peer_id", 2}, {"rank", 1}, {"port", "cluster"}, {"next_hop", "fd00:2::2"},
            {"next_hop_mac", "00:00:5e:00:53:22"}, {"tx_packets", 3}, {"tx_bytes", 4096},
            {"rx_packets", 0}, {"rx_bytes", 0}};
}

TEST(Render, RoutesReadLikeTheClusterLog) {
    json rs = json::array({route("Route between fd00:2::1 and fd00:2::2 (cluster, IPv6)", "up", "", true),
                           route("Route between 198.18.2.1 and 198.18.2.2 (cluster, IPv4)", "down", "link down", false)});
    std::string out = render("routes", rs);
    EXPECT_NE(out.find("Route between fd00:2::1 and fd00:2::2 (cluster, IPv6) up, in use\n"), std::string::npos) << out;
    EXPECT_NE(out.find("Route between 198.18.2.1 and 198.18.2.2 (cluster, IPv4) down (link down)\n"), std::string::npos) << out;
    EXPECT_NE(out.find("tx 3 pkts (4.0 KiB)"), std::string::npos) << out;
    EXPECT_EQ(render("routes", json::array()), "no routes\n");
}

TEST(Render, KeysShowWhichOneSealsAndWhatEachReceived) {
    json j = {{"epoch", 12}, {"encrypt", true}, {"primary_key", 2},
              {"keys", json::array({{{"id", 1}, {"cipher", "AES-128-GCM"}, {"primary", false}, {"rx_messages", 10}, {"source", "cluster.key"}},
                                    {{"id", 2}, {"cipher", "AES-256-GCM"}, {"primary", true}, {"rx_messages", 0}, {"source", "/etc/ftnet/k2"}}})}};
    const std::string out = render("key", j);
    EXPECT_NE(out.find("epoch 12, payloads encrypted\n"), std::string::npos) << out;
    EXPECT_NE(out.find("key   1    AES-128-GCM  10 messages received  (cluster.key)\n"), std::string::npos) << out;
    EXPECT_NE(out.find("key   2 *  AES-256-GCM  0 messages received  (/etc/ftnet/k2)\n"), std::string::npos) << out;
}

TEST(Render, SessionShowsStateRouteCountsWindowAndRtt) {
    json p = {{"peer", 2}, {"name", "node2"}, {"state", "established"}, {"incarnation", 7}, {"peer_incarnation", 9},
              {"route", "Route between fd00:2::1 and fd00:2::2 (cluster, IPv6)"}, {"msgs_sent", 10}, {"msgs_acked", 9},
              {"msgs_delivered", 4}, {"in_flight", 1}, {"queued_segments", 1}, {"queued_bytes", 2048}, {"window", 512},
              {"segs_sent", 12}, {"segs_retransmitted", 3}, {"timeouts", 2}, {"route_changes", 1}, {"segs_received", 8},
              {"segs_duplicate", 1}, {"segs_stale", 0}, {"segs_malformed", 0}, {"srtt_us", 180}, {"rto_us", 4000},
              {"resets", 0}, {"probe_sent", 5}, {"probe_received", 0}, {"probe_out_of_order", 0}, {"probe_bad", 0}};
    const std::string out = render("session", json::array({p}));
    EXPECT_NE(out.find("node2 (node 2): established, incarnation 9 (ours 7), on Route between fd00:2::1 and fd00:2::2 "
                       "(cluster, IPv6)\n"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("messages: 10 sent, 9 acknowledged, 4 received; 1 in flight, 1 queued (2.0 KiB), window 512"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("3 retransmitted (2 timeouts, 1 route changes)"), std::string::npos) << out;
    EXPECT_NE(out.find("RTT 0.180 ms, timeout 4.0 ms"), std::string::npos) << out;
    EXPECT_NE(out.find("probes: 5 sent, 0 received"), std::string::npos) << out;
}

TEST(Render, MembershipShowsTheViewAndWhyThereIsNoQuorum) {
    json m = {{"epoch", 196611}, {"round", 3}, {"coordinator", 3}, {"regrouping", false},
              {"members", json::array({{{"id", 3}, {"name", "node3"}}})}, {"excluded", json::array()},
              {"quorum", {{"has", false}, {"votes", 1}, {"total", 3}, {"needed", 2},
                          {"reason", "this partition has 1 of 3 votes (1 node), needs 2"}}}};
    std::string out = render("membership", m);
    EXPECT_NE(out.find("view epoch 196611 (round 3, coordinator node 3): node3\n"), std::string::npos) << out;
    EXPECT_NE(out.find("no quorum: this partition has 1 of 3 votes (1 node), needs 2\n"), std::string::npos) << out;
    m["quorum"] = {{"has", true}, {"votes", 3}, {"total", 5}, {"needed", 3}, {"reason", ""}};
    m["witness"] = {{"file", "/srv/w"}, {"lease_ms", 3000}, {"ours", true}, {"holder", "node1"}, {"error", ""}};
    out = render("membership", m);
    EXPECT_NE(out.find("quorum: 3 of 5 votes (needs 3)\n"), std::string::npos) << out;
    EXPECT_NE(out.find("witness /srv/w (lease 3000 ms): held by this partition\n"), std::string::npos) << out;
}

TEST(Render, StatusNamesTheViewAndItsQuorum) {
    json st = {{"node", {{"name", "node1"}, {"id", 1}, {"cluster", "lab"}}}, {"version", "0.1.0"}, {"dpdk", "DPDK 22.11"},
               {"config", "/etc/ftnet/ftnet.toml"}, {"uptime_s", 5}, {"workers", 1}, {"ports", 3}, {"peers", 2},
               {"peers_reachable", 1}, {"routes", 12}, {"routes_up", 6}, {"rx_packets", 10}, {"tx_packets", 9},
               {"drops", 0}, {"membership_epoch", 4295032833}, {"quorum", false}};
    const std::string out = render("status", st);
    EXPECT_NE(out.find("view      epoch 4295032833, no quorum (ftnetctl membership says why)\n"), std::string::npos) << out;
    st["quorum"] = true;
    EXPECT_NE(render("status", st).find("view      epoch 4295032833, quorum\n"), std::string::npos);
}

TEST(Render, InterfacesLookLikeIpconfigAll) {
    json j = {{"adapter",
               {{"name", "ftnet0"}, {"description", "ftnet Failover Cluster Virtual Adapter"}, {"mac_windows", "02-00-5E-00-53-11"},
                {"dhcp", false}, {"autoconfiguration", true}, {"link_local", "fe80::a9fe:1:1"}, {"apipa", "169.254.1.1"},
                {"apipa_mask", "255.255.0.0"}, {"mtu", 1400}, {"mac_from_port", "public"},
                {"endpoint_pairs", json::array({{{"local", "fd00:2::1"}, {"remote", "fd00:2::2"}, {"network", "cluster"},
                                                 {"family", "IPv6"}, {"peer", "node2"}}})}}},
              {"ports", json::array()}};
    std::string out = render("interfaces", j);
    EXPECT_NE(out.find("Ethernet adapter ftnet0:"), std::string::npos);
    EXPECT_NE(out.find("Physical Address . . . . . . . . . : 02-00-5E-00-53-11"), std::string::npos) << out;
    EXPECT_NE(out.find(": fe80::a9fe:1:1%ftnet0(Preferred)"), std::string::npos);
    EXPECT_NE(out.find(": 169.254.1.1(Preferred)"), std::string::npos);
    EXPECT_NE(out.find(": 255.255.0.0"), std::string::npos);
    EXPECT_NE(out.find("fd00:2::1 <-> fd00:2::2 (cluster, IPv6, node2)"), std::string::npos);
}

TEST(Render, UnknownCommandsFallBackToJson) {
    EXPECT_EQ(render("whatever", json{{"a", 1}}), "{\n  \"a\": 1\n}\n");
}

}  // namespace
}  // namespace ftnet::ctl

namespace ftnet::ctl {
namespace {

// The host side's drops of ftnet0 are shown beside the engine's own, so that
// a sender can account for every frame.
TEST(Render, CountersShowWhatTheHostSideOfTheAdapterDropped) {
    nlohmann::json port = {{"name", "ftnet0"}, {"rx_packets", 1}, {"rx_bytes", 64}, {"tx_packets", 1}, {"tx_bytes", 64},
                           {"hw_imissed", 0}, {"hw_ierrors", 0}, {"hw_oerrors", 0},
                           {"kernel", {{"host_to_engine_dropped", 695841}, {"engine_to_host_dropped", 0}}}};
    nlohmann::json c = {{"ports", {port}}, {"drops", {{"adapter-full", 3}}}, {"workers", nlohmann::json::array()}};
    const std::string out = render("counters", c);
    EXPECT_NE(out.find("ftnet0: the host's side dropped 695841 frame(s) it could not queue to the engine"), std::string::npos) << out;
    EXPECT_NE(out.find("adapter-full"), std::string::npos);
    port["kernel"] = nullptr;  // not a TAP adapter, or another namespace
    c["ports"] = {port};
    EXPECT_EQ(render("counters", c).find("host side"), std::string::npos);
}

// A physical af_packet or af_xdp port whose socket ring overflowed: the
// kernel's drop, shown so that it is not silent loss.
TEST(Render, CountersShowWhatAPortsSocketRingDropped) {
    nlohmann::json port = {{"name", "cluster"}, {"rx_packets", 1}, {"rx_bytes", 64}, {"tx_packets", 1}, {"tx_bytes", 64},
                           {"hw_imissed", 0}, {"hw_ierrors", 0}, {"hw_oerrors", 0}, {"kernel", {{"rx_ring_full", 35654}}}};
    nlohmann::json c = {{"ports", {port}}, {"drops", nlohmann::json::object()}, {"workers", nlohmann::json::array()}};
    EXPECT_NE(render("counters", c).find("cluster: the kernel dropped 35654 frame(s) for the engine: the port's socket ring was full"),
              std::string::npos)
        << render("counters", c);
    port["kernel"]["rx_ring_full"] = 0;
    c["ports"] = {port};
    EXPECT_EQ(render("counters", c).find("ring was full"), std::string::npos);
}

// Groups, resources, DNS and DHCP, as the daemon answers them.
TEST(Render, GroupsResourcesDnsAndDhcp) {
    using nlohmann::json;
    json g = {{"name", "web"}, {"owner", "node2"}, {"owner_id", 2}, {"state", "online"}, {"admin", "online"},
              {"preferred_owners", {"node2", "node3"}}, {"resources", {"ipA", "web"}}, {"moving_to", "node3"},
              {"status", {{"resources", {{"ipA", {{"state", "online"}, {"address", "198.18.1.50/24"}}},
                                         {"web", {{"state", "failed"}, {"reason", "its dependency does not hold"}}}}}}}};
    const std::string show = render("group", g);
    EXPECT_NE(show.find("web              node2      online (moving to node3)"), std::string::npos) << show;
    EXPECT_NE(show.find("ipA            online 198.18.1.50/24"), std::string::npos) << show;
    EXPECT_NE(show.find("(its dependency does not hold)"), std::string::npos) << show;
    EXPECT_NE(render("group", json{{"accepted", true}, {"manager", "node1"}}).find("manager (node1)"), std::string::npos);
    json rl = json::array({{{"name", "ipD"}, {"type", "ip_address"}, {"group", "g"}, {"owner", ""}, {"state", "pending"},
                            {"network", "public"}, {"setting", "dhcp"}}});
    EXPECT_NE(render("resource", rl).find("ipD            ip_address    g              -        pending      (DHCP) on public"),
              std::string::npos)
        << render("resource", rl);
    json dns = {{"configured", true}, {"server", "198.18.1.99 port 53"}, {"zone", "ftlab.example"}, {"key", "k (hmac-sha256)"},
                {"names", json::array({{{"name", "web.ftlab.example"}, {"state", "refused"}, {"records", {"198.18.1.50"}},
                                        {"ttl", 60}, {"last_error", "198.18.1.99 answered NOTAUTH (TSIG BADSIG)"}}})}};
    const std::string d = render("dns", dns);
    EXPECT_NE(d.find("web.ftlab.example            refused    198.18.1.50 (TTL 60); 198.18.1.99 answered NOTAUTH"), std::string::npos)
        << d;
    EXPECT_NE(render("dns", json{{"configured", false}}).find("not configured"), std::string::npos);
    EXPECT_NE(render("dhcp", json{{"clients", json::array()}}).find("no DHCP clients"), std::string::npos);
    json dhcp = {{"clients", json::array({{{"client_id", "ftnet/ftlab/ipD"}, {"port", "public"}, {"state", "bound"},
                                            {"address", "198.18.1.117/24"}, {"server", "198.18.1.99"}, {"renew_in_s", 3.2},
                                            {"expires_in_s", 117.0}}})}};
    EXPECT_NE(render("dhcp", dhcp).find("bound      198.18.1.117/24 from 198.18.1.99, renew in 3 s, expires in 117 s"),
              std::string::npos)
        << render("dhcp", dhcp);
}

}  // namespace
}  // namespace ftnet::ctl
