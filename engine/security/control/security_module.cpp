#include "engine/security/control/security_module.h"

#include <fmt/format.h>
#include <rte_malloc.h>
#include <sys/mman.h>

#include <cerrno>

#include <algorithm>
#include <cstring>

#include "engine/cluster_log/control/cluster_log.h"
#include "engine/core/engine.h"
#include "engine/security/aead.h"
#include "engine/security/control/epoch_file.h"
#include "engine/security/control/key_material.h"
#include "engine/security/control/key_set.h"
#include "engine/security/datapath/wire_drop.h"

namespace ftnet {

using json = nlohmann::json;

namespace {

const char* cipher_name(const std::vector<uint8_t>& k) { return k.size() == 32 ? "AES-256-GCM" : "AES-128-GCM"; }

std::string sample_source(const DropSample& s, uint16_t* port) {
    uint8_t a[16];
    const uint64_t hi = s.addr_hi.load(std::memory_order_relaxed), lo = s.addr_lo.load(std::memory_order_relaxed);
    std::memcpy(a, &hi, 8);
    std::memcpy(a + 8, &lo, 8);
    *port = s.port_index.load(std::memory_order_relaxed);
    const IpAddr ip = s.family.load(std::memory_order_relaxed) == 6 ? IpAddr::from_v6_bytes(a) : IpAddr::from_v4_bytes(a);
    const uint16_t sport = s.src_port.load(std::memory_order_relaxed);
    return ip.is_v6() ? fmt::format("[{}]:{}", ip.str(), sport) : fmt::format("{}:{}", ip.str(), sport);
}

}  // namespace

void SecurityModule::start(Engine& e) {
    e_ = &e;
    Dataplane& dp = e.dp();
    if (!aead_init())
        throw EngineError("intel-ipsec-mb cannot run on this CPU (it needs AES-NI): ftnet messages cannot be sealed");
    const SecurityConfig* sc = e.config().find_section<SecurityConfig>(kSecuritySection);
    if (!sc || sc->keys.empty()) throw EngineError("no cluster key configured (cluster.key)");
    cfg_ = *sc;
    try {
        dp.epoch = take_epoch(cfg_.state_dir, e.config().node.id);
    } catch (const EpochError& err) {
        throw EngineError(fmt::format("security.state_dir: {}", err.what()));
    }
    // Anonymous memory, zero and untouched until a sender space is used:
    // the windows of 64 peers x 17 spaces need not be resident.
    void* w = mmap(nullptr, sizeof(PeerReplayWindows) * kMaxPeers, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (w == MAP_FAILED) throw EngineError(fmt::format("cannot map the replay windows: {}", std::strerror(errno)));
    dp.replay = static_cast<PeerReplayWindows*>(w);
    rings_ = RcuPublisher<KeyRing>(&dp.keys, dp.qsbr);
    publish();
    std::string ids;
    for (auto& k : cfg_.keys) ids += fmt::format("{}{}", ids.empty() ? "" : ", ", k.id);
    clog::info("SECURITY", "every message sealed with {} (intel-ipsec-mb, {} code), {}; keys held: {}; sealing with {}; "
               "epoch {} ({})",
               cipher_name(std::find_if(cfg_.keys.begin(), cfg_.keys.end(), [&](auto& k) { return k.id == cfg_.primary; })->bytes),
               aead_arch(), cfg_.encrypt ? "payloads encrypted" : "payloads authenticated, not encrypted", ids,
               cfg_.primary, dp.epoch, epoch_path(cfg_.state_dir, e.config().node.id));

    e.loop().add_timer("security", 1000, [this](uint64_t) {
        rings_.reclaim(false);
        log_refusals();
    });
    e.commands().add({"key",
                      "security",
                      "cluster keys: list; add ID (key HEX | key_file PATH); use ID (seal with it); retire ID",
                      {{"action", ArgType::String, false, "list (default), add, use or retire", {"list", "add", "use", "retire"}},
                       {"id", ArgType::UnsignedInteger, false, "key id (1..254)", {}},
                       {"key", ArgType::String, false, "add: 32 or 64 hexadecimal digits", {}},
                       {"key_file", ArgType::String, false, "add: a file only root can read holding the key", {}}},
                      false,
                      [this](const json& a) { return cmd_key(a); },
                      {"list"}});
    // A reload brings the keys held to the file's: new ids added, the
    // file's primary used, ids the file no longer lists retired, in that
    // order (on one node after the other, as with `ftnetctl key`). Checked
    // whole on a copy first: a refusal changes nothing.
    e.reloaders().add({"security", {"cluster", "security"}, [this](const Config& next, ReloadReport& report) {
                           const SecurityConfig* want = next.find_section<SecurityConfig>(kSecuritySection);
                           if (!want) return;
                           if (want->encrypt != cfg_.encrypt)
                               report.restart.push_back(fmt::format("security.encrypt {} -> {}: applied at the next restart",
                                                                    cfg_.encrypt, want->encrypt));
                           if (want->state_dir != cfg_.state_dir)
                               report.restart.push_back(fmt::format("security.state_dir {} -> {}: applied at the next restart",
                                                                    cfg_.state_dir, want->state_dir));
                           SecurityConfig n = cfg_;
                           std::vector<std::string> did;
                           for (const ClusterKey& k : want->keys) {
                               auto held = std::find_if(n.keys.begin(), n.keys.end(), [&](auto& h) { return h.id == k.id; });
                               if (held != n.keys.end()) {
                                   if (held->bytes != k.bytes)
                                       throw MgmtError(fmt::format("key {} has other material in the file ({}) than the key "
                                                                   "held under that id: give a new key a new id",
                                                                   k.id, k.source));
                                   continue;
                               }
                               if (auto why = key_add(n, k)) throw MgmtError(*why);
                               did.push_back(fmt::format("key {} added", k.id));
                           }
                           if (want->primary != n.primary) {
                               if (auto why = key_use(n, want->primary)) throw MgmtError(*why);
                               did.push_back(fmt::format("sealing with key {}", want->primary));
                           }
                           std::vector<uint8_t> gone;
                           for (auto& h : n.keys)
                               if (std::none_of(want->keys.begin(), want->keys.end(), [&](auto& k) { return k.id == h.id; }))
                                   gone.push_back(h.id);
                           for (uint8_t id : gone) {
                               if (auto why = key_retire(n, id)) throw MgmtError(*why);
                               did.push_back(fmt::format("key {} retired", id));
                           }
                           if (did.empty()) return;
                           cfg_ = std::move(n);
                           publish();
                           for (auto& d : did) report.applied.push_back("security: " + d);
                       }});
    e.add_status([this](json& out) {
        out["security"] = {{"primary_key", cfg_.primary},
                           {"encrypt", cfg_.encrypt},
                           {"epoch", e_->dp().epoch},
                           {"keys", cfg_.keys.size()}};
    });
}

void SecurityModule::stop(Engine& e) {
    // The workers have stopped: no grace period is needed.
    rings_.release_all();
    if (e.dp().replay) munmap(e.dp().replay, sizeof(PeerReplayWindows) * kMaxPeers);
    e.dp().replay = nullptr;
}

void SecurityModule::publish() {
    auto* kr = static_cast<KeyRing*>(rte_zmalloc("ftnet_keys", sizeof(KeyRing), RTE_CACHE_LINE_SIZE));
    if (!kr) throw MgmtError("cannot allocate a key ring");
    new (kr) KeyRing();
    for (const ClusterKey& k : cfg_.keys) kr->add(k.id, k.bytes.data(), k.bytes.size(), k.id == cfg_.primary);
    kr->encrypt = cfg_.encrypt;
    rings_.publish(kr);
    // A worker waiting for traffic keeps its old snapshot until it wakes;
    // that is harmless (the old ring stays valid until it reports quiescence).
}

json SecurityModule::key_list() const {
    json keys = json::array();
    for (const ClusterKey& k : cfg_.keys) {
        uint64_t rx = 0;
        for (uint16_t w = 0; w < e_->dp().n_workers; w++) rx += e_->dp().counters[w]->key_rx[k.id].get();
        keys.push_back({{"id", k.id},
                        {"cipher", cipher_name(k.bytes)},
                        {"primary", k.id == cfg_.primary},
                        {"rx_messages", rx},
                        {"source", k.source}});
    }
    return {{"keys", keys}, {"primary_key", cfg_.primary}, {"encrypt", cfg_.encrypt}, {"epoch", e_->dp().epoch}};
}

json SecurityModule::cmd_key(const json& a) {
    const std::string action = a.value("action", std::string("list"));
    if (action == "list") return key_list();
    if (!a.contains("id")) throw MgmtError(fmt::format("key {}: id is required", action));
    const uint64_t id64 = a["id"].get<uint64_t>();
    if (id64 < 1 || id64 > kMaxKeyId) throw MgmtError(fmt::format("key id {} is out of range (1..{})", id64, kMaxKeyId));
    const auto id = static_cast<uint8_t>(id64);
    SecurityConfig next = cfg_;
    std::optional<std::string> refused;
    std::string done;
    if (action == "add") {
        if (a.contains("key") == a.contains("key_file")) throw MgmtError("key add: give exactly one of key and key_file");
        ClusterKey k;
        k.id = id;
        if (a.contains("key")) {
            auto b = parse_key_hex(a["key"].get<std::string>());
            if (!b) throw MgmtError("key: must be 32 or 64 hexadecimal digits (a 128- or 256-bit AES key)");
            k.bytes = *b;
            k.source = "ftnetctl key add";
        } else {
            std::string why;
            auto b = read_key_file(a["key_file"].get<std::string>(), &why);
            if (!b) throw MgmtError("key_file: " + why);
            k.bytes = *b;
            k.source = a["key_file"].get<std::string>();
        }
        done = fmt::format("key {} ({}) added: accepted from peers now; `key use {}` seals with it", id, cipher_name(k.bytes), id);
        refused = key_add(next, std::move(k));
    } else if (action == "use") {
        refused = key_use(next, id);
        done = fmt::format("sealing with key {} now", id);
    } else {
        refused = key_retire(next, id);
        done = fmt::format("key {} retired: messages sealed with it are refused (rx-unknown-key) from now on", id);
    }
    if (refused) throw MgmtError(*refused);
    cfg_ = std::move(next);
    publish();
    clog::info("SECURITY", "{}", done);
    return key_list();
}

void SecurityModule::log_refusals() {
    const Dataplane& dp = e_->dp();
    const auto& ports = e_->ports();
    std::string parts;
    uint64_t total = 0;
    for (unsigned k = 0; k < WorkerCounters::kRefusalKinds; k++) {
        const DropReason r = kRefusals[k];
        uint64_t n = 0;
        for (uint16_t w = 0; w < dp.n_workers; w++) n += dp.counters[w]->drops[static_cast<size_t>(r)].get();
        const uint64_t d = n - refused_seen_[static_cast<size_t>(r)];
        refused_seen_[static_cast<size_t>(r)] = n;
        if (!d) continue;
        total += d;
        // Who sent the newest of them, from any worker's sample.
        std::string from;
        for (uint16_t w = 0; w < dp.n_workers && w < kMaxWorkers; w++) {
            const DropSample& s = dp.counters[w]->refused[k];
            const uint32_t q = s.seq.load(std::memory_order_acquire);
            if (q == 0 || (q & 1)) continue;
            uint16_t port = 0;
            std::string src = sample_source(s, &port);
            if (s.seq.load(std::memory_order_acquire) != q) continue;
            from = fmt::format(" from {} on port {}", src, port < ports.size() ? ports[port].spec.name : "?");
        }
        parts += fmt::format("{}{} {}{}{}", parts.empty() ? "" : ", ", drop_reason_name(r), d, from,
                             r == DropReason::rx_bad_version ? " (a node speaking ftnet wire version 1: upgrade it; it is "
                                                               "refused, never downgraded to)"
                                                             : "");
    }
    if (total) clog::warn("SECURITY", "refused {} message(s) in the last second: {}", total, parts);
}

}  // namespace ftnet
