// [dhcp]: the DHCP client's timing (config/schema.md, "[dhcp]"). Optional;
// RFC 2131's retransmission defaults, and a short RFC 5227 probe (two ARP
// probes 300 ms apart rather than three 1-2 s apart: a failover is waiting).
//
// Read on the main thread at start-up; the DHCP module keeps it.
#pragma once

#include "engine/dhcp/dhcp_client.h"

namespace ftnet {

class ConfigSections;

inline constexpr const char* kDhcpSection = "dhcp";
using DhcpSettings = dhcp::Timing;

void register_dhcp_config(ConfigSections& s);

}  // namespace ftnet
