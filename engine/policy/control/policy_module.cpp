#include "engine/policy/control/policy_module.h"

#include <rte_telemetry.h>

#include <fstream>
#include <sstream>

#include "engine/cluster_log/control/cluster_log.h"
#include "engine/core/command_registry.h"
#include "engine/core/engine.h"
#include "engine/policy/datapath/policy_classify.h"

namespace ftnet {

using nlohmann::json;

namespace {

constexpr uint64_t kSnapshotMs = 1000;

// Telemetry callbacks carry no context: the one running module.
std::mutex g_telemetry_mu;
const PolicyModule* g_telemetry_module = nullptr;

std::string tel_name(const std::string& s) {
    std::string o;
    // DPDK 22.11's telemetry takes letters, digits, '_' and '/' only.
    for (char c : s) o += std::isalnum(static_cast<unsigned char>(c)) || c == '_' ? c : '_';
    return o;
}

int telemetry_policy(const char*, const char*, rte_tel_data* d) {
    std::lock_guard<std::mutex> lock(g_telemetry_mu);
    rte_tel_data_start_dict(d);
    if (!g_telemetry_module) return 0;
    const json s = g_telemetry_module->snapshot();
    for (auto& r : s.value("rules", json::array())) {
        rte_tel_data_add_dict_u64(d, tel_name("rule_" + r.value("name", std::string()) + "_hits").c_str(), r.value("hits", uint64_t{0}));
        rte_tel_data_add_dict_u64(d, tel_name("rule_" + r.value("name", std::string()) + "_bytes").c_str(), r.value("bytes", uint64_t{0}));
    }
    for (auto& c : s.value("classes", json::array())) {
        rte_tel_data_add_dict_u64(d, tel_name("class_" + c.value("name", std::string()) + "_pkts").c_str(), c.value("pkts", uint64_t{0}));
        rte_tel_data_add_dict_u64(d, tel_name("class_" + c.value("name", std::string()) + "_bytes").c_str(), c.value("bytes", uint64_t{0}));
    }
    return 0;
}

// Frames of a pcap file (classic format, either byte order, us or ns).
std::vector<std::vector<uint8_t>> read_pcap(const std::string& path, std::string* error) {
    std::vector<std::vector<uint8_t>> out;
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        *error = "cannot read " + path;
        return out;
    }
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string b = ss.str();
    if (b.size() < 24) {
        *error = path + " is not a pcap file (too short)";
        return out;
    }
    uint32_t magic;
    std::memcpy(&magic, b.data(), 4);
    const bool swapped = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
    if (!swapped && magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
        *error = path + " is not a pcap file (pcapng is not read: save it as pcap)";
        return out;
    }
    auto u32 = [&](size_t off) {
        uint32_t v;
        std::memcpy(&v, b.data() + off, 4);
        return swapped ? __builtin_bswap32(v) : v;
    };
    if (u32(20) != 1) {
        *error = path + ": not an Ethernet capture (link type " + std::to_string(u32(20)) + ")";
        return out;
    }
    for (size_t off = 24; off + 16 <= b.size();) {
        const uint32_t caplen = u32(off + 8);
        off += 16;
        if (caplen > b.size() - off || caplen > 262144) break;
        out.emplace_back(b.begin() + static_cast<std::ptrdiff_t>(off), b.begin() + static_cast<std::ptrdiff_t>(off + caplen));
        off += caplen;
    }
    return out;
}

}  // namespace

PolicyModule::~PolicyModule() {
    std::lock_guard<std::mutex> lock(g_telemetry_mu);
    if (g_telemetry_module == this) g_telemetry_module = nullptr;
}

