// The registries modules plug into: every clash is a clear start-up error
// naming both modules, and the built-in module list registers what the
// engine has always had.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <set>
#include <string>

#include "engine/config/config_sections.h"
#include "engine/config/reader.h"
#include "engine/core/command_registry.h"
#include "engine/core/control_loop.h"
#include "engine/core/datapath_registry.h"
#include "engine/core/drop_reason.h"
#include "engine/core/module.h"
#include "engine/core/registry_error.h"
#include "engine/tunnel/control/control_frames.h"
#include "engine/tunnel/ftnet_wire.h"

namespace ftnet {
namespace {

using nlohmann::json;
using testing::HasSubstr;

template <class F>
std::string registry_error(F f) {
    try {
        f();
    } catch (const RegistryError& e) {
        return e.what();
    }
    return "";
}

template <class F>
std::string mgmt_error(F f) {
    try {
        f();
    } catch (const MgmtError& e) {
        return e.what();
    }
    return "";
}

// --- modules ---

TEST(ModuleList, AModuleRegisteredTwiceIsAnError) {
    ModuleSpec a;
    a.name = "tunnel";
    a.control = [] { return std::unique_ptr<Module>(); };
    EXPECT_THAT(registry_error([&] { check_module_specs({a, a}); }), HasSubstr("module tunnel is registered twice"));
}

TEST(ModuleList, AModuleThatRegistersNothingIsAnError) {
    ModuleSpec a;
    a.name = "empty";
    EXPECT_THAT(registry_error([&] { check_module_specs({a}); }), HasSubstr("module empty registers nothing"));
}

TEST(ModuleList, TheBuiltInModulesAreTheEnginesFeatures) {
    std::vector<std::string> names;
    for (auto& m : module_specs()) names.push_back(m.name);
    EXPECT_THAT(names, testing::ElementsAre("cluster_log", "management", "security", "tunnel", "neighbor", "hello", "pmtu", "heartbeat", "link", "host_path",
                                            "policy", "session", "membership", "dhcp", "dns", "resources", "metrics", "reload", "capture", "service"));
}

// --- management commands ---

Command cmd(const std::string& name, const std::string& module) {
    Command c;
    c.name = name;
    c.module = module;
    c.help = "test";
    c.handler = [](const json& args) { return args; };
    return c;
}

TEST(Commands, ANameClashNamesBothModules) {
    CommandRegistry r;
    r.add(cmd("routes", "tunnel"));
    EXPECT_EQ(registry_error([&] { r.add(cmd("routes", "policy")); }),
              "module policy: command \"routes\" is already registered by module tunnel");
}

TEST(Commands, ACommandWithoutAHandlerIsAnError) {
    CommandRegistry r;
    Command c = cmd("x", "m");
    c.handler = nullptr;
    EXPECT_THAT(registry_error([&] { r.add(c); }), HasSubstr("has no handler"));
}

TEST(Commands, ArgumentsAreCheckedAgainstTheSchemaBeforeTheHandlerRuns) {
    CommandRegistry r;
    Command c = cmd("link", "link");
    c.args = {{"port", ArgType::String, true, "", {}}, {"state", ArgType::String, true, "", {"up", "down"}},
              {"count", ArgType::UnsignedInteger, false, "", {}}};
    bool ran = false;
    c.handler = [&](const json& a) {
        ran = true;
        return a;
    };
    r.add(c);
    EXPECT_EQ(mgmt_error([&] { r.dispatch({{"cmd", "link"}, {"args", {{"port", "p"}}}}); }),
              "link: argument \"state\" (string) is required");
    EXPECT_EQ(mgmt_error([&] { r.dispatch({{"cmd", "link"}, {"args", {{"port", 1}, {"state", "up"}}}}); }),
              "link: argument \"port\" must be a string");
    EXPECT_EQ(mgmt_error([&] { r.dispatch({{"cmd", "link"}, {"args", {{"port", "p"}, {"state", "sideways"}}}}); }),
              "link: argument \"state\" is \"sideways\", not one of up, down");
    EXPECT_EQ(mgmt_error([&] { r.dispatch({{"cmd", "link"}, {"args", {{"port", "p"}, {"state", "up"}, {"colour", 1}}}}); }),
              "link: unknown argument \"colour\" (known: port, state, count)");
    EXPECT_EQ(mgmt_error([&] { r.dispatch({{"cmd", "link"}, {"args", {{"port", "p"}, {"state", "up"}, {"count", -1}}}}); }),
              "link: argument \"count\" must be a unsigned integer");
    EXPECT_EQ(mgmt_error([&] { r.dispatch({{"cmd", "link"}, {"args", json::array()}}); }), "\"args\" must be a JSON object");
    EXPECT_THAT(mgmt_error([&] { r.dispatch({{"cmd", "nope"}}); }), HasSubstr("unknown command \"nope\" (known: link, events)"));
    EXPECT_FALSE(ran) << "no bad request reached the handler";
    json out = r.dispatch({{"cmd", "link"}, {"args", {{"port", "p"}, {"state", "down"}}}});
    EXPECT_TRUE(ran);
    EXPECT_EQ(out["state"], "down");
}

TEST(Commands, AReadOnlyClientMayOnlyRead) {
    CommandRegistry r;
    int changes = 0;
    Command status = cmd("status", "m");
    r.add(status);
    Command link = cmd("link", "m");
    link.read_only = false;
    link.handler = [&](const json&) {
        changes++;
        return json();
    };
    r.add(link);
    Command group = cmd("group", "m");
    group.read_only = false;
    group.args = {{"action", ArgType::String, false, "", {"list", "show", "move"}}};
    group.read_only_actions = {"list", "show"};
    group.handler = [&](const json& a) {
        if (a.value("action", "list") == "move") changes++;
        return json();
    };
    r.add(group);
    EXPECT_NO_THROW(r.dispatch({{"cmd", "status"}}, false));
    EXPECT_THAT(mgmt_error([&] { r.dispatch({{"cmd", "link"}}, false); }), HasSubstr("permission denied: link changes"));
    EXPECT_NO_THROW(r.dispatch({{"cmd", "group"}}, false)) << "the default action lists";
    EXPECT_NO_THROW(r.dispatch({{"cmd", "group"}, {"args", {{"action", "show"}}}}, false));
    EXPECT_THAT(mgmt_error([&] { r.dispatch({{"cmd", "group"}, {"args", {{"action", "move"}}}}, false); }),
                HasSubstr("permission denied: group move changes"));
    EXPECT_EQ(changes, 0) << "nothing refused ran";
    r.dispatch({{"cmd", "group"}, {"args", {{"action", "move"}}}}, true);
    r.dispatch({{"cmd", "link"}}, true);
    EXPECT_EQ(changes, 2);
}

TEST(Commands, HelpDescribesEveryCommand) {
    CommandRegistry r;
    r.add(cmd("a", "m1"));
    r.add(cmd("b", "m2"));
    json d = r.describe();
    ASSERT_EQ(d.size(), 2u);
    EXPECT_EQ(d[1]["module"], "m2");
}

// --- config sections ---

void no_op(Reader&, const toml::table&, Config&) {}

TEST(ConfigSectionRegistry, AKeyReadByTwoModulesIsAnError) {
    ConfigSections s;
    s.add({"policy", "policy", no_op});
    EXPECT_EQ(registry_error([&] { s.add({"policy", "other", no_op}); }),
              "module other: config section [policy] is already read by module policy");
}

TEST(ConfigSectionRegistry, ASectionWithoutAReaderIsAnError) {
    ConfigSections s;
    EXPECT_EQ(registry_error([&] { s.add({"policy", "policy", nullptr}); }),
              "module policy: config section [policy] has no reader");
}

TEST(ConfigSectionRegistry, ModuleSectionsAreReadBeforeTheTopology) {
    ConfigSections s;
    s.add({"node", "core", no_op});
    s.add({"peer", "core", no_op, nullptr, true});
    s.add({"policy", "policy", no_op});
    EXPECT_THAT(s.keys(), testing::ElementsAre("node", "policy", "peer"));
}

TEST(ConfigSectionRegistry, EveryBuiltInSectionHasItsModule) {
    std::set<std::string> keys;
    for (auto& sec : config_sections().all()) keys.insert(sec.key + "@" + sec.module);
    EXPECT_THAT(keys, testing::IsSupersetOf({"tunnel@tunnel", "cluster@heartbeat", "management@management", "port@core",
                                             "node@core"}));
}

// A module's own settings need no field in Config.
TEST(ConfigSectionRegistry, AModuleKeepsItsSettingsInItsOwnSection) {
    struct PolicySettings {
        int rules = 0;
    };
    Config c;
    c.section<PolicySettings>("policy").rules = 3;
    ASSERT_NE(c.find_section<PolicySettings>("policy"), nullptr);
    EXPECT_EQ(c.find_section<PolicySettings>("policy")->rules, 3);
    EXPECT_EQ(c.find_section<PolicySettings>("other"), nullptr);
}

// --- the workers' message handlers ---

void handler_a(Worker&, uint16_t, rte_mbuf*, const RxResult&) {}
unsigned poller_a(Worker&, uint64_t) { return 0; }

TEST(DatapathHandlers, AMessageTypeClaimedTwiceIsAnError) {
    DatapathRegistry r;
    r.on_message(7, handler_a, "session");
    EXPECT_EQ(registry_error([&] { r.on_message(7, handler_a, "other"); }),
              "module other: message type 7 is already handled by module session");
}

TEST(DatapathHandlers, TooManyPollersIsAnError) {
    DatapathRegistry r;
    for (unsigned i = 0; i < DatapathRegistry::kMaxPollers; i++) r.add_poller(poller_a, "m");
    EXPECT_THAT(registry_error([&] { r.add_poller(poller_a, "m"); }), HasSubstr("more than"));
}

TEST(DatapathHandlers, TheBuiltInModulesHandleTheirMessageTypes) {
    const DatapathRegistry& r = datapath_registry();
    auto owner = [&](wire::MsgType t) {
        const char* o = r.message_owner[static_cast<uint8_t>(t)];
        return std::string(o ? o : "");
    };
    EXPECT_EQ(owner(wire::MsgType::Hello), "hello");
    EXPECT_EQ(owner(wire::MsgType::HeartbeatReq), "heartbeat");
    EXPECT_EQ(owner(wire::MsgType::HeartbeatRep), "heartbeat");
    EXPECT_EQ(owner(wire::MsgType::LinkNotice), "link");
    EXPECT_EQ(owner(wire::MsgType::Session), "session");
    EXPECT_EQ(owner(wire::MsgType::Data), "") << "DATA is the tunnel's own input path";
    ASSERT_EQ(r.n_pollers, 1u);
    EXPECT_STREQ(r.poller_owner[0], "heartbeat");
}

// --- frames for the control thread ---

TEST(ControlFrameHandlers, AKindClaimedTwiceIsAnError) {
    ControlFrames f;
    f.on_message(2, "hello", [](const ControlFrame&) {});
    EXPECT_THAT(registry_error([&] { f.on_message(2, "other", [](const ControlFrame&) {}); }),
                HasSubstr("already handled by module hello"));
    f.on_local("neighbor", [](const ControlFrame&) {});
    EXPECT_THAT(registry_error([&] { f.on_local("neighbor", [](const ControlFrame&) {}); }),
                HasSubstr("neighbor: already handles local frames"));
}

TEST(ControlFrameHandlers, EveryModuleThatAsksSeesEachLocalFrameInOrder) {
    ControlFrames f;
    std::string seen;
    f.on_local("neighbor", [&](const ControlFrame&) { seen += "n"; });
    f.on_local("pmtu", [&](const ControlFrame&) { seen += "p"; });
    RxResult local;
    local.kind = RxKind::Control;
    const uint8_t frame[64] = {};
    f.dispatch(ControlFrame{0, frame, sizeof frame, local, 0});
    EXPECT_EQ(seen, "np");
    RxResult dropped;  // kind Drop: nobody
    f.dispatch(ControlFrame{0, frame, sizeof frame, dropped, 0});
    EXPECT_EQ(seen, "np");
}

// --- drop reasons ---

TEST(DropReasons, EachModuleKeepsItsOwnListAndNamesAreUnique) {
    std::set<std::string> names;
    for (size_t i = 0; i < kNumDropReasons; i++) {
        const auto r = static_cast<DropReason>(i);
        EXPECT_TRUE(names.insert(drop_reason_name(r)).second) << drop_reason_name(r) << " is listed twice";
        EXPECT_STRNE(drop_reason_help(r), "");
    }
    EXPECT_STREQ(drop_reason_module(DropReason::txq_full), "core");
    EXPECT_STREQ(drop_reason_module(DropReason::rx_bad_checksum), "tunnel");
    EXPECT_STREQ(drop_reason_module(DropReason::rx_hb_unexpected), "heartbeat");
    EXPECT_STREQ(drop_reason_module(DropReason::rx_notice_malformed), "link");
    EXPECT_STREQ(drop_reason_module(DropReason::rx_bad_auth), "security");
}

// --- the control loop ---

TEST(ControlLoopRegistry, ADescriptorWatchedTwiceIsAnError) {
    ControlLoop loop;
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    loop.add_fd(fd, "link", [](uint32_t) {});
    EXPECT_EQ(registry_error([&] { loop.add_fd(fd, "other", [](uint32_t) {}); }),
              fmt::format("other: file descriptor {} is already watched for link", fd));
    loop.remove_fd(fd);
    close(fd);
}

TEST(ControlLoopRegistry, DescriptorsTimersAndHooksRunInTheLoop) {
    ControlLoop loop;
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int reads = 0, ticks = 0, hooks = 0, finals = 0;
    loop.add_fd(fd, "test", [&](uint32_t) {
        eventfd_t v;
        eventfd_read(fd, &v);
        reads++;
    });
    loop.add_hook("test", [&](uint64_t) { hooks++; });
    loop.add_final_hook("test", [&](uint64_t) { finals++; });
    loop.add_timer("test", 5, [&](uint64_t) {
        if (++ticks == 1) eventfd_write(fd, 1);
        if (ticks == 4) loop.stop();
    });
    loop.run();
    EXPECT_EQ(ticks, 4);
    EXPECT_EQ(reads, 1);
    EXPECT_GE(hooks, 4);
    EXPECT_EQ(finals, hooks) << "final hooks run once per iteration, after the hooks and timers";
    close(fd);
}

}  // namespace
}  // namespace ftnet
