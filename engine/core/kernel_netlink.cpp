#include "engine/core/kernel_netlink.h"

#include <net/if.h>

#include <fmt/format.h>
#include <linux/ethtool.h>
#include <linux/if_addr.h>
#include <linux/sockios.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace ftnet::netlink {

namespace {

// A request under construction: header, fixed part, then attributes.
class Request {
  public:
    Request(uint16_t type, uint16_t flags) {
        buf_.resize(NLMSG_LENGTH(0));
        hdr()->nlmsg_type = type;
        hdr()->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
        hdr()->nlmsg_seq = ++seq_;
    }
    template <typename T>
    T* fixed() {
        size_t off = buf_.size();
        buf_.resize(off + NLMSG_ALIGN(sizeof(T)), 0);
        hdr()->nlmsg_len = static_cast<uint32_t>(buf_.size());
        return reinterpret_cast<T*>(buf_.data() + off);
    }
    size_t attr(uint16_t type, const void* data, size_t len) {
        size_t off = buf_.size();
        buf_.resize(off + RTA_ALIGN(RTA_LENGTH(len)), 0);
        auto* rta = reinterpret_cast<rtattr*>(buf_.data() + off);
        rta->rta_type = type;
        rta->rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
        if (len) std::memcpy(RTA_DATA(rta), data, len);
        hdr()->nlmsg_len = static_cast<uint32_t>(buf_.size());
        return off;
    }
    size_t nest_begin(uint16_t type) { return attr(type, nullptr, 0); }
    // Bytes that are not an attribute (a nested fixed header).
    void raw(const void* data, size_t len) {
        size_t off = buf_.size();
        buf_.resize(off + NLMSG_ALIGN(len), 0);
        std::memcpy(buf_.data() + off, data, len);
        hdr()->nlmsg_len = static_cast<uint32_t>(buf_.size());
    }
    void nest_end(size_t off) {
        auto* rta = reinterpret_cast<rtattr*>(buf_.data() + off);
        rta->rta_len = static_cast<uint16_t>(buf_.size() - off);
    }
    nlmsghdr* hdr() { return reinterpret_cast<nlmsghdr*>(buf_.data()); }
    const std::vector<uint8_t>& bytes() const { return buf_; }

  private:
    std::vector<uint8_t> buf_;
    static inline uint32_t seq_ = 0;
};

// Sends a request and waits for the kernel's acknowledgement; returns 0 or
// a negative errno.
int transact(Request& req) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return -errno;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    int rc = 0;
    if (sendto(fd, req.bytes().data(), req.bytes().size(), 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) < 0) {
        rc = -errno;
    } else {
        std::vector<uint8_t> buf(8192);
        ssize_t n = recv(fd, buf.data(), buf.size(), 0);
        if (n < 0) {
            rc = -errno;
        } else {
            for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, static_cast<unsigned>(n));
                 h = NLMSG_NEXT(h, n)) {
                if (h->nlmsg_type == NLMSG_ERROR) {
                    rc = reinterpret_cast<nlmsgerr*>(NLMSG_DATA(h))->error;
                    break;
                }
            }
        }
    }
    close(fd);
    return rc;
}

void check(int rc, const std::string& what) {
    if (rc < 0) throw std::runtime_error(fmt::format("{}: {}", what, std::strerror(-rc)));
}

}  // namespace

int ifindex(const std::string& name) { return static_cast<int>(if_nametoindex(name.c_str())); }

void set_ipv6_addr_gen_none(int idx) {
    Request req(RTM_NEWLINK, 0);
    auto* ifi = req.fixed<ifinfomsg>();
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = idx;
    size_t spec = req.nest_begin(IFLA_AF_SPEC);
    size_t inet6 = req.nest_begin(AF_INET6);
    uint8_t mode = IN6_ADDR_GEN_MODE_NONE;
    req.attr(IFLA_INET6_ADDR_GEN_MODE, &mode, 1);
    req.nest_end(inet6);
    req.nest_end(spec);
    check(transact(req), fmt::format("interface {}: cannot disable IPv6 address generation", idx));
}