void PolicyModule::start(Engine& e) {
    e_ = &e;
    tables_ = RcuPublisher<PolicyTable>(&e.dp().policy, e.dp().qsbr, destroy_policy);
    if (const auto* s = e.config().find_section<PolicySettings>(kPolicySection)) {
        std::string why;
        if (!load(*s, &why)) throw EngineError("policy: " + why);
    }
    e.commands().add({"policy", "policy",
                      "the traffic policy: show (rules, hits, classes), test FILE.pcap (which rule each frame hits), reload",
                      {{"action", ArgType::String, false, "show (default), test, reload", {"show", "test", "reload"}},
                       {"file", ArgType::String, false, "test: a pcap file of inner (ftnet0) frames"}},
                      false, [this](const json& a) {
                          const std::string action = a.value("action", "show");
                          if (action == "test") {
                              if (!a.contains("file")) throw MgmtError("policy test: which capture? (file)");
                              return test(a["file"].get<std::string>());
                          }
                          if (action == "reload") return reload();
                          return show();
                      },
                      {"show"}});
    e.loop().add_final_hook("policy", [this](uint64_t) { tables_.reclaim(false); });
    e.reloaders().add({"policy", {"policy"}, [this](const Config& next, ReloadReport& report) {
                           const PolicySettings* ps = next.find_section<PolicySettings>(kPolicySection);
                           const PolicySettings none;
                           std::string why;
                           if (!load(ps ? *ps : none, &why)) throw MgmtError("the policy in force stays: " + why);
                           reloads_++;
                           report.applied.push_back(fmt::format("policy: {} rules, {} classes swapped in",
                                                                ps ? ps->rules.size() : 0, ps ? ps->classes.size() : 0));
                       }});
    {
        std::lock_guard<std::mutex> lock(g_telemetry_mu);
        g_telemetry_module = this;
    }
    // Registered once per process (telemetry has no unregister).
    static const bool registered = rte_telemetry_register_cmd(
                                       "/ftnet/policy", telemetry_policy,
                                       "ftnet traffic policy: hits and bytes per rule and per class") == 0;
    (void)registered;
}

void PolicyModule::running(Engine& e) {
    e.loop().add_timer("policy", kSnapshotMs, [this](uint64_t) { refresh_snapshot(); });
}

void PolicyModule::stop(Engine&) {
    {
        std::lock_guard<std::mutex> lock(g_telemetry_mu);
        if (g_telemetry_module == this) g_telemetry_module = nullptr;
    }
    tables_.release_all();  // the workers have stopped
}

bool PolicyModule::load(const PolicySettings& s, std::string* error) {
    PolicyCompileOptions o;
    for (auto& n : e_->config().networks) o.networks.push_back(n.name);
    o.n_workers = e_->dp().n_workers;
    o.socket = static_cast<int>(rte_socket_id()) < 0 ? 0 : static_cast<int>(rte_socket_id());
    o.cache_file = s.cache_file;
    o.classes = s.classes;
    const uint64_t t0 = rte_rdtsc();
    PolicyTable* t = compile_policy(s.rules, o, error);
    if (!t) return false;
    const double ms = static_cast<double>(rte_rdtsc() - t0) * 1000.0 / static_cast<double>(rte_get_tsc_hz());
    t->generation = ++generation_;
    if (const PolicyTable* old = tables_.current()) carry_counters(*old);
    settings_ = s;
    tables_.publish(t);
    size_t patterns = 0;
    for (auto& r : s.rules) patterns += r.regexes.size() + r.literals.size();
    clog::info("POLICY", "traffic policy {}: {} rule(s), {} payload pattern(s){}, {} class(es), compiled in {:.1f} ms", t->generation,
               t->rules.size(), patterns, t->db ? (t->db_from_cache ? " (database from " + s.cache_file + ")" : "") : "",
               t->classes.size(), ms);
    refresh_snapshot();
    return true;
}

void PolicyModule::carry_counters(const PolicyTable& old) {
    const size_t n = old.rules.size();
    for (size_t i = 0; i < n; i++) {
        auto& c = carried_rules_[old.source[i].name];
        for (uint16_t w = 0; w < e_->dp().n_workers; w++) {
            c.first += old.rows[w].hits[i];
            c.second += old.rows[w].bytes[i];
        }
    }
    for (size_t k = 0; k < old.classes.size(); k++) {
        auto& c = carried_classes_[old.classes[k]];
        for (uint16_t w = 0; w < e_->dp().n_workers; w++) {
            c.first += old.rows[w].class_pkts[k];
            c.second += old.rows[w].class_bytes[k];
        }
    }
}

