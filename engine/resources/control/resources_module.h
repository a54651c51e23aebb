// The resources module: IP Address and Network Name resources in groups,
// owned by one node of the partition with quorum.
//
// Ownership (engine/resources/group_manager.h): the lowest member of a view
// with quorum manages the groups; every member reports what it holds, the
// manager decides owners and replicates the table over the reliable session
// (SessionType::Resources); each member brings online the groups the table
// of its view gives it, and nothing else. A node without quorum takes every
// group offline at once and never announces an address or updates DNS.
//
// What a group is on this node (engine/resources/control/local_resources.h):
// its IP Address resources on the ports' host interfaces, answered and
// announced by the engine (host_addresses.h), DHCP leases from the DHCP
// module, its Network Names and their DNS records through the DNS module.
//
// Commands: `resource` (list, show, set NAME static ADDR/PREFIX | dhcp) and
// `group` (list, show, move G NODE, online G, offline G). Events:
// "resource" when a group changes state on this node or changes owner.
//
// Control thread only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/module.h"
#include "engine/resources/control/local_resources.h"
#include "engine/resources/group_manager.h"
#include "engine/resources/resources_wire.h"

namespace ftnet {

class Engine;
class HostAddresses;
class MembershipModule;
class SessionModule;
class TunnelModule;

class ResourcesModule : public Module, public AddressPlacer {
  public:
    ResourcesModule();
    ~ResourcesModule() override;
    void start(Engine& e) override;
    void running(Engine& e) override;
    void stop(Engine& e) override;

    // AddressPlacer: where this node puts a client address.
    int port_for(const std::string& network, const std::optional<IpAddr>& a, std::string* why) const override;
    bool port_is_dhcp(uint16_t port) const override;
    void add(uint16_t port, const IfAddr& a, uint64_t now_ms) override;
    void remove(uint16_t port, const IfAddr& a) override;

  private:
    void on_message(uint16_t peer, const uint8_t* data, size_t len);
    void on_membership();
    void tick();
    void reconcile();
    void report();
    void send_table();
    bool accept_table(uint16_t from, const resources::TableMsg& t);
    void apply_settings();
    void emit_changes();
    // An operator's request: checked here, carried out by the manager.
    nlohmann::json request(const resources::RequestMsg& r);
    void manage(uint16_t from, const resources::RequestMsg& r);
    void accept_report(uint16_t from, const resources::ReportMsg& r);

    uint16_t manager() const;  // 0: no quorum
    uint16_t node_id(const std::string& name_or_id) const;
    std::string node_name(uint16_t id) const;
    std::string group_of(const std::string& resource) const;
    nlohmann::json group_json(const std::string& group, bool detail) const;
    nlohmann::json status_of(const std::string& group) const;
    nlohmann::json cmd_group(const nlohmann::json& args);
    nlohmann::json cmd_resource(const nlohmann::json& args);

    Engine* e_ = nullptr;
    TunnelModule* tunnel_ = nullptr;
    SessionModule* session_ = nullptr;
    MembershipModule* membership_ = nullptr;
    const ResourcesSettings* settings_ = nullptr;
    uint16_t self_ = 0;
    std::unique_ptr<HostAddresses> hosts_;
    std::unique_ptr<LocalResources> local_;
    std::unique_ptr<resources::GroupManager> manager_;

    // The table this node acts on (its view's, from the manager).
    resources::OwnerTable table_;
    nlohmann::json table_status_ = nlohmann::json::object();
    std::optional<std::pair<uint16_t, resources::TableMsg>> early_table_;  // for a view not yet installed here
    std::map<uint16_t, resources::ReportMsg> early_reports_;               // likewise
    struct PendingRequest {
        uint16_t from;
        resources::RequestMsg request;
        uint64_t at_ms;
    };
    std::vector<PendingRequest> pending_requests_;  // arrived before this node became the manager
    // Manager: what each member last reported of the groups it holds.
    std::map<uint16_t, nlohmann::json> reported_;
    bool status_dirty_ = false;
    // What this node last reported, and for which view.
    uint64_t reported_epoch_ = ~uint64_t{0};
    nlohmann::json reported_msg_;
    std::map<std::string, std::string> last_state_;  // group -> "state@owner", for events
};

}  // namespace ftnet
