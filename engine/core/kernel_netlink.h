// Small rtnetlink client for the kernel side of the engine: configuring
// ftnet0's addresses, and watching the carrier of the kernel interfaces that
// af_packet/af_xdp ports sit on (those PMDs do not track link state).
//
// Control/main thread only. Configuration calls throw std::runtime_error
// with the interface and the kernel's reason.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "engine/core/net_addr.h"

namespace ftnet::netlink {

int ifindex(const std::string& name);  // 0 when there is no such interface

// Stop the kernel from inventing an EUI-64 link-local address: ftnet0's
// link-local address is derived from the node id instead.
void set_ipv6_addr_gen_none(int ifindex);
void add_address(int ifindex, const IpAddr& addr, uint8_t prefix_len);
// Removes an address; quiet when the interface does not have it.
void del_address(int ifindex, const IpAddr& addr, uint8_t prefix_len);
// A route to `dst` through gateway `via` out of interface ifindex (replaces one to the same destination).
void add_route(int ifindex, const IpPrefix& dst, const IpAddr& via);
void set_mtu(int ifindex, unsigned mtu);
void set_mac(int ifindex, const MacAddr& mac);
void set_up(int ifindex);

// A veth pair: `name` for the host, `peer` for the engine to drive with
// af_packet or af_xdp (ftnet0 as a veth: batched rings instead of a TAP
// read or write per frame).
void create_veth(const std::string& name, const std::string& peer);
// Turns off transmit checksum offload, scatter-gather, TSO and GSO on an
// interface (ethtool), so that the frames the host sends on it are
// complete, MTU-sized and checksummed: what the engine carries as they are.
void disable_tx_offloads(const std::string& name);
// Deletes an interface (both ends of a veth pair); quiet if it is gone.
void delete_link(const std::string& name);

// IFF_UP and IFF_RUNNING (carrier) of an interface; nullopt if it is gone.
std::optional<bool> link_is_up(const std::string& name);

// A netlink socket subscribed to link changes.
class LinkWatcher {
  public:
    LinkWatcher();  // throws std::runtime_error
    ~LinkWatcher();
    LinkWatcher(const LinkWatcher&) = delete;
    LinkWatcher& operator=(const LinkWatcher&) = delete;

    int fd() const { return fd_; }
    // Reads every pending message; calls cb(ifname, up) for each link change
    // (up = administratively up and with carrier).
    void drain(const std::function<void(const std::string&, bool)>& cb);

  private:
    int fd_ = -1;
};

}  // namespace ftnet::netlink
