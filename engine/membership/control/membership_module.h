// The membership module: regroup (engine/membership/regroup.h) over the
// reliable session, fed with which peers this node can reach (a route up
// and the session established), and quorum on top of the view it agrees.
//
// Quorum: a majority of the votes (one per configured node, plus the
// witness when [membership] witness_file is set: the file-share witness,
// engine/membership/control/file_witness.h, held by the coordinator of one
// partition). A partition without quorum says so and why; later modules
// (resources) own nothing unless has_quorum().
//
// Commands: `membership`. Events: "membership" for every view and every
// change of quorum. Cluster log: every view, every refusal of a node whose
// config differs.
//
// Control thread only.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "engine/core/module.h"
#include "engine/membership/control/file_witness.h"
#include "engine/membership/regroup.h"

namespace ftnet {

class Engine;
class SessionModule;
class TunnelModule;

struct Quorum {
    bool has = false;
    unsigned votes = 0, total = 0, needed = 0;
    bool witness_ours = false;
    std::string reason;  // when !has
};

class MembershipModule : public Module, public membership::RegroupIo {
  public:
    MembershipModule();
    ~MembershipModule() override;
    void start(Engine& e) override;
    void running(Engine& e) override;

    const membership::View& view() const { return regroup_->view(); }
    const Quorum& quorum() const { return quorum_; }
    bool has_quorum() const { return quorum_.has; }
    // Called after every new view and every change of quorum (resources
    // decide ownership from them).
    void on_change(std::function<void()> f) { listeners_.push_back(std::move(f)); }

    // membership::RegroupIo: what regroup does through this module.
    void send(uint16_t to, const std::vector<uint8_t>& msg) override;
    void installed(const membership::View& v) override;
    void refused(uint16_t node, const std::string& why) override;

  private:
    void update_reachable();
    void tick();
    void witness_tick(uint64_t now_ms);
    void update_quorum(const char* why);
    std::string node_name(uint16_t id) const;
    std::string members_text(const std::vector<uint16_t>& m) const;
    nlohmann::json cmd_membership() const;

    Engine* e_ = nullptr;
    TunnelModule* tunnel_ = nullptr;
    SessionModule* session_ = nullptr;
    std::unique_ptr<membership::Regroup> regroup_;
    std::unique_ptr<FileWitness> witness_;
    bool witness_ours_ = false;
    uint64_t witness_last_try_ms_ = 0;
    uint64_t witness_epoch_ = 0;  // the view the last take or renewal was for
    std::string witness_holder_;
    Quorum quorum_;
    bool quorum_known_ = false;
    std::vector<std::function<void()>> listeners_;
};

}  // namespace ftnet
