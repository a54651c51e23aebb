// The config loader (engine/config/config_loader.h): every check it makes,
// as tables of broken files and the error each must give (key, line and
// message), then the files that must load (the lab configs, the production
// example, defaults), and parse_lcore_list.
#include "engine/config/config_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/limits.h"
#include "engine/security/control/key_config.h"
#include "engine/tunnel/control/route_plan.h"

namespace ftnet {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The sections every valid file needs. A fixture's snippet comes first, so
// that its line numbers are the snippet's own; the sections it does not
// define itself are appended after it.
const std::string kNode =
    "[node]\n"
    "id = 1\n"
    "name = \"n1\"\n";
const std::string kNetwork =
    "[[network]]\n"
    "name = \"net\"\n"
    "subnets = [\"198.18.1.0/24\", \"fd00:1::/64\"]\n";
const std::string kPort =
    "[[port]]\n"
    "name = \"p0\"\n"
    "driver = \"af_packet\"\n"
    "iface = \"eth0\"\n"
    "network = \"net\"\n"
    "ipv4 = \"198.18.1.1/24\"\n"
    "ipv6 = \"fd00:1::1/64\"\n";

const std::string kCluster =
    "[cluster]\n"
    "key = \"00112233445566778899aabbccddeeff\"\n";

std::string with_standard_sections(const std::string& snippet) {
    std::string doc = snippet;
    if (snippet.find("[node]") == std::string::npos) doc += kNode;
    if (snippet.find("[network]") == std::string::npos) doc += kNetwork;  // also [[network]]
    if (snippet.find("[port]") == std::string::npos) doc += kPort;
    if (snippet.find("[cluster]") == std::string::npos) doc += kCluster;
    return doc;
}

std::string all_errors(const ConfigResult& r) {
    std::string s;
    for (auto& e : r.errors) s += "  " + e.str() + "\n";
    return s;
}

const char* source_root() {
    const char* root = std::getenv("FTNET_SOURCE_ROOT");
    return root ? root : "";
}

// ---------------------------------------------------------------------------
// Files that must be refused.

struct BadConfig {
    const char* name;     // test name
    std::string toml;     // the snippet; standard sections it lacks are appended
    const char* key;      // ConfigError::key of the expected error ("" for syntax errors)
    const char* message;  // a substring of its message
    int line;             // its line; 0: the error concerns the whole file
    size_t n_errors = 1;  // every error the file gives (more than 1 only for named cascades)
    bool whole = false;   // toml is the whole file: nothing is appended but the [cluster]
                          // key (at the end, so lines stay), unless the case is about [cluster]
};

void PrintTo(const BadConfig& c, std::ostream* os) { *os << c.name; }

class ConfigRejects : public ::testing::TestWithParam<BadConfig> {};

TEST_P(ConfigRejects, WithKeyLineAndMessage) {
    const BadConfig& f = GetParam();
    const bool about_cluster = std::string(f.key).rfind("cluster", 0) == 0;
    const std::string text = !f.whole                 ? with_standard_sections(f.toml)
                             : about_cluster || f.toml.find("[cluster]") != std::string::npos ? f.toml
                                                                                              : f.toml + "\n" + kCluster;
    ConfigResult r = load_config_string(text, "bad.toml");
    SCOPED_TRACE("file:\n" + text + "errors:\n" + all_errors(r));

    EXPECT_FALSE(r.config.has_value()) << "a file with an error must yield no Config";
    ASSERT_EQ(r.errors.size(), f.n_errors);
    auto it = std::find_if(r.errors.begin(), r.errors.end(), [&](const ConfigError& e) {
        return e.key == f.key && e.message.find(f.message) != std::string::npos;
    });
    ASSERT_NE(it, r.errors.end())
        << "no error has key \"" << f.key << "\" and a message with \"" << f.message << "\"";
    EXPECT_EQ(it->source, "bad.toml");
    EXPECT_EQ(it->line, f.line);
    // The printed form is what an operator reads: file, line, key, message.
    std::string where = it->line > 0 ? "bad.toml:" + std::to_string(it->line) : "bad.toml";
    EXPECT_EQ(it->str(), where + ": " + (it->key.empty() ? "" : it->key + ": ") + it->message);
}

std::string test_name(const ::testing::TestParamInfo<BadConfig>& info) { return info.param.name; }

// Generated files for the count limits.
std::string n_networks(size_t n) {
    std::string s;
    for (size_t i = 0; i < n; i++) {
        s += "[[network]]\nname = \"";
        s += i == 0 ? std::string("net") : std::string("n") + std::to_string(i);
        s += "\"\n";
    }
    return s;
}

std::string n_ports(size_t n) {
    std::string s;
    for (size_t i = 0; i < n; i++)
        s += "[[port]]\nname = \"p" + std::to_string(i) + "\"\ndriver = \"af_packet\"\niface = \"eth" +
             std::to_string(i) + "\"\nnetwork = \"net\"\nipv4 = \"198.18.1." + std::to_string(i + 1) +
             "/24\"\n";
    return s;
}

std::string n_peers(size_t n) {
    std::string s;
    for (size_t i = 0; i < n; i++)
        s += "[[peer]]\nid = " + std::to_string(i + 2) + "\nname = \"n" + std::to_string(i + 2) +
             "\"\n[[peer.endpoint]]\nnetwork = \"net\"\nipv4 = \"198.18.1." + std::to_string(i + 2) +
             "\"\n";
    return s;
}

std::string n_workers(size_t n) {
    std::string s = "[eal]\nlcores = \"0-" + std::to_string(n) + "\"\n[dataplane]\nworkers = [";
    for (size_t i = 1; i <= n; i++) s += (i > 1 ? ", " : "") + std::to_string(i);
    return s + "]\n";
}

INSTANTIATE_TEST_SUITE_P(TopLevel, ConfigRejects, ::testing::Values(
    BadConfig{"UnknownKey",
     "nodes = 1\n",
     "nodes", "unknown key (allowed here: node, eal, dataplane, adapter, management, security, tunnel, "
              "cluster, policy, membership, dhcp, dns, resource, group, metrics, "
              "network, port, peer)", 1},
    BadConfig{"UnknownTable",
     "[tunel]\n"
     "udp_port = 3343\n",
     "tunel", "unknown key (allowed here: node, eal,", 1},
    BadConfig{"EmptyFile", "", "node", "required table [node] is missing", 0, 2, true},
    BadConfig{"NodeMissing", kNetwork + kPort, "node", "required table [node] is missing", 0, 1, true},
    BadConfig{"NodeNotATable", "node = 5\n" + kNetwork + kPort, "node", "5 must be a table [node]", 1,
     1, true}
), test_name);

INSTANTIATE_TEST_SUITE_P(Node, ConfigRejects, ::testing::Values(
    BadConfig{"IdMissing",
     "[node]\n"
     "name = \"n1\"\n",
     "node.id", "required key is missing", 1},
    BadConfig{"IdZero",
     "[node]\n"
     "id = 0\n"
     "name = \"n1\"\n",
     "node.id", "value 0 is out of range (allowed 1..4096)", 2},
    BadConfig{"IdAboveMax",
     "[node]\n"
     "name = \"n1\"\n"
     "id = 4097\n",
     "node.id", "value 4097 is out of range (allowed 1..4096)", 3},
    BadConfig{"IdNegative",
     "[node]\n"
     "id = -1\n"
     "name = \"n1\"\n",
     "node.id", "value -1 is out of range (allowed 1..4096)", 2},
    BadConfig{"IdString",
     "[node]\n"
     "id = \"1\"\n"
     "name = \"n1\"\n",
     "node.id", "\"1\" is not an integer (allowed 1..4096)", 2},
    BadConfig{"IdFloat",
     "[node]\n"
     "id = 1.5\n"
     "name = \"n1\"\n",
     "node.id", "1.5 is not an integer (allowed 1..4096)", 2},
    BadConfig{"NameMissing",
     "[node]\n"
     "id = 1\n",
     "node.name", "required key is missing", 1},
    BadConfig{"NameNotString",
     "[node]\n"
     "id = 1\n"
     "name = 1\n",
     "node.name", "1 is not a string", 3},
    BadConfig{"NameWithSpace",
     "[node]\n"
     "id = 1\n"
     "name = \"node 1\"\n",
     "node.name", "\"node 1\" may hold only letters, digits, '-' and '_'", 3},
    BadConfig{"NameEmpty",
     "[node]\n"
     "id = 1\n"
     "name = \"\"\n",
     "node.name", "\"\" may hold only letters, digits, '-' and '_'", 3},
    BadConfig{"NameTooLong",
     "[node]\n"
     "id = 1\n"
     "name = \"" + std::string(32, 'n') + "\"\n",
     "node.name", "is too long (32 characters, at most 31)", 3},
    BadConfig{"ClusterWithDot",
     "[node]\n"
     "id = 1\n"
     "name = \"n1\"\n"
     "cluster = \"prod.sql\"\n",
     "node.cluster", "\"prod.sql\" may hold only letters, digits, '-' and '_'", 4},
    BadConfig{"ClusterTooLong",
     "[node]\n"
     "id = 1\n"
     "name = \"n1\"\n"
     "cluster = \"" + std::string(32, 'c') + "\"\n",
     "node.cluster", "is too long (32 characters, at most 31)", 4},
    BadConfig{"UnknownKey",
     "[node]\n"
     "id = 1\n"
     "name = \"n1\"\n"
     "nmae = \"n1\"\n",
     "node.nmae", "unknown key (allowed here: id, name, cluster)", 4}
), test_name);

INSTANTIATE_TEST_SUITE_P(Eal, ConfigRejects, ::testing::Values(
    BadConfig{"NotATable",
     "eal = \"0-1\"\n",
     "eal", "\"0-1\" must be a table [eal]", 1},
    BadConfig{"LcoresGarbage",
     "[eal]\n"
     "lcores = \"0-x\"\n",
     "eal.lcores", "\"0-x\" is not an EAL lcore list", 2},
    BadConfig{"LcoresCpuSetGarbage",
     "[eal]\n"
     "lcores = \"0@(0-1),1@cpu1\"\n",
     "eal.lcores", "\"0@(0-1),1@cpu1\" is not an EAL lcore list", 2},
    BadConfig{"LcoresReversedRange",
     "[eal]\n"
     "lcores = \"1-0\"\n",
     "eal.lcores", "\"1-0\" is not an EAL lcore list", 2},
    BadConfig{"LcoresNotString",
     "[eal]\n"
     "lcores = 2\n",
     "eal.lcores", "2 is not a string", 2},
    BadConfig{"MainLcoreAboveMax",
     "[eal]\n"
     "main_lcore = 1024\n",
     "eal.main_lcore", "value 1024 is out of range (allowed 0..1023)", 2},
    BadConfig{"MainLcoreNotInLcores",
     "[eal]\n"
     "lcores = \"0-1\"\n"
     "main_lcore = 2\n",
     "eal.main_lcore", "lcore 2 is not in eal.lcores \"0-1\"", 3},
    // main_lcore left at its default 0: reported where lcores excludes it.
    BadConfig{"DefaultMainLcoreNotInLcores",
     "[eal]\n"
     "lcores = \"1-2\"\n",
     "eal.main_lcore", "lcore 0 is not in eal.lcores \"1-2\"", 2},
    BadConfig{"MemoryBelowMin",
     "[eal]\n"
     "memory_mb = 63\n",
     "eal.memory_mb", "value 63 is out of range (allowed 64..1048576)", 2},
    BadConfig{"MemoryAboveMax",
     "[eal]\n"
     "memory_mb = 1048577\n",
     "eal.memory_mb", "value 1048577 is out of range (allowed 64..1048576)", 2},
    BadConfig{"NoHugeNotBool",
     "[eal]\n"
     "no_huge = \"yes\"\n",
     "eal.no_huge", "\"yes\" is not true or false", 2},
    BadConfig{"InMemoryNotBool",
     "[eal]\n"
     "in_memory = 1\n",
     "eal.in_memory", "1 is not true or false", 2},
    BadConfig{"FilePrefixWithSlash",
     "[eal]\n"
     "file_prefix = \"ftnet/1\"\n",
     "eal.file_prefix", "\"ftnet/1\" may hold only letters, digits, '-' and '_'", 2},
    BadConfig{"FilePrefixTooLong",
     "[eal]\n"
     "file_prefix = \"" + std::string(65, 'f') + "\"\n",
     "eal.file_prefix", "is too long (65 characters, at most 64)", 2},
    BadConfig{"LogLevelUnknown",
     "[eal]\n"
     "log_level = \"verbose\"\n",
     "eal.log_level",
     "\"verbose\" is not one of emerg, alert, crit, error, warning, notice, info, debug", 2},
    BadConfig{"ExtraArgsNotArray",
     "[eal]\n"
     "extra_args = \"--huge-dir=/mnt\"\n",
     "eal.extra_args", "\"--huge-dir=/mnt\" is not an array of strings", 2},
    BadConfig{"ExtraArgNotString",
     "[eal]\n"
     "extra_args = [\"--huge-dir=/mnt\", 5]\n",
     "eal.extra_args[1]", "5 is not a string", 2},
    BadConfig{"UnknownKey",
     "[eal]\n"
     "lcore = \"0-1\"\n",
     "eal.lcore", "unknown key (allowed here: lcores, main_lcore, memory_mb, no_huge, "
                  "file_prefix, in_memory, log_level, extra_args)", 2}
), test_name);

INSTANTIATE_TEST_SUITE_P(EalMemory, ConfigRejects, ::testing::Values(
    BadConfig{"InMemoryWithNoHuge",
     "[eal]\n"
     "no_huge = true\n"
     "in_memory = true\n",
     "eal.in_memory", "cannot be combined with eal.no_huge = true", 3}));

INSTANTIATE_TEST_SUITE_P(Dataplane, ConfigRejects, ::testing::Values(
    BadConfig{"NotATable",
     "dataplane = 1\n",
     "dataplane", "1 must be a table [dataplane]", 1},
    BadConfig{"WorkersNotArray",
     "[dataplane]\n"
     "workers = 1\n",
     "dataplane.workers", "1 is not a list of 1..16 worker lcore ids", 2},
    BadConfig{"WorkersEmpty",
     "[dataplane]\n"
     "workers = []\n",
     "dataplane.workers", "0 worker lcores listed (allowed 1..16)", 2},
    BadConfig{"WorkersAboveMax", n_workers(17),
     "dataplane.workers", "17 worker lcores listed (allowed 1..16)", 4},
    BadConfig{"WorkerNotInteger",
     "[dataplane]\n"
     "workers = [1, \"2\"]\n",
     "dataplane.workers[1]", "\"2\" is not an lcore id (allowed 0..1023)", 2},
    BadConfig{"WorkerAboveMax",
     "[dataplane]\n"
     "workers = [1024]\n",
     "dataplane.workers[0]", "value 1024 is out of range (allowed 0..1023)", 2},
    BadConfig{"WorkerNotInLcores",
     "[dataplane]\n"
     "workers = [2]\n",
     "dataplane.workers", "worker lcore 2 is not in eal.lcores \"0-1\"", 2},
    BadConfig{"WorkerIsMainLcore",
     "[eal]\n"
     "lcores = \"0-2\"\n"
     "main_lcore = 2\n"
     "[dataplane]\n"
     "workers = [1, 2]\n",
     "dataplane.workers", "lcore 2 is the main lcore (it runs the control thread)", 5},
    // A multi-line list: the error is on the line of the repeated element.
    BadConfig{"WorkerListedTwice",
     "[eal]\n"
     "lcores = \"0-2\"\n"
     "[dataplane]\n"
     "workers = [\n"
     "  1,\n"
     "  2,\n"
     "  1,\n"
     "]\n",
     "dataplane.workers", "lcore 1 is listed twice", 7},
    // workers left at its default [1]: reported where lcores excludes it.
    BadConfig{"DefaultWorkerNotInLcores",
     "[eal]\n"
     "lcores = \"0,2\"\n",
     "dataplane.workers", "worker lcore 1 is not in eal.lcores \"0,2\"", 2},
    BadConfig{"BurstZero",
     "[dataplane]\n"
     "burst = 0\n",
     "dataplane.burst", "value 0 is out of range (allowed 1..64)", 2},
    BadConfig{"BurstAboveMax",
     "[dataplane]\n"
     "burst = 65\n",
     "dataplane.burst", "value 65 is out of range (allowed 1..64)", 2},
    BadConfig{"MbufsBelowMin",
     "[dataplane]\n"
     "mbufs = 1022\n",
     "dataplane.mbufs", "value 1022 is out of range (allowed 1023..1048575)", 2},
    BadConfig{"MbufsAboveMax",
     "[dataplane]\n"
     "mbufs = 1048576\n",
     "dataplane.mbufs", "value 1048576 is out of range (allowed 1023..1048575)", 2},
    BadConfig{"IdleSleepNegative",
     "[dataplane]\n"
     "idle_sleep_max_us = -1\n",
     "dataplane.idle_sleep_max_us", "value -1 is out of range (allowed 0..100000)", 2},
    BadConfig{"IdleSleepAboveMax",
     "[dataplane]\n"
     "idle_sleep_max_us = 100001\n",
     "dataplane.idle_sleep_max_us", "value 100001 is out of range (allowed 0..100000)", 2},
    BadConfig{"IdlePollsZero",
     "[dataplane]\n"
     "idle_polls = 0\n",
     "dataplane.idle_polls", "value 0 is out of range (allowed 1..10000000)", 2},
    BadConfig{"UnknownKey",
     "[dataplane]\n"
     "worker = [1]\n",
     "dataplane.worker", "unknown key (allowed here: workers, burst, mbufs, idle_sleep_max_us, "
                         "idle_polls, idle_wakeup)", 2}
), test_name);

INSTANTIATE_TEST_SUITE_P(Tunnel, ConfigRejects, ::testing::Values(
    BadConfig{"NotATable",
     "tunnel = 3343\n",
     "tunnel", "3343 must be a table [tunnel]", 1},
    BadConfig{"UdpPortZero",
     "[tunnel]\n"
     "udp_port = 0\n",
     "tunnel.udp_port", "value 0 is out of range (allowed 1..65535)", 2},
    BadConfig{"UdpPortAboveMax",
     "[tunnel]\n"
     "udp_port = 65536\n",
     "tunnel.udp_port", "value 65536 is out of range (allowed 1..65535)", 2},
    BadConfig{"UdpPortString",
     "[tunnel]\n"
     "udp_port = \"3343\"\n",
     "tunnel.udp_port", "\"3343\" is not an integer (allowed 1..65535)", 2},
    BadConfig{"UdpPortHugeFloat",
     "[tunnel]\n"
     "udp_port = 2e48\n",
     "tunnel.udp_port", "is not an integer (allowed 1..65535)", 2},
    BadConfig{"DscpAboveMax",
     "[tunnel]\n"
     "dscp = 64\n",
     "tunnel.dscp", "value 64 is out of range (allowed 0..63)", 2},
    BadConfig{"TtlZero",
     "[tunnel]\n"
     "ttl = 0\n",
     "tunnel.ttl", "value 0 is out of range (allowed 1..255)", 2},
    BadConfig{"TtlAboveMax",
     "[tunnel]\n"
     "ttl = 256\n",
     "tunnel.ttl", "value 256 is out of range (allowed 1..255)", 2},
    BadConfig{"UnknownKey",
     "[tunnel]\n"
     "port = 3343\n",
     "tunnel.port", "unknown key (allowed here: udp_port, dscp, ttl)", 2}
), test_name);

INSTANTIATE_TEST_SUITE_P(Membership, ConfigRejects, ::testing::Values(
    BadConfig{"WitnessFileRelative",
     "[membership]\n"
     "witness_file = \"share/witness\"\n",
     "membership.witness_file", "must be an absolute path", 2},
    BadConfig{"LeaseTooShort",
     "[membership]\n"
     "witness_lease_ms = 100\n",
     "membership.witness_lease_ms", "value 100 is out of range (allowed 500..60000)", 2},
    BadConfig{"UnknownKey",
     "[membership]\n"
     "witness = \"/srv/w\"\n",
     "membership.witness", "unknown key (allowed here: witness_file, witness_lease_ms)", 2}
), test_name);

INSTANTIATE_TEST_SUITE_P(Adapter, ConfigRejects, ::testing::Values(
    BadConfig{"NameWithSpace",
     "[adapter]\n"
     "name = \"ftnet 0\"\n",
     "adapter.name", "\"ftnet 0\" is not a valid interface name (1..15 of letters", 2},
    BadConfig{"NameTooLong",
     "[adapter]\n"
     "name = \"ftnet0123456789x\"\n",
     "adapter.name", "\"ftnet0123456789x\" is not a valid interface name", 2},
    BadConfig{"DriverPci",
     "[adapter]\n"
     "driver = \"pci\"\n",
     "adapter.driver", "\"pci\" is not an adapter driver (allowed: auto, tap, virtio_user, af_packet, af_xdp, ring, null)", 2},
    BadConfig{"DriverUnknown",
     "[adapter]\n"
     "driver = \"tun\"\n",
     "adapter.driver", "\"tun\" is not an adapter driver (allowed: auto, tap, virtio_user, af_packet, af_xdp, ring, null)", 2},
    BadConfig{"VethNameTooLong",
     "[adapter]\n"
     "name = \"ftnet0-cluster\"\n"
     "driver = \"af_packet\"\n",
     "adapter.name", "is longer than 12 characters: with driver af_packet the engine's end of the veth is \"ftnet0-cluster-dp\"", 2},
    BadConfig{"MtuBelowMin",
     "[adapter]\n"
     "mtu = 1279\n",
     "adapter.mtu", "value 1279 is out of range (allowed 1280..9000)", 2},
    BadConfig{"MtuAboveMax",
     "[adapter]\n"
     "mtu = 9001\n",
     "adapter.mtu", "value 9001 is out of range (allowed 1280..9000)", 2},
    BadConfig{"QueuesAboveMax",
     "[adapter]\n"
     "queues = 17\n",
     "adapter.queues", "value 17 is out of range (allowed 0..16)", 2},
    // The standard port keeps its default MTU 1500; its [[port]] is line 9.
    BadConfig{"MtuDoesNotFitDefaultPortMtu",
     "[adapter]\n"
     "mtu = 1500\n",
     "port[0].mtu",
     "value 1500 cannot carry adapter.mtu 1500 (needs at least 1600: 100 bytes of tunnel overhead)",
     9},
    BadConfig{"UnknownKey",
     "[adapter]\n"
     "mut = 1400\n",
     "adapter.mut", "unknown key (allowed here: name, driver, mtu, queues)", 2}
), test_name);

INSTANTIATE_TEST_SUITE_P(Management, ConfigRejects, ::testing::Values(
    BadConfig{"SocketRelative",
     "[management]\n"
     "socket = \"ftnetd.sock\"\n",
     "management.socket", "\"ftnetd.sock\" must be an absolute path", 2},
    BadConfig{"SocketTooLong",
     "[management]\n"
     "socket = \"/" + std::string(107, 's') + "\"\n",
     "management.socket", "is too long (108 characters, at most 107)", 2},
    BadConfig{"SocketGroupTooLong",
     "[management]\n"
     "socket_group = \"" + std::string(33, 'g') + "\"\n",
     "management.socket_group", "is too long (33 characters, at most 32)", 2},
    BadConfig{"ClusterLogRelative",
     "[management]\n"
     "cluster_log = \"cluster.log\"\n",
     "management.cluster_log", "\"cluster.log\" must be an absolute path, or \"\" for no file", 2},
    BadConfig{"LogLinesBelowMin",
     "[management]\n"
     "log_lines = 99\n",
     "management.log_lines", "value 99 is out of range (allowed 100..1000000)", 2},
    BadConfig{"LogLinesAboveMax",
     "[management]\n"
     "log_lines = 1000001\n",
     "management.log_lines", "value 1000001 is out of range (allowed 100..1000000)", 2},
    BadConfig{"UnknownKey",
     "[management]\n"
     "sock = \"/run/ftnet.sock\"\n",
     "management.sock", "unknown key (allowed here: socket, socket_group, read_only_group, read_only_everyone, cluster_log, log_lines)",
     2}
), test_name);

// [cluster]: heartbeat properties are checked against the limits of the
// chosen profile, by the same code as `ftnetctl cluster set`.
INSTANTIATE_TEST_SUITE_P(Cluster, ConfigRejects, ::testing::Values(
    BadConfig{"MissingTable",
     "[node]\nid = 1\nname = \"n1\"\n"
     "[[network]]\nname = \"net\"\nsubnets = [\"198.18.1.0/24\"]\n"
     "[[port]]\nname = \"p0\"\ndriver = \"null\"\nnetwork = \"net\"\nipv4 = \"198.18.1.1/24\"\n",
     "cluster.key", "required (or cluster.key_file, or [[security.keys]])", 0, 1, true},
    BadConfig{"NoKey",
     "[cluster]\n"
     "profile = \"classic\"\n",
     "cluster.key", "required (or cluster.key_file, or [[security.keys]])", 1},
    BadConfig{"KeyTooShort",
     "[cluster]\n"
     "key = \"0011223344\"\n",
     "cluster.key", "must be 32 or 64 hexadecimal digits (a 128- or 256-bit AES key)", 2},
    BadConfig{"KeyNotHex",
     "[cluster]\n"
     "key = \"0011223344556677889900aabbccddzz\"\n",
     "cluster.key", "must be 32 or 64 hexadecimal digits", 2},
    BadConfig{"KeyAndKeyFile",
     "[cluster]\n"
     "key = \"00112233445566778899aabbccddeeff\"\n"
     "key_file = \"/etc/ftnet/cluster.key\"\n",
     "cluster.key_file", "give either key or key_file, not both", 3},
    BadConfig{"KeyFileRelative",
     "[cluster]\n"
     "key_file = \"cluster.key\"\n",
     "cluster.key_file", "\"cluster.key\" must be an absolute path", 2},
    BadConfig{"KeyFileMissing",
     "[cluster]\n"
     "key_file = \"/nonexistent/ftnet/cluster.key\"\n",
     "cluster.key_file", "cannot read \"/nonexistent/ftnet/cluster.key\"", 2},
    BadConfig{"UnknownProfile",
     "[cluster]\n"
     "profile = \"turbo\"\n"
     "key = \"00112233445566778899aabbccddeeff\"\n",
     "cluster.profile", "\"turbo\" is not a heartbeat profile (allowed: classic, fast)", 2},
    BadConfig{"ClassicDelayBelowMin",
     "[cluster]\n"
     "SameSubnetDelay = 10\n"
     "key = \"00112233445566778899aabbccddeeff\"\n",
     "cluster.SameSubnetDelay", "value 10 is out of range for the classic profile (allowed 250..2000 ms)", 2},
    BadConfig{"ClassicCrossDelayAboveMax",
     "[cluster]\n"
     "CrossSubnetDelay = 4001\n"
     "key = \"00112233445566778899aabbccddeeff\"\n",
     "cluster.CrossSubnetDelay", "value 4001 is out of range for the classic profile (allowed 250..4000 ms)", 2},
    BadConfig{"ClassicThresholdBelowMin",
     "[cluster]\n"
     "SameSubnetThreshold = 2\n"
     "key = \"00112233445566778899aabbccddeeff\"\n",
     "cluster.SameSubnetThreshold", "value 2 is out of range for the classic profile (allowed 3..10 heartbeats)", 2},
    BadConfig{"FastDelayZero",
     "[cluster]\n"
     "profile = \"fast\"\n"
     "SameSubnetDelay = 0\n"
     "key = \"00112233445566778899aabbccddeeff\"\n",
     "cluster.SameSubnetDelay", "value 0 is out of range for the fast profile (allowed 1..2000 ms)", 3},
    BadConfig{"FastThresholdOne",
     "[cluster]\n"
     "profile = \"fast\"\n"
     "CrossSubnetThreshold = 1\n"
     "key = \"00112233445566778899aabbccddeeff\"\n",
     "cluster.CrossSubnetThreshold", "value 1 is out of range for the fast profile (allowed 2..10 heartbeats)", 3},
    BadConfig{"ThresholdAboveMax",
     "[cluster]\n"
     "profile = \"fast\"\n"
     "SameSubnetThreshold = 11\n"
     "key = \"00112233445566778899aabbccddeeff\"\n",
     "cluster.SameSubnetThreshold", "value 11 is out of range for the fast profile (allowed 2..10 heartbeats)", 3},
    BadConfig{"RecoveryZero",
     "[cluster]\n"
     "RouteRecoveryThreshold = 0\n"
     "key = \"00112233445566778899aabbccddeeff\"\n",
     "cluster.RouteRecoveryThreshold", "value 0 is out of range for the classic profile (allowed 1..20 heartbeats)", 2},
    BadConfig{"PropertyNotInteger",
     "[cluster]\n"
     "SameSubnetDelay = \"fast\"\n"
     "key = \"00112233445566778899aabbccddeeff\"\n",
     "cluster.SameSubnetDelay", "\"fast\" is not an integer", 2},
    BadConfig{"PropertyTypo",
     "[cluster]\n"
     "SameSubnetDelays = 1000\n"
     "key = \"00112233445566778899aabbccddeeff\"\n",
     "cluster.SameSubnetDelays", "unknown key", 2},
    BadConfig{"StallGraceAboveMax",
     "[cluster]\n"
     "profile = \"fast\"\n"
     "StallGrace = 1001\n"
     "key = \"00112233445566778899aabbccddeeff\"\n",
     "cluster.StallGrace", "value 1001 is out of range for the fast profile (allowed 0..1000 ms)", 3},
    BadConfig{"FlapThresholdAboveMax",
     "[cluster]\n"
     "FlapThreshold = 16\n"
     "key = \"00112233445566778899aabbccddeeff\"\n",
     "cluster.FlapThreshold", "value 16 is out of range for the classic profile (allowed 0..15 downs)", 2},
    BadConfig{"ClassicFlapWindowBelowMin",
     "[cluster]\n"
     "FlapWindow = 500\n"
     "key = \"00112233445566778899aabbccddeeff\"\n",
     "cluster.FlapWindow", "value 500 is out of range for the classic profile (allowed 10000..3600000 ms)", 2},
    // Each value in range, but the pair contradicts itself: blamed on the
    // key written, whatever the order.
    BadConfig{"FlapHoldDownAboveItsMax",
     "[cluster]\n"
     "profile = \"fast\"\n"
     "FlapHoldDownMax = 5000\n"
     "FlapHoldDown = 9000\n"
     "key = \"00112233445566778899aabbccddeeff\"\n",
     "cluster.FlapHoldDown", "value 9000 exceeds FlapHoldDownMax (5000 ms)", 4}));

INSTANTIATE_TEST_SUITE_P(Network, ConfigRejects, ::testing::Values(
    // Cascades: the standard port's network "net" no longer exists.
    BadConfig{"NotATable", "network = 5\n" + kNode + kPort,
     "network", "5 is not a table or an array of tables", 1, 3, true},
    BadConfig{"ElementNotATable", "network = [5]\n" + kNode + kPort,
     "network[0]", "5 is not a table", 1, 3, true},
    BadConfig{"TooMany", n_networks(17),
     "network", "17 networks defined, at most 16", 1},
    BadConfig{"NameMissing",
     "[[network]]\n"
     "role = 1\n"
     "[[network]]\n"
     "name = \"net\"\n",
     "network[0].name", "required key is missing", 1},
    BadConfig{"NameWithSpace",
     "[[network]]\n"
     "name = \"my net\"\n"
     "[[network]]\n"
     "name = \"net\"\n",
     "network[0].name", "\"my net\" may hold only letters, digits, '-' and '_'", 2},
    BadConfig{"NameTooLong",
     "[[network]]\n"
     "name = \"" + std::string(32, 'n') + "\"\n"
     "[[network]]\n"
     "name = \"net\"\n",
     "network[0].name", "is too long (32 characters, at most 31)", 2},
    BadConfig{"NameDuplicate",
     "[[network]]\n"
     "name = \"net\"\n"
     "[[network]]\n"
     "name = \"net\"\n",
     "network[1].name", "\"net\" is already defined on line 1", 4},
    BadConfig{"RoleTwo",
     "[[network]]\n"
     "name = \"net\"\n"
     "role = 2\n",
     "network[0].role",
     "value 2 is not a role (allowed 0 = not used by the cluster, 1 = cluster only, "
     "3 = cluster and client)", 3},
    BadConfig{"RoleAboveMax",
     "[[network]]\n"
     "name = \"net\"\n"
     "role = 4\n",
     "network[0].role", "value 4 is out of range (allowed 0..3)", 3},
    BadConfig{"RoleNegative",
     "[[network]]\n"
     "name = \"net\"\n"
     "role = -1\n",
     "network[0].role", "value -1 is out of range (allowed 0..3)", 3},
    BadConfig{"RoleString",
     "[[network]]\n"
     "name = \"net\"\n"
     "role = \"cluster\"\n",
     "network[0].role", "\"cluster\" is not an integer (allowed 0..3)", 3},
    BadConfig{"MetricNegative",
     "[[network]]\n"
     "name = \"net\"\n"
     "metric = -1\n",
     "network[0].metric", "value -1 is out of range (allowed 0..999999)", 3},
    BadConfig{"MetricAboveMax",
     "[[network]]\n"
     "name = \"net\"\n"
     "metric = 1000000\n",
     "network[0].metric", "value 1000000 is out of range (allowed 0..999999)", 3},
    BadConfig{"SubnetWithoutLength",
     "[[network]]\n"
     "name = \"net\"\n"
     "subnets = [\"198.18.1.0\"]\n",
     "network[0].subnets[0]",
     "\"198.18.1.0\" is not a prefix like 198.18.1.0/24 or fd00:1::/64", 3},
    BadConfig{"SubnetLengthAboveMax",
     "[[network]]\n"
     "name = \"net\"\n"
     "subnets = [\"fd00:1::/129\"]\n",
     "network[0].subnets[0]", "\"fd00:1::/129\" is not a prefix", 3},
    // A multi-line list: the error is on the line of the bad element.
    BadConfig{"SubnetOnItsOwnLine",
     "[[network]]\n"
     "name = \"net\"\n"
     "subnets = [\n"
     "  \"198.18.1.0/24\",\n"
     "  \"fd00:1::/64\",\n"
     "  \"198.18.2.0/2x\",\n"
     "]\n",
     "network[0].subnets[2]", "\"198.18.2.0/2x\" is not a prefix", 6},
    BadConfig{"SubnetsNotArray",
     "[[network]]\n"
     "name = \"net\"\n"
     "subnets = \"198.18.1.0/24\"\n",
     "network[0].subnets", "\"198.18.1.0/24\" is not an array of strings", 3},
    BadConfig{"SubnetNotString",
     "[[network]]\n"
     "name = \"net\"\n"
     "subnets = [\"198.18.1.0/24\", \"fd00:1::/64\", 24]\n",
     "network[0].subnets[2]", "24 is not a string", 3},
    BadConfig{"UnknownKey",
     "[[network]]\n"
     "name = \"net\"\n"
     "subnet = [\"198.18.1.0/24\"]\n",
     "network[0].subnet", "unknown key (allowed here: name, role, metric, subnets)", 3}
), test_name);

INSTANTIATE_TEST_SUITE_P(Port, ConfigRejects, ::testing::Values(
    BadConfig{"NoPort", kNode + kNetwork,
     "port", "at least one [[port]] (a cluster network port) is required", 0, 1, true},
    // Cascade: with no usable [[port]], "at least one [[port]]" too.
    BadConfig{"NotATable", "port = 1\n" + kNode + kNetwork,
     "port", "1 is not a table or an array of tables", 1, 2, true},
    BadConfig{"TooMany", n_ports(16),
     "port", "16 ports defined, at most 15", 1},
    BadConfig{"NameMissing",
     "[[port]]\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n",
     "port[0].name", "required key is missing", 1},
    BadConfig{"NameWithSpace",
     "[[port]]\n"
     "name = \"port 0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n",
     "port[0].name", "\"port 0\" may hold only letters, digits, '-' and '_'", 2},
    BadConfig{"NameTooLong",
     "[[port]]\n"
     "name = \"" + std::string(32, 'p') + "\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n",
     "port[0].name", "is too long (32 characters, at most 31)", 2},
    BadConfig{"NameDuplicate",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n"
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.2/24\"\n",
     "port[1].name", "\"p0\" is already defined on line 1", 7},
    BadConfig{"DriverMissing",
     "[[port]]\n"
     "name = \"p0\"\n"
     "iface = \"eth0\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n",
     "port[0].driver", "required key is missing", 1},
    BadConfig{"DriverTap",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"tap\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n",
     "port[0].driver", "\"tap\" is not a port driver (allowed: pci, af_xdp, af_packet, ring, null)",
     3},
    // An unknown driver is the only error: it does not also ask for an iface.
    BadConfig{"DriverUnknown",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"e1000\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n",
     "port[0].driver", "\"e1000\" is not a port driver", 3},
    BadConfig{"AfPacketWithoutIface",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"af_packet\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n",
     "port[0].iface", "required key is missing", 1},
    BadConfig{"AfXdpWithoutIface",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"af_xdp\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n",
     "port[0].iface", "required key is missing", 1},
    BadConfig{"IfaceWithSpace",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"af_packet\"\n"
     "iface = \"eth 0\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n",
     "port[0].iface", "\"eth 0\" is not a valid interface name", 4},
    BadConfig{"IfaceTooLong",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"af_packet\"\n"
     "iface = \"enp59s0f0np0vf12\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n",
     "port[0].iface", "\"enp59s0f0np0vf12\" is not a valid interface name", 4},
    BadConfig{"IfaceDuplicate",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"af_packet\"\n"
     "iface = \"eth0\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n"
     "[[port]]\n"
     "name = \"p1\"\n"
     "driver = \"af_xdp\"\n"
     "iface = \"eth0\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.2/24\"\n",
     "port[1].iface", "\"eth0\" is already used by port \"p0\"", 10},
    BadConfig{"PciWithoutAddress",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"pci\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n",
     "port[0].pci", "required key is missing", 1},
    BadConfig{"PciAddressShort",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"pci\"\n"
     "pci = \"03:00\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n",
     "port[0].pci", "\"03:00\" is not a PCI address like 0000:03:00.0", 4},
    BadConfig{"PciFunctionAboveMax",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"pci\"\n"
     "pci = \"0000:03:00.8\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n",
     "port[0].pci", "\"0000:03:00.8\" is not a PCI address", 4},
    BadConfig{"PciAddressNotHex",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"pci\"\n"
     "pci = \"0000:0g:00.0\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n",
     "port[0].pci", "\"0000:0g:00.0\" is not a PCI address", 4},
    // The short form names the same device as the long one.
    BadConfig{"PciDuplicateShortForm",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"pci\"\n"
     "pci = \"0000:3b:00.0\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n"
     "[[port]]\n"
     "name = \"p1\"\n"
     "driver = \"pci\"\n"
     "pci = \"3B:00.0\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.2/24\"\n",
     "port[1].pci", "\"3B:00.0\" is already used by port \"p0\"", 10},
    BadConfig{"DevargsTooLong",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "devargs = \"" + std::string(1025, 'd') + "\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n",
     "port[0].devargs", "is too long (1025 characters, at most 1024)", 4},
    BadConfig{"DevargsWithSpace",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"pci\"\n"
     "pci = \"0000:3b:00.0\"\n"
     "devargs = \"rx_low_latency=1 txq_inline_max=0\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n",
     "port[0].devargs", "must not contain white space", 5},
    // Cascade: no port is then on a cluster network.
    BadConfig{"NetworkMissing",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "ipv4 = \"198.18.1.1/24\"\n",
     "port[0].network", "required key is missing", 1, 2},
    BadConfig{"NetworkUndefined",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"nett\"\n"
     "ipv4 = \"198.18.1.1/24\"\n",
     "port[0].network", "\"nett\" is not a defined [[network]]", 4, 2},
    BadConfig{"NoClusterNetwork",
     "[[network]]\n"
     "name = \"net\"\n"
     "role = 0\n"
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n",
     "port", "no port is on a network with role 1 or 3: the cluster has no path", 0},
    BadConfig{"NoAddressOnClusterNetwork",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n",
     "port[0]", "port on network \"net\" needs an ipv4 or ipv6 address", 1},
    BadConfig{"Ipv4Garbage",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.300/24\"\n",
     "port[0].ipv4", "\"198.18.1.300/24\" is not an address like 198.18.1.1/24", 5, 2},
    BadConfig{"Ipv4PrefixAboveMax",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv6 = \"fd00:1::1/64\"\n"
     "ipv4 = \"198.18.1.1/33\"\n",
     "port[0].ipv4", "\"198.18.1.1/33\" is not an address like 198.18.1.1/24", 6},
    BadConfig{"Ipv4HoldsIpv6",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"fd00:1::1/64\"\n"
     "ipv6 = \"fd00:1::2/64\"\n",
     "port[0].ipv4", "\"fd00:1::1/64\" is not an IPv4 address", 5},
    BadConfig{"Ipv6HoldsIpv4",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n"
     "ipv6 = \"198.18.1.2/24\"\n",
     "port[0].ipv6", "\"198.18.1.2/24\" is not an IPv6 address", 6},
    BadConfig{"Ipv4Multicast",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv6 = \"fd00:1::1/64\"\n"
     "ipv4 = \"224.0.0.1/24\"\n",
     "port[0].ipv4", "\"224.0.0.1/24\" is not a unicast address", 6},
    BadConfig{"Ipv6Unspecified",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n"
     "ipv6 = \"::/64\"\n",
     "port[0].ipv6", "\"::/64\" is not a unicast address", 6},
    BadConfig{"Ipv4OutsideItsNetwork",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.2.1/24\"\n",
     "port[0].ipv4", "198.18.2.1 is not inside any subnet of network \"net\"", 5},
    BadConfig{"Ipv6OutsideItsNetwork",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n"
     "ipv6 = \"fd00:2::1/64\"\n",
     "port[0].ipv6", "fd00:2::1 is not inside any subnet of network \"net\"", 6},
    BadConfig{"Ipv6OnIpv4OnlyNetwork",
     "[[network]]\n"
     "name = \"net\"\n"
     "subnets = [\"198.18.1.0/24\"]\n"
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n"
     "ipv6 = \"fd00:1::1/64\"\n",
     "port[0].ipv6", "fd00:1::1 is not inside any subnet of network \"net\"", 9},
    BadConfig{"Gateway4WithoutIpv4",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv6 = \"fd00:1::1/64\"\n"
     "gateway4 = \"198.18.1.254\"\n",
     "port[0].gateway4", "a gateway needs a port address of the same family", 6},
    BadConfig{"Gateway6WithoutIpv6",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n"
     "gateway6 = \"fd00:1::fe\"\n",
     "port[0].gateway6", "a gateway needs a port address of the same family", 6},
    BadConfig{"Gateway4OffSubnet",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n"
     "gateway4 = \"198.18.2.254\"\n",
     "port[0].gateway4", "198.18.2.254 is not on the port's subnet 198.18.1.0/24", 6},
    BadConfig{"Gateway6OffSubnet",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv6 = \"fd00:1::1/64\"\n"
     "gateway6 = \"fd00:2::fe\"\n",
     "port[0].gateway6", "fd00:2::fe is not on the port's subnet fd00:1::/64", 6},
    BadConfig{"Gateway4HoldsIpv6",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n"
     "gateway4 = \"fd00:1::fe\"\n",
     "port[0].gateway4", "\"fd00:1::fe\" is not an IPv4 address", 6},
    BadConfig{"Gateway4Garbage",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n"
     "gateway4 = \"router\"\n",
     "port[0].gateway4", "\"router\" is not an IP address", 6},
    BadConfig{"Gateway6Multicast",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv6 = \"fd00:1::1/64\"\n"
     "gateway6 = \"ff02::1\"\n",
     "port[0].gateway6", "\"ff02::1\" is not a unicast address", 6},
    BadConfig{"RxQueuesZero",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n"
     "rx_queues = 0\n",
     "port[0].rx_queues", "value 0 is out of range (allowed 1..16)", 6},
    BadConfig{"RxQueuesAboveMax",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n"
     "rx_queues = 17\n",
     "port[0].rx_queues", "value 17 is out of range (allowed 1..16)", 6},
    BadConfig{"RxDescBelowMin",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n"
     "rx_desc = 63\n",
     "port[0].rx_desc", "value 63 is out of range (allowed 64..16384)", 6},
    BadConfig{"TxDescAboveMax",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n"
     "tx_desc = 16385\n",
     "port[0].tx_desc", "value 16385 is out of range (allowed 64..16384)", 6},
    BadConfig{"MtuBelowMin",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n"
     "mtu = 1279\n",
     "port[0].mtu", "value 1279 is out of range (allowed 1280..9600)", 6},
    BadConfig{"MtuAboveMax",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n"
     "mtu = 9601\n",
     "port[0].mtu", "value 9601 is out of range (allowed 1280..9600)", 6},
    // adapter.mtu 1400 + 14 (inner Ethernet) + 86 (outer IPv6 40, UDP 8,
    // ftnet header 22, AEAD tag 16) = 1500: one byte short.
    BadConfig{"MtuTooSmallForAdapter",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n"
     "mtu = 1499\n",
     "port[0].mtu",
     "value 1499 cannot carry adapter.mtu 1400 (needs at least 1500: 100 bytes of tunnel overhead)",
     6},
    BadConfig{"UnknownKey",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n"
     "gateway = \"198.18.1.254\"\n",
     "port[0].gateway", "unknown key (allowed here: name, driver, iface, pci, devargs, network, "
                        "ipv4, ipv6, gateway4, gateway6, rx_queues, rx_desc, tx_desc, mtu, host_interface)", 6},
    BadConfig{"HostInterfaceBadName",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n"
     "host_interface = \"a name with spaces\"\n",
     "port[0].host_interface", "\"a name with spaces\" is not a valid interface name", 6},
    BadConfig{"HostInterfaceIsTheAdapter",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n"
     "host_interface = \"ftnet0\"\n",
     "port[0].host_interface", "\"ftnet0\" is adapter.name", 6},
    BadConfig{"HostInterfaceIsItsOwnIface",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"af_packet\"\n"
     "iface = \"eth1\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n"
     "host_interface = \"eth1\"\n",
     "port[0].host_interface", "\"eth1\" is the port's own iface", 7},
    BadConfig{"HostInterfaceUsedTwice",
     "[[port]]\n"
     "name = \"p0\"\n"
     "driver = \"null\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.1/24\"\n"
     "host_interface = \"h0\"\n"
     "[[port]]\n"
     "name = \"p1\"\n"
     "driver = \"af_packet\"\n"
     "iface = \"h0\"\n"
     "network = \"net\"\n"
     "ipv4 = \"198.18.1.2/24\"\n",
     "port[1].iface", "\"h0\" is the host interface of port \"p0\"", 10}
), test_name);

INSTANTIATE_TEST_SUITE_P(Peer, ConfigRejects, ::testing::Values(
    BadConfig{"NotATable",
     "peer = 2\n",
     "peer", "2 is not a table or an array of tables", 1},
    BadConfig{"ElementNotATable",
     "peer = [2]\n",
     "peer[0]", "2 is not a table", 1},
    BadConfig{"TooMany", n_peers(65),
     "peer", "65 peers defined, at most 64", 1},
    BadConfig{"IdMissing",
     "[[peer]]\n"
     "name = \"n2\"\n"
     "  [[peer.endpoint]]\n"
     "  network = \"net\"\n"
     "  ipv4 = \"198.18.1.2\"\n",
     "peer[0].id", "required key is missing", 1},
    BadConfig{"IdZero",
     "[[peer]]\n"
     "id = 0\n"
     "name = \"n2\"\n"
     "  [[peer.endpoint]]\n"
     "  network = \"net\"\n"
     "  ipv4 = \"198.18.1.2\"\n",
     "peer[0].id", "value 0 is out of range (allowed 1..4096)", 2},
    BadConfig{"IdAboveMax",
     "[[peer]]\n"
     "id = 4097\n"
     "name = \"n2\"\n"
     "  [[peer.endpoint]]\n"
     "  network = \"net\"\n"
     "  ipv4 = \"198.18.1.2\"\n",
     "peer[0].id", "value 4097 is out of range (allowed 1..4096)", 2},
    BadConfig{"IdIsOwnId",
     "[[peer]]\n"
     "id = 1\n"
     "name = \"n2\"\n"
     "  [[peer.endpoint]]\n"
     "  network = \"net\"\n"
     "  ipv4 = \"198.18.1.2\"\n",
     "peer[0].id", "1 is this node's own id (node.id)", 2},
    BadConfig{"IdDuplicate",
     "[[peer]]\n"
     "id = 2\n"
     "name = \"n2\"\n"
     "  [[peer.endpoint]]\n"
     "  network = \"net\"\n"
     "  ipv4 = \"198.18.1.2\"\n"
     "[[peer]]\n"
     "id = 2\n"
     "name = \"n3\"\n"
     "  [[peer.endpoint]]\n"
     "  network = \"net\"\n"
     "  ipv4 = \"198.18.1.3\"\n",
     "peer[1].id", "2 is already used by peer \"n2\" on line 1", 8},
    BadConfig{"NameMissing",
     "[[peer]]\n"
     "id = 2\n"
     "  [[peer.endpoint]]\n"
     "  network = \"net\"\n"
     "  ipv4 = \"198.18.1.2\"\n",
     "peer[0].name", "required key is missing", 1},
    BadConfig{"NameWithSpace",
     "[[peer]]\n"
     "id = 2\n"
     "name = \"node 2\"\n"
     "  [[peer.endpoint]]\n"
     "  network = \"net\"\n"
     "  ipv4 = \"198.18.1.2\"\n",
     "peer[0].name", "\"node 2\" may hold only letters, digits, '-' and '_'", 3},
    BadConfig{"NameTooLong",
     "[[peer]]\n"
     "id = 2\n"
     "name = \"" + std::string(32, 'p') + "\"\n"
     "  [[peer.endpoint]]\n"
     "  network = \"net\"\n"
     "  ipv4 = \"198.18.1.2\"\n",
     "peer[0].name", "is too long (32 characters, at most 31)", 3},
    BadConfig{"NameIsOwnName",
     "[[peer]]\n"
     "id = 2\n"
     "name = \"n1\"\n"
     "  [[peer.endpoint]]\n"
     "  network = \"net\"\n"
     "  ipv4 = \"198.18.1.2\"\n",
     "peer[0].name", "\"n1\" is this node's own name (node.name)", 3},
    BadConfig{"NameDuplicate",
     "[[peer]]\n"
     "id = 2\n"
     "name = \"n2\"\n"
     "  [[peer.endpoint]]\n"
     "  network = \"net\"\n"
     "  ipv4 = \"198.18.1.2\"\n"
     "[[peer]]\n"
     "id = 3\n"
     "name = \"n2\"\n"
     "  [[peer.endpoint]]\n"
     "  network = \"net\"\n"
     "  ipv4 = \"198.18.1.3\"\n",
     "peer[1].name", "\"n2\" is already used by the peer on line 1", 9},
    BadConfig{"NoEndpoint",
     "[[peer]]\n"
     "id = 2\n"
     "name = \"n2\"\n",
     "peer[0].endpoint", "a peer needs at least one [[peer.endpoint]]", 1},
    // Cascade: and so no endpoint at all.
    BadConfig{"EndpointNotATable",
     "[[peer]]\n"
     "id = 2\n"
     "name = \"n2\"\n"
     "endpoint = \"198.18.1.2\"\n",
     "peer[0].endpoint", "\"198.18.1.2\" is not a table or an array of tables", 4, 2},
    BadConfig{"EndpointNetworkMissing",
     "[[peer]]\n"
     "id = 2\n"
     "name = \"n2\"\n"
     "  [[peer.endpoint]]\n"
     "  ipv4 = \"198.18.1.2\"\n",
     "peer[0].endpoint[0].network", "required key is missing", 4},
    BadConfig{"EndpointNetworkUndefined",
     "[[peer]]\n"
     "id = 2\n"
     "name = \"n2\"\n"
     "  [[peer.endpoint]]\n"
     "  network = \"nett\"\n"
     "  ipv4 = \"198.18.1.2\"\n",
     "peer[0].endpoint[0].network", "\"nett\" is not a defined [[network]]", 5},
    BadConfig{"EndpointWithoutAddress",
     "[[peer]]\n"
     "id = 2\n"
     "name = \"n2\"\n"
     "  [[peer.endpoint]]\n"
     "  network = \"net\"\n",
     "peer[0].endpoint[0]", "an endpoint needs an ipv4 or ipv6 address", 4},
    BadConfig{"EndpointIpv4Garbage",
     "[[peer]]\n"
     "id = 2\n"
     "name = \"n2\"\n"
     "  [[peer.endpoint]]\n"
     "  network = \"net\"\n"
     "  ipv4 = \"198.18.1\"\n",
     "peer[0].endpoint[0].ipv4", "\"198.18.1\" is not an IP address", 6},
    BadConfig{"EndpointIpv4WithPrefix",
     "[[peer]]\n"
     "id = 2\n"
     "name = \"n2\"\n"
     "  [[peer.endpoint]]\n"
     "  network = \"net\"\n"
     "  ipv4 = \"198.18.1.2/24\"\n",
     "peer[0].endpoint[0].ipv4", "\"198.18.1.2/24\" is not an IP address", 6},
    BadConfig{"EndpointIpv6HoldsIpv4",
     "[[peer]]\n"
     "id = 2\n"
     "name = \"n2\"\n"
     "  [[peer.endpoint]]\n"
     "  network = \"net\"\n"
     "  ipv6 = \"198.18.1.2\"\n",
     "peer[0].endpoint[0].ipv6", "\"198.18.1.2\" is not an IPv6 address", 6},
    BadConfig{"EndpointIpv4Multicast",
     "[[peer]]\n"
     "id = 2\n"
     "name = \"n2\"\n"
     "  [[peer.endpoint]]\n"
     "  network = \"net\"\n"
     "  ipv4 = \"239.1.1.1\"\n",
     "peer[0].endpoint[0].ipv4", "\"239.1.1.1\" is not a unicast address", 6},
    BadConfig{"EndpointIpv4OutsideItsNetwork",
     "[[peer]]\n"
     "id = 2\n"
     "name = \"n2\"\n"
     "  [[peer.endpoint]]\n"
     "  network = \"net\"\n"
     "  ipv4 = \"198.18.2.2\"\n",
     "peer[0].endpoint[0].ipv4", "198.18.2.2 is not inside any subnet of network \"net\"", 6},
    BadConfig{"EndpointIpv6OutsideItsNetwork",
     "[[network]]\n"
     "name = \"net\"\n"
     "subnets = [\"198.18.1.0/24\", \"fd00:1::/64\"]\n"
     "[[network]]\n"
     "name = \"other\"\n"
     "subnets = [\"198.18.2.0/24\", \"fd00:2::/64\"]\n"
     "[[peer]]\n"
     "id = 2\n"
     "name = \"n2\"\n"
     "  [[peer.endpoint]]\n"
     "  network = \"net\"\n"
     "  ipv6 = \"fd00:1::2\"\n"
     "  [[peer.endpoint]]\n"
     "  network = \"other\"\n"
     "  ipv4 = \"198.18.2.2\"\n"
     "  ipv6 = \"fd00:1::3\"\n",
     "peer[0].endpoint[1].ipv6", "fd00:1::3 is not inside any subnet of network \"other\"", 16},
    BadConfig{"UnknownKey",
     "[[peer]]\n"
     "id = 2\n"
     "name = \"n2\"\n"
     "adress = \"198.18.1.2\"\n"
     "  [[peer.endpoint]]\n"
     "  network = \"net\"\n"
     "  ipv4 = \"198.18.1.2\"\n",
     "peer[0].adress", "unknown key (allowed here: id, name, endpoint)", 4},
    BadConfig{"EndpointUnknownKey",
     "[[peer]]\n"
     "id = 2\n"
     "name = \"n2\"\n"
     "  [[peer.endpoint]]\n"
     "  network = \"net\"\n"
     "  ipv4 = \"198.18.1.2\"\n"
     "  gateway4 = \"198.18.1.254\"\n",
     "peer[0].endpoint[0].gateway4", "unknown key (allowed here: network, ipv4, ipv6)", 7}
), test_name);

// TOML syntax errors: no key, the line where the parser stopped.
INSTANTIATE_TEST_SUITE_P(Syntax, ConfigRejects, ::testing::Values(
    BadConfig{"UnclosedTableHeader",
     "[node\n"
     "id = 1\n",
     "", "TOML syntax error", 1},
    BadConfig{"MissingValue",
     "[node]\n"
     "id =\n"
     "name = \"n1\"\n",
     "", "TOML syntax error", 2},
    BadConfig{"UnterminatedString",
     "[node]\n"
     "id = 1\n"
     "name = \"n1\n",
     "", "TOML syntax error", 3},
    BadConfig{"BareWord",
     "[eal]\n"
     "no_huge = yes\n",
     "", "TOML syntax error", 2},
    BadConfig{"DuplicateKey",
     "[node]\n"
     "id = 1\n"
     "name = \"n1\"\n"
     "id = 2\n",
     "", "TOML syntax error", 4},
    BadConfig{"DuplicateTable",
     "[node]\n"
     "id = 1\n"
     "name = \"n1\"\n"
     "\n"
     "[node]\n",
     "", "TOML syntax error", 5}
), test_name);

// ---------------------------------------------------------------------------
// Errors as a whole.

TEST(ConfigErrors, AllAreReportedInLineOrder) {
    const std::string text =
        "[node]\n"
        "id = 1\n"
        "name = \"n1\"\n"
        "[tunnel]\n"
        "ttl = 0\n"          // line 5
        "[eal]\n"
        "memory_mb = 1\n"    // line 7
        "[[network]]\n"
        "name = \"net\"\n"
        "role = 2\n"         // line 10
        "[[port]]\n"
        "name = \"p0\"\n"
        "driver = \"null\"\n"
        "network = \"net\"\n"
        "ipv4 = \"198.18.1.1/24\"\n";
    ConfigResult r = load_config_string(text + kCluster, "multi.toml");
    EXPECT_FALSE(r.config.has_value());
    std::vector<std::pair<int, std::string>> got;
    for (auto& e : r.errors) got.emplace_back(e.line, e.key);
    EXPECT_THAT(got, ElementsAre(std::pair{5, std::string("tunnel.ttl")},
                                 std::pair{7, std::string("eal.memory_mb")},
                                 std::pair{10, std::string("network[0].role")}))
        << all_errors(r);
}

TEST(ConfigErrors, WholeFileErrorsComeFirstAndPrintWithoutLine) {
    ConfigResult r = load_config_string("[tunnel]\nttl = 0\n", "f.toml");
    EXPECT_FALSE(r.config.has_value());
    ASSERT_EQ(r.errors.size(), 4u) << all_errors(r);
    EXPECT_EQ(r.errors[0].str(), "f.toml: node: required table [node] is missing");
    EXPECT_EQ(r.errors[1].str(), "f.toml: cluster.key: required (or cluster.key_file, or [[security.keys]]): "
                                 "every ftnet message is sealed with a cluster key");
    EXPECT_EQ(r.errors[2].str(), "f.toml: port: at least one [[port]] (a cluster network port) is required");
    EXPECT_EQ(r.errors[3].str(), "f.toml:2: tunnel.ttl: value 0 is out of range (allowed 1..255)");
}

TEST(ConfigErrors, StrFormat) {
    EXPECT_EQ((ConfigError{"node1.toml", 12, "port[2].ipv4", "bad"}).str(),
              "node1.toml:12: port[2].ipv4: bad");
    EXPECT_EQ((ConfigError{"node1.toml", 0, "port", "none"}).str(), "node1.toml: port: none");
    EXPECT_EQ((ConfigError{"node1.toml", 3, "", "TOML syntax error: x"}).str(),
              "node1.toml:3: TOML syntax error: x");
}

TEST(ConfigFile, MissingFileIsOneErrorWithoutLine) {
    const std::string path = ::testing::TempDir() + "ftnet-config-test-no-such-file.toml";
    ConfigResult r = load_config_file(path);
    EXPECT_FALSE(r.config.has_value());
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].source, path);
    EXPECT_EQ(r.errors[0].line, 0);
    EXPECT_EQ(r.errors[0].key, "");
    EXPECT_EQ(r.errors[0].message, "cannot open the file for reading");
}

