#include "engine/dns/control/dns_registrar.h"

#include <fmt/format.h>

#include <algorithm>

namespace ftnet {

using nlohmann::json;

namespace {

bool same_set(std::vector<IpAddr> a, std::vector<IpAddr> b) {
    auto less = [](const IpAddr& x, const IpAddr& y) { return x.str() < y.str(); };
    std::sort(a.begin(), a.end(), less);
    std::sort(b.begin(), b.end(), less);
    return a == b;
}

std::string addr_list(const std::vector<IpAddr>& v) {
    std::string s;
    for (auto& a : v) s += (s.empty() ? "" : ", ") + a.str();
    return s.empty() ? "none" : s;
}

}  // namespace

DnsRegistrar::DnsRegistrar(const DnsSettings& s, Send send, Notify notify, uint32_t seed)
    : s_(s), send_(std::move(send)), notify_(std::move(notify)), rng_(seed) {}

std::optional<std::string> DnsRegistrar::reverse_zone(const IpAddr& a) const {
    const std::string rev = dns::reverse_name(a);
    std::optional<std::string> best;
    for (auto& z : s_.reverse_zones)
        if (dns::in_zone(rev, z) && (!best || z.size() > best->size())) best = z;
    return best;
}

// The messages that take the server from what it has to what is wanted:
// the name's A/AAAA RRsets replaced, then its PTRs, one message per zone.
void DnsRegistrar::plan(Name& n, uint64_t now_ms) {
    n.queue.clear();
    n.notes.clear();
    const std::vector<IpAddr> want = n.removing ? std::vector<IpAddr>{} : n.want;
    dns::Update fwd{s_.zone, {}};
    dns::Change c{n.fqdn, {dns::kA, dns::kAaaa}, {}, n.ttl};
    for (auto& a : want) c.add.push_back(fmt::format("{} {}", a.is_v6() ? "AAAA" : "A", a.str()));
    fwd.changes.push_back(c);
    n.queue.push_back(fwd);
    if (n.ptr || !n.ptr_registered.empty()) {
        std::map<std::string, dns::Update> by_zone;
        auto change = [&](const IpAddr& a, bool add) {
            auto z = reverse_zone(a);
            if (!z) {
                if (add) n.notes.push_back(fmt::format("no reverse zone for {} in dns.reverse_zones: no PTR", a.str()));
                return;
            }
            dns::Update& u = by_zone[*z];
            u.zone = *z;
            dns::Change pc{dns::reverse_name(a), {dns::kPtr}, {}, n.ttl};
            if (add) pc.add.push_back("PTR " + n.fqdn + ".");
            u.changes.push_back(pc);
        };
        for (auto& a : n.ptr_registered)
            if (std::find(want.begin(), want.end(), a) == want.end() || !n.ptr) change(a, false);
        if (n.ptr)
            for (auto& a : want) change(a, true);
        for (auto& [z, u] : by_zone) n.queue.push_back(u);
    }
    n.attempts = 0;
    n.next_try_ms = now_ms;
    n.state = n.removing ? "removing" : "updating";
}

void DnsRegistrar::set(const std::string& fqdn, const std::vector<IpAddr>& addrs, uint32_t ttl, bool ptr, uint64_t now_ms) {
    Name& n = names_[fqdn];
    n.fqdn = fqdn;
    const bool same = n.active && !n.removing && same_set(n.want, addrs) && n.ttl == ttl && n.ptr == ptr;
    if (same) return;
    n.active = true;
    n.removing = false;
    n.want = addrs;
    n.ttl = ttl;
    n.ptr = ptr;
    // Whatever the server has (another owner may have registered its own
    // addresses meanwhile), state the whole set again.
    n.in_flight = false;
    plan(n, now_ms);
    send_next(n, now_ms);
}

void DnsRegistrar::stop(const std::string& fqdn, bool remove, uint64_t now_ms) {
    auto it = names_.find(fqdn);
    if (it == names_.end()) {
        if (!remove) return;
        it = names_.emplace(fqdn, Name{}).first;
        it->second.fqdn = fqdn;
    }
    Name& n = it->second;
    n.in_flight = false;
    n.queue.clear();
    if (!remove) {
        n.active = false;
        n.state = "stopped";
        n.last_error.clear();
        return;
    }
    n.active = true;
    n.removing = true;
    plan(n, now_ms);
    send_next(n, now_ms);
}

void DnsRegistrar::send_next(Name& n, uint64_t now_ms) {
    if (n.in_flight || n.queue.empty() || now_ms < n.next_try_ms) return;
    // A fresh id, not in use by another name's message.
    uint16_t id;
    bool clash;
    do {
        id = static_cast<uint16_t>(rng_());
        clash = false;
        for (auto& [k, o] : names_) clash = clash || (o.in_flight && o.id == id);
    } while (clash);
    dns::SignedUpdate su;
    try {
        su = dns::build_signed_update(n.queue.front(), id, s_.key);
    } catch (const dns::DnsError& e) {
        failed(n, e.what(), true, now_ms);
        return;
    }
    std::string why;
    n.id = id;
    n.mac = su.mac;
    n.in_flight = true;
    n.deadline_ms = now_ms + s_.timeout_ms;
    n.attempts++;
    if (!send_(su.wire, &why)) {
        n.in_flight = false;
        failed(n, "cannot send to " + s_.server.str() + ": " + why, false, now_ms);
    }
}

void DnsRegistrar::failed(Name& n, const std::string& why, bool refused, uint64_t now_ms) {
    n.in_flight = false;
    n.last_error = why;
    if (refused) {
        n.refusals++;
        n.state = "refused";
        n.next_try_ms = now_ms + uint64_t{s_.refused_retry_s} * 1000;
        notify_(n.fqdn, "refused", why);
        return;
    }
    n.timeouts++;
    const unsigned shift = std::min(n.attempts > 0 ? n.attempts - 1 : 0u, 16u);
    const uint64_t backoff_ms = std::min<uint64_t>(1000ull << shift, uint64_t{s_.retry_max_s} * 1000);
    n.next_try_ms = now_ms + backoff_ms;
    n.state = "retrying";
    // Once, then at every doubling: an unreachable server is not a log flood.
    if ((n.attempts & (n.attempts - 1)) == 0) notify_(n.fqdn, "retrying", fmt::format("{} (attempt {})", why, n.attempts));
}

void DnsRegistrar::on_datagram(const uint8_t* data, size_t len, uint64_t now_ms) {
    if (len < 2) {
        ignored_++;
        return;
    }
    const uint16_t id = static_cast<uint16_t>(data[0] << 8 | data[1]);
    Name* n = nullptr;
    for (auto& [k, o] : names_)
        if (o.in_flight && o.id == id) n = &o;
    if (!n) {
        ignored_++;  // late (a retry already went out) or not ours
        return;
    }
    auto r = dns::parse_reply(data, len, s_.key, n->mac);
    if (!r) {
        ignored_++;
        return;
    }
    if (r->rcode == 0 && r->tsig_error == 0) {
        if (!r->signed_ok) {
            // Anyone on the path can forge a NOERROR: wait for the real one.
            ignored_++;
            return;
        }
        n->in_flight = false;
        n->updates_ok++;
        n->attempts = 0;
        n->queue.erase(n->queue.begin());
        if (!n->queue.empty()) {
            send_next(*n, now_ms);
            return;
        }
        n->last_error.clear();
        n->registered_at_ms = now_ms;
        if (n->removing) {
            n->registered = std::vector<IpAddr>{};
            n->ptr_registered.clear();
            n->active = false;
            n->state = "removed";
            notify_(n->fqdn, "removed", "");
        } else {
            n->registered = n->want;
            n->ptr_registered = n->ptr ? n->want : std::vector<IpAddr>{};
            n->state = "registered";
            notify_(n->fqdn, "registered", addr_list(n->want));
        }
        return;
    }
    const std::string code = r->tsig_error ? fmt::format("{} (TSIG {})", dns::rcode_name(r->rcode), dns::rcode_name(r->tsig_error))
                                           : dns::rcode_name(r->rcode);
    // SERVFAIL is the server's trouble, not a verdict on us: retry.
    failed(*n, fmt::format("{} answered {}", s_.server.str(), code), r->rcode != 2, now_ms);
}

void DnsRegistrar::tick(uint64_t now_ms) {
    for (auto& [k, n] : names_) {
        if (n.in_flight && now_ms >= n.deadline_ms)
            failed(n, fmt::format("no answer from {} port {} within {} ms", s_.server.str(), s_.port, s_.timeout_ms), false,
                   now_ms);
        if (!n.in_flight && n.active && n.state == "refused" && now_ms >= n.next_try_ms) plan(n, now_ms);
        if (!n.in_flight && n.active) send_next(n, now_ms);
    }
}

json DnsRegistrar::status(const std::string& fqdn, uint64_t now_ms) const {
    auto it = names_.find(fqdn);
    if (it == names_.end()) return {{"state", "not registered"}};
    const Name& n = it->second;
    json j = {{"state", n.state}, {"server", s_.server.str()}, {"zone", s_.zone}, {"ttl", n.ttl}};
    json want = json::array();
    for (auto& a : n.removing ? std::vector<IpAddr>{} : n.want) want.push_back(a.str());
    j["records"] = want;
    if (!n.last_error.empty()) j["last_error"] = n.last_error;
    if (!n.notes.empty()) j["notes"] = n.notes;
    if (n.registered_at_ms) j["last_success_s_ago"] = static_cast<double>(now_ms - n.registered_at_ms) / 1000.0;
    if (!n.in_flight && n.active && !n.queue.empty() && n.next_try_ms > now_ms)
        j["next_try_s"] = static_cast<double>(n.next_try_ms - now_ms) / 1000.0;
    j["updates_ok"] = n.updates_ok;
    j["timeouts"] = n.timeouts;
    j["refusals"] = n.refusals;
    return j;
}

json DnsRegistrar::all(uint64_t now_ms) const {
    json out = json::array();
    for (auto& [k, n] : names_) {
        json j = status(k, now_ms);
        j["name"] = k;
        out.push_back(j);
    }
    return out;
}

}  // namespace ftnet