void add_address(int idx, const IpAddr& addr, uint8_t prefix_len) {
    Request req(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
    auto* ifa = req.fixed<ifaddrmsg>();
    ifa->ifa_family = addr.is_v6() ? AF_INET6 : AF_INET;
    ifa->ifa_prefixlen = prefix_len;
    ifa->ifa_scope = addr.is_link_local() ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
    ifa->ifa_index = static_cast<uint32_t>(idx);
    req.attr(IFA_LOCAL, addr.b.data(), addr.size());
    req.attr(IFA_ADDRESS, addr.b.data(), addr.size());
    // The address is unique by construction (derived from the node id):
    // skip duplicate address detection and its delay.
    uint32_t flags = IFA_F_NODAD | IFA_F_PERMANENT;
    req.attr(IFA_FLAGS, &flags, sizeof flags);
    check(transact(req), fmt::format("cannot add {}/{} to interface {}", addr.str(), prefix_len, idx));
}

void del_address(int idx, const IpAddr& addr, uint8_t prefix_len) {
    Request req(RTM_DELADDR, 0);
    auto* ifa = req.fixed<ifaddrmsg>();
    ifa->ifa_family = addr.is_v6() ? AF_INET6 : AF_INET;
    ifa->ifa_prefixlen = prefix_len;
    ifa->ifa_index = static_cast<uint32_t>(idx);
    req.attr(IFA_LOCAL, addr.b.data(), addr.size());
    req.attr(IFA_ADDRESS, addr.b.data(), addr.size());
    const int rc = transact(req);
    if (rc == -EADDRNOTAVAIL || rc == -ENODEV) return;
    check(rc, fmt::format("cannot remove {}/{} from interface {}", addr.str(), prefix_len, idx));
}

void add_route(int idx, const IpPrefix& dst, const IpAddr& via) {
    Request req(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
    auto* rtm = req.fixed<rtmsg>();
    rtm->rtm_family = dst.addr.is_v6() ? AF_INET6 : AF_INET;
    rtm->rtm_dst_len = dst.len;
    rtm->rtm_table = RT_TABLE_MAIN;
    rtm->rtm_protocol = RTPROT_STATIC;
    rtm->rtm_scope = RT_SCOPE_UNIVERSE;
    rtm->rtm_type = RTN_UNICAST;
    req.attr(RTA_DST, dst.addr.b.data(), dst.addr.size());
    req.attr(RTA_GATEWAY, via.b.data(), via.size());
    const uint32_t oif = static_cast<uint32_t>(idx);
    req.attr(RTA_OIF, &oif, sizeof oif);
    check(transact(req), fmt::format("cannot add a route to {} via {} on interface {}", dst.str(), via.str(), idx));
}

void set_mtu(int idx, unsigned mtu) {
    Request req(RTM_NEWLINK, 0);
    auto* ifi = req.fixed<ifinfomsg>();
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = idx;
    uint32_t m = mtu;
    req.attr(IFLA_MTU, &m, sizeof m);
    check(transact(req), fmt::format("cannot set MTU {} on interface {}", mtu, idx));
}

void set_mac(int idx, const MacAddr& mac) {
    Request req(RTM_NEWLINK, 0);
    auto* ifi = req.fixed<ifinfomsg>();
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = idx;
    req.attr(IFLA_ADDRESS, mac.b.data(), 6);
    check(transact(req), fmt::format("cannot set MAC {} on interface {}", mac.str(), idx));
}

void set_up(int idx) {
    Request req(RTM_NEWLINK, 0);
    auto* ifi = req.fixed<ifinfomsg>();
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = idx;
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    check(transact(req), fmt::format("cannot set interface {} up", idx));
}

void create_veth(const std::string& name, const std::string& peer) {
    Request req(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    auto* ifi = req.fixed<ifinfomsg>();
    ifi->ifi_family = AF_UNSPEC;
    req.attr(IFLA_IFNAME, name.c_str(), name.size() + 1);
    size_t info = req.nest_begin(IFLA_LINKINFO);
    req.attr(IFLA_INFO_KIND, "veth", 5);
    size_t data = req.nest_begin(IFLA_INFO_DATA);
    size_t p = req.nest_begin(1 /* VETH_INFO_PEER */);
    // The peer's ifinfomsg, then its attributes, inside the nest.
    ifinfomsg peer_ifi{};
    peer_ifi.ifi_family = AF_UNSPEC;
    std::vector<uint8_t> raw(NLMSG_ALIGN(sizeof peer_ifi), 0);
    std::memcpy(raw.data(), &peer_ifi, sizeof peer_ifi);
    req.raw(raw.data(), raw.size());
    req.attr(IFLA_IFNAME, peer.c_str(), peer.size() + 1);
    req.nest_end(p);
    req.nest_end(data);
    req.nest_end(info);
    check(transact(req), fmt::format("cannot create the veth pair {} / {}", name, peer));
}

void disable_tx_offloads(const std::string& name) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(fmt::format("{}: socket for ethtool: {}", name, std::strerror(errno)));
    // Dependent features first (TSO needs SG and checksums).
    for (uint32_t cmd : {ETHTOOL_STSO, ETHTOOL_SGSO, ETHTOOL_SSG, ETHTOOL_STXCSUM}) {
        ethtool_value v{};
        v.cmd = cmd;
        v.data = 0;
        ifreq ifr{};
        std::snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name.c_str());
        ifr.ifr_data = reinterpret_cast<char*>(&v);
        if (ioctl(fd, SIOCETHTOOL, &ifr) != 0 && errno != EOPNOTSUPP) {
            const int err = errno;
            close(fd);
            throw std::runtime_error(fmt::format("{}: cannot turn off transmit offloads: {}", name, std::strerror(err)));
        }
    }
    close(fd);
}

void delete_link(const std::string& name) {
    const int idx = ifindex(name);
    if (idx == 0) return;
    Request req(RTM_DELLINK, 0);
    auto* ifi = req.fixed<ifinfomsg>();
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = idx;
    const int rc = transact(req);
    if (rc < 0 && rc != -ENODEV) check(rc, fmt::format("cannot delete interface {}", name));
}

std::optional<bool> link_is_up(const std::string& name) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::nullopt;
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
    close(fd);
    if (rc < 0) return std::nullopt;
    return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
}