TEST(ConfigFile, SyntaxErrorNamesTheFileAndLine) {
    const std::string path = ::testing::TempDir() + "ftnet-config-test-syntax.toml";
    {
        std::ofstream f(path);
        f << kNode << kNetwork << "[[port]]\nname = \"p0\n";  // unterminated string on line 8
    }
    ConfigResult r = load_config_file(path);
    std::remove(path.c_str());
    EXPECT_FALSE(r.config.has_value());
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].source, path);
    EXPECT_EQ(r.errors[0].line, 8);
    EXPECT_THAT(r.errors[0].message, HasSubstr("TOML syntax error"));
}

TEST(ConfigFile, ValidationErrorNamesTheFile) {
    const std::string path = ::testing::TempDir() + "ftnet-config-test-invalid.toml";
    {
        std::ofstream f(path);
        f << "[tunnel]\nudp_port = 0\n" << kNode << kNetwork << kPort << kCluster;
    }
    ConfigResult r = load_config_file(path);
    std::remove(path.c_str());
    EXPECT_FALSE(r.config.has_value());
    ASSERT_EQ(r.errors.size(), 1u) << all_errors(r);
    EXPECT_EQ(r.errors[0].str(),
              path + ":2: tunnel.udp_port: value 0 is out of range (allowed 1..65535)");
}

