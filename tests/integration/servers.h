// Real servers for the resources tests, in a lab namespace: BIND9's named
// as the primary of a zone that takes TSIG-signed dynamic updates, and
// dnsmasq as a DHCP server. Each runs in the foreground under BgProcess
// (killed with the test, and with the lab if the test process dies), its
// files in the lab's directory.
#pragma once

#include <string>
#include <vector>

#include "tests/integration/lab_fixture.h"

namespace ftnet::itest {

// The TSIG key both named and the nodes use (tsig-keygen output).
inline constexpr const char* kTsigKeyName = "ftnet-update";
inline constexpr const char* kTsigSecret = "2gaWz6I5Ty8+uW1Ssx9XYk2IcpLN9EeG7QCvSwvo2Ac=";

class NamedServer {
  public:
    // named on `addr` in namespace `ns`, primary for ftlab.example and the
    // reverse zones 1.18.198.in-addr.arpa, 1.19.198.in-addr.arpa and
    // 0.0.0.0.0.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa, updates allowed with the key.
    NamedServer(Lab& lab, const std::string& ns, const std::string& addr);
    ~NamedServer();

    // The [dns] section that points a node at it (secret as given).
    std::string node_config(const std::string& secret = kTsigSecret) const;
    // `dig +noall +answer` lines for NAME TYPE, e.g. "web.ftlab.example. 120 IN A 198.18.1.50".
    std::vector<std::string> answers(const std::string& name, const std::string& type) const;
    // Just the data (addresses, PTR targets), sorted.
    std::vector<std::string> records(const std::string& name, const std::string& type) const;
    // named's log so far.
    std::string log() const;
    // Updates named logged from client address `from` ("updating zone" lines).
    size_t updates_from(const std::string& from) const;
    size_t refusals() const;  // requests refused for their signature or key
    const std::string& addr() const { return addr_; }

  private:
    Lab& lab_;
    std::string ns_, addr_, dir_;
    BgProcess named_;
};

class DhcpServer {
  public:
    // dnsmasq serving `range` ("198.18.1.100,198.18.1.150") on interface
    // `iface` of namespace `ns`, with T1/T2 as given (seconds; the lease
    // itself is dnsmasq's shortest, 2 minutes).
    DhcpServer(Lab& lab, const std::string& ns, const std::string& iface, const std::string& range, unsigned t1_s,
               unsigned t2_s, const std::string& extra = "");
    ~DhcpServer();
    std::string log() const;
    // Log lines with this DHCP message name (DHCPDISCOVER, DHCPREQUEST, ...).
    size_t count(const std::string& what) const;
    // The lease file's lines ("expiry MAC IP host client-id").
    std::vector<std::string> leases() const;
    void stop();

  private:
    Lab& lab_;
    std::string dir_;
    BgProcess dnsmasq_;
};

}  // namespace ftnet::itest
