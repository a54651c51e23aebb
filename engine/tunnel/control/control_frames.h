// Frames the workers hand to the control thread, and who handles them:
// modules register a handler for a tunnel message type (HELLO) or for the
// frames a port's own addresses receive (ARP, ND, ICMP). The tunnel module
// drains the workers' ring after every wake-up of the control loop,
// classifies each frame again against the current route table and calls the
// handler of its kind; a frame nobody handles is freed.
//
// Registration: main thread at start-up (a message type claimed twice is a
// RegistryError naming both modules). Dispatch: control thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "engine/tunnel/datapath/classify.h"

namespace ftnet {

struct ControlFrame {
    uint16_t port_index;
    const uint8_t* frame;
    size_t len;
    const RxResult& c;
    uint64_t now_ms;
};

class ControlFrames {
  public:
    using Handler = std::function<void(const ControlFrame&)>;

    void on_message(uint8_t type, const std::string& module, Handler h);
    // Frames for a port's own addresses (RxKind::Control): every module
    // that registers sees each one (the neighbour module answers ARP, ND and
    // echo; the path MTU module reads "too big" reports), in start order.
    void on_local(const std::string& module, Handler h);
    void dispatch(const ControlFrame& f) const;

  private:
    Handler message_[256];
    std::string message_owner_[256];
    std::vector<std::pair<std::string, Handler>> local_;
};

}  // namespace ftnet