// ---------------------------------------------------------------------------
// Files that must load.

// The [cluster] key is appended (last, so that line numbers stay put).
Config load_ok(const std::string& text_in) {
    std::string text = text_in.find("[cluster]") == std::string::npos ? text_in + kCluster : text_in;
    ConfigResult r = load_config_string(text, "ok.toml");
    EXPECT_TRUE(r.errors.empty()) << all_errors(r) << "file:\n" << text;
    EXPECT_TRUE(r.config.has_value());
    return r.config.value_or(Config{});
}

TEST(ConfigLoads, DefaultsAreThoseOfConfigH) {
    Config c = load_ok(kNode + kNetwork + kPort + kCluster);
    EXPECT_EQ(c.path, "ok.toml");
    EXPECT_EQ(c.node.id, 1);
    EXPECT_EQ(c.node.name, "n1");
    EXPECT_EQ(c.node.cluster, "ftnet");

    EXPECT_EQ(c.eal.lcores, "0-1");
    EXPECT_EQ(c.eal.main_lcore, 0u);
    EXPECT_EQ(c.eal.memory_mb, 512u);
    EXPECT_FALSE(c.eal.no_huge);
    EXPECT_EQ(c.eal.file_prefix, "ftnet");
    EXPECT_FALSE(c.eal.in_memory);
    EXPECT_EQ(c.eal.log_level, "notice");
    EXPECT_TRUE(c.eal.extra_args.empty());

    EXPECT_THAT(c.dataplane.workers, ElementsAre(1u));
    EXPECT_EQ(c.dataplane.burst, 32u);
    EXPECT_EQ(c.dataplane.mbufs, 16383u);
    EXPECT_EQ(c.dataplane.idle_sleep_max_us, 0u);
    EXPECT_EQ(c.dataplane.idle_polls, 256u);

    EXPECT_EQ(c.tunnel.udp_port, 3343);
    EXPECT_EQ(c.tunnel.dscp, 0);
    EXPECT_EQ(c.tunnel.ttl, 64u);

    EXPECT_EQ(c.adapter.name, "ftnet0");
    EXPECT_EQ(c.adapter.driver, PortDriver::AfXdp);
    EXPECT_TRUE(c.adapter.driver_auto) << "af_xdp, or tap where it cannot start";
    EXPECT_EQ(c.adapter.mtu, 1400u);
    EXPECT_EQ(c.adapter.queues, 0u);

    EXPECT_EQ(c.management.socket, "/run/ftnet/ftnetd.sock");
    EXPECT_EQ(c.management.socket_group, "");
    EXPECT_EQ(c.management.cluster_log, "/var/log/ftnet/cluster.log");
    EXPECT_EQ(c.management.log_lines, 2000u);

    ASSERT_EQ(c.networks.size(), 1u);
    EXPECT_EQ(c.networks[0].name, "net");
    EXPECT_EQ(c.networks[0].role, NetworkRole::ClusterOnly);
    EXPECT_EQ(c.networks[0].metric, 1000u);
    ASSERT_EQ(c.networks[0].subnets.size(), 2u);
    EXPECT_EQ(c.networks[0].subnets[0].str(), "198.18.1.0/24");
    EXPECT_EQ(c.networks[0].subnets[1].str(), "fd00:1::/64");
    EXPECT_EQ(c.networks[0].line, 4);

    ASSERT_EQ(c.ports.size(), 1u);
    const PortConfig& p = c.ports[0];
    EXPECT_EQ(p.name, "p0");
    EXPECT_EQ(p.driver, PortDriver::AfPacket);
    EXPECT_EQ(p.iface, "eth0");
    EXPECT_EQ(p.pci, "");
    EXPECT_EQ(p.devargs, "");
    EXPECT_EQ(p.network, "net");
    ASSERT_TRUE(p.ipv4 && p.ipv6);
    EXPECT_EQ(p.ipv4->str(), "198.18.1.1/24");
    EXPECT_EQ(p.ipv6->str(), "fd00:1::1/64");
    EXPECT_FALSE(p.gateway4);
    EXPECT_FALSE(p.gateway6);
    EXPECT_EQ(p.rx_queues, 1u);
    EXPECT_EQ(p.rx_desc, 1024u);
    EXPECT_EQ(p.tx_desc, 1024u);
    EXPECT_EQ(p.mtu, 1500u);
    EXPECT_EQ(p.line, 7);

    EXPECT_TRUE(c.peers.empty());
}

