#include "engine/resources/resources_wire.h"

namespace ftnet::resources {

using nlohmann::json;

std::vector<uint8_t> encode(const Msg& m) {
    json j = {{"k", static_cast<int>(m.kind)}};
    switch (m.kind) {
    case Msg::Kind::Report:
        j["e"] = m.report.epoch;
        j["q"] = m.report.seq;
        j["h"] = m.report.holds;
        j["s"] = m.report.status;
        break;
    case Msg::Kind::Table: {
        const OwnerTable& t = m.table.table;
        j["e"] = t.epoch;
        j["q"] = t.seq;
        json g = json::object();
        for (auto& [name, r] : t.groups) g[name] = {r.owner, r.moving_to, r.admin_online};
        j["g"] = g;
        j["set"] = t.settings;
        j["s"] = m.table.status;
        break;
    }
    case Msg::Kind::Request:
        j["op"] = static_cast<int>(m.request.op);
        j["n"] = m.request.name;
        j["to"] = m.request.node;
        j["v"] = m.request.value;
        break;
    }
    return json::to_cbor(j);
}

std::optional<Msg> decode(const uint8_t* data, size_t len) {
    try {
        const json j = json::from_cbor(data, data + len);
        Msg m;
        const int kind = j.at("k").get<int>();
        switch (kind) {
        case static_cast<int>(Msg::Kind::Report):
            m.kind = Msg::Kind::Report;
            m.report.epoch = j.at("e").get<uint64_t>();
            m.report.seq = j.at("q").get<uint64_t>();
            m.report.holds = j.at("h").get<Holdings>();
            m.report.status = j.at("s");
            if (!m.report.status.is_object()) return std::nullopt;
            return m;
        case static_cast<int>(Msg::Kind::Table): {
            m.kind = Msg::Kind::Table;
            OwnerTable& t = m.table.table;
            t.epoch = j.at("e").get<uint64_t>();
            t.seq = j.at("q").get<uint64_t>();
            for (auto& [name, r] : j.at("g").items()) {
                if (!r.is_array() || r.size() != 3) return std::nullopt;
                t.groups[name] = {r[0].get<uint16_t>(), r[1].get<uint16_t>(), r[2].get<bool>()};
            }
            t.settings = j.at("set").get<std::map<std::string, std::string>>();
            m.table.status = j.at("s");
            if (!m.table.status.is_object()) return std::nullopt;
            return m;
        }
        case static_cast<int>(Msg::Kind::Request): {
            m.kind = Msg::Kind::Request;
            const int op = j.at("op").get<int>();
            if (op < 1 || op > 4) return std::nullopt;
            m.request.op = static_cast<RequestMsg::Op>(op);
            m.request.name = j.at("n").get<std::string>();
            m.request.node = j.at("to").get<uint16_t>();
            m.request.value = j.at("v").get<std::string>();
            return m;
        }
        default:
            return std::nullopt;
        }
    } catch (const json::exception&) {
        return std::nullopt;
    }
}

}  // namespace ftnet::resources
