// The reliable session module: one ReliableSession (engine/session/
// reliable_session.h) per peer, carried in sealed ftnet messages of type
// Session on the route in use, and the local API through which other parts
// of ftnetd (membership now; resources and configuration later) exchange
// typed messages with peers.
//
// The API: on_message() claims a message type (a type claimed twice is a
// RegistryError naming both owners); send() queues a message to a peer and
// reports its outcome through an optional callback; on_peer_restart()
// tells of a peer's new incarnation (its session started over).
// Commands: `session` (per peer: state, incarnations, route in use, counts,
// window, RTT) and `session-probe` (a numbered test stream, checked for
// order, loss and duplicates at the far end). Events: "session" on a
// peer's first contact and on every restart of it.
//
// Control thread only, like every callback it makes. Nothing here blocks
// a worker: workers hand Session messages over on the control ring.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/core/module.h"
#include "engine/session/reliable_session.h"

namespace ftnet {

class Engine;
class TunnelModule;
struct ControlFrame;
struct RouteDesc;

// Message types of the local API. Values travel on the wire: never
// renumber; a new user takes the next one.
enum class SessionType : uint16_t {
    Probe = 1,       // ftnetctl session-probe: numbered test messages
    Membership = 2,  // regroup rounds (engine/membership)
    Resources = 3,   // group ownership (engine/resources)
    PortLeases = 4,  // the ports' leased addresses (engine/dhcp)
};

class SessionModule : public Module {
  public:
    using MessageHandler = std::function<void(uint16_t peer, const uint8_t* data, size_t len)>;
    using Completion = std::function<void(session::MessageStatus)>;
    using RestartListener = std::function<void(uint16_t peer, uint16_t old_inc, uint16_t new_inc)>;

    SessionModule();
    ~SessionModule() override;
    void start(Engine& e) override;
    void running(Engine& e) override;
    void stop(Engine& e) override;

    // Messages of `type` from any peer go to `h` (in order, once, per peer).
    void on_message(SessionType type, const std::string& owner, MessageHandler h);
    // Queues a message to `peer`; false (and why) when it cannot be queued:
    // unknown peer, too big, or the peer's queue is full.
    bool send(uint16_t peer, SessionType type, const void* data, size_t len, Completion done = {},
              std::string* why = nullptr);
    void on_peer_restart(RestartListener l) { restart_listeners_.push_back(std::move(l)); }
    // A peer's incarnation as its session knows it (0: not heard yet).
    uint16_t peer_incarnation(uint16_t peer) const;

  private:
    struct Peer;
    void add_peers();  // a session with every configured peer that has none
    void on_frame(const ControlFrame& f);
    void tick();
    void flush_dirty();
    void check_route(Peer& p, uint64_t now_us);
    nlohmann::json cmd_session() const;
    nlohmann::json cmd_probe(const nlohmann::json& args);
    void on_probe(Peer& p, const uint8_t* data, size_t len);

    Engine* e_ = nullptr;
    TunnelModule* tunnel_ = nullptr;
    std::map<uint16_t, std::unique_ptr<Peer>> peers_;
    std::map<uint16_t, std::pair<std::string, MessageHandler>> handlers_;
    std::vector<RestartListener> restart_listeners_;
    bool any_dirty_ = false;
};

}  // namespace ftnet