TEST(ConfigLoads, InMemoryIsRead) {
    Config c = load_ok("[eal]\nin_memory = true\n" + kNode + kNetwork + kPort);
    EXPECT_TRUE(c.eal.in_memory);
}

TEST(ConfigLoads, EveryKeyIsRead) {
    Config c = load_ok(R"(
[node]
id = 4096
name = "node-4096"
cluster = "prod_sql"

[eal]
lcores = "(0,1)@0,2@1,3-4"
main_lcore = 2
memory_mb = 64
no_huge = true
file_prefix = "ft-1"
log_level = "debug"
extra_args = ["--huge-dir=/mnt/huge", "--iova-mode=va"]

[dataplane]
workers = [4, 0, 3]
burst = 64
mbufs = 1048575
idle_sleep_max_us = 100000
idle_polls = 1

[tunnel]
udp_port = 65535
dscp = 46
ttl = 255

[adapter]
name = "ft.0"
driver = "ring"
mtu = 9000
queues = 16

[management]
socket = "/tmp/f.sock"
socket_group = "wheel"
cluster_log = ""
log_lines = 100

[[network]]
name = "mgmt"
role = 0
metric = 0

[[network]]
name = "wide"
role = 3
metric = 999999
subnets = ["198.18.0.0/15", "fd00::/8"]

[[port]]
name = "x"
driver = "af_xdp"
iface = "ens1f0.100"
devargs = "busy_budget=0"
network = "wide"
ipv4 = "198.19.0.1/16"
ipv6 = "fd00:9::1"
gateway4 = "198.19.255.254"
gateway6 = "fd00:9::ffff"
rx_queues = 16
rx_desc = 64
tx_desc = 16384
mtu = 9600

[[port]]
name = "y"
driver = "pci"
pci = "3b:00.7"
network = "mgmt"
mtu = 9100

[[peer]]
id = 1
name = "node-1"
  [[peer.endpoint]]
  network = "wide"
  ipv6 = "fd00:10::1"
)");
    EXPECT_EQ(c.node.id, 4096);
    EXPECT_EQ(c.node.name, "node-4096");
    EXPECT_EQ(c.node.cluster, "prod_sql");
    EXPECT_EQ(c.eal.lcores, "(0,1)@0,2@1,3-4");
    EXPECT_EQ(c.eal.main_lcore, 2u);
    EXPECT_EQ(c.eal.memory_mb, 64u);
    EXPECT_TRUE(c.eal.no_huge);
    EXPECT_EQ(c.eal.file_prefix, "ft-1");
    EXPECT_FALSE(c.eal.in_memory) << "in_memory cannot go with no_huge: read in InMemoryIsRead";
    EXPECT_EQ(c.eal.log_level, "debug");
    EXPECT_THAT(c.eal.extra_args, ElementsAre("--huge-dir=/mnt/huge", "--iova-mode=va"));
    EXPECT_THAT(c.dataplane.workers, ElementsAre(4u, 0u, 3u)) << "kept in the order written";
    EXPECT_EQ(c.dataplane.burst, 64u);
    EXPECT_EQ(c.dataplane.mbufs, 1048575u);
    EXPECT_EQ(c.dataplane.idle_sleep_max_us, 100000u);
    EXPECT_EQ(c.dataplane.idle_polls, 1u);
    EXPECT_EQ(c.tunnel.udp_port, 65535);
    EXPECT_EQ(c.tunnel.dscp, 46) << "a non-default value, so the key must have been read";
    EXPECT_EQ(c.tunnel.ttl, 255u);
    EXPECT_EQ(c.adapter.name, "ft.0");
    EXPECT_EQ(c.adapter.driver, PortDriver::Ring);
    EXPECT_EQ(c.adapter.mtu, 9000u);
    EXPECT_EQ(c.adapter.queues, 16u);
    EXPECT_EQ(c.management.socket, "/tmp/f.sock");
    EXPECT_EQ(c.management.socket_group, "wheel");
    EXPECT_EQ(c.management.cluster_log, "");
    EXPECT_EQ(c.management.log_lines, 100u);

    ASSERT_EQ(c.networks.size(), 2u);
    EXPECT_EQ(c.networks[0].role, NetworkRole::None);
    EXPECT_EQ(c.networks[0].metric, 0u);
    EXPECT_TRUE(c.networks[0].subnets.empty());
    EXPECT_EQ(c.networks[1].role, NetworkRole::ClusterAndClient);
    EXPECT_EQ(c.networks[1].metric, 999999u);
    EXPECT_EQ(c.find_network("wide"), &c.networks[1]);
    EXPECT_EQ(c.find_network("nope"), nullptr);

    ASSERT_EQ(c.ports.size(), 2u);
    const PortConfig& x = c.ports[0];
    EXPECT_EQ(x.driver, PortDriver::AfXdp);
    EXPECT_EQ(x.iface, "ens1f0.100");
    EXPECT_EQ(x.devargs, "busy_budget=0");
    EXPECT_EQ(x.ipv4->str(), "198.19.0.1/16");
    EXPECT_EQ(x.ipv6->str(), "fd00:9::1/64") << "a bare IPv6 address is a /64";
    EXPECT_EQ(x.gateway4->str(), "198.19.255.254");
    EXPECT_EQ(x.gateway6->str(), "fd00:9::ffff");
    EXPECT_EQ(x.rx_queues, 16u);
    EXPECT_EQ(x.rx_desc, 64u);
    EXPECT_EQ(x.tx_desc, 16384u);
    EXPECT_EQ(x.mtu, 9600u);
    const PortConfig& y = c.ports[1];
    EXPECT_EQ(y.driver, PortDriver::Pci);
    EXPECT_EQ(y.pci, "3b:00.7") << "the short PCI form is accepted as written";
    EXPECT_FALSE(y.ipv4 || y.ipv6) << "a port on a role 0 network needs no address";

    ASSERT_EQ(c.peers.size(), 1u);
    EXPECT_EQ(c.peers[0].id, 1);
    ASSERT_EQ(c.peers[0].endpoints.size(), 1u);
    EXPECT_FALSE(c.peers[0].endpoints[0].ipv4);
    EXPECT_EQ(c.peers[0].endpoints[0].ipv6->str(), "fd00:10::1");
}

