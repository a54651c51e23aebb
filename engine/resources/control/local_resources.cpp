#include "engine/resources/control/local_resources.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "engine/cluster_log/control/cluster_log.h"

namespace ftnet {

using nlohmann::json;

std::string setting_text(const IpAddressSpec& s) {
    return s.follow_port ? "as the port" : s.dhcp ? "dhcp" : s.address->str();
}

const char* phase_name(ResourcePhase p) {
    switch (p) {
    case ResourcePhase::Offline: return "offline";
    case ResourcePhase::Unavailable: return "unavailable";
    case ResourcePhase::Pending: return "pending";
    case ResourcePhase::Online: return "online";
    case ResourcePhase::Failed: return "failed";
    }
    return "?";
}

LocalResources::LocalResources(const ResourcesSettings& settings, AddressPlacer& placer, LeaseSource* leases,
                               NameRegistrar* registrar, std::string cluster)
    : settings_(settings), placer_(placer), leases_(leases), registrar_(registrar), cluster_(std::move(cluster)) {
    for (const ResourceConfig& r : settings_.resources) {
        if (r.type == ResourceType::IpAddress) ips_.emplace(r.name, Ip{&r, r.ip});
        else names_.emplace(r.name, Name{&r});
    }
    for (const GroupConfig& g : settings_.groups) groups_.emplace(g.name, Group{&g});
}

const IpAddressSpec* LocalResources::spec(const std::string& resource) const {
    auto it = ips_.find(resource);
    return it == ips_.end() ? nullptr : &it->second.spec;
}

void LocalResources::place(Ip& ip, const IfAddr& a, uint64_t now_ms) {
    try {
        placer_.add(static_cast<uint16_t>(ip.port), a, now_ms);
        ip.placed = a;
        ip.phase = ResourcePhase::Online;
        ip.why.clear();
        clog::info("RESOURCE", "IP Address {} online: {} on port {}", ip.cfg->name, a.str(), ip.port);
    } catch (const std::exception& e) {
        ip.phase = ResourcePhase::Failed;
        ip.why = e.what();
        clog::warn("RESOURCE", "IP Address {} failed: {}", ip.cfg->name, ip.why);
    }
}

void LocalResources::ip_online(Ip& ip, uint64_t now_ms) {
    if (ip.phase != ResourcePhase::Offline) return;
    std::string why;
    const bool leased = ip.spec.dhcp || ip.spec.follow_port;
    const std::optional<IpAddr> want = leased ? std::nullopt : std::optional<IpAddr>(ip.spec.address->addr);
    ip.port = placer_.port_for(ip.spec.network, want, &why);
    if (ip.port < 0) {
        ip.phase = ResourcePhase::Unavailable;
        ip.why = why;
        clog::info("RESOURCE", "IP Address {} stays offline on this node: {}", ip.cfg->name, why);
        return;
    }
    if (ip.spec.follow_port && !placer_.port_is_dhcp(static_cast<uint16_t>(ip.port))) {
        ip.phase = ResourcePhase::Failed;
        ip.why = fmt::format("it follows its port on network {}, whose address on this node is static: give the resource an "
                             "address (resource set {} static ADDR/PREFIX)",
                             ip.spec.network, ip.cfg->name);
        clog::warn("RESOURCE", "IP Address {} failed: {}", ip.cfg->name, ip.why);
        return;
    }
    if (!leased) {
        place(ip, *ip.spec.address, now_ms);
        return;
    }
    if (!leases_) {
        ip.phase = ResourcePhase::Failed;
        ip.why = "no DHCP client in this build";
        return;
    }
    ip.phase = ResourcePhase::Pending;
    ip.why = "waiting for a DHCP lease";
    // The same identifier on every node: the server gives the resource the
    // same address whichever node holds it.
    const std::string client_id = fmt::format("ftnet/{}/{}", cluster_, ip.cfg->name);
    const std::string name = ip.cfg->name;
    ip.lease_handle = leases_->acquire(static_cast<uint16_t>(ip.port), client_id,
                                       [this, name](const std::optional<LeaseInfo>& l, const std::string& w) {
                                           on_lease(name, l, w);
                                       });
    clog::info("RESOURCE", "IP Address {}: asking for a DHCP lease on port {} (client id {})", name, ip.port, client_id);
}

void LocalResources::on_lease(const std::string& resource, const std::optional<LeaseInfo>& lease, const std::string& why) {
    auto it = ips_.find(resource);
    if (it == ips_.end()) return;
    Ip& ip = it->second;
    if (ip.lease_handle == 0) return;  // released meanwhile
    changed_ = true;
    if (ip.placed && (!lease || !(lease->addr.addr == ip.placed->addr) || lease->addr.prefix_len != ip.placed->prefix_len)) {
        placer_.remove(static_cast<uint16_t>(ip.port), *ip.placed);
        ip.placed.reset();
    }
    ip.lease = lease;
    if (!lease) {
        ip.phase = ResourcePhase::Pending;
        ip.why = why.empty() ? "waiting for a DHCP lease" : why;
        clog::warn("RESOURCE", "IP Address {}: no lease ({})", resource, ip.why);
        return;
    }
    if (!ip.placed) place(ip, lease->addr, now_ms_);
}

void LocalResources::ip_offline(Ip& ip) {
    if (ip.placed) {
        placer_.remove(static_cast<uint16_t>(ip.port), *ip.placed);
        clog::info("RESOURCE", "IP Address {} offline: {} removed", ip.cfg->name, ip.placed->str());
        ip.placed.reset();
    }
    if (ip.lease_handle != 0 && leases_) leases_->release(ip.lease_handle);
    ip.lease_handle = 0;
    ip.lease.reset();
    ip.phase = ResourcePhase::Offline;
    ip.why.clear();
    ip.port = -1;
}

std::vector<IpAddr> LocalResources::name_addresses(const Name& n) const {
    std::vector<IpAddr> out;
    for (const std::string& dep : n.cfg->dns.depends.names()) {
        auto it = ips_.find(dep);
        if (it == ips_.end()) continue;
        const Ip& ip = it->second;
        if (ip.phase == ResourcePhase::Online && ip.placed) out.push_back(ip.placed->addr);
        // RegisterAllProvidersIP=1: every address the name depends on, also
        // those online elsewhere (another site's), as far as they are known.
        else if (n.cfg->dns.register_all_providers_ip && !ip.spec.dhcp && ip.spec.address)
            out.push_back(ip.spec.address->addr);
    }
    return out;
}

bool LocalResources::update_names(Group& g, uint64_t now_ms) {
    (void)now_ms;
    bool changed = false;
    for (const std::string& rn : g.cfg->resources) {
        auto it = names_.find(rn);
        if (it == names_.end()) continue;
        Name& n = it->second;
        ResourcePhase phase = ResourcePhase::Offline;
        std::string why;
        if (g.online) {
            auto online = [&](const std::string& dep) {
                auto d = ips_.find(dep);
                return d != ips_.end() && d->second.phase == ResourcePhase::Online;
            };
            if (n.cfg->dns.depends.holds(online)) {
                phase = ResourcePhase::Online;
            } else {
                bool pending = false;
                for (auto& dep : n.cfg->dns.depends.names())
                    if (auto d = ips_.find(dep); d != ips_.end() && d->second.phase == ResourcePhase::Pending) pending = true;
                phase = pending ? ResourcePhase::Pending : ResourcePhase::Failed;
                why = fmt::format("its dependency \"{}\" does not hold on this node", n.cfg->dns.depends.str());
            }
        }
        if (phase != n.phase || why != n.why) {
            changed = true;
            if (phase == ResourcePhase::Online)
                clog::info("RESOURCE", "Network Name {} ({}) online", n.cfg->name, n.cfg->dns.dns_name);
            else if (n.phase == ResourcePhase::Online)
                clog::info("RESOURCE", "Network Name {} ({}) {}{}", n.cfg->name, n.cfg->dns.dns_name, phase_name(phase),
                           why.empty() ? "" : ": " + why);
        }
        n.phase = phase;
        n.why = why;
        if (!registrar_) continue;
        if (phase == ResourcePhase::Online) {
            std::vector<IpAddr> addrs = name_addresses(n);
            if (addrs != n.registered || n.registered.empty()) {
                registrar_->set(n.cfg->dns.dns_name, addrs, n.cfg->dns.host_record_ttl, n.cfg->dns.publish_ptr);
                n.registered = addrs;
            }
        }
    }
    return changed;
}

bool LocalResources::set_group(const std::string& group, bool online, bool for_good, uint64_t now_ms) {
    now_ms_ = now_ms;
    auto it = groups_.find(group);
    if (it == groups_.end()) return false;
    Group& g = it->second;
    if (g.online == online) return refresh(now_ms);
    g.online = online;
    if (online) {
        clog::info("RESOURCE", "Group {}: bringing it online on this node", group);
        for (const std::string& rn : g.cfg->resources)
            if (auto ip = ips_.find(rn); ip != ips_.end()) ip_online(ip->second, now_ms);
        update_names(g, now_ms);
        return true;
    }
    clog::info("RESOURCE", "Group {}: taking it offline on this node{}", group, for_good ? " (for good: DNS records removed)" : "");
    for (const std::string& rn : g.cfg->resources) {
        auto n = names_.find(rn);
        if (n == names_.end()) continue;
        if (registrar_ && (n->second.phase != ResourcePhase::Offline || !n->second.registered.empty()))
            registrar_->stop(n->second.cfg->dns.dns_name, for_good);
        n->second.registered.clear();
    }
    update_names(g, now_ms);
    for (const std::string& rn : g.cfg->resources)
        if (auto ip = ips_.find(rn); ip != ips_.end()) ip_offline(ip->second);
    return true;
}

void LocalResources::apply_setting(const std::string& resource, const IpAddressSpec& spec, uint64_t now_ms) {
    now_ms_ = now_ms;
    auto it = ips_.find(resource);
    if (it == ips_.end()) return;
    Ip& ip = it->second;
    if (ip.spec.dhcp == spec.dhcp && ip.spec.follow_port == spec.follow_port &&
        ip.spec.address.has_value() == spec.address.has_value() &&
        (!spec.address || (ip.spec.address->addr == spec.address->addr && ip.spec.address->prefix_len == spec.address->prefix_len)))
        return;
    const bool was = ip.phase != ResourcePhase::Offline;
    if (was) ip_offline(ip);
    ip.spec = spec;
    clog::info("RESOURCE", "IP Address {} is now {}", resource, setting_text(spec));
    changed_ = true;
    if (!was) return;
    ip_online(ip, now_ms);
    for (auto& [name, g] : groups_)
        if (g.online) update_names(g, now_ms);
}

bool LocalResources::refresh(uint64_t now_ms) {
    now_ms_ = now_ms;
    bool changed = false;
    for (auto& [name, g] : groups_)
        if (g.online) changed |= update_names(g, now_ms);
    return changed;
}

void LocalResources::all_offline(uint64_t now_ms) {
    for (auto& [name, g] : groups_)
        if (g.online) set_group(name, false, false, now_ms);
}

bool LocalResources::holds(const std::string& group) const {
    auto it = groups_.find(group);
    return it != groups_.end() && it->second.online;
}

ResourcePhase LocalResources::group_phase(const std::string& group, std::string* why) const {
    auto it = groups_.find(group);
    if (it == groups_.end() || !it->second.online) return ResourcePhase::Offline;
    bool pending = false;
    for (const std::string& rn : it->second.cfg->resources) {
        ResourcePhase p = ResourcePhase::Offline;
        std::string w;
        if (auto ip = ips_.find(rn); ip != ips_.end()) p = ip->second.phase, w = ip->second.why;
        if (auto n = names_.find(rn); n != names_.end()) p = n->second.phase, w = n->second.why;
        if (p == ResourcePhase::Failed) {
            if (why) *why = fmt::format("{}: {}", rn, w);
            return ResourcePhase::Failed;
        }
        pending = pending || p == ResourcePhase::Pending;
    }
    return pending ? ResourcePhase::Pending : ResourcePhase::Online;
}

json LocalResources::resource_status(const std::string& resource) const {
    json j;
    if (auto it = ips_.find(resource); it != ips_.end()) {
        const Ip& ip = it->second;
        j = {{"state", phase_name(ip.phase)}, {"setting", setting_text(ip.spec)}};
        if (!ip.why.empty()) j["reason"] = ip.why;
        if (ip.placed) j["address"] = ip.placed->str();
        if (ip.lease_handle != 0 && leases_) j["dhcp"] = leases_->status(ip.lease_handle);
        return j;
    }
    if (auto it = names_.find(resource); it != names_.end()) {
        const Name& n = it->second;
        j = {{"state", phase_name(n.phase)}};
        if (!n.why.empty()) j["reason"] = n.why;
        json addrs = json::array();
        for (auto& a : n.registered) addrs.push_back(a.str());
        j["addresses"] = addrs;
        if (registrar_) j["dns"] = registrar_->status(n.cfg->dns.dns_name);
    }
    return j;
}

json LocalResources::group_status(const std::string& group) const {
    json out = json::object();
    auto it = groups_.find(group);
    if (it == groups_.end()) return out;
    std::string why;
    out["state"] = phase_name(group_phase(group, &why));
    if (!why.empty()) out["reason"] = why;
    json res = json::object();
    for (const std::string& rn : it->second.cfg->resources) res[rn] = resource_status(rn);
    out["resources"] = res;
    return out;
}

}  // namespace ftnet
