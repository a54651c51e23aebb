#include "engine/resources/control/resources_config.h"

#include <set>

#include "engine/config/config_sections.h"
#include "engine/config/reader.h"

namespace ftnet {

namespace {

constexpr const char* kGroupSection = "group";

bool valid_resource_name(const std::string& s) {
    if (s.empty() || s.size() > 63) return false;
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
    return s != "and" && s != "or";
}

// RFC 1035 host name: labels of letters, digits and '-', at most 253 characters.
bool valid_dns_name(const std::string& s) {
    if (s.empty() || s.size() > 253) return false;
    size_t label = 0;
    for (size_t i = 0; i < s.size(); i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-') return false;
            label = 0;
            continue;
        }
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
        if (c == '-' && label == 0) return false;
        if (++label > 63) return false;
    }
    return label > 0 || s.back() == '.';
}

void read_resources(Reader& r, const toml::table& root, Config& c) {
    ResourcesSettings& s = c.section<ResourcesSettings>(kResourcesSection);
    auto list = r.tables(root, "", "resource");
    if (list.size() > kMaxResources)
        r.error(root.get("resource"), "resource", fmt::format("{} resources, at most {}", list.size(), kMaxResources));
    for (size_t i = 0; i < list.size() && i < kMaxResources; i++) {
        const toml::table& t = *list[i];
        const std::string path = fmt::format("resource[{}]", i);
        ResourceConfig rc;
        rc.line = static_cast<int>(t.source().begin.line);
        r.check_known(t, path, {"name", "type", "network", "address", "dns_name", "depends", "RegisterAllProvidersIP",
                                "HostRecordTTL", "PublishPTRRecords"});
        if (r.get_string(t, path, "name", rc.name, true, 63) && !valid_resource_name(rc.name))
            r.error(t.get("name"), path + ".name",
                    fmt::format("\"{}\" is not a resource name (letters, digits, '-', '_', '.'; not \"and\"/\"or\")", rc.name));
        std::string type;
        r.get_string(t, path, "type", type, true);
        const std::vector<std::string> ip_keys = {"network", "address"};
        const std::vector<std::string> dns_keys = {"dns_name", "depends", "RegisterAllProvidersIP", "HostRecordTTL",
                                                   "PublishPTRRecords"};
        auto refuse_keys = [&](const std::vector<std::string>& keys, const char* of) {
            for (auto& k : keys)
                if (t.get(k)) r.error(t.get(k), path + "." + k, fmt::format("is not a key of a {} resource", of));
        };
        if (type == "ip_address") {
            rc.type = ResourceType::IpAddress;
            refuse_keys(dns_keys, "ip_address");
            r.get_string(t, path, "network", rc.ip.network, true);
            std::string addr;
            if (!t.get("address"))
                rc.ip.follow_port = true;  // as the port on that network: DHCP if it leases its own
            else if (r.get_string(t, path, "address", addr, true))
                if (auto why = parse_ip_setting(addr, rc.ip)) r.error(t.get("address"), path + ".address", *why);
        } else if (type == "network_name") {
            rc.type = ResourceType::NetworkName;
            refuse_keys(ip_keys, "network_name");
            if (r.get_string(t, path, "dns_name", rc.dns.dns_name, true, 253) && !valid_dns_name(rc.dns.dns_name))
                r.error(t.get("dns_name"), path + ".dns_name",
                        fmt::format("\"{}\" is not a DNS name (labels of letters, digits and '-')", rc.dns.dns_name));
            if (r.get_string(t, path, "depends", rc.dns.depends_text, true, 1024)) {
                try {
                    rc.dns.depends = DependencyExpr::parse(rc.dns.depends_text);
                } catch (const DependencyError& e) {
                    r.error(t.get("depends"), path + ".depends", fmt::format("\"{}\": {}", rc.dns.depends_text, e.what()));
                }
            }
            unsigned all = 0;
            r.get_int(t, path, "RegisterAllProvidersIP", all, 0, 1);
            rc.dns.register_all_providers_ip = all == 1;
            r.get_int(t, path, "HostRecordTTL", rc.dns.host_record_ttl, 1, 2147483647);
            r.get_bool(t, path, "PublishPTRRecords", rc.dns.publish_ptr);
        } else if (t.get("type")) {
            r.error(t.get("type"), path + ".type", fmt::format("\"{}\" is not a resource type (ip_address, network_name)", type));
        }
        for (auto& o : s.resources)
            if (!rc.name.empty() && o.name == rc.name)
                r.error(t.get("name"), path + ".name", fmt::format("\"{}\" is defined twice (line {} first)", rc.name, o.line));
        s.resources.push_back(std::move(rc));
    }
}

void read_groups(Reader& r, const toml::table& root, Config& c) {
    ResourcesSettings& s = c.section<ResourcesSettings>(kResourcesSection);
    auto list = r.tables(root, "", kGroupSection);
    if (list.size() > kMaxGroups)
        r.error(root.get(kGroupSection), kGroupSection, fmt::format("{} groups, at most {}", list.size(), kMaxGroups));
    for (size_t i = 0; i < list.size() && i < kMaxGroups; i++) {
        const toml::table& t = *list[i];
        const std::string path = fmt::format("group[{}]", i);
        GroupConfig g;
        g.line = static_cast<int>(t.source().begin.line);
        r.check_known(t, path, {"name", "resources", "preferred_owners"});
        if (r.get_string(t, path, "name", g.name, true, 63) && !valid_resource_name(g.name))
            r.error(t.get("name"), path + ".name", fmt::format("\"{}\" is not a group name (letters, digits, '-', '_', '.')", g.name));
        if (!t.get("resources")) r.error(&t, path + ".resources", "required key is missing");
        r.get_string_array(t, path, "resources", g.resources);
        r.get_string_array(t, path, "preferred_owners", g.preferred_owners);
        for (auto& o : s.groups)
            if (!g.name.empty() && o.name == g.name)
                r.error(t.get("name"), path + ".name", fmt::format("\"{}\" is defined twice (line {} first)", g.name, o.line));
        s.groups.push_back(std::move(g));
    }
}

// Across sections: networks, nodes and the resources a group or a name names.
void check_resources(Reader& r, const toml::table&, Config& c) {
    ResourcesSettings& s = c.section<ResourcesSettings>(kResourcesSection);
    std::map<std::string, std::string> group_of;
    for (size_t gi = 0; gi < s.groups.size(); gi++) {
        const GroupConfig& g = s.groups[gi];
        const std::string path = fmt::format("group[{}]", gi);
        std::set<std::string> seen;
        for (size_t k = 0; k < g.resources.size(); k++) {
            const std::string& n = g.resources[k];
            const std::string kp = fmt::format("{}.resources[{}]", path, k);
            if (!s.find_resource(n)) {
                r.error_at(g.line, kp, fmt::format("\"{}\" is not a [[resource]]", n));
                continue;
            }
            if (auto it = group_of.find(n); it != group_of.end() && it->second != g.name)
                r.error_at(g.line, kp, fmt::format("\"{}\" is already in group \"{}\": a resource has one group", n, it->second));
            else if (!seen.insert(n).second)
                r.error_at(g.line, kp, fmt::format("\"{}\" is listed twice", n));
            group_of[n] = g.name;
        }
        std::set<std::string> owners;
        for (size_t k = 0; k < g.preferred_owners.size(); k++) {
            const std::string& o = g.preferred_owners[k];
            bool known = o == c.node.name;
            for (auto& p : c.peers) known = known || p.name == o;
            const std::string kp = fmt::format("{}.preferred_owners[{}]", path, k);
            if (!known) r.error_at(g.line, kp, fmt::format("\"{}\" is not a node of this cluster ([node] or a [[peer]])", o));
            else if (!owners.insert(o).second) r.error_at(g.line, kp, fmt::format("\"{}\" is listed twice", o));
        }
    }
    for (size_t i = 0; i < s.resources.size(); i++) {
        const ResourceConfig& rc = s.resources[i];
        const std::string path = fmt::format("resource[{}]", i);
        if (rc.name.empty()) continue;
        if (!group_of.count(rc.name))
            r.error_at(rc.line, path, fmt::format("resource \"{}\" is in no [[group]]: every resource has an owner group", rc.name));
        if (rc.type == ResourceType::IpAddress) {
            if (rc.ip.network.empty()) continue;
            const NetworkConfig* n = c.find_network(rc.ip.network);
            if (!n) {
                r.error_at(rc.line, path + ".network", fmt::format("\"{}\" is not a [[network]]", rc.ip.network));
            } else if (n->role != NetworkRole::ClusterAndClient) {
                r.error_at(rc.line, path + ".network",
                           fmt::format("network \"{}\" has role {}: client addresses go on role 3 (cluster and client) networks",
                                       n->name, static_cast<int>(n->role)));
            } else if (!rc.ip.dhcp && rc.ip.address) {
                IpAddressSpec spec = rc.ip;
                if (auto why = check_ip_setting(c, rc.ip.address->str(), spec)) r.error_at(rc.line, path + ".address", *why);
            }
            continue;
        }
        for (auto& dep : rc.dns.depends.names()) {
            const ResourceConfig* d = s.find_resource(dep);
            if (!d)
                r.error_at(rc.line, path + ".depends", fmt::format("\"{}\" is not a [[resource]]", dep));
            else if (d->type != ResourceType::IpAddress)
                r.error_at(rc.line, path + ".depends", fmt::format("\"{}\" is not an ip_address resource", dep));
            else if (group_of.count(dep) && group_of.count(rc.name) && group_of[dep] != group_of[rc.name])
                r.error_at(rc.line, path + ".depends",
                           fmt::format("\"{}\" is in group \"{}\", not in this name's group \"{}\"", dep, group_of[dep],
                                       group_of[rc.name]));
        }
    }
}

}  // namespace