TEST(ConfigLoads, SingleTablesInPlaceOfArraysOfTables) {
    Config c = load_ok(kNode + kNetwork +
                       "[port]\n"
                       "name = \"p0\"\n"
                       "driver = \"null\"\n"
                       "network = \"net\"\n"
                       "ipv4 = \"198.18.1.1\"\n"
                       "[peer]\n"
                       "id = 2\n"
                       "name = \"n2\"\n"
                       "endpoint = {network = \"net\", ipv4 = \"198.18.1.2\"}\n");
    ASSERT_EQ(c.ports.size(), 1u);
    EXPECT_EQ(c.ports[0].ipv4->str(), "198.18.1.1/24") << "a bare IPv4 address is a /24";
    ASSERT_EQ(c.peers.size(), 1u);
    ASSERT_EQ(c.peers[0].endpoints.size(), 1u);
    EXPECT_EQ(c.peers[0].endpoints[0].ipv4->str(), "198.18.1.2");
}

TEST(ConfigLoads, PortMtuExactlyAdapterMtuPlusOverhead) {
    // 1400 + 14 + 80: the smallest port MTU that carries a full ftnet0 frame.
    Config c = load_ok(kNode + kNetwork +
                       "[[port]]\n"
                       "name = \"p0\"\n"
                       "driver = \"null\"\n"
                       "network = \"net\"\n"
                       "ipv4 = \"198.18.1.1/24\"\n"
                       "mtu = 1500\n");
    EXPECT_EQ(c.ports[0].mtu, 1500u);
}

