#include "tests/integration/servers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace ftnet::itest {

using namespace std::chrono_literals;

namespace {

std::string read_all(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

size_t count_lines(const std::string& text, const std::string& needle) {
    size_t n = 0;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
    return n;
}

void write_zone(const std::string& path, const std::string& origin) {
    std::ofstream(path) << "$ORIGIN " << origin << ".\n$TTL 300\n"
                        << "@ IN SOA ns.ftlab.example. admin.ftlab.example. 1 3600 600 86400 60\n"
                        << "@ IN NS ns.ftlab.example.\n"
                        << (origin == "ftlab.example" ? "ns IN A 198.18.1.99\n" : "");
}

}  // namespace

NamedServer::NamedServer(Lab& lab, const std::string& ns, const std::string& addr)
    : lab_(lab), ns_(ns), addr_(addr), dir_(lab.dir() + "/named") {
    run("", "mkdir -p " + dir_);
    const char* zones[] = {"ftlab.example", "1.18.198.in-addr.arpa", "1.19.198.in-addr.arpa",
                           "0.0.0.0.0.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa"};
    std::ostringstream conf;
    conf << "options {\n  directory \"" << dir_ << "\";\n  pid-file \"" << dir_ << "/named.pid\";\n"
         << "  session-keyfile \"" << dir_ << "/session.key\";\n  managed-keys-directory \"" << dir_ << "\";\n"
         << "  listen-on { " << addr << "; };\n  listen-on-v6 { none; };\n  recursion no;\n  dnssec-validation no;\n"
         << "  notify no;\n};\n"
         << "logging { channel out { stderr; severity info; print-time yes; print-category yes; };\n"
         << "  category default { out; }; category update { out; }; category security { out; };\n"
         << "  category update-security { out; }; };\n"
         << "key \"" << kTsigKeyName << "\" { algorithm hmac-sha256; secret \"" << kTsigSecret << "\"; };\n";
    for (const char* z : zones) {
        write_zone(dir_ + "/" + z + ".db", z);
        conf << "zone \"" << z << "\" { type primary; file \"" << dir_ << "/" << z << ".db\"; allow-update { key \""
             << kTsigKeyName << "\"; }; };\n";
    }
    std::ofstream(dir_ + "/named.conf") << conf.str();
    named_ = BgProcess(ns, "named -g -n 1 -c " + dir_ + "/named.conf", dir_ + "/named.log");
    const bool up = eventually([&] { return log().find("running") != std::string::npos; }, 15s);
    if (!up) ADD_FAILURE() << "named did not start:\n" << log();
}

NamedServer::~NamedServer() { named_.stop(SIGTERM, 5s); }

std::string NamedServer::node_config(const std::string& secret) const {
    return "\n[dns]\nserver = \"" + addr_ + "\"\nzone = \"ftlab.example\"\n" +
           "reverse_zones = [\"1.18.198.in-addr.arpa\", \"1.19.198.in-addr.arpa\", "
           "\"0.0.0.0.0.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa\"]\n" +
           "tsig_key_name = \"" + kTsigKeyName + "\"\ntsig_secret = \"" + secret + "\"\ntimeout_ms = 1000\n" +
           "retry_max_s = 4\n";
}

std::vector<std::string> NamedServer::answers(const std::string& name, const std::string& type) const {
    CmdResult r = run(ns_, "dig +time=1 +tries=2 +noall +answer @" + addr_ + " " + name + " " + type);
    std::vector<std::string> out;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == ';') continue;
        for (char& c : line)
            if (c == '\t') c = ' ';
        // Collapse runs of spaces.
        std::string s;
        for (char c : line)
            if (!(c == ' ' && !s.empty() && s.back() == ' ')) s += c;
        out.push_back(s);
    }
    return out;
}

std::vector<std::string> NamedServer::records(const std::string& name, const std::string& type) const {
    std::vector<std::string> out;
    for (auto& a : answers(name, type)) out.push_back(a.substr(a.rfind(' ') + 1));
    std::sort(out.begin(), out.end());
    return out;
}

std::string NamedServer::log() const { return read_all(dir_ + "/named.log"); }

size_t NamedServer::updates_from(const std::string& from) const {
    std::string text = log();
    size_t n = 0;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        n += line.find(" " + from + "#") != std::string::npos && line.find("updating zone") != std::string::npos;
    return n;
}

size_t NamedServer::refusals() const {
    const std::string text = log();
    return count_lines(text, "request has invalid signature") + count_lines(text, "update failed") +
           count_lines(text, "denied");
}

DhcpServer::DhcpServer(Lab& lab, const std::string& ns, const std::string& iface, const std::string& range, unsigned t1_s,
                       unsigned t2_s, const std::string& extra)
    : lab_(lab), dir_(lab.dir() + "/dnsmasq-" + iface) {
    run("", "mkdir -p " + dir_);
    const std::string cmd = "dnsmasq --no-daemon --log-dhcp --log-facility=- --port=0 --no-resolv --no-hosts"
                            " --interface=" + iface + " --bind-interfaces --dhcp-range=" + range + ",2m"
                            " --dhcp-option=option:T1," + std::to_string(t1_s) +
                            " --dhcp-option=option:T2," + std::to_string(t2_s) +
                            " --dhcp-leasefile=" + dir_ + "/leases --pid-file=" + dir_ + "/pid --dhcp-authoritative " + extra;
    dnsmasq_ = BgProcess(ns, cmd, dir_ + "/dnsmasq.log");
    const bool up = eventually([&] { return log().find("DHCP, IP range") != std::string::npos; }, 10s);
    if (!up) ADD_FAILURE() << "dnsmasq did not start:\n" << log();
}

DhcpServer::~DhcpServer() { stop(); }

void DhcpServer::stop() {
    if (dnsmasq_.pid() > 0) dnsmasq_.stop(SIGTERM, 5s);
}

std::string DhcpServer::log() const { return read_all(dir_ + "/dnsmasq.log"); }

size_t DhcpServer::count(const std::string& what) const { return count_lines(log(), what + "("); }

std::vector<std::string> DhcpServer::leases() const {
    std::vector<std::string> out;
    std::istringstream in(read_all(dir_ + "/leases"));
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(line);
    return out;
}

}  // namespace ftnet::itest