const char* resource_type_name(ResourceType t) { return t == ResourceType::IpAddress ? "ip_address" : "network_name"; }

const ResourceConfig* ResourcesSettings::find_resource(const std::string& name) const {
    for (auto& r : resources)
        if (r.name == name) return &r;
    return nullptr;
}

const GroupConfig* ResourcesSettings::find_group(const std::string& name) const {
    for (auto& g : groups)
        if (g.name == name) return &g;
    return nullptr;
}

std::optional<std::string> parse_ip_setting(const std::string& text, IpAddressSpec& spec) {
    if (text == "dhcp") {
        spec.dhcp = true;
        spec.follow_port = false;
        spec.address.reset();
        return std::nullopt;
    }
    if (text.find('/') == std::string::npos)
        return fmt::format("\"{}\" has no prefix length: write ADDR/PREFIX (e.g. 198.18.1.50/24) or \"dhcp\"", text);
    auto a = IfAddr::parse(text);
    if (!a) return fmt::format("\"{}\" is not an address with a prefix length (ADDR/PREFIX) or \"dhcp\"", text);
    if (a->addr.is_unspecified() || a->addr.is_multicast() || a->addr.is_link_local())
        return fmt::format("\"{}\" cannot be a client address (unspecified, multicast or link-local)", text);
    if (a->prefix_len == 0 || a->prefix_len > (a->addr.is_v6() ? 128 : 32))
        return fmt::format("\"{}\": prefix length {} is out of range", text, a->prefix_len);
    spec.dhcp = false;
    spec.follow_port = false;
    spec.address = *a;
    return std::nullopt;
}

std::optional<std::string> check_ip_setting(const Config& c, const std::string& text, IpAddressSpec& spec) {
    IpAddressSpec next = spec;
    if (auto why = parse_ip_setting(text, next)) return why;
    const NetworkConfig* n = c.find_network(next.network);
    if (!n) return fmt::format("\"{}\" is not a [[network]]", next.network);
    if (next.address) {
        bool in = false;
        for (auto& sn : n->subnets) in = in || (sn.addr.family == next.address->addr.family && sn.contains(next.address->addr));
        if (!in) return fmt::format("{} is in none of network \"{}\"'s subnets", next.address->str(), n->name);
    }
    spec = next;
    return std::nullopt;
}

void register_resources_config(ConfigSections& s) {
    s.add({kResourcesSection, "resources", read_resources});
    // The group check runs once every section, the topology included, is read.
    s.add({kGroupSection, "resources", read_groups, check_resources});
}

}  // namespace ftnet