TEST(ConfigLoads, TwoFunctionsOfOneNicAreTwoPorts) {
    Config c = load_ok(kNode + kNetwork +
                       "[[port]]\nname = \"a\"\ndriver = \"pci\"\npci = \"0000:3b:00.0\"\n"
                       "network = \"net\"\nipv4 = \"198.18.1.1/24\"\n"
                       "[[port]]\nname = \"b\"\ndriver = \"pci\"\npci = \"3b:00.1\"\n"
                       "network = \"net\"\nipv4 = \"198.18.1.2/24\"\n");
    ASSERT_EQ(c.ports.size(), 2u);
    EXPECT_EQ(c.ports[1].pci, "3b:00.1");
}

TEST(ConfigLoads, AtTheCountLimits) {
    Config c = load_ok(kNode + n_networks(16) + n_ports(15) + n_peers(64) + n_workers(16));
    EXPECT_EQ(c.networks.size(), kMaxNetworks);
    EXPECT_EQ(c.ports.size(), kMaxPorts - 1) << "one port is ftnet0";
    EXPECT_EQ(c.peers.size(), kMaxPeers);
    EXPECT_EQ(c.dataplane.workers.size(), kMaxWorkers);
}

// The shipped files, read from the source tree as ftnetd would read them.
// Loads a shipped config; a key_file it names is replaced by a temporary
// key file of mode 0600, since /etc/ftnet does not exist on a build host.
ConfigResult load_shipped(const std::string& relative) {
    const std::string path = std::string(source_root()) + "/" + relative;
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    const std::string shipped_key = "key_file = \"/etc/ftnet/cluster.key\"";
    std::string key_path = "/tmp/ftnet-test-key-" + std::to_string(getpid());
    if (auto pos = text.find(shipped_key); pos != std::string::npos) {
        std::ofstream(key_path) << "00112233445566778899aabbccddeeff\n";
        chmod(key_path.c_str(), 0600);
        text.replace(pos, shipped_key.size(), "key_file = \"" + key_path + "\"");
    }
    ConfigResult r = load_config_string(text, path);
    std::remove(key_path.c_str());
    EXPECT_TRUE(r.errors.empty()) << path << ":\n" << all_errors(r);
    return r;
}

