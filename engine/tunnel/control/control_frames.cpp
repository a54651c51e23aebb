#include "engine/tunnel/control/control_frames.h"

#include <fmt/format.h>

#include "engine/core/registry_error.h"

namespace ftnet {

void ControlFrames::on_message(uint8_t type, const std::string& module, Handler h) {
    if (message_[type])
        throw RegistryError(fmt::format("module {}: frames of message type {} are already handled by module {}", module,
                                        type, message_owner_[type]));
    message_[type] = std::move(h);
    message_owner_[type] = module;
}

void ControlFrames::on_local(const std::string& module, Handler h) {
    if (local_)
        throw RegistryError(fmt::format("module {}: local frames (ARP/ND/ICMP) are already handled by module {}", module,
                                        local_owner_));
    local_ = std::move(h);
    local_owner_ = module;
}

void ControlFrames::dispatch(const ControlFrame& f) const {
    if (f.c.kind == RxKind::Control) {
        if (local_) local_(f);
    } else if (f.c.kind == RxKind::Message && f.c.hdr) {
        if (const Handler& h = message_[f.c.hdr->type]) h(f);
    }
}

}  // namespace ftnet
