// The link module: each cluster port's carrier (kernel-backed ports through
// netlink, NICs through LSC interrupts or polling) and the operator's
// `ftnetctl link PORT down|up`, published to the workers as the port's
// usability; the far side told at once (LINK_NOTICE) when our end of its
// routes loses its link. Commands: `link`, `interfaces`.
//
// Control thread only, except the LSC callback (EAL interrupt thread), which
// only writes an eventfd.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/core/kernel_netlink.h"
#include "engine/core/module.h"

namespace ftnet {

class TunnelModule;
class NeighborModule;

class LinkModule : public Module {
  public:
    void start(Engine& e) override;
    void stop(Engine& e) override;

  private:
    void poll_links(uint64_t now_ms);
    void on_link_event(const std::string& ifname, bool up, uint64_t now_ms);
    void refresh_link(size_t port_index, bool up, uint64_t now_ms);
    void set_port_usable(size_t port_index);
    // Our ends of the routes on port `port_index` lost (or regained) their
    // link: tell each peer over a route that still works (link_notice.cpp).
    void send_link_notices(size_t port_index, bool up, uint8_t reason);
    nlohmann::json cmd_link(const nlohmann::json& args);
    nlohmann::json cmd_interfaces() const;

    Engine* e_ = nullptr;
    TunnelModule* tunnel_ = nullptr;
    NeighborModule* neighbors_ = nullptr;
    std::unique_ptr<netlink::LinkWatcher> watcher_;
    int lsc_fd_ = -1;  // eventfd the LSC callback writes
    size_t poll_timer_ = 0;
    uint32_t notice_seq_ = 0;
};

}  // namespace ftnet
