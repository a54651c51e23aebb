// Live capture of a running engine (issue 14): with hugepages, ftnetd
// serves DPDK's capture framework and dpdk-dumpcap (a secondary process)
// captures a port's heartbeats and tunnelled pings into a pcapng file
// without a restart; tshark with the ftnet dissector decodes them. Without
// hugepages (the lab default) `capture` says why it is off.
//
// The test reserves 2 MiB hugepages for itself (the machine has none
// reserved) and gives them back, also on failure.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/lab_fixture.h"

namespace ftnet::itest {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::string read_first_line(const std::string& p) {
    std::ifstream f(p);
    std::string s;
    std::getline(f, s);
    return s;
}

// 2 MiB hugepages and a hugetlbfs mount for the length of a test.
class Hugepages {
  public:
    explicit Hugepages(unsigned pages) {
        before_ = read_first_line("/proc/sys/vm/nr_hugepages");
        std::ofstream("/proc/sys/vm/nr_hugepages") << std::stoul(before_) + pages;
        if (run("", "mountpoint -q /dev/hugepages").status != 0) {
            std::filesystem::create_directories("/dev/hugepages");
            mounted_ = run("", "mount -t hugetlbfs nodev /dev/hugepages").status == 0;
        }
    }
    ~Hugepages() {
        if (mounted_) run("", "umount /dev/hugepages");
        std::ofstream("/proc/sys/vm/nr_hugepages") << before_;
    }
    unsigned total() const { return static_cast<unsigned>(std::stoul(read_first_line("/proc/sys/vm/nr_hugepages"))); }

  private:
    std::string before_;
    bool mounted_ = false;
};

TEST(Capture, DumpcapCapturesARunningEnginesPortAndTheDissectorDecodesIt) {
    Hugepages pages(600);
    ASSERT_GE(pages.total(), 600u) << "the kernel gave no hugepages";
    auto lab = std::make_unique<Lab>();
    NodeOptions huge;
    huge.replace = {{"no_huge = true", "no_huge = false"}, {"memory_mb = 512", "memory_mb = 256"}};
    lab->start_node(1, huge);
    lab->start_node(2);
    lab->wait_ready(1, 30s);
    lab->wait_ready(2, 30s);

    json cap = lab->ctl(1, "capture");
    ASSERT_TRUE(cap["available"]) << cap.dump(2);
    std::string dev;
    for (auto& p : cap["ports"])
        if (p["port"] == "cluster") dev = p["dpdk_name"];
    ASSERT_FALSE(dev.empty()) << cap.dump(2);
    json off = lab->ctl(2, "capture");
    EXPECT_FALSE(off["available"]);
    EXPECT_NE(off["reason"].get<std::string>().find("eal.no_huge = true"), std::string::npos) << off.dump();

    // Pings across ftnet0 while dumpcap runs for 3 s on node 1's cluster port.
    const std::string pcap = lab->dir() + "/cluster.pcapng";
    const std::string prefix = lab->prefix() + "-n1";
    BgProcess dump(lab->node_ns(1),
                   "dpdk-dumpcap --file-prefix=" + prefix + " -i " + dev + " -w " + pcap + " -a duration:3 -q",
                   lab->dir() + "/dumpcap.out");
    std::this_thread::sleep_for(1s);
    CmdResult ping = run(lab->node_ns(1), "ping -c 10 -i 0.1 169.254.1.2");
    EXPECT_EQ(ping.status, 0) << ping.out;
    ASSERT_EQ(dump.wait(20s), 0) << dump.output();
    ASSERT_TRUE(std::filesystem::exists(pcap)) << dump.output();

    // Decoded with the dissector: heartbeats both ways and DATA carrying
    // the pings.
    CmdResult t = run("", "tshark -X lua_script:" + source_root() + "/scripts/wireshark/ftnet.lua -r " + pcap +
                              " -T fields -e ftnet.type 2>&1");
    ASSERT_EQ(t.status, 0) << t.out;
    size_t hb = 0, data = 0;
    for (size_t at = 0; at < t.out.size();) {
        size_t nl = t.out.find('\n', at);
        const std::string line = t.out.substr(at, nl - at);
        hb += line == "3" || line == "4";
        data += line == "1";
        at = nl == std::string::npos ? t.out.size() : nl + 1;
    }
    EXPECT_GT(hb, 10u) << t.out.substr(0, 2000);
    EXPECT_GE(data, 1u) << "the pings went on the cluster network: " << t.out.substr(0, 2000);
    // The engine ran on throughout and is still serving.
    EXPECT_TRUE(lab->request(1, {{"cmd", "status"}})["ok"]);
    lab.reset();  // stops the daemons before the pages go
}

}  // namespace
}  // namespace ftnet::itest
