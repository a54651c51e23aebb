#include "engine/resources/control/resources_module.h"

#include <rte_cycles.h>

#include <algorithm>

#include "engine/cluster_log/control/cluster_log.h"
#include "engine/core/command_registry.h"
#include "engine/core/engine.h"
#include "engine/core/mono_clock.h"
#include "engine/membership/control/membership_module.h"
#include "engine/neighbor/control/neighbor_module.h"
#include "engine/resources/control/host_addresses.h"
#include "engine/session/control/session_module.h"
#include "engine/tunnel/control/tunnel_module.h"

namespace ftnet {

using nlohmann::json;
using resources::Msg;
using resources::RequestMsg;

namespace {

constexpr uint64_t kTickMs = 50;
// How long a request waits at a node that is about to become the manager.
constexpr uint64_t kPendingRequestMs = 5000;
const ResourcesSettings kNoResources;

}  // namespace

ResourcesModule::ResourcesModule() = default;
ResourcesModule::~ResourcesModule() = default;

void ResourcesModule::start(Engine& e) {
    e_ = &e;
    self_ = e.config().node.id;
    tunnel_ = &e.module<TunnelModule>();
    session_ = &e.module<SessionModule>();
    membership_ = &e.module<MembershipModule>();
    settings_ = e.config().find_section<ResourcesSettings>(kResourcesSection);
    if (!settings_) settings_ = &kNoResources;

    hosts_ = std::make_unique<HostAddresses>(e, *tunnel_, e.module<NeighborModule>());
    tunnel_->add_table_filler([this](RouteTable& t) { hosts_->fill(t); });
    // Client addresses live on role 3 networks (as the config check says).
    tunnel_->add_network_guard([this](const NetworkConfig& next) -> std::optional<std::string> {
        if (next.role == NetworkRole::ClusterAndClient) return std::nullopt;
        for (auto& rc : settings_->resources)
            if (rc.type == ResourceType::IpAddress && rc.ip.network == next.name)
                return fmt::format("IP Address resource {} is on it: client addresses need role 3", rc.name);
        return std::nullopt;
    });
    local_ = std::make_unique<LocalResources>(*settings_, *this, e.find_module<LeaseSource>(), e.find_module<NameRegistrar>(),
                                              e.config().node.cluster);
    std::vector<resources::GroupSpec> specs;
    for (const GroupConfig& g : settings_->groups) {
        resources::GroupSpec s{g.name, {}};
        for (auto& o : g.preferred_owners) s.preferred.push_back(node_id(o));
        specs.push_back(std::move(s));
    }
    manager_ = std::make_unique<resources::GroupManager>(std::move(specs));
    table_ = manager_->table();

    session_->on_message(SessionType::Resources, "resources",
                         [this](uint16_t peer, const uint8_t* d, size_t n) { on_message(peer, d, n); });
    membership_->on_change([this] { on_membership(); });

    e.commands().add({"group", "resources", "resource groups: list, show G, move G NODE, online G, offline G",
                      {{"action", ArgType::String, false, "list (default), show, move, online, offline",
                        {"list", "show", "move", "online", "offline"}},
                       {"name", ArgType::String, false, "the group (show, move, online, offline)"},
                       {"node", ArgType::String, false, "move: the new owner (name or id)"}},
                      false, [this](const json& a) { return cmd_group(a); }, {"list", "show"}});
    e.commands().add({"resource", "resources",
                      "IP Address and Network Name resources: list, show NAME, set NAME static ADDR/PREFIX | dhcp",
                      {{"action", ArgType::String, false, "list (default), show, set", {"list", "show", "set"}},
                       {"name", ArgType::String, false, "the resource (show, set)"},
                       {"mode", ArgType::String, false, "set: static or dhcp", {"static", "dhcp"}},
                       {"address", ArgType::String, false, "set static: ADDR/PREFIX"}},
                      false, [this](const json& a) { return cmd_resource(a); }, {"list", "show"}});
    e.add_status([this](json& s) {
        unsigned online = 0;
        for (auto& g : settings_->groups) online += local_->holds(g.name);
        s["groups_held"] = online;
    });
}

void ResourcesModule::running(Engine& e) {
    e.loop().add_timer("resources", kTickMs, [this](uint64_t) { tick(); });
}

void ResourcesModule::stop(Engine&) {
    if (!local_) return;
    // Clean shutdown: the addresses leave the host interfaces; the others'
    // manager gives the groups to another node once this one has left the
    // view. A DHCP lease is not released (the workers have stopped, so
    // nothing could carry the RELEASE): the next owner asks for the same
    // address with the same client identifier.
    local_->all_offline(mono_ms());
}

// --- AddressPlacer ---

int ResourcesModule::port_for(const std::string& network, const std::optional<IpAddr>& a, std::string* why) const {
    const auto& ports = e_->ports();
    bool on_network = false;
    for (size_t i = 0; i < ports.size(); i++) {
        if (ports[i].cfg_index < 0) continue;
        const PortConfig& pc = e_->config().ports[static_cast<size_t>(ports[i].cfg_index)];
        if (pc.network != network) continue;
        on_network = true;
        if (!a) {  // DHCP: the network's port that speaks IPv4
            if (pc.ipv4 || pc.ipv4_dhcp || !pc.ipv6) return static_cast<int>(i);
            continue;
        }
        const std::optional<IfAddr>& own = a->is_v6() ? pc.ipv6 : pc.ipv4;
        if (own && own->subnet().contains(*a)) return static_cast<int>(i);
    }
    if (!on_network) *why = "this node has no port on network " + network;
    else if (a) *why = "no port of this node is on the subnet of " + a->str() + " (another site's address)";
    else *why = "this node has no IPv4 port on network " + network;
    return -1;
}

bool ResourcesModule::port_is_dhcp(uint16_t port) const {
    const PortRuntime& p = e_->ports().at(port);
    return p.cfg_index >= 0 && e_->config().ports[static_cast<size_t>(p.cfg_index)].ipv4_dhcp;
}

void ResourcesModule::add(uint16_t port, const IfAddr& a, uint64_t now_ms) { hosts_->add(port, a, now_ms); }

void ResourcesModule::remove(uint16_t port, const IfAddr& a) { hosts_->remove(port, a); }

// --- names ---

uint16_t ResourcesModule::node_id(const std::string& s) const {
    const Config& cfg = e_->config();
    if (s == cfg.node.name) return cfg.node.id;
    for (auto& p : cfg.peers)
        if (p.name == s && !p.removed) return p.id;
    if (!s.empty() && s.size() <= 5 && std::all_of(s.begin(), s.end(), ::isdigit)) {
        const unsigned long id = std::stoul(s);
        if (id == cfg.node.id) return cfg.node.id;
        for (auto& p : cfg.peers)
            if (p.id == id && !p.removed) return p.id;
    }
    return 0;
}

std::string ResourcesModule::node_name(uint16_t id) const {
    const Config& cfg = e_->config();
    if (id == cfg.node.id) return cfg.node.name;
    for (auto& p : cfg.peers)
        if (p.id == id) return p.name;
    return id == 0 ? "" : "node " + std::to_string(id);
}

std::string ResourcesModule::group_of(const std::string& resource) const {
    for (auto& g : settings_->groups)
        if (std::find(g.resources.begin(), g.resources.end(), resource) != g.resources.end()) return g.name;
    return "";
}

uint16_t ResourcesModule::manager() const {
    const auto& v = membership_->view();
    if (!membership_->has_quorum() || v.members.empty()) return 0;
    return v.members.front();
}

// --- replication ---

void ResourcesModule::on_membership() {
    const auto& v = membership_->view();
    const uint16_t m = manager();
    manager_->set_view(v.epoch, v.members, m == self_, mono_us());
    for (auto it = early_reports_.begin(); it != early_reports_.end();) {
        if (it->second.epoch <= v.epoch) {
            accept_report(it->first, it->second);
            it = early_reports_.erase(it);
        } else {
            ++it;
        }
    }
    if (m == self_) {
        auto pending = std::move(pending_requests_);
        pending_requests_.clear();
        for (auto& p : pending) manage(p.from, p.request);
    }
    if (early_table_ && early_table_->second.table.epoch <= v.epoch) {
        auto t = std::move(*early_table_);
        early_table_.reset();
        accept_table(t.first, t.second);
    }
    reconcile();
}

void ResourcesModule::on_message(uint16_t peer, const uint8_t* data, size_t len) {
    auto m = resources::decode(data, len);
    if (!m) {
        clog::warn("RESOURCE", "malformed resources message from {} ({} bytes), ignored", node_name(peer), len);
        return;
    }
    switch (m->kind) {
    case Msg::Kind::Report:
        // For a view this node has not installed yet (the member installed
        // it first): kept until it does, or the manager would decide
        // without knowing what that member holds.
        if (m->report.epoch > membership_->view().epoch) {
            early_reports_[peer] = std::move(m->report);
            return;
        }
        accept_report(peer, m->report);
        return;
    case Msg::Kind::Table:
        if (m->table.table.epoch > membership_->view().epoch) {
            early_table_ = std::make_pair(peer, std::move(m->table));  // its COMMIT is on its way
            return;
        }
        accept_table(peer, m->table);
        return;
    case Msg::Kind::Request:
        manage(peer, m->request);
        return;
    }
}

bool ResourcesModule::accept_table(uint16_t from, const resources::TableMsg& t) {
    const auto& v = membership_->view();
    if (from != manager() || t.table.epoch != v.epoch) return false;
    // The same revision again carries fresher status only.
    if (t.table.epoch == table_.epoch && t.table.seq < table_.seq) return false;
    table_ = t.table;
    table_status_ = t.status;
    if (from != self_) manager_->adopt(t.table);
    apply_settings();
    reconcile();
    return true;
}

void ResourcesModule::apply_settings() {
    for (auto& [resource, value] : table_.settings) {
        const IpAddressSpec* cur = local_->spec(resource);
        if (!cur) continue;
        IpAddressSpec spec = *cur;
        if (parse_ip_setting(value, spec)) continue;  // checked by whoever set it
        local_->apply_setting(resource, spec, mono_ms());
    }
}

void ResourcesModule::reconcile() {
    const uint64_t now = mono_ms();
    if (!membership_->has_quorum()) {
        local_->all_offline(now);
    } else {
        // Until the manager's table for this view arrives, hold what is
        // held and bring nothing new online: another member may hold it.
        const bool current = table_.epoch == membership_->view().epoch;
        for (const GroupConfig& g : settings_->groups) {
            const bool want = current ? resources::wants_online(table_, g.name, self_) : local_->holds(g.name);
            auto it = table_.groups.find(g.name);
            const bool for_good = it != table_.groups.end() && !it->second.admin_online;
            local_->set_group(g.name, want, for_good && !want, now);
        }
    }
    report();
    emit_changes();
}

void ResourcesModule::report() {
    const uint16_t m = manager();
    if (m == 0 || settings_->groups.empty()) return;  // nothing to own: nothing to say
    resources::ReportMsg r;
    r.epoch = membership_->view().epoch;
    r.seq = table_.epoch == r.epoch ? table_.seq : 0;
    for (const GroupConfig& g : settings_->groups)
        if (local_->holds(g.name)) {
            r.holds.insert(g.name);
            r.status[g.name] = local_->group_status(g.name);
        }
    json summary = {{"h", r.holds}, {"s", r.status}, {"q", r.seq}};
    if (r.epoch == reported_epoch_ && summary == reported_msg_) return;
    reported_epoch_ = r.epoch;
    reported_msg_ = summary;
    if (m == self_) {
        manager_->on_report(self_, r.epoch, r.seq, r.holds);
        reported_[self_] = r.status;
        status_dirty_ = true;
        return;
    }
    Msg msg;
    msg.kind = Msg::Kind::Report;
    msg.report = std::move(r);
    auto bytes = resources::encode(msg);
    std::string why;
    if (!session_->send(m, SessionType::Resources, bytes.data(), bytes.size(), {}, &why)) {
        clog::warn("RESOURCE", "cannot report to the manager {}: {}", node_name(m), why);
        reported_epoch_ = ~uint64_t{0};  // try again at the next tick
    }
}

void ResourcesModule::send_table() {
    resources::TableMsg t;
    t.table = manager_->table();
    for (auto& [name, rec] : t.table.groups) {
        auto it = reported_.find(rec.owner);
        if (it != reported_.end() && it->second.contains(name)) t.status[name] = it->second[name];
    }
    Msg msg;
    msg.kind = Msg::Kind::Table;
    msg.table = t;
    auto bytes = resources::encode(msg);
    for (uint16_t m : membership_->view().members) {
        if (m == self_) continue;
        std::string why;
        if (!session_->send(m, SessionType::Resources, bytes.data(), bytes.size(), {}, &why))
            clog::warn("RESOURCE", "cannot send the group table to {}: {}", node_name(m), why);
    }
    accept_table(self_, t);
}

void ResourcesModule::tick() {
    const uint64_t now_ms = mono_ms();
    hosts_->tick(now_ms);
    // Both: a lease that came or went, and the names it makes hold or not.
    const bool lease_changed = local_->take_changed();
    if (local_->refresh(now_ms) || lease_changed) {
        report();
        emit_changes();
    }
    if (manager() == self_ && !settings_->groups.empty()) {
        const bool changed = manager_->decide(mono_us());
        if (changed || status_dirty_) {
            // The table is the manager's own once it decided for this view.
            if (manager_->table().epoch == membership_->view().epoch) {
                status_dirty_ = false;
                send_table();
            }
        }
    } else if (reported_epoch_ == ~uint64_t{0}) {
        report();
    }
    // Requests that reached this node before it became the manager, if it
    // does not become it soon: said, and dropped.
    for (auto it = pending_requests_.begin(); it != pending_requests_.end();) {
        if (now_ms - it->at_ms < kPendingRequestMs) {
            ++it;
            continue;
        }
        clog::warn("RESOURCE", "a request from {} for {} reached this node, which does not manage the groups; dropped",
                   node_name(it->from), it->request.name);
        it = pending_requests_.erase(it);
    }
}

void ResourcesModule::emit_changes() {
    for (const GroupConfig& g : settings_->groups) {
        std::string why;
        const ResourcePhase p = local_->group_phase(g.name, &why);
        auto it = table_.groups.find(g.name);
        const uint16_t owner = it == table_.groups.end() ? 0 : it->second.owner;
        const std::string key = fmt::format("{}@{}", phase_name(p), owner);
        std::string& last = last_state_[g.name];
        if (last == key) continue;
        last = key;
        json ev = {{"time", e_->event_time(rte_rdtsc())},
                   {"type", "resource"},
                   {"group", g.name},
                   {"owner", owner},
                   {"owner_name", node_name(owner)},
                   {"state_here", phase_name(p)}};
        if (!why.empty()) ev["reason"] = why;
        e_->emit_event(ev);
    }
}

// --- requests ---

json ResourcesModule::request(const RequestMsg& r) {
    const uint16_t m = manager();
    if (m == 0)
        throw MgmtError("this partition has no quorum (" + membership_->quorum().reason + "): it changes nothing");
    if (m == self_) {
        manage(self_, r);
    } else {
        Msg msg;
        msg.kind = Msg::Kind::Request;
        msg.request = r;
        auto bytes = resources::encode(msg);
        std::string why;
        if (!session_->send(m, SessionType::Resources, bytes.data(), bytes.size(), {}, &why))
            throw MgmtError("cannot reach the manager " + node_name(m) + ": " + why);
    }
    return {{"accepted", true}, {"manager", node_name(m)}};
}

void ResourcesModule::accept_report(uint16_t from, const resources::ReportMsg& r) {
    if (manager() != self_ || r.epoch != membership_->view().epoch) return;  // for another manager, or an older view
    manager_->on_report(from, r.epoch, r.seq, r.holds);
    reported_[from] = r.status;
    status_dirty_ = true;
}

void ResourcesModule::manage(uint16_t from, const RequestMsg& r) {
    if (manager() != self_) {
        // The sender may have installed a view that makes this node the
        // manager before this node did: kept a while for that view.
        pending_requests_.push_back({from, r, mono_ms()});
        return;
    }
    std::string why;
    bool ok = true;
    switch (r.op) {
    case RequestMsg::Op::Move: ok = manager_->request_move(r.name, r.node, &why); break;
    case RequestMsg::Op::Online: ok = manager_->request_admin(r.name, true, &why); break;
    case RequestMsg::Op::Offline: ok = manager_->request_admin(r.name, false, &why); break;
    case RequestMsg::Op::Setting: manager_->set_setting(r.name, r.value); break;
    }
    if (ok)
        clog::info("RESOURCE", "{} asks: {} {}{}{}", node_name(from),
                   r.op == RequestMsg::Op::Move ? "move" : r.op == RequestMsg::Op::Online ? "online"
                                                       : r.op == RequestMsg::Op::Offline ? "offline" : "set",
                   r.name, r.op == RequestMsg::Op::Move ? " to " + node_name(r.node) : "",
                   r.op == RequestMsg::Op::Setting ? " " + r.value : "");
    else
        clog::warn("RESOURCE", "refused a request from {} for {}: {}", node_name(from), r.name, why);
}

// --- commands ---

json ResourcesModule::status_of(const std::string& group) const {
    if (local_->holds(group)) return local_->group_status(group);
    if (table_status_.contains(group)) return table_status_[group];
    return {{"state", "offline"}};
}

json ResourcesModule::group_json(const std::string& group, bool detail) const {
    const GroupConfig* g = settings_->find_group(group);
    auto it = table_.groups.find(group);
    const resources::GroupRecord rec = it == table_.groups.end() ? resources::GroupRecord{} : it->second;
    json st = status_of(group);
    if (rec.owner == 0 || !rec.admin_online) st["state"] = "offline";
    if (!membership_->has_quorum()) {
        // What others do is unknown here, and this partition owns nothing.
        st["state"] = "offline";
        st["reason"] = "this partition has no quorum (" + membership_->quorum().reason + ")";
    }
    json out = {{"name", group},
                {"owner", node_name(rec.owner)},
                {"owner_id", rec.owner},
                {"state", st.value("state", "offline")},
                {"admin", rec.admin_online ? "online" : "offline"},
                {"preferred_owners", g->preferred_owners},
                {"resources", g->resources}};
    if (st.contains("reason")) out["reason"] = st["reason"];
    if (rec.moving_to) out["moving_to"] = node_name(rec.moving_to);
    if (detail) out["status"] = st;
    return out;
}

json ResourcesModule::cmd_group(const json& a) {
    const std::string action = a.value("action", "list");
    if (action == "list") {
        json out = json::array();
        for (auto& g : settings_->groups) out.push_back(group_json(g.name, false));
        return out;
    }
    const std::string name = a.value("name", "");
    if (name.empty()) throw MgmtError("group " + action + ": which group? (name)");
    if (!settings_->find_group(name)) throw MgmtError("no group \"" + name + "\"");
    if (action == "show") return group_json(name, true);
    RequestMsg r;
    r.name = name;
    if (action == "move") {
        const std::string target = a.value("node", "");
        r.op = RequestMsg::Op::Move;
        r.node = node_id(target);
        if (r.node == 0) throw MgmtError("\"" + target + "\" is not a node of this cluster");
        const auto& members = membership_->view().members;
        if (!std::binary_search(members.begin(), members.end(), r.node))
            throw MgmtError(node_name(r.node) + " is not a member of this partition's view");
    } else {
        r.op = action == "online" ? RequestMsg::Op::Online : RequestMsg::Op::Offline;
    }
    return request(r);
}

json ResourcesModule::cmd_resource(const json& a) {
    const std::string action = a.value("action", "list");
    auto one = [&](const ResourceConfig& rc, bool detail) {
        const std::string group = group_of(rc.name);
        json st = status_of(group);
        json rs = st.contains("resources") && st["resources"].contains(rc.name) ? st["resources"][rc.name]
                                                                                 : json{{"state", "offline"}};
        auto it = table_.groups.find(group);
        const uint16_t owner = it == table_.groups.end() ? 0 : it->second.owner;
        json j = {{"name", rc.name},
                  {"type", resource_type_name(rc.type)},
                  {"group", group},
                  {"owner", node_name(owner)},
                  {"state", rs.value("state", "offline")}};
        if (rc.type == ResourceType::IpAddress) {
            const IpAddressSpec* s = local_->spec(rc.name);
            j["network"] = s->network;
            j["setting"] = setting_text(*s);
            if (rs.contains("address")) j["address"] = rs["address"];
        } else {
            j["dns_name"] = rc.dns.dns_name;
            j["depends"] = rc.dns.depends.str();
            if (detail) {
                j["RegisterAllProvidersIP"] = rc.dns.register_all_providers_ip ? 1 : 0;
                j["HostRecordTTL"] = rc.dns.host_record_ttl;
                j["PublishPTRRecords"] = rc.dns.publish_ptr;
            }
        }
        if (rs.contains("reason")) j["reason"] = rs["reason"];
        if (detail) j["status"] = rs;
        return j;
    };
    if (action == "list") {
        json out = json::array();
        for (auto& rc : settings_->resources) out.push_back(one(rc, false));
        return out;
    }
    const std::string name = a.value("name", "");
    if (name.empty()) throw MgmtError("resource " + action + ": which resource? (name)");
    const ResourceConfig* rc = settings_->find_resource(name);
    if (!rc) throw MgmtError("no resource \"" + name + "\"");
    if (action == "show") return one(*rc, true);
    // set
    if (rc->type != ResourceType::IpAddress) throw MgmtError("\"" + name + "\" is a Network Name: only IP Address resources are set");
    const std::string mode = a.value("mode", "");
    std::string value;
    if (mode == "dhcp") value = "dhcp";
    else if (mode == "static") value = a.value("address", "");
    else throw MgmtError("resource set: mode is static or dhcp");
    if (mode == "static" && value.empty()) throw MgmtError("resource set NAME static: the address is missing (ADDR/PREFIX)");
    IpAddressSpec spec = *local_->spec(name);
    if (auto why = check_ip_setting(e_->config(), value, spec)) throw MgmtError("resource " + name + ": " + *why);
    RequestMsg r;
    r.op = RequestMsg::Op::Setting;
    r.name = name;
    r.value = value;
    return request(r);
}

}  // namespace ftnet