TEST(ConfigShipped, LabConfigsLoad) {
    ASSERT_STRNE(source_root(), "") << "FTNET_SOURCE_ROOT is not set (meson test sets it; by hand: "
                                       "FTNET_SOURCE_ROOT=/path/to/ftnet)";
    for (int n : {1, 2}) {
        SCOPED_TRACE(n);
        ConfigResult r = load_shipped("config/lab/node" + std::to_string(n) + ".toml");
        ASSERT_TRUE(r.config.has_value());
        const Config& c = *r.config;
        EXPECT_EQ(c.node.id, n);
        EXPECT_EQ(c.node.name, "node" + std::to_string(n));
        EXPECT_EQ(c.node.cluster, "ftlab");
        EXPECT_TRUE(c.eal.no_huge);
        EXPECT_EQ(c.dataplane.idle_sleep_max_us, 200u) << "lab workers back off: shared cores";
        ASSERT_EQ(c.networks.size(), 3u);
        ASSERT_EQ(c.ports.size(), 3u);
        ASSERT_EQ(c.peers.size(), 1u);
        EXPECT_EQ(c.peers[0].id, 3 - n);
        EXPECT_EQ(c.peers[0].endpoints.size(), 3u);
        for (const PortConfig& p : c.ports) {
            EXPECT_EQ(p.driver, PortDriver::AfPacket);
            EXPECT_EQ(p.iface, p.name);
            ASSERT_TRUE(p.ipv4 && p.ipv6);
            EXPECT_EQ(p.ipv4->addr.b[3], n) << "node n has host address .n";
        }
        RouteIdMap ids;
        RoutePlanResult plan = plan_routes(c, ids);
        EXPECT_EQ(plan.routes.size(), 6u) << "3 networks x 2 families";
        EXPECT_TRUE(plan.skipped.empty());
    }
}

TEST(ConfigShipped, ProductionExampleLoads) {
    ASSERT_STRNE(source_root(), "") << "FTNET_SOURCE_ROOT is not set (meson test sets it; by hand: "
                                       "FTNET_SOURCE_ROOT=/path/to/ftnet)";
    ConfigResult r = load_shipped("config/example.toml");
    ASSERT_TRUE(r.config.has_value());
    const Config& c = *r.config;
    // A dedicated host: hugepages, PCI NICs, two busy-polling workers.
    EXPECT_FALSE(c.eal.no_huge);
    EXPECT_EQ(c.dataplane.idle_sleep_max_us, 0u);
    EXPECT_EQ(c.dataplane.workers.size(), 2u);
    ASSERT_EQ(c.ports.size(), 3u);
    for (const PortConfig& p : c.ports) EXPECT_EQ(p.driver, PortDriver::Pci) << p.name;
    // A cluster-only, a storage and a client network.
    ASSERT_EQ(c.networks.size(), 3u);
    EXPECT_EQ(c.networks[0].role, NetworkRole::ClusterOnly);
    EXPECT_EQ(c.networks[1].role, NetworkRole::ClusterOnly);
    EXPECT_EQ(c.networks[2].role, NetworkRole::ClusterAndClient);
    // Two peers: one on this site, one on another site behind gateways.
    ASSERT_EQ(c.peers.size(), 2u);
    RouteIdMap ids;
    RoutePlanResult plan = plan_routes(c, ids);
    EXPECT_TRUE(plan.skipped.empty()) << plan.skipped.front();
    size_t local = 0, routed = 0, v6 = 0, v4 = 0;
    for (const RouteDesc& rt : plan.routes) {
        const PortConfig& port = c.ports[rt.port_cfg];
        const auto& gw = rt.family == Family::V6 ? port.gateway6 : port.gateway4;
        if (rt.peer_node == c.peers[0].id) {
            EXPECT_FALSE(rt.cross_subnet);
            local++;
        } else {
            EXPECT_TRUE(rt.cross_subnet);
            ASSERT_TRUE(gw.has_value());
            EXPECT_EQ(rt.next_hop, *gw) << "a routed path goes through the port's gateway";
            routed++;
        }
        (rt.family == Family::V6 ? v6 : v4)++;
    }
    EXPECT_EQ(local, 5u) << "cluster v6+v4, storage v6, client v6+v4";
    EXPECT_EQ(routed, 4u) << "cluster v6+v4, client v6+v4";
    EXPECT_EQ(v6, 5u);
    EXPECT_EQ(v4, 4u);
}

// ---------------------------------------------------------------------------
// parse_lcore_list

