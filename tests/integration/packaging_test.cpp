// What `meson install` puts on a host (issue 14): the programs, the example
// config, the systemd units (checked by systemd-analyze verify), the
// sysusers entry, the host set-up script, bash completion and man pages
// that render without warnings; and host-setup's plan for a config.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/lab_fixture.h"

namespace ftnet::itest {
namespace {

namespace fs = std::filesystem;

std::string slurp_file(const std::string& p) {
    std::ifstream f(p);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

class Packaging : public testing::Test {
  protected:
    void SetUp() override {
        dest = "/tmp/ftnet-install-" + std::to_string(getpid());
        fs::remove_all(dest);
        CmdResult r = run("", "meson install -C " + build_root() + " --destdir " + dest + " --no-rebuild --quiet");
        ASSERT_EQ(r.status, 0) << r.out;
        // The prefix the build was set up with (/usr/local unless told).
        for (const char* p : {"/usr/local", "/usr"})
            if (fs::exists(dest + p + "/bin/ftnetd")) prefix = dest + p;
        ASSERT_FALSE(prefix.empty()) << "ftnetd installed under " << dest;
    }
    void TearDown() override { fs::remove_all(dest); }

    std::string dest, prefix;
};

TEST_F(Packaging, InstallPutsEveryPieceInItsStandardPlace) {
    for (const char* bin : {"ftnetd", "ftnetctl", "ftnet-host-setup"}) {
        struct stat st;
        ASSERT_EQ(stat((prefix + "/bin/" + bin).c_str(), &st), 0) << bin;
        EXPECT_TRUE(st.st_mode & S_IXUSR) << bin << " is executable";
    }
    EXPECT_FALSE(fs::exists(prefix + "/bin/ftnet-xfer")) << "test tools stay in the build";
    for (const char* f : {"/lib/systemd/system/ftnetd.service", "/lib/systemd/system/ftnet-host-setup.service",
                          "/lib/sysusers.d/ftnet.conf", "/share/bash-completion/completions/ftnetctl",
                          "/share/man/man8/ftnetd.8", "/share/man/man8/ftnetctl.8", "/share/man/man5/ftnet.toml.5"})
        EXPECT_TRUE(fs::exists(prefix + f)) << f;
    const std::string sysconf = fs::exists(prefix + "/etc/ftnet/ftnet.toml.example") ? prefix + "/etc" : dest + "/etc";
    EXPECT_TRUE(fs::exists(sysconf + "/ftnet/ftnet.toml.example"));
    EXPECT_EQ(slurp_file(prefix + "/lib/sysusers.d/ftnet.conf").find("g ftnet -") != std::string::npos, true);
    // The example config as installed: valid, once the cluster key file it
    // names exists (the one thing an operator must create first).
    const std::string example = sysconf + "/ftnet/ftnet.toml.example";
    CmdResult r = run("", prefix + "/bin/ftnetd --check-config " + example);
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.out.find("cluster.key_file: cannot read \"/etc/ftnet/cluster.key\"\n1 error;"), std::string::npos) << r.out;
    std::string text = slurp_file(example);
    const std::string key_line = "key_file = \"/etc/ftnet/cluster.key\"";
    ASSERT_NE(text.find(key_line), std::string::npos);
    text.replace(text.find(key_line), key_line.size(), "key = \"00112233445566778899aabbccddeeff\"");
    std::ofstream(dest + "/with-key.toml") << text;
    r = run("", prefix + "/bin/ftnetd --check-config " + dest + "/with-key.toml");
    EXPECT_EQ(r.status, 0) << r.out;
}

TEST_F(Packaging, TheUnitsAreValidAndTheDaemonsIsANotifyServiceWithAWatchdog) {
    const std::string unit = slurp_file(prefix + "/lib/systemd/system/ftnetd.service");
    for (const char* line : {"Type=notify", "WatchdogSec=", "ExecReload=/bin/kill -HUP $MAINPID", "Restart=on-failure",
                             "CapabilityBoundingSet=", "LimitMEMLOCK=infinity", "RuntimeDirectory=ftnet"})
        EXPECT_NE(unit.find(line), std::string::npos) << line;
    const std::string installed_prefix = prefix.substr(dest.size());
    EXPECT_NE(unit.find("ExecStart=" + installed_prefix + "/bin/ftnetd --config "), std::string::npos) << unit;
    // systemd-analyze checks the programs exist: point the units at the
    // staged tree, and man(1) at its pages.
    const std::string dir = dest + "/verify";
    fs::create_directories(dir);
    for (const char* u : {"ftnetd.service", "ftnet-host-setup.service"}) {
        std::string text = slurp_file(prefix + "/lib/systemd/system/" + u);
        for (size_t at = 0; (at = text.find(installed_prefix + "/bin/", at)) != std::string::npos; at += prefix.size())
            text.replace(at, installed_prefix.size(), prefix);
        std::ofstream(dir + "/" + u) << text;
    }
    CmdResult r = run("", "cd " + dir + " && MANPATH=" + prefix + "/share/man systemd-analyze verify " + dir +
                              "/ftnetd.service " + dir + "/ftnet-host-setup.service");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(r.out, "") << "no warning either";
    // And verify does catch a broken unit (the check is real).
    std::ofstream(dir + "/broken.service") << "[Service]\nType=notify\nExecStart=" << dir << "/no-such-program\n";
    EXPECT_NE(run("", "cd " + dir + " && systemd-analyze verify " + dir + "/broken.service").status, 0);
}

TEST_F(Packaging, ManPagesRenderWithoutWarnings) {
    for (const char* page : {"/share/man/man8/ftnetd.8", "/share/man/man8/ftnetctl.8", "/share/man/man5/ftnet.toml.5"}) {
        CmdResult r = run("", "MANWIDTH=80 man --warnings -l " + prefix + page + " 2>&1 >/dev/null");
        EXPECT_EQ(r.status, 0) << page << ": " << r.out;
        EXPECT_EQ(r.out, "") << page;
    }
    const std::string ctl = slurp_file(prefix + "/share/man/man8/ftnetctl.8");
    for (const char* c : {"reload", "networks", "stats", "version", "completion"}) EXPECT_NE(ctl.find(c), std::string::npos) << c;
}

TEST(HostSetup, PlansHugepagesAndBindsOnlyThePciPorts) {
    const std::string script = source_root() + "/scripts/host-setup.sh";
    CmdResult r = run("", script + " --config " + source_root() + "/config/example.toml --dry-run");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("+ dpdk-hugepages.py --pagesize 2M --setup 2560M"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("+ dpdk-devbind.py --bind vfio-pci 0000:3b:00.0"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("+ dpdk-devbind.py --bind vfio-pci 0000:5e:00.0"), std::string::npos) << r.out;
    // The lab runs on af_packet ports without hugepages: nothing to do.
    r = run("", script + " --config " + source_root() + "/config/lab/node1.toml --dry-run");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(r.out.find("dpdk-devbind"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("dpdk-hugepages"), std::string::npos) << r.out;
    EXPECT_EQ(run("", script + " --config /nonexistent.toml").status, 2);
    EXPECT_EQ(run("", script + " --frobnicate").status, 2);
}

}  // namespace
}  // namespace ftnet::itest
