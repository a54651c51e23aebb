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
    for (auto& [owner, handler] : local_)
        if (owner == module)
            throw RegistryError(fmt::format("module {}: already handles local frames (ARP/ND/ICMP)", module));
    local_.emplace_back(module, std::move(h));
}

void ControlFrames::dispatch(const ControlFrame& f) const {
    if (f.c.kind == RxKind::Control) {
        for (auto& [owner, handler] : local_) handler(f);
    } else if (f.c.kind == RxKind::Message && f.c.hdr) {
        if (const Handler& h = message_[f.c.hdr->type]) h(f);
    }
}

}  // namespace ftnet