TEST(ParseLcoreList, RangesListsAndCpuSets) {
    EXPECT_THAT(parse_lcore_list("0-1").value_or(std::vector<unsigned>{}), ElementsAre(0u, 1u));
    EXPECT_THAT(parse_lcore_list("0,2,4").value_or(std::vector<unsigned>{}), ElementsAre(0u, 2u, 4u));
    EXPECT_THAT(parse_lcore_list("0@(0-1),1@(0-1)").value_or(std::vector<unsigned>{}),
                ElementsAre(0u, 1u))
        << "the cpu set after @ is not an lcore id";
    EXPECT_THAT(parse_lcore_list("(0,1)@0").value_or(std::vector<unsigned>{}), ElementsAre(0u, 1u));
    EXPECT_THAT(parse_lcore_list("7").value_or(std::vector<unsigned>{}), ElementsAre(7u));
    EXPECT_THAT(parse_lcore_list("(2-3)@(0,4),0@1,5").value_or(std::vector<unsigned>{}),
                ElementsAre(0u, 2u, 3u, 5u));
    EXPECT_THAT(parse_lcore_list("4,1-2,2").value_or(std::vector<unsigned>{}), ElementsAre(1u, 2u, 4u))
        << "sorted, without duplicates";
    EXPECT_THAT(parse_lcore_list("1023").value_or(std::vector<unsigned>{}), ElementsAre(1023u));
}

TEST(ParseLcoreList, GarbageIsRefused) {
    for (const char* s : {"", "abc", "0-x", "x-1", "1-0", "-1", "0-", ",", "0,", ",0", "0,,1",
                          "1024", "0-1024", "99999999999", "(0,1", "0,1)", ")0(", "0@", "0@x",
                          "0@(0-1", "0@1@2", "1@cpu1", "0 1", " 0", "0.5"}) {
        EXPECT_FALSE(parse_lcore_list(s).has_value()) << '"' << s << '"';
    }
}

}  // namespace
}  // namespace ftnet

namespace ftnet {
namespace {

TEST(ConfigCluster, ProfileDefaultsAndLimits) {
    auto load = [](const std::string& cluster) {
        return load_config_string(with_standard_sections("[cluster]\n" + cluster + "key = \"00112233445566778899aabbccddeeff\"\n"), "t.toml");
    };
    ConfigResult classic = load("");
    ASSERT_TRUE(classic.config) << all_errors(classic);
    const ClusterProperties& c = classic.config->cluster.properties;
    EXPECT_EQ(c.profile, HeartbeatProfile::Classic);
    EXPECT_EQ(c.same_subnet_delay_ms, 1000u);
    EXPECT_EQ(c.same_subnet_threshold, 5u);
    EXPECT_EQ(c.cross_subnet_delay_ms, 1000u);
    EXPECT_EQ(c.cross_subnet_threshold, 5u);
    const SecurityConfig* sec = classic.config->find_section<SecurityConfig>(kSecuritySection);
    ASSERT_NE(sec, nullptr);
    ASSERT_EQ(sec->keys.size(), 1u);
    EXPECT_EQ(sec->keys[0].id, 1) << "cluster.key is key id 1 unless key_id says otherwise";
    EXPECT_EQ(sec->keys[0].bytes.front(), 0x00);
    EXPECT_EQ(sec->keys[0].bytes.back(), 0xff);
    EXPECT_EQ(sec->primary, 1);
    EXPECT_FALSE(sec->encrypt) << "authenticated by default";
    EXPECT_EQ(sec->state_dir, "/var/lib/ftnet");
    ConfigResult fast = load("profile = \"fast\"\nSameSubnetDelay = 1\nSameSubnetThreshold = 2\n");
    ASSERT_TRUE(fast.config) << all_errors(fast);
    EXPECT_EQ(fast.config->cluster.properties.same_subnet_delay_ms, 1u);
    EXPECT_EQ(fast.config->cluster.properties.same_subnet_threshold, 2u);
    EXPECT_EQ(fast.config->cluster.properties.cross_subnet_delay_ms, 50u) << "fast profile default";
    // The edges of the classic limits are allowed.
    EXPECT_TRUE(load("SameSubnetDelay = 250\nCrossSubnetDelay = 4000\nSameSubnetThreshold = 10\n").config);
    // Stall grace and flap damping: profile defaults, and a pair set in
    // either order when consistent.
    EXPECT_EQ(c.stall_grace_ms, 500u);
    EXPECT_EQ(c.flap_threshold, 3u);
    EXPECT_EQ(fast.config->cluster.properties.stall_grace_ms, 10u);
    EXPECT_EQ(fast.config->cluster.properties.flap_hold_down_ms, 1000u);
    ConfigResult damped = load("profile = \"fast\"\nFlapHoldDown = 90000\nFlapHoldDownMax = 120000\nStallGrace = 0\n");
    ASSERT_TRUE(damped.config) << all_errors(damped);
    EXPECT_EQ(damped.config->cluster.properties.flap_hold_down_ms, 90000u);
    EXPECT_EQ(damped.config->cluster.properties.stall_grace_ms, 0u);
}

TEST(ClusterProperties, TheHoldDownPairIsCheckedLiveEitherWayRound) {
    ClusterProperties p = ClusterProperties::defaults(HeartbeatProfile::Fast);  // 1000 / 60000 ms
    EXPECT_EQ(set_property(p, "FlapHoldDown", 70000), "value 70000 exceeds FlapHoldDownMax (60000 ms)");
    EXPECT_EQ(set_property(p, "FlapHoldDownMax", 500), "value 500 is below FlapHoldDown (1000 ms)");
    EXPECT_EQ(p.flap_hold_down_ms, 1000u) << "refused values change nothing";
    EXPECT_EQ(p.flap_hold_down_max_ms, 60000u);
    EXPECT_FALSE(set_property(p, "FlapHoldDownMax", 80000));
    EXPECT_FALSE(set_property(p, "FlapHoldDown", 70000));
}

TEST(ConfigCluster, KeyFileMustBePrivateAndHoldAKey) {
    std::string path = "/tmp/ftnet-key-test-" + std::to_string(getpid());
    auto load = [&] {
        return load_config_string(with_standard_sections("[cluster]\nkey_file = \"" + path + "\"\n"), "t.toml");
    };
    std::ofstream(path) << "00112233445566778899aabbccddeeff\n";
    chmod(path.c_str(), 0644);
    ConfigResult r = load();
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].key, "cluster.key_file");
    EXPECT_THAT(r.errors[0].message, HasSubstr("is accessible to group or other users (mode 0644); chmod 600 it"));
    chmod(path.c_str(), 0600);
    r = load();
    ASSERT_TRUE(r.config) << all_errors(r);
    const SecurityConfig* sec = r.config->find_section<SecurityConfig>(kSecuritySection);
    ASSERT_NE(sec, nullptr);
    EXPECT_EQ(sec->keys.at(0).bytes.at(1), 0x11);
    EXPECT_EQ(sec->keys.at(0).source, path);
    std::ofstream(path) << "not a key\n";
    r = load();
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_THAT(r.errors[0].message, HasSubstr("must hold 32 or 64 hexadecimal digits"));
    std::remove(path.c_str());
}

TEST(ClusterProperties, LiveSetUsesTheProfileLimits) {
    ClusterProperties p = ClusterProperties::defaults(HeartbeatProfile::Classic);
    EXPECT_EQ(set_property(p, "SameSubnetDelay", 100), "value 100 is out of range for the classic profile (allowed 250..2000 ms)");
    EXPECT_EQ(p.same_subnet_delay_ms, 1000u) << "a refused value changes nothing";
    EXPECT_FALSE(set_property(p, "SameSubnetDelay", 500));
    EXPECT_EQ(p.same_subnet_delay_ms, 500u);
    EXPECT_EQ(*set_property(p, "Nope", 1).value().data(), 'n');
    EXPECT_THAT(*set_property(p, "Nope", 1), HasSubstr("no such cluster property \"Nope\""));
    ClusterProperties f = ClusterProperties::defaults(HeartbeatProfile::Fast);
    EXPECT_FALSE(set_property(f, "SameSubnetDelay", 1));
    EXPECT_FALSE(set_property(f, "SameSubnetThreshold", 2));
    EXPECT_TRUE(set_property(f, "SameSubnetThreshold", 1));
    auto list = list_properties(f);
    ASSERT_EQ(list.size(), 10u);
    EXPECT_EQ(list[0].name, "SameSubnetDelay");
    EXPECT_EQ(list[0].value, 1u);
    EXPECT_EQ(list[0].min, 1u);
    EXPECT_EQ(list[0].max, 2000u);
}

}  // namespace
}  // namespace ftnet

namespace ftnet {
namespace {

// [security] and the cluster keys: several keys with ids, the one sealing,
// encryption, the state directory; every mistake names its key.
TEST(ConfigSecurity, SeveralKeysAPrimaryAndEncryption) {
    ConfigResult r = load_config_string(with_standard_sections(
        "[cluster]\nkey = \"00112233445566778899aabbccddeeff\"\nkey_id = 7\n"
        "[security]\nencrypt = true\nprimary_key = 9\nstate_dir = \"/run/ftnet-state\"\n"
        "[[security.keys]]\nid = 9\nkey = \"" + std::string(64, 'a') + "\"\n"), "s.toml");
    ASSERT_TRUE(r.config) << all_errors(r);
    const SecurityConfig* s = r.config->find_section<SecurityConfig>(kSecuritySection);
    ASSERT_NE(s, nullptr);
    ASSERT_EQ(s->keys.size(), 2u);
    EXPECT_EQ(s->keys[0].id, 7);
    EXPECT_EQ(s->keys[0].bytes.size(), 16u);
    EXPECT_EQ(s->keys[1].id, 9);
    EXPECT_EQ(s->keys[1].bytes.size(), 32u) << "AES-256";
    EXPECT_EQ(s->keys[1].source, "security.keys[0].key");
    EXPECT_EQ(s->primary, 9);
    EXPECT_TRUE(s->encrypt);
    EXPECT_EQ(s->state_dir, "/run/ftnet-state");
}

TEST(ConfigSecurity, MistakesNameTheKeyAndTheReason) {
    auto first_error = [](const std::string& extra) {
        ConfigResult r = load_config_string(
            with_standard_sections("[cluster]\nkey = \"00112233445566778899aabbccddeeff\"\n" + extra), "s.toml");
        EXPECT_FALSE(r.config.has_value());
        return r.errors.empty() ? std::string("(none)") : r.errors[0].key + ": " + r.errors[0].message;
    };
    EXPECT_THAT(first_error("[[security.keys]]\nid = 2\nkey = \"" + std::string(64, 'b') + "\"\n"),
                HasSubstr("security.primary_key: required when several keys are given"));
    EXPECT_THAT(first_error("[security]\nprimary_key = 3\n"), HasSubstr("security.primary_key: 3 is not the id of a configured key"));
    EXPECT_THAT(first_error("[[security.keys]]\nid = 1\nkey = \"" + std::string(32, 'b') + "\"\n[security]\nprimary_key = 1\n"),
                HasSubstr("security.keys[0].id: key id 1 is already given by cluster.key"));
    EXPECT_THAT(first_error("[[security.keys]]\nid = 0\nkey = \"" + std::string(32, 'b') + "\"\n"),
                HasSubstr("security.keys[0].id: value 0 is out of range (allowed 1..254)"));
    EXPECT_THAT(first_error("[[security.keys]]\nid = 2\n"), HasSubstr("security.keys[0].key: required (or key_file)"));
    EXPECT_THAT(first_error("[security]\nencrypt = \"yes\"\n"), HasSubstr("security.encrypt: \"yes\" is not true or false"));
    EXPECT_THAT(first_error("[security]\nstate_dir = \"var/lib\"\n"), HasSubstr("security.state_dir: \"var/lib\" must be an absolute path"));
    EXPECT_THAT(first_error("[security]\ncipher = \"aes\"\n"), HasSubstr("security.cipher: unknown key"));
}

}  // namespace
}  // namespace ftnet
