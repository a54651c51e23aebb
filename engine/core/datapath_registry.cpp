#include "engine/core/datapath_registry.h"

#include <fmt/format.h>

#include "engine/core/module.h"
#include "engine/core/registry_error.h"

namespace ftnet {

void DatapathRegistry::on_message(uint8_t type, MessageHandler h, const char* module) {
    if (!h) throw RegistryError(fmt::format("module {}: a null handler for message type {}", module, type));
    if (message[type])
        throw RegistryError(fmt::format("module {}: message type {} is already handled by module {}", module, type,
                                        message_owner[type]));
    message[type] = h;
    message_owner[type] = module;
}

void DatapathRegistry::add_poller(WorkerPoller p, const char* module) {
    if (!p) throw RegistryError(fmt::format("module {}: a null worker poller", module));
    if (n_pollers == kMaxPollers)
        throw RegistryError(fmt::format("module {}: more than {} worker pollers", module, kMaxPollers));
    poller_owner[n_pollers] = module;
    pollers[n_pollers++] = p;
}

void DatapathRegistry::set_host_path(HostInput in, HostOutput out, const char* module) {
    if (!in || !out) throw RegistryError(fmt::format("module {}: a null host path handler", module));
    if (host_input)
        throw RegistryError(fmt::format("module {}: the host path is already module {}'s", module, host_owner));
    host_input = in;
    host_output = out;
    host_owner = module;
}

void DatapathRegistry::set_policy(TxPolicy tx, RxPolicy rx, const char* module) {
    if (!tx || !rx) throw RegistryError(fmt::format("module {}: a null policy handler", module));
    if (tx_policy) throw RegistryError(fmt::format("module {}: the traffic policy is already module {}'s", module, policy_owner));
    tx_policy = tx;
    rx_policy = rx;
    policy_owner = module;
}

const DatapathRegistry& datapath_registry() {
    static const DatapathRegistry all = [] {
        DatapathRegistry r;
        for (const ModuleSpec& m : module_specs())
            if (m.datapath) m.datapath(r);
        return r;
    }();
    return all;
}

}  // namespace ftnet