LinkWatcher::LinkWatcher() {
    fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
    if (fd_ < 0) throw std::runtime_error(fmt::format("netlink socket: {}", std::strerror(errno)));
    sockaddr_nl sa{};
    sa.nl_family = AF_NETLINK;
    sa.nl_groups = RTMGRP_LINK;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
        int e = errno;
        close(fd_);
        fd_ = -1;
        throw std::runtime_error(fmt::format("netlink bind: {}", std::strerror(e)));
    }
}

LinkWatcher::~LinkWatcher() {
    if (fd_ >= 0) close(fd_);
}

void LinkWatcher::drain(const std::function<void(const std::string&, bool)>& cb) {
    std::vector<uint8_t> buf(32768);
    for (;;) {
        ssize_t n = recv(fd_, buf.data(), buf.size(), 0);
        if (n <= 0) {
            // ENOBUFS: we missed events; callers re-query every port.
            if (n < 0 && errno == ENOBUFS) cb("", false);
            return;
        }
        for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, static_cast<unsigned>(n));
             h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) continue;
            auto* ifi = reinterpret_cast<ifinfomsg*>(NLMSG_DATA(h));
            std::string name;
            int len = static_cast<int>(IFLA_PAYLOAD(h));
            for (auto* a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
                if (a->rta_type == IFLA_IFNAME) name = static_cast<const char*>(RTA_DATA(a));
            if (name.empty()) continue;
            bool up = h->nlmsg_type == RTM_NEWLINK && (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_RUNNING);
            cb(name, up);
        }
    }
}

}  // namespace ftnet::netlink
