#include "engine/dns/control/dns_module.h"

#include <netinet/in.h>
#include <rte_cycles.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "engine/cluster_log/control/cluster_log.h"
#include "engine/core/command_registry.h"
#include "engine/core/engine.h"
#include "engine/core/mono_clock.h"

namespace ftnet {

using nlohmann::json;

namespace {
constexpr uint64_t kTickMs = 100;
}  // namespace

DnsModule::~DnsModule() {
    if (fd_ >= 0) close(fd_);
}

void DnsModule::start(Engine& e) {
    e_ = &e;
    s_ = e.config().find_section<DnsSettings>(kDnsSection);
    e.commands().add({"dns", "dns", "DNS registration of the Network Names this node owns: state, records, errors", {}, true,
                      [this](const json&) {
                          json out = {{"configured", s_ && s_->configured}};
                          if (registrar_) {
                              out["server"] = s_->server.str() + " port " + std::to_string(s_->port);
                              out["zone"] = s_->zone;
                              out["key"] = s_->key.name + " (" + s_->key.algorithm + ", from " + s_->key_source + ")";
                              out["names"] = registrar_->all(mono_ms());
                              out["replies_ignored"] = registrar_->replies_ignored();
                          }
                          return out;
                      }});
    if (!s_ || !s_->configured) return;
    fd_ = socket(s_->server.is_v6() ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw EngineError(std::string("dns: cannot open a UDP socket: ") + std::strerror(errno));
    sockaddr_storage ss{};
    socklen_t len;
    if (s_->server.is_v6()) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(s_->port);
        std::memcpy(&a->sin6_addr, s_->server.b.data(), 16);
        len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(s_->port);
        std::memcpy(&a->sin_addr, s_->server.b.data(), 4);
        len = sizeof *a;
    }
    // Connected: only the server's datagrams are read, and a port
    // unreachable from it shows as an error on the next send.
    if (connect(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0)
        clog::warn("DNS", "cannot reach the DNS server {} yet ({}); registrations will be retried", s_->server.str(),
                   std::strerror(errno));
    registrar_ = std::make_unique<DnsRegistrar>(
        *s_, [this](const std::vector<uint8_t>& w, std::string* why) { return send(w, why); },
        [this](const std::string& fqdn, const std::string& state, const std::string& detail) {
            if (state == "registered")
                clog::info("DNS", "{} registered on {}: {}", fqdn, s_->server.str(), detail);
            else if (state == "removed")
                clog::info("DNS", "{}: records removed from {}", fqdn, s_->server.str());
            else
                clog::warn("DNS", "{}: update {}: {}", fqdn, state, detail);
            e_->emit_event({{"time", e_->event_time(rte_rdtsc())},
                            {"type", "dns"},
                            {"name", fqdn},
                            {"state", state},
                            {"detail", detail}});
        },
        std::random_device{}());
    e.loop().add_fd(fd_, "dns", [this](uint32_t) { readable(); });
    e.loop().add_timer("dns", kTickMs, [this](uint64_t) { registrar_->tick(mono_ms()); });
    clog::info("DNS", "Network Names are registered in {} on {} port {}, signed with TSIG key {} ({})", s_->zone,
               s_->server.str(), s_->port, s_->key.name, s_->key.algorithm);
}

void DnsModule::stop(Engine& e) {
    if (fd_ >= 0) {
        e.loop().remove_fd(fd_);
        close(fd_);
        fd_ = -1;
    }
}

bool DnsModule::send(const std::vector<uint8_t>& wire, std::string* why) {
    if (::send(fd_, wire.data(), wire.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(wire.size())) return true;
    *why = std::strerror(errno);
    return false;
}

void DnsModule::readable() {
    uint8_t buf[4096];
    for (;;) {
        const ssize_t n = recv(fd_, buf, sizeof buf, 0);
        if (n < 0) return;  // EAGAIN, or an ICMP error: the timeout deals with it
        registrar_->on_datagram(buf, static_cast<size_t>(n), mono_ms());
    }
}

void DnsModule::set(const std::string& fqdn, const std::vector<IpAddr>& addrs, uint32_t ttl, bool ptr) {
    if (registrar_) registrar_->set(fqdn, addrs, ttl, ptr, mono_ms());
}

void DnsModule::stop(const std::string& fqdn, bool remove) {
    if (registrar_) registrar_->stop(fqdn, remove, mono_ms());
}

json DnsModule::status(const std::string& fqdn) const {
    if (!registrar_) return {{"state", "not registered: no [dns] section in the config"}};
    return registrar_->status(fqdn, mono_ms());
}

}  // namespace ftnet