json PolicyModule::show() const {
    json out = {{"generation", generation_}, {"reloads", reloads_}, {"reloads_refused", reloads_refused_}};
    if (!last_error_.empty()) out["last_error"] = last_error_;
    const PolicyTable* t = tables_.current();
    json rules = json::array(), classes = json::array();
    if (t) {
        const uint16_t nw = e_->dp().n_workers;
        for (size_t i = 0; i < t->rules.size(); i++) {
            const PolicyRule& r = t->source[i];
            uint64_t hits = 0, bytes = 0;
            if (auto it = carried_rules_.find(r.name); it != carried_rules_.end()) hits = it->second.first, bytes = it->second.second;
            for (uint16_t w = 0; w < nw; w++) hits += t->rows[w].hits[i], bytes += t->rows[w].bytes[i];
            json j = {{"name", r.name},           {"priority", r.priority}, {"action", policy_action_name(r.action)},
                      {"hits", hits},             {"bytes", bytes},         {"payload", r.has_payload()},
                      {"class", t->classes[t->rules[i].class_id]}};
            if (!r.networks.empty()) j["networks"] = r.networks;
            std::string match;
            if (r.ethertype) match += fmt::format("ethertype 0x{:04x} ", *r.ethertype);
            if (r.protocol) match += fmt::format("protocol {} ", *r.protocol);
            if (r.src) match += "src " + r.src->str() + " ";
            if (r.dst) match += "dst " + r.dst->str() + " ";
            if (!r.sport.any()) match += fmt::format("sport {}-{} ", r.sport.lo, r.sport.hi);
            if (!r.dport.any()) match += fmt::format("dport {}-{} ", r.dport.lo, r.dport.hi);
            for (auto& x : r.regexes) match += "regex /" + x + "/ ";
            for (auto& x : r.literals) match += "literal \"" + x + "\" ";
            if (!match.empty()) match.pop_back();
            j["match"] = match.empty() ? "every frame" : match;
            rules.push_back(j);
        }
        for (size_t k = 0; k < t->classes.size(); k++) {
            uint64_t pkts = 0, bytes = 0;
            if (auto it = carried_classes_.find(t->classes[k]); it != carried_classes_.end()) pkts = it->second.first, bytes = it->second.second;
            for (uint16_t w = 0; w < nw; w++) pkts += t->rows[w].class_pkts[k], bytes += t->rows[w].class_bytes[k];
            json c = {{"name", t->classes[k]}, {"pkts", pkts}, {"bytes", bytes}, {"priority", 0}};
            for (const PolicyClass& pc : settings_.classes)
                if (pc.name == t->classes[k]) {
                    if (pc.dscp) c["dscp"] = *pc.dscp;
                    c["priority"] = pc.priority;
                }
            classes.push_back(c);
        }
        out["database"] = t->db ? (t->db_from_cache ? "loaded from " + settings_.cache_file : std::string("compiled")) : "none";
    }
    out["rules"] = rules;
    out["classes"] = classes;
    return out;
}

json PolicyModule::test(const std::string& pcap) const {
    std::string why;
    auto frames = read_pcap(pcap, &why);
    if (!why.empty()) throw MgmtError("policy test: " + why);
    const PolicyTable* t = tables_.current();
    json out = json::array();
    for (size_t i = 0; i < frames.size(); i++) {
        json j = {{"frame", i + 1}, {"bytes", frames[i].size()}};
        uint32_t rule = kNoRule;
        if (t && !t->rules.empty()) {
            PolicyFrame f;
            policy_parse(frames[i].data(), static_cast<uint32_t>(frames[i].size()), f);
            policy_classify_burst(*t, t->out, &f, 1, &rule, t->control_scratch);
        }
        if (rule == kNoRule) {
            j["rule"] = nullptr;
            j["action"] = "none (normal route ranking)";
        } else {
            j["rule"] = t->source[rule].name;
            j["action"] = policy_action_name(t->source[rule].action);
            if (!t->source[rule].networks.empty()) j["networks"] = t->source[rule].networks;
            j["class"] = t->classes[t->rules[rule].class_id];
        }
        out.push_back(j);
    }
    return out;
}

json PolicyModule::reload() {
    PolicySettings s;
    std::string why;
    if (!read_policy_file(e_->config().path, s, &why) || !load(s, &why)) {
        reloads_refused_++;
        last_error_ = why;
        clog::warn("POLICY", "reload refused, the policy in force stays: {}", why);
        throw MgmtError("reload refused, the policy in force stays: " + why);
    }
    reloads_++;
    last_error_.clear();
    return show();
}

void PolicyModule::refresh_snapshot() {
    json s = show();
    std::lock_guard<std::mutex> lock(snapshot_mu_);
    snapshot_ = std::move(s);
}

json PolicyModule::snapshot() const {
    std::lock_guard<std::mutex> lock(snapshot_mu_);
    return snapshot_;
}

}  // namespace ftnet
