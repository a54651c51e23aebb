-- ftnet.lua: Wireshark dissector for the ftnet tunnel, wire format version 2.
--
-- The format is defined by engine/tunnel/ftnet_wire.h (header and payloads),
-- engine/security/seal.h (what the sender fills in and seals) and
-- engine/security/route_binding.h, and documented in docs/wire-format.md:
--
--   Ethernet | IPv6 or IPv4 | UDP (dst port 3343) | ftnet header (22 bytes) |
--   payload (DATA: an inner Ethernet frame; HELLO: 100-byte HelloPayload;
--   HEARTBEAT-REQ/REP: 32-byte HeartbeatPayload; SESSION: a 44-byte
--   session SegHeader and the segment's data; LINK-NOTICE: 12-byte
--   header and 36-byte entries; PMTU-PROBE: 12-byte PmtuProbePayload and
--   padding; PMTU-REPLY: 12-byte PmtuProbePayload; DATA-FRAGMENT: 12-byte
--   FragmentHeader and a piece of an inner Ethernet frame) | AES-GCM tag
--   (16 bytes, on every message)
--
-- There is no length field: the payload is what the UDP payload holds after
-- the header and before the tag (shown as the generated ftnet.payload_len).
--
-- The dissector shows every header field (ftnet.version, ftnet.type,
-- ftnet.flags, ftnet.flags.encrypted, ftnet.key_id, ftnet.src_node,
-- ftnet.dst_node, ftnet.route_binding, ftnet.seq with ftnet.seq.epoch and
-- ftnet.seq.counter, ftnet.space, ftnet.reserved), the tag (ftnet.auth_tag),
-- the HELLO fields (ftnet.hello.*), the heartbeat fields (ftnet.hb.*), the
-- reliable-session segment fields (ftnet.session.*, engine/session/
-- session_wire.h), the link notice fields (ftnet.notice.*), the path MTU
-- probe and reply fields (ftnet.pmtu.*) and the fragment header fields
-- (ftnet.frag.*), and hands a DATA payload to Wireshark's Ethernet dissector
-- (no FCS) so the inner frame is decoded too.
--
-- DATA-FRAGMENTs: the first piece's inner Ethernet header is shown
-- (ftnet.frag.inner.*); when every fragment of a frame is in the capture,
-- the frame is reassembled as a receiver reassembles it (by sender, sequence
-- space and frame id) and the fragment that completes it hands the whole
-- inner frame to the Ethernet dissector, as a DATA message would
-- (ftnet.frag.reassembled_in names that packet in the others once the
-- capture has been read through, e.g. in Wireshark or with tshark -2).
--
-- Session messages (the data of the first segment of a message, which holds
-- the whole message or its start) are decoded by type: the Probe number,
-- and the CBOR bodies of Membership (engine/membership/regroup.cpp),
-- Resources (engine/resources/resources_wire.cpp) and PortLeases
-- (engine/dhcp/control/dhcp_module.cpp) messages, shown whole as JSON text
-- (ftnet.session.body) and field by field (ftnet.membership.*,
-- ftnet.resources.*, ftnet.leases.*). A body its module would refuse raises
-- expert info; the start of a message cut into several segments is decoded
-- as far as it goes.
--
-- Tags are NOT verified. Every message is sealed with AES-GCM under the
-- cluster key; with the ENCRYPTED flag clear the payload is clear text (the
-- tag authenticates header and payload) and is decoded; with it set the
-- payload is ciphertext, shown as ftnet.encrypted_payload and not decoded
-- (the dissector holds no key and does not decrypt). Either way a forged or
-- corrupted message looks the same as a good one here: only a receiver
-- can tell.
--
-- What the dissector can check without the key, it does: the route binding
-- against the outer addresses (ftnet.route_binding.status: 0 wrong, 1
-- right, 2 not checked), and it raises expert info where a receiver would
-- drop the packet, naming the ftnetd drop counter it would increment: a
-- version 1 frame ("ftnet wire version 1: refused by version 2 nodes") or
-- another unknown version, a frame shorter than header and tag, an unknown
-- type, unknown flags, a non-zero reserved byte, key id 0, a wrong route
-- binding, a DATA payload shorter than an Ethernet header, a HELLO a
-- receiver ignores, a heartbeat payload other than 32 bytes, a malformed link
-- notice, a session segment its receiver's session drops as malformed or
-- stale (named by the per-peer count of `ftnetctl session` it increments), a
-- session message body its module refuses, a path MTU probe or reply shorter
-- than its payload, a fragment a receiver's reassembly drops (rx-frag-bad,
-- rx-frag-too-big, rx-frag-duplicate).
-- Lengths are checked on encrypted messages too (AES-GCM does not change
-- them).
--
-- Use it without installing:
--   tshark -X lua_script:scripts/wireshark/ftnet.lua -r capture.pcap
--   tshark -X lua_script:scripts/wireshark/ftnet.lua -r capture.pcap -T fields \
--          -e ftnet.type -e ftnet.src_node -e ftnet.dst_node -e ftnet.seq
--   wireshark -X lua_script:scripts/wireshark/ftnet.lua capture.pcap
-- or install it by copying this file into the personal Lua plugins folder
-- (Linux: ~/.local/lib/wireshark/plugins/; Windows: %APPDATA%\Wireshark\plugins;
-- `tshark -G folders` prints the exact "Personal Lua Plugins" path), then
-- restart Wireshark or press Ctrl+Shift+L. Do not do both: with the plugin
-- installed, adding -X lua_script:ftnet.lua fails with "there cannot be two
-- protocols with the same description".
--
-- Another tunnel port (ftnetd's tunnel.udp_port): Preferences > Protocols >
-- FTNET > UDP port, or `-o ftnet.udp_port:4000` on the command line. "Decode
-- As..." > UDP port > FTNET works as well.
--
-- Running as root (tshark in the ftnet lab and tests runs as root): Wireshark
-- refuses user Lua scripts (-X lua_script and the personal plugins folder)
-- for a superuser unless the global init.lua allows it. Wireshark 4.0 (Debian
-- 12, what scripts/setup.sh installs) ships /usr/share/wireshark/init.lua
-- with `enable_lua = true` and `run_user_scripts_when_superuser = true`, so
-- this works as is. If your distribution sets either to false, set them to
-- true in that file (`tshark -G folders` prints it as "Global
-- configuration"), or better, capture as root and dissect as an ordinary
-- user: `dumpcap -w f.pcapng` then `tshark -r f.pcapng -X lua_script:...`.
--
-- Needs Wireshark >= 3.0 (Lua 5.2 or later).

local ftnet = Proto("ftnet", "ftnet Cluster Tunnel Protocol")

local HDR_LEN = 22
local TAG_LEN = 16
local HELLO_LEN = 100
local HB_LEN = 32
local NOTICE_HDR_LEN = 12
local NOTICE_ENTRY_LEN = 36
local NOTICE_MAX_ENTRIES = 16
local SEG_HDR_LEN = 44                -- session_wire.h SegHeader
local SEG_MAX_MESSAGE = 4 * 1024 * 1024  -- reliable_session.h kMaxMessage
local PROBE_HEADER_LEN = 8            -- a Probe message's number (session_module.cpp)
local ETH_HDR_LEN = 14
local PMTU_LEN = 12                   -- ftnet_wire.h PmtuProbePayload
local FRAG_HDR_LEN = 12               -- ftnet_wire.h FragmentHeader
local FRAG_MAX = 16                   -- ftnet_wire.h kMaxFragments
local MAX_INNER_FRAME = 9000 + 14     -- the largest adapter.mtu and the Ethernet header
local KNOWN_VERSION = 2
local VERSION_1 = 1
local DEFAULT_PORT = 3343
local FLAG_ENCRYPTED = 0x01
local CONTROL_SPACE = 0xff

-- Values are part of the wire format (ftnet_wire.h MsgType).
local msg_types = {
    [1] = "DATA",
    [2] = "HELLO",
    [3] = "HEARTBEAT-REQ",
    [4] = "HEARTBEAT-REP",
    [5] = "SESSION",
    [6] = "LINK-NOTICE",
    [7] = "PMTU-PROBE",
    [8] = "PMTU-REPLY",
    [9] = "DATA-FRAGMENT",
}
-- Short names for the Info column.
local info_names = {
    [1] = "DATA",
    [2] = "HELLO",
    [3] = "HB-REQ",
    [4] = "HB-REP",
    [5] = "SESSION",
    [6] = "NOTICE",
    [7] = "PMTU-PROBE",
    [8] = "PMTU-REPLY",
    [9] = "DATA-FRAG",
}
-- HeartbeatPayload.route_state (route_health.h HealthState).
local route_states = {
    [0] = "unknown",
    [1] = "up",
    [2] = "down",
}
-- session_wire.h SegKind.
local seg_kinds = {
    [1] = "Data",
    [2] = "Ack",
    [3] = "Probe",
}
-- session_module.h SessionType: the local API's message types.
local session_types = {
    [1] = "Probe",
    [2] = "Membership",
    [3] = "Resources",
    [4] = "PortLeases",
}
-- regroup.h RegroupMsg::Kind.
local regroup_kinds = {
    [1] = "Prepare",
    [2] = "Accept",
    [3] = "Nack",
    [4] = "Commit",
    [5] = "Request",
}
-- resources_wire.h Msg::Kind and RequestMsg::Op.
local resources_kinds = {
    [1] = "Report",
    [2] = "Table",
    [3] = "Request",
}
local resources_ops = {
    [1] = "Move",
    [2] = "Online",
    [3] = "Offline",
    [4] = "Setting",
}
-- The inner frames' EtherTypes worth naming.
local ethertypes = {
    [0x0800] = "IPv4",
    [0x0806] = "ARP",
    [0x86dd] = "IPv6",
    [0x8100] = "802.1Q",
}
local binding_status = {
    [0] = "Wrong for the outer addresses",
    [1] = "Right for the outer addresses",
    [2] = "Not checked",
}

local f = ftnet.fields
f.version     = ProtoField.uint8("ftnet.version", "Version", base.DEC)
f.type        = ProtoField.uint8("ftnet.type", "Message type", base.DEC, msg_types)
f.flags       = ProtoField.uint8("ftnet.flags", "Flags", base.HEX)
f.flags_encrypted = ProtoField.bool("ftnet.flags.encrypted", "ENCRYPTED (payload is AES-GCM ciphertext)", 8,
                                    nil, FLAG_ENCRYPTED)
f.flags_unknown = ProtoField.uint8("ftnet.flags.unknown", "Unknown flags", base.HEX, nil, 0xfe)
f.key_id      = ProtoField.uint8("ftnet.key_id", "Key id", base.DEC)
f.src_node    = ProtoField.uint16("ftnet.src_node", "Source node", base.DEC)
f.dst_node    = ProtoField.uint16("ftnet.dst_node", "Destination node", base.DEC)
f.route_binding = ProtoField.uint32("ftnet.route_binding", "Route binding", base.HEX)
f.binding_status = ProtoField.uint8("ftnet.route_binding.status", "Route binding status", base.DEC,
                                    binding_status)
f.seq         = ProtoField.uint64("ftnet.seq", "Sequence", base.DEC)
f.seq_epoch   = ProtoField.uint16("ftnet.seq.epoch", "Epoch (sender's life)", base.DEC)
f.seq_counter = ProtoField.uint64("ftnet.seq.counter", "Counter", base.DEC)
f.space       = ProtoField.uint8("ftnet.space", "Sequence space", base.DEC)
f.reserved    = ProtoField.uint8("ftnet.reserved", "Reserved", base.HEX)
f.payload_len = ProtoField.uint16("ftnet.payload_len", "Payload length", base.DEC)
f.payload     = ProtoField.bytes("ftnet.payload", "Payload")
f.encrypted_payload = ProtoField.bytes("ftnet.encrypted_payload", "Encrypted payload")
f.auth_tag    = ProtoField.bytes("ftnet.auth_tag", "AES-GCM tag")

f.hello            = ProtoField.none("ftnet.hello", "HELLO (virtual adapter endpoint exchange)")
f.hello_mac        = ProtoField.ether("ftnet.hello.mac", "Adapter MAC")
f.hello_apipa      = ProtoField.ipv4("ftnet.hello.apipa", "Adapter APIPA address")
f.hello_link_local = ProtoField.ipv6("ftnet.hello.link_local", "Adapter IPv6 link-local address")
f.hello_mtu        = ProtoField.uint16("ftnet.hello.mtu", "Adapter MTU", base.DEC)
f.hello_boot_id    = ProtoField.uint32("ftnet.hello.boot_id", "Boot id", base.HEX)
f.hello_flags      = ProtoField.uint32("ftnet.hello.flags", "HELLO flags", base.HEX)
f.hello_want_reply = ProtoField.bool("ftnet.hello.flags.want_reply", "Please answer", 32, nil,
                                     0x00000001)
f.hello_node_name  = ProtoField.stringz("ftnet.hello.node_name", "Node name")
f.hello_cluster    = ProtoField.stringz("ftnet.hello.cluster", "Cluster name")

f.hb              = ProtoField.none("ftnet.hb", "Heartbeat")
f.hb_boot_id      = ProtoField.uint32("ftnet.hb.boot_id", "Sender's boot id", base.HEX)
f.hb_echo_boot_id = ProtoField.uint32("ftnet.hb.echo_boot_id", "Echoed boot id", base.HEX)
f.hb_tx_time      = ProtoField.uint64("ftnet.hb.tx_time", "Requester's send time (its TSC, cycles)", base.DEC)
f.hb_echo_seq     = ProtoField.uint32("ftnet.hb.echo_seq", "Echoed request seq", base.DEC)
f.hb_interval_ms  = ProtoField.uint16("ftnet.hb.interval_ms", "Sender's heartbeat interval (ms)", base.DEC)
f.hb_threshold    = ProtoField.uint8("ftnet.hb.threshold", "Sender's miss threshold", base.DEC)
f.hb_route_state  = ProtoField.uint8("ftnet.hb.route_state", "Sender's route state", base.DEC, route_states)
f.hb_send_skew_us = ProtoField.uint32("ftnet.hb.send_skew_us", "Sender's send skew between networks (us)", base.DEC)
f.hb_seq          = ProtoField.uint32("ftnet.hb.seq", "Heartbeat seq", base.DEC)

f.session           = ProtoField.none("ftnet.session", "Session segment")
f.session_kind      = ProtoField.uint8("ftnet.session.kind", "Kind", base.DEC, seg_kinds)
f.session_flags     = ProtoField.uint8("ftnet.session.flags", "Segment flags", base.HEX)
f.session_msg_type  = ProtoField.uint16("ftnet.session.msg_type", "Message type", base.DEC, session_types)
f.session_sender_inc = ProtoField.uint16("ftnet.session.sender_inc", "Sender's incarnation", base.DEC)
f.session_receiver_inc = ProtoField.uint16("ftnet.session.receiver_inc", "Receiver's incarnation", base.DEC)
f.session_seq       = ProtoField.uint64("ftnet.session.seq", "Segment seq", base.DEC)
f.session_ack       = ProtoField.uint64("ftnet.session.ack", "Ack (next segment expected)", base.DEC)
f.session_sack      = ProtoField.uint64("ftnet.session.sack", "SACK (bit i: segment ack + 1 + i arrived)", base.HEX)
f.session_window    = ProtoField.uint16("ftnet.session.window", "Window (segments from ack on)", base.DEC)
f.session_frag      = ProtoField.uint16("ftnet.session.frag", "Fragment", base.DEC)
f.session_frags     = ProtoField.uint16("ftnet.session.frags", "Fragments in the message", base.DEC)
f.session_reserved  = ProtoField.uint16("ftnet.session.reserved", "Segment reserved", base.HEX)
f.session_msg_len   = ProtoField.uint32("ftnet.session.msg_len", "Message length", base.DEC)
f.session_data      = ProtoField.bytes("ftnet.session.data", "Segment data")
f.session_probe_number = ProtoField.uint64("ftnet.session.probe.number", "Probe message number", base.DEC)
f.session_body      = ProtoField.string("ftnet.session.body", "Message body (CBOR, as JSON)")

-- Membership messages (regroup.h RegroupMsg, CBOR keys k, e, m, d, h, r).
f.mship_kind        = ProtoField.uint8("ftnet.membership.kind", "Regroup message", base.DEC, regroup_kinds)
f.mship_epoch       = ProtoField.uint64("ftnet.membership.epoch", "Epoch", base.HEX)
f.mship_epoch_round = ProtoField.uint32("ftnet.membership.epoch.round", "Round", base.DEC)
f.mship_epoch_inc   = ProtoField.uint16("ftnet.membership.epoch.incarnation", "Coordinator's incarnation", base.DEC)
f.mship_epoch_coord = ProtoField.uint16("ftnet.membership.epoch.coordinator", "Coordinator", base.DEC)
f.mship_member      = ProtoField.uint16("ftnet.membership.member", "Member", base.DEC)
f.mship_digest      = ProtoField.none("ftnet.membership.digest", "Config digest")
f.mship_digest_section = ProtoField.string("ftnet.membership.digest.section", "Section")
f.mship_digest_hash = ProtoField.uint64("ftnet.membership.digest.hash", "Hash", base.HEX)
f.mship_highest     = ProtoField.uint64("ftnet.membership.highest", "Highest epoch promised", base.HEX)
f.mship_reason      = ProtoField.string("ftnet.membership.reason", "Reason")

-- Resources messages (resources_wire.h Msg, CBOR keys k, e, q, h, g, set,
-- s, op, n, to, v).
f.res_kind          = ProtoField.uint8("ftnet.resources.kind", "Resources message", base.DEC, resources_kinds)
f.res_epoch         = ProtoField.uint64("ftnet.resources.epoch", "View epoch", base.HEX)
f.res_seq           = ProtoField.uint64("ftnet.resources.seq", "Table revision", base.DEC)
f.res_held          = ProtoField.string("ftnet.resources.held", "Group held")
f.res_group         = ProtoField.string("ftnet.resources.group", "Group")
f.res_group_owner   = ProtoField.uint16("ftnet.resources.group.owner", "Owner", base.DEC)
f.res_group_moving  = ProtoField.uint16("ftnet.resources.group.moving_to", "Moving to", base.DEC)
f.res_group_online  = ProtoField.bool("ftnet.resources.group.admin_online", "Online by the operator")
f.res_setting       = ProtoField.string("ftnet.resources.setting", "Resource setting")
f.res_setting_value = ProtoField.string("ftnet.resources.setting.value", "Setting")
f.res_status        = ProtoField.string("ftnet.resources.status", "Status (JSON)")
f.res_op            = ProtoField.uint8("ftnet.resources.op", "Request", base.DEC, resources_ops)
f.res_name          = ProtoField.string("ftnet.resources.name", "Group or resource")
f.res_to            = ProtoField.uint16("ftnet.resources.to", "Target node", base.DEC)
f.res_value         = ProtoField.string("ftnet.resources.value", "Value")

-- PortLeases messages (dhcp_module.cpp tell_leases(): {"leases": [{n, a}]}).
f.lease             = ProtoField.none("ftnet.leases.entry", "Port lease")
f.lease_network     = ProtoField.string("ftnet.leases.network", "Network")
f.lease_address     = ProtoField.string("ftnet.leases.address", "Leased address")

-- PMTU-PROBE and PMTU-REPLY (ftnet_wire.h PmtuProbePayload).
f.pmtu              = ProtoField.none("ftnet.pmtu", "Path MTU")
f.pmtu_boot_id      = ProtoField.uint32("ftnet.pmtu.boot_id", "Prober's boot id", base.HEX)
f.pmtu_probe_id     = ProtoField.uint32("ftnet.pmtu.probe_id", "Probe number", base.DEC)
f.pmtu_size         = ProtoField.uint16("ftnet.pmtu.size", "Probed size (IP packet length)", base.DEC)
f.pmtu_reserved     = ProtoField.uint16("ftnet.pmtu.reserved", "Reserved", base.HEX)
f.pmtu_packet_len   = ProtoField.uint16("ftnet.pmtu.packet_len", "This packet's IP length", base.DEC)
f.pmtu_padding_len  = ProtoField.uint16("ftnet.pmtu.padding_len", "Padding length", base.DEC)
f.pmtu_padding      = ProtoField.bytes("ftnet.pmtu.padding", "Padding")

-- DATA-FRAGMENT (ftnet_wire.h FragmentHeader) and reassembly.
f.frag              = ProtoField.none("ftnet.frag", "Data fragment")
f.frag_frame_id     = ProtoField.uint32("ftnet.frag.frame_id", "Frame id", base.DEC)
f.frag_frame_len    = ProtoField.uint16("ftnet.frag.frame_len", "Inner frame length", base.DEC)
f.frag_offset       = ProtoField.uint16("ftnet.frag.offset", "Offset of this piece", base.DEC)
f.frag_index        = ProtoField.uint8("ftnet.frag.index", "Fragment index", base.DEC)
f.frag_count        = ProtoField.uint8("ftnet.frag.count", "Fragments of the frame", base.DEC)
f.frag_reserved     = ProtoField.uint16("ftnet.frag.reserved", "Reserved", base.HEX)
f.frag_piece_len    = ProtoField.uint16("ftnet.frag.piece_len", "Piece length", base.DEC)
f.frag_piece        = ProtoField.bytes("ftnet.frag.piece", "Piece of the inner frame")
f.frag_inner_dst    = ProtoField.ether("ftnet.frag.inner.dst", "Inner destination MAC")
f.frag_inner_src    = ProtoField.ether("ftnet.frag.inner.src", "Inner source MAC")
f.frag_inner_type   = ProtoField.uint16("ftnet.frag.inner.type", "Inner EtherType", base.HEX, ethertypes)
f.frag_fragment     = ProtoField.framenum("ftnet.frag.fragment", "Fragment in frame", base.NONE)
f.frag_reassembled_in = ProtoField.framenum("ftnet.frag.reassembled_in", "Reassembled in frame", base.NONE)
f.frag_reassembled_len = ProtoField.uint16("ftnet.frag.reassembled_len", "Reassembled frame length", base.DEC)

local notice_states = { [0] = "down", [1] = "up" }
local notice_reasons = { [0] = "none", [1] = "link lost", [2] = "set down by the operator" }
local notice_families = { [4] = "IPv4", [6] = "IPv6" }
f.notice          = ProtoField.none("ftnet.notice", "Link notice")
f.notice_boot_id  = ProtoField.uint32("ftnet.notice.boot_id", "Sender's boot id", base.HEX)
f.notice_seq      = ProtoField.uint32("ftnet.notice.seq", "Notice sequence", base.DEC)
f.notice_count    = ProtoField.uint8("ftnet.notice.count", "Entries", base.DEC)
f.notice_entry    = ProtoField.none("ftnet.notice.entry", "Route")
f.notice_family   = ProtoField.uint8("ftnet.notice.family", "Family", base.DEC, notice_families)
f.notice_state    = ProtoField.uint8("ftnet.notice.state", "State", base.DEC, notice_states)
f.notice_reason   = ProtoField.uint8("ftnet.notice.reason", "Reason", base.DEC, notice_reasons)
f.notice_sender4  = ProtoField.ipv4("ftnet.notice.sender_ipv4", "Sender's end")
f.notice_receiver4 = ProtoField.ipv4("ftnet.notice.receiver_ipv4", "Receiver's end")
f.notice_sender6  = ProtoField.ipv6("ftnet.notice.sender_ipv6", "Sender's end")
f.notice_receiver6 = ProtoField.ipv6("ftnet.notice.receiver_ipv6", "Receiver's end")

local ef_truncated = ProtoExpert.new("ftnet.truncated", "Shorter than the ftnet header and tag",
                                     expert.group.MALFORMED, expert.severity.ERROR)
local ef_version1 = ProtoExpert.new("ftnet.version1", "ftnet wire version 1: refused by version 2 nodes",
                                    expert.group.PROTOCOL, expert.severity.ERROR)
local ef_unknown_version = ProtoExpert.new("ftnet.unknown_version", "Unknown ftnet version",
                                           expert.group.PROTOCOL, expert.severity.ERROR)
local ef_unknown_type = ProtoExpert.new("ftnet.unknown_type", "Unknown ftnet message type",
                                        expert.group.PROTOCOL, expert.severity.WARN)
local ef_unknown_flags = ProtoExpert.new("ftnet.unknown_flags", "Unknown ftnet flags",
                                         expert.group.PROTOCOL, expert.severity.WARN)
local ef_reserved = ProtoExpert.new("ftnet.reserved_not_zero", "Reserved byte not zero",
                                    expert.group.PROTOCOL, expert.severity.WARN)
local ef_key_id = ProtoExpert.new("ftnet.key_id_zero", "Key id 0 (cluster keys are 1..254)",
                                  expert.group.SECURITY, expert.severity.ERROR)
local ef_wrong_route = ProtoExpert.new("ftnet.wrong_route", "Route binding wrong for the outer addresses",
                                       expert.group.SECURITY, expert.severity.ERROR)
local ef_inner_runt = ProtoExpert.new("ftnet.inner_runt", "DATA payload shorter than an Ethernet header",
                                      expert.group.MALFORMED, expert.severity.ERROR)
local ef_hello_invalid = ProtoExpert.new("ftnet.hello.invalid", "HELLO a receiver ignores",
                                         expert.group.PROTOCOL, expert.severity.WARN)
local ef_hb_bad_length = ProtoExpert.new("ftnet.hb.bad_length", "Heartbeat payload is not 32 bytes",
                                         expert.group.MALFORMED, expert.severity.ERROR)
local ef_notice_bad = ProtoExpert.new("ftnet.notice.malformed", "Link notice a receiver drops",
                                      expert.group.MALFORMED, expert.severity.ERROR)
local ef_session_bad = ProtoExpert.new("ftnet.session.malformed", "Session segment a receiver's session drops",
                                       expert.group.MALFORMED, expert.severity.ERROR)
local ef_session_stale = ProtoExpert.new("ftnet.session.stale", "Session segment to no incarnation of the receiver",
                                         expert.group.PROTOCOL, expert.severity.WARN)
local ef_body_bad = ProtoExpert.new("ftnet.session.body.malformed", "Session message its module refuses",
                                    expert.group.MALFORMED, expert.severity.ERROR)
local ef_body_limit = ProtoExpert.new("ftnet.session.body.not_decoded", "Session message body not decoded further",
                                      expert.group.UNDECODED, expert.severity.NOTE)
local ef_pmtu_bad = ProtoExpert.new("ftnet.pmtu.bad_length", "Path MTU message shorter than its 12-byte payload",
                                    expert.group.MALFORMED, expert.severity.ERROR)
local ef_pmtu_size = ProtoExpert.new("ftnet.pmtu.size_mismatch", "Probed size is not the probe's IP packet length",
                                     expert.group.PROTOCOL, expert.severity.WARN)
local ef_frag_bad = ProtoExpert.new("ftnet.frag.malformed", "Data fragment a receiver drops",
                                    expert.group.MALFORMED, expert.severity.ERROR)
local ef_frag_too_big = ProtoExpert.new("ftnet.frag.too_big", "Fragment of a frame larger than any ftnet0 MTU",
                                        expert.group.PROTOCOL, expert.severity.ERROR)
local ef_frag_dup = ProtoExpert.new("ftnet.frag.duplicate", "Fragment already received",
                                    expert.group.SEQUENCE, expert.severity.WARN)
ftnet.experts = { ef_truncated, ef_version1, ef_unknown_version, ef_unknown_type, ef_unknown_flags,
                  ef_reserved, ef_key_id, ef_wrong_route, ef_inner_runt, ef_hello_invalid, ef_hb_bad_length,
                  ef_notice_bad, ef_session_bad, ef_session_stale, ef_body_bad, ef_body_limit, ef_pmtu_bad,
                  ef_pmtu_size, ef_frag_bad, ef_frag_too_big, ef_frag_dup }

ftnet.prefs.udp_port = Pref.uint("UDP port", DEFAULT_PORT,
                                 "UDP destination port of the tunnel (ftnetd tunnel.udp_port)")

local eth_dissector = Dissector.get("eth_withoutfcs")

-- The outer addresses, for the route binding check.
local ip_src_f, ip_dst_f = Field.new("ip.src"), Field.new("ip.dst")
local ip6_src_f, ip6_dst_f = Field.new("ipv6.src"), Field.new("ipv6.dst")

-- 32-bit operations: the bit32 library in Lua 5.2, the native operators
-- from Lua 5.3 on (a syntax error for 5.2, hence load()).
local bxor, band, rshift
if bit32 then
    bxor, band, rshift = bit32.bxor, bit32.band, bit32.rshift
else
    bxor, band, rshift = load("return function(a, b) return a ~ b end, function(a, b) return a & b end, " ..
                              "function(a, n) return a >> n end")()
end

-- CRC32C (Castagnoli, reflected polynomial 0x82f63b78) without the final
-- inversion, as DPDK's rte_hash_crc() computes it.
local crc32c_table = {}
for i = 0, 255 do
    local c = i
    for _ = 1, 8 do
        if band(c, 1) == 1 then c = bxor(rshift(c, 1), 0x82f63b78) else c = rshift(c, 1) end
    end
    crc32c_table[i] = c
end

local function crc32c(s, init)
    local c = init
    for i = 1, #s do c = bxor(crc32c_table[band(bxor(c, s:byte(i)), 0xff)], rshift(c, 8)) end
    return c
end

-- route_binding() (engine/security/route_binding.h): family, sender's
-- address, receiver's address, each address in 16 bytes (IPv4 zero-padded).
local function route_binding(family, sender, receiver)
    local pad = string.rep("\0", 16 - #sender)
    local b = string.char(family) .. sender .. pad .. receiver .. pad
    return crc32c(b, 0xf7e7a1)
end

-- The binding a receiver expects for this packet, from the IP header under
-- the UDP one; nil when that header cannot be told (the packet is quoted in
-- an ICMP error, or is not over IP at all).
local function expected_binding(pinfo)
    if pinfo.in_error_pkt then return nil end
    local src = tostring(pinfo.net_src)
    local family, srcs, dsts
    if src:find(":", 1, true) then
        family, srcs, dsts = 6, { ip6_src_f() }, { ip6_dst_f() }
    else
        family, srcs, dsts = 4, { ip_src_f() }, { ip_dst_f() }
    end
    local s, d = srcs[#srcs], dsts[#dsts]
    if not s or not d or tostring(s.value) ~= src or tostring(d.value) ~= tostring(pinfo.net_dst) then
        return nil
    end
    return route_binding(family, s.range:raw(), d.range:raw())
end

-- A name as decode_hello() accepts it: NUL-terminated inside its 32 bytes,
-- letters, digits, '-' and '_'.
local function valid_name(r)
    local s = r:raw()
    local nul = s:find("\0", 1, true)
    if not nul then return false end
    return s:sub(1, nul - 1):match("^[%w_-]*$") ~= nil
end

-- The HelloPayload (ftnet_wire.h). plen: the payload's length on the wire;
-- n: how many of its bytes the capture holds. Returns the text the Info
-- column gets.
local function dissect_hello(tvb, tree, off, plen, n)
    local ht = n > 0 and tree:add(f.hello, tvb(off, n)) or tree:add(f.hello)
    if plen < HELLO_LEN or n < HELLO_LEN then
        if plen < HELLO_LEN then
            ht:add_proto_expert_info(ef_hello_invalid, string.format(
                "HELLO payload of %d bytes is shorter than the %d-byte HelloPayload: receivers ignore it",
                plen, HELLO_LEN))
        end
        if n > 0 then ht:add(f.payload, tvb(off, n)) end
        return ""
    end
    local mac   = tvb(off, 6)
    local apipa = tvb(off + 6, 4)
    local ll    = tvb(off + 10, 16)
    local mtu   = tvb(off + 26, 2)
    local flags = tvb(off + 32, 4)
    local name  = tvb(off + 36, 32)
    local clu   = tvb(off + 68, 32)
    local mac_i = ht:add(f.hello_mac, mac)
    local apipa_i = ht:add(f.hello_apipa, apipa)
    local ll_i = ht:add(f.hello_link_local, ll)
    local mtu_i = ht:add(f.hello_mtu, mtu)
    ht:add(f.hello_boot_id, tvb(off + 28, 4))
    local fl_i = ht:add(f.hello_flags, flags)
    fl_i:add(f.hello_want_reply, flags)
    local name_i = ht:add(f.hello_node_name, name)
    local clu_i = ht:add(f.hello_cluster, clu)

    -- The checks of decode_hello(): a HELLO failing one is ignored.
    local function bad(item, what)
        item:add_proto_expert_info(ef_hello_invalid, what .. ": receivers ignore this HELLO")
    end
    local m0 = mac(0, 1):uint()
    if m0 % 2 == 1 then bad(mac_i, "multicast adapter MAC") end
    if mac(0, 4):uint() == 0 and mac(4, 2):uint() == 0 then bad(mac_i, "zero adapter MAC") end
    if apipa(0, 1):uint() ~= 169 or apipa(1, 1):uint() ~= 254 then
        bad(apipa_i, "APIPA address outside 169.254.0.0/16")
    end
    local l0, l1 = ll(0, 1):uint(), ll(1, 1):uint()
    if l0 ~= 0xfe or l1 < 0x80 or l1 > 0xbf then bad(ll_i, "IPv6 address outside fe80::/10") end
    if mtu:uint() < 1280 or mtu:uint() > 9000 then bad(mtu_i, "MTU outside 1280..9000") end
    if not valid_name(name) then bad(name_i, "node name not NUL-terminated or not [A-Za-z0-9_-]") end
    if not valid_name(clu) then bad(clu_i, "cluster name not NUL-terminated or not [A-Za-z0-9_-]") end

    local summary = string.format(": node \"%s\" cluster \"%s\" MAC %s MTU %d", name:stringz(),
                                  clu:stringz(), tostring(mac:ether()), mtu:uint())
    if flags:uint() % 2 == 1 then summary = summary .. ", please answer" end
    if n > HELLO_LEN then
        ht:add(f.payload, tvb(off + HELLO_LEN, n - HELLO_LEN))
            :append_text(" (after the HelloPayload; ignored by receivers)")
    end
    return summary
end

local function check_heartbeat_length(item, plen)
    if plen ~= HB_LEN then
        item:add_proto_expert_info(ef_hb_bad_length, string.format(
            "heartbeat payload of %d bytes, not the %d-byte HeartbeatPayload: receivers drop it (rx-bad-length)",
            plen, HB_LEN))
    end
end

-- The HeartbeatPayload (ftnet_wire.h). Returns the text the Info column
-- gets after the sequence.
local function dissect_heartbeat(tvb, tree, off, plen, n, mtype)
    local ht = n > 0 and tree:add(f.hb, tvb(off, n)) or tree:add(f.hb)
    ht:append_text(mtype == 3 and " request" or " reply")
    check_heartbeat_length(ht, plen)
    if plen < HB_LEN or n < HB_LEN then
        if n > 0 then ht:add(f.payload, tvb(off, n)) end
        return ""
    end
    local boot = tvb(off, 4):uint()
    ht:add(f.hb_boot_id, tvb(off, 4))
    ht:add(f.hb_echo_boot_id, tvb(off + 4, 4)):append_text(mtype == 3 and " (the peer's, last heard)"
                                                           or " (the requester's)")
    ht:add(f.hb_tx_time, tvb(off + 8, 8))
    ht:add(f.hb_echo_seq, tvb(off + 16, 4)):append_text(mtype == 3 and " (the peer's newest request heard)"
                                                        or " (the request answered)")
    ht:add(f.hb_interval_ms, tvb(off + 20, 2))
    ht:add(f.hb_threshold, tvb(off + 22, 1))
    ht:add(f.hb_route_state, tvb(off + 23, 1))
    ht:add(f.hb_send_skew_us, tvb(off + 24, 4))
    ht:add(f.hb_seq, tvb(off + 28, 4)):append_text(mtype == 3 and " (the requester's per-route request sequence)"
                                                   or " (the replier's per-route reply count)")
    local state = tvb(off + 23, 1):uint()
    ht:append_text(string.format(": boot id 0x%08x, every %d ms x %d, route %s, send skew %d us", boot,
                                 tvb(off + 20, 2):uint(), tvb(off + 22, 1):uint(),
                                 route_states[state] or string.format("state %d", state), tvb(off + 24, 4):uint()))
    if n > HB_LEN then
        ht:add(f.payload, tvb(off + HB_LEN, n - HB_LEN)):append_text(" (after the HeartbeatPayload)")
    end
    if mtype == 4 then return string.format(" echo %d", tvb(off + 16, 4):uint()) end
    return string.format(" req %d", tvb(off + 28, 4):uint())
end

-- The length rule of link_notice_input(), which is all an encrypted notice
-- shows.
local function notice_length_ok(plen)
    local entries = (plen - NOTICE_HDR_LEN) / NOTICE_ENTRY_LEN
    return plen >= NOTICE_HDR_LEN and entries == math.floor(entries) and entries >= 1 and
           entries <= NOTICE_MAX_ENTRIES
end

-- The LINK_NOTICE payload (ftnet_wire.h LinkNoticeHeader, LinkNoticeEntry).
-- Returns the text the Info column gets.
local function dissect_notice(tvb, tree, off, plen, n)
    local nt = n > 0 and tree:add(f.notice, tvb(off, n)) or tree:add(f.notice)
    if plen < NOTICE_HDR_LEN or n < NOTICE_HDR_LEN then
        if plen < NOTICE_HDR_LEN then
            nt:add_proto_expert_info(ef_notice_bad, string.format(
                "link notice of %d bytes is shorter than its %d-byte header: receivers drop it (rx-notice-malformed)",
                plen, NOTICE_HDR_LEN))
        end
        if n > 0 then nt:add(f.payload, tvb(off, n)) end
        return ""
    end
    nt:add(f.notice_boot_id, tvb(off, 4))
    nt:add(f.notice_seq, tvb(off + 4, 4))
    local count = tvb(off + 8, 1):uint()
    local count_i = nt:add(f.notice_count, tvb(off + 8, 1))
    if count == 0 or count > NOTICE_MAX_ENTRIES or plen ~= NOTICE_HDR_LEN + count * NOTICE_ENTRY_LEN then
        count_i:add_proto_expert_info(ef_notice_bad, string.format(
            "%d entries in %d bytes (allowed 1..%d, %d bytes each): receivers drop it (rx-notice-malformed)", count, plen,
            NOTICE_MAX_ENTRIES, NOTICE_ENTRY_LEN))
    end
    local downs, ups = 0, 0
    for i = 0, count - 1 do
        local e = off + NOTICE_HDR_LEN + i * NOTICE_ENTRY_LEN
        if e + NOTICE_ENTRY_LEN > off + n then break end
        local fam = tvb(e, 1):uint()
        local et = nt:add(f.notice_entry, tvb(e, NOTICE_ENTRY_LEN))
        et:add(f.notice_family, tvb(e, 1))
        et:add(f.notice_state, tvb(e + 1, 1))
        et:add(f.notice_reason, tvb(e + 2, 1))
        if fam == 6 then
            et:add(f.notice_sender6, tvb(e + 4, 16))
            et:add(f.notice_receiver6, tvb(e + 20, 16))
        else
            et:add(f.notice_sender4, tvb(e + 4, 4))
            et:add(f.notice_receiver4, tvb(e + 20, 4))
        end
        if tvb(e + 1, 1):uint() == 0 then downs = downs + 1 else ups = ups + 1 end
        et:append_text(string.format(": %s %s", notice_families[fam] or string.format("family %d", fam),
                                     notice_states[tvb(e + 1, 1):uint()] or "?"))
    end
    return string.format(": %d down, %d up", downs, ups)
end

local function check_segment_length(item, plen)
    if plen < SEG_HDR_LEN then
        item:add_proto_expert_info(ef_session_bad, string.format(
            "session segment of %d bytes is shorter than the %d-byte SegHeader: receivers drop it " ..
            "(segs_malformed in ftnetctl session)", plen, SEG_HDR_LEN))
    end
end

-- The segments a SACK bitmap says arrived beyond `ack` (bit i: ack + 1 + i),
-- as ranges: "9-11, 14". hi, lo: the bitmap's two 32-bit halves.
local function sack_ranges(ack, hi, lo)
    local out, first, last = {}, nil, nil
    local function flush()
        if first == nil then return end
        local a, b = ack + (first + 1), ack + (last + 1)
        out[#out + 1] = first == last and tostring(a) or (tostring(a) .. "-" .. tostring(b))
        first = nil
    end
    for i = 0, 63 do
        local word, bit = i < 32 and lo or hi, i % 32
        if band(rshift(word, bit), 1) == 1 then
            if first ~= nil and last == i - 1 then last = i else flush(); first, last = i, i end
        end
    end
    flush()
    return table.concat(out, ", ")
end

-- ---------------------------------------------------------------- CBOR
-- The session modules encode their messages as CBOR (RFC 8949) with
-- nlohmann-json's to_cbor() and decode them with from_cbor(), which refuses
-- tags, simple values other than false, true and null, and bytes after the
-- top-level item. cbor_decode() reads one item, as far as the bytes go.

local CBOR_MAX_DEPTH = 64
local TWO53 = 9007199254740992

-- A UInt64 from a number below 2^53 or a UInt64.
local function u64(n)
    if type(n) == "number" then return UInt64.new(n) end
    return n
end

local function num_text(n)
    if type(n) == "number" then return string.format("%.0f", n) end
    return tostring(n)
end

-- IEEE 754 half precision.
local function half_float(h)
    local sign = h >= 0x8000 and -1 or 1
    local e, m = math.floor(h / 1024) % 32, h % 1024
    if e == 0 then return sign * m * 2 ^ -24 end
    if e == 31 then return m == 0 and sign * math.huge or 0 / 0 end
    return sign * (1 + m / 1024) * 2 ^ (e - 15)
end

-- Decodes the CBOR item at tvb offset `base`, the message's bytes ending at
-- `lim` (exclusive). Returns the item and, when it could not be read whole,
-- an error { kind = "truncated" | "malformed" | "limit", msg = ... }. An item
-- is { k = "uint" | "nint" | "bytes" | "text" | "array" | "map" | "bool" |
-- "null" | "float", off, len, n (uint, nint: the argument, a number below
-- 2^53 or a UInt64), s (text), v (bool, float), items (array), keys and vals
-- (map), partial (cut by the end of the bytes) }.
local function cbor_decode(tvb, base, lim)
    local function err(kind, pos, msg)
        return { kind = kind, msg = msg and string.format("%s at byte %d of the message", msg, pos - base) }
    end
    local item
    -- The argument of the item head at pos (ai: its additional info).
    local function argument(pos, ai)
        if ai < 24 then return ai, pos + 1 end
        local size = ({ [24] = 1, [25] = 2, [26] = 4, [27] = 8 })[ai]
        if not size then return nil, nil, err("malformed", pos, string.format("reserved additional information %d", ai)) end
        if pos + 1 + size > lim then return nil, nil, err("truncated", pos) end
        if size < 8 then return tvb(pos + 1, size):uint(), pos + 1 + size end
        local v = tvb(pos + 1, 8):uint64()
        if v:higher() < 0x200000 then v = v:higher() * 4294967296 + v:lower() end
        return v, pos + 9
    end
    -- A definite length as a number, or nil when it cannot fit the message.
    local function length(n) return type(n) == "number" and n or nil end

    item = function(pos, depth)
        if pos >= lim then return nil, err("truncated", pos) end
        if depth > CBOR_MAX_DEPTH then
            return nil, err("limit", pos, string.format("nested deeper than %d levels: not decoded further", CBOR_MAX_DEPTH))
        end
        local ib = tvb(pos, 1):uint()
        local major, ai = rshift(ib, 5), band(ib, 0x1f)
        local it = { off = pos, len = 1 }
        local function cut(e)
            it.partial = true
            it.len = lim - pos
            return it, e
        end
        if major == 7 then
            if ai == 20 or ai == 21 then it.k, it.v = "bool", ai == 21; return it end
            if ai == 22 then it.k = "null"; return it end
            if ai >= 25 and ai <= 27 then
                local size = ({ [25] = 2, [26] = 4, [27] = 8 })[ai]
                it.k = "float"
                if pos + 1 + size > lim then return cut(err("truncated", pos)) end
                it.v = size == 2 and half_float(tvb(pos + 1, 2):uint()) or tvb(pos + 1, size):float()
                it.len = 1 + size
                return it
            end
            if ai == 31 then return nil, err("malformed", pos, "a \"break\" outside an indefinite-length item") end
            return nil, err("malformed", pos, string.format("simple value %d (the receivers' decoder refuses it)", ai))
        end
        if major == 6 then
            return nil, err("malformed", pos, "a tag (the receivers' decoder refuses tags)")
        end
        if ai == 31 then
            -- Indefinite length: chunks or items up to a "break" (0xff).
            if major == 0 or major == 1 then
                return nil, err("malformed", pos, "an integer with indefinite length")
            end
            local p = pos + 1
            if major == 2 or major == 3 then
                it.k = major == 2 and "bytes" or "text"
                local parts = {}
                while true do
                    if p >= lim then return cut(err("truncated", p)) end
                    if tvb(p, 1):uint() == 0xff then p = p + 1; break end
                    local c, e = item(p, depth + 1)
                    if c and c.k ~= it.k then
                        return nil, err("malformed", p, "a chunk of another type in an indefinite-length string")
                    end
                    if e then
                        if c and c.partial then parts[#parts + 1] = c.s or "" end
                        it.s = table.concat(parts)
                        return cut(e)
                    end
                    parts[#parts + 1] = c.s or ""
                    p = c.off + c.len
                end
                it.s = table.concat(parts)
                it.len = p - pos
                return it
            end
            it.k = major == 4 and "array" or "map"
            it.items, it.keys, it.vals = {}, {}, {}
            while true do
                if p >= lim then return cut(err("truncated", p)) end
                if tvb(p, 1):uint() == 0xff then p = p + 1; break end
                local c, e = item(p, depth + 1)
                if major == 4 then
                    if c then it.items[#it.items + 1] = c end
                    if e then return cut(e) end
                    p = c.off + c.len
                else
                    if e then return cut(e) end
                    if c.k ~= "text" then return cut(err("malformed", c.off, "a map key that is not text")) end
                    local v, e2 = item(c.off + c.len, depth + 1)
                    it.keys[#it.keys + 1], it.vals[#it.vals + 1] = c, v
                    if e2 then return cut(e2) end
                    p = v.off + v.len
                end
            end
            it.len = p - pos
            return it
        end
        local n, p, e = argument(pos, ai)
        if e then
            if e.kind == "truncated" then
                it.k = ({ [0] = "uint", [1] = "nint", [2] = "bytes", [3] = "text", [4] = "array", [5] = "map" })[major]
                it.items, it.keys, it.vals, it.s = {}, {}, {}, ""
                return cut(e)
            end
            return nil, e
        end
        if major == 0 or major == 1 then
            it.k, it.n, it.len = major == 0 and "uint" or "nint", n, p - pos
            return it
        end
        if major == 2 or major == 3 then
            it.k = major == 2 and "bytes" or "text"
            local len = length(n)
            if not len or p + len > lim then
                it.s = p < lim and tvb(p, lim - p):raw() or ""
                return cut(err("truncated", p))
            end
            it.s = len > 0 and tvb(p, len):raw() or ""
            it.len = p + len - pos
            return it
        end
        -- An array or a map of n items (pairs).
        it.k = major == 4 and "array" or "map"
        it.items, it.keys, it.vals = {}, {}, {}
        local count = length(n)
        if not count then return cut(err("truncated", p)) end
        for _ = 1, count do
            local c, e1 = item(p, depth + 1)
            if major == 4 then
                if c then it.items[#it.items + 1] = c end
                if e1 then return cut(e1) end
                p = c.off + c.len
            else
                if e1 then return cut(e1) end
                if c.k ~= "text" then return cut(err("malformed", c.off, "a map key that is not text")) end
                local v, e2 = item(c.off + c.len, depth + 1)
                it.keys[#it.keys + 1], it.vals[#it.vals + 1] = c, v
                if e2 then return cut(e2) end
                p = v.off + v.len
            end
        end
        it.len = p - pos
        return it
    end
    return item(base, 0)
end

-- A string as nlohmann-json's dump() writes it.
local json_escapes = { ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f', ['\n'] = '\\n',
                       ['\r'] = '\\r', ['\t'] = '\\t' }
local function json_string(s)
    return '"' .. s:gsub('[\0-\31"\\]', function(c)
        return json_escapes[c] or string.format("\\u%04x", c:byte())
    end) .. '"'
end

-- An item as JSON text, in the form nlohmann-json's dump() gives the value
-- from_cbor() makes of it (keys in the order the message has them, which is
-- dump()'s: to_cbor() writes them sorted). A partial item ends in "...".
local function json_text(it)
    if it == nil then return "..." end
    local k = it.k
    local out
    if k == "uint" then
        out = num_text(it.n)
    elseif k == "nint" then
        out = type(it.n) == "number" and string.format("%.0f", -1 - it.n) or ("-" .. tostring(it.n + 1))
    elseif k == "text" then
        if it.partial then return '"' .. it.s:gsub('[\0-\31"\\]', function(c)
            return json_escapes[c] or string.format("\\u%04x", c:byte()) end) .. "..." end
        out = json_string(it.s)
    elseif k == "bytes" then
        local b = {}
        for i = 1, #it.s do b[i] = tostring(it.s:byte(i)) end
        if it.partial then return '{"bytes":[' .. table.concat(b, ",") .. ",..." end
        out = '{"bytes":[' .. table.concat(b, ",") .. '],"subtype":null}'
    elseif k == "bool" then
        out = it.v and "true" or "false"
    elseif k == "null" then
        out = "null"
    elseif k == "float" then
        if it.partial then return "..." end
        local v = it.v
        if v ~= v then out = "null"
        elseif v == math.huge or v == -math.huge then out = "null"
        elseif v == math.floor(v) and math.abs(v) < 1e15 then out = string.format("%.1f", v)
        else out = string.format("%.17g", v) end
    elseif k == "array" then
        local parts = {}
        for i, c in ipairs(it.items) do parts[i] = json_text(c) end
        if it.partial then
            local last = it.items[#it.items]
            if not (last and last.partial) then parts[#parts + 1] = "..." end
            return "[" .. table.concat(parts, ",")
        end
        out = "[" .. table.concat(parts, ",") .. "]"
    elseif k == "map" then
        local parts = {}
        for i, key in ipairs(it.keys) do
            local v = it.vals[i]
            parts[i] = json_text(key) .. ":" .. (v and json_text(v) or "...")
        end
        if it.partial then
            local lk, lv = it.keys[#it.keys], it.vals[#it.keys]
            if #it.keys == 0 or (lv and not lv.partial and not lk.partial) then parts[#parts + 1] = "..." end
            return "{" .. table.concat(parts, ",")
        end
        out = "{" .. table.concat(parts, ",") .. "}"
    else
        return "..."
    end
    if it.partial then return "..." end
    return out
end

-- The value of a map's text key (the last one: from_cbor() keeps the last
-- of duplicate keys), nil when absent or not read whole.
local function map_get(m, key)
    if not m or m.k ~= "map" then return nil end
    local found
    for i, k in ipairs(m.keys) do
        if k.k == "text" and not k.partial and k.s == key and m.vals[i] then found = m.vals[i] end
    end
    return found
end

local function whole(it, kind) return it ~= nil and not it.partial and (kind == nil or it.k == kind) end
local function is_number(it) return whole(it) and (it.k == "uint" or it.k == "nint" or it.k == "float") end
-- An unsigned integer item's value as a Lua number when it is at most max.
local function small_uint(it, max)
    if not whole(it, "uint") or type(it.n) ~= "number" or it.n > max then return nil end
    return it.n
end
local function range_of(tvb, it) return tvb(it.off, it.len) end

-- membership::epoch_round() and its parts, from a UInt64.
local function epoch_parts(e)
    e = u64(e)
    local lo = e:lower()
    return e:higher(), math.floor(lo / 65536), lo % 65536
end
local function epoch_text(e)
    local round, inc, coord = epoch_parts(e)
    return string.format("round %d of node %d (inc %d)", round, coord, inc)
end
-- The same, after an epoch field in the tree.
local function epoch_note(e)
    local round, inc, coord = epoch_parts(e)
    return string.format(" (round %d of node %d, incarnation %d)", round, coord, inc)
end

-- Adds an unsigned integer field when the item is one that fits it (max),
-- else nothing. Returns the value (a number, or a UInt64 for 64-bit fields).
local function add_uint(tree, tvb, field, it, max)
    if max == nil then
        if not whole(it, "uint") then return nil end
        tree:add(field, range_of(tvb, it), u64(it.n))
        return it.n
    end
    local v = small_uint(it, max)
    if v then tree:add(field, range_of(tvb, it), v) end
    return v
end

local function add_text(tree, tvb, field, it)
    if not whole(it, "text") then return nil end
    tree:add(field, range_of(tvb, it), it.s)
    return it.s
end

-- The checks of membership::decode() and Regroup::on_message() before a
-- message is acted on; returns the first one that fails.
local function membership_refusal(m, ctx)
    if m.k ~= "map" then return "not a CBOR map" end
    local k, e = map_get(m, "k"), map_get(m, "e")
    if not k then return "no \"k\" (kind)" end
    if not e then return "no \"e\" (epoch)" end
    if not is_number(k) then return "\"k\" is not a number" end
    local kind = small_uint(k, 255)
    if not kind or kind < 1 or kind > 5 then return string.format("kind %s is not 1..5", json_text(k)) end
    if not is_number(e) then return "\"e\" is not a number" end
    local members = map_get(m, "m")
    local list = {}
    if members then
        if not whole(members, "array") then return "\"m\" is not an array" end
        for i, c in ipairs(members.items) do
            if not is_number(c) then return "\"m\" holds something else than numbers" end
            list[i] = small_uint(c, 65535)
            if list[i] and i > 1 and list[i - 1] and list[i] <= list[i - 1] then
                return "the members are not in ascending order without repeats"
            end
        end
    end
    local d = map_get(m, "d")
    if d then
        if not whole(d, "map") then return "\"d\" is not a map" end
        for _, v in ipairs(d.vals) do
            if not is_number(v) then return "\"d\" holds something else than numbers" end
        end
    end
    local h, r = map_get(m, "h"), map_get(m, "r")
    if h and not is_number(h) then return "\"h\" is not a number" end
    if r and not whole(r, "text") then return "\"r\" is not text" end
    if (kind == 1 or kind == 4) and #list == 0 then
        return string.format("a %s without members", regroup_kinds[kind])
    end
    if ctx.src == ctx.dst then return "from the receiver itself" end
    if kind == 1 and whole(e, "uint") then
        local _, _, coord = epoch_parts(e.n)
        if coord ~= ctx.src then
            return string.format("a Prepare of a round coordinated by node %d, sent by node %d", coord, ctx.src)
        end
        local found = false
        for _, v in ipairs(list) do if v == ctx.dst then found = true end end
        if not found then return string.format("a Prepare whose members leave out its receiver, node %d", ctx.dst) end
    end
    return nil
end

-- A Membership message (regroup.h RegroupMsg). Returns the Info text.
local function dissect_membership(tvb, bt, m, is_whole, ctx)
    local k = map_get(m, "k")
    local kind = add_uint(bt, tvb, f.mship_kind, k, 255)
    local e = map_get(m, "e")
    -- (No kind: it is not in this first part of the message.)
    local text = kind and (regroup_kinds[kind] or string.format("kind %d", kind)) or ""
    if whole(e, "uint") then
        local ei = bt:add(f.mship_epoch, range_of(tvb, e), u64(e.n))
        local round, inc, coord = epoch_parts(e.n)
        ei:add(f.mship_epoch_round, range_of(tvb, e), round):set_generated()
        ei:add(f.mship_epoch_inc, range_of(tvb, e), inc):set_generated()
        ei:add(f.mship_epoch_coord, range_of(tvb, e), coord):set_generated()
        ei:append_text(epoch_note(e.n))
        text = text .. " " .. epoch_text(e.n)
    end
    local members = map_get(m, "m")
    if members and members.k == "array" then
        local list = {}
        for _, c in ipairs(members.items) do
            local v = add_uint(bt, tvb, f.mship_member, c, 65535)
            if v then list[#list + 1] = tostring(v) end
        end
        text = text .. ", members " .. table.concat(list, ",") .. (members.partial and ",..." or "")
    end
    local d = map_get(m, "d")
    if d and d.k == "map" then
        local dt = bt:add(f.mship_digest, range_of(tvb, d))
        for i, key in ipairs(d.keys) do
            local v = d.vals[i]
            if whole(key, "text") then
                local si = dt:add(f.mship_digest_section, range_of(tvb, key), key.s)
                if whole(v, "uint") then si:add(f.mship_digest_hash, range_of(tvb, v), u64(v.n)) end
            end
        end
        dt:append_text(string.format(" (%d section%s)", #d.keys, #d.keys == 1 and "" or "s"))
    end
    local h = map_get(m, "h")
    if whole(h, "uint") then
        bt:add(f.mship_highest, range_of(tvb, h), u64(h.n)):append_text(epoch_note(h.n))
        text = text .. ", highest promised " .. epoch_text(h.n)
    end
    local r = add_text(bt, tvb, f.mship_reason, map_get(m, "r"))
    if r then text = text .. ", reason \"" .. r .. "\"" end
    if is_whole then
        local why = membership_refusal(m, ctx)
        if why then
            bt:add_proto_expert_info(ef_body_bad, "Membership message: " .. why ..
                                     ": receivers drop it (malformed in ftnetctl membership)")
        end
    end
    return (text:gsub("^[ ,]+", ""))
end

-- The checks of resources::decode(); returns the first one that fails.
local function resources_refusal(m)
    if m.k ~= "map" then return "not a CBOR map" end
    local k = map_get(m, "k")
    if not k then return "no \"k\" (kind)" end
    if not is_number(k) then return "\"k\" is not a number" end
    local kind = small_uint(k, 255)
    local function need(key, what)
        local v = map_get(m, key)
        if not v then return nil, string.format("no \"%s\" (%s)", key, what) end
        return v
    end
    local function strings_in(it, key)
        if not whole(it, "array") then return string.format("\"%s\" is not an array", key) end
        for _, c in ipairs(it.items) do
            if not whole(c, "text") then return string.format("\"%s\" holds something else than text", key) end
        end
    end
    if kind == 1 or kind == 2 then
        local e, why = need("e", "epoch"); if why then return why end
        if not is_number(e) then return "\"e\" is not a number" end
        local q; q, why = need("q", "revision"); if why then return why end
        if not is_number(q) then return "\"q\" is not a number" end
        if kind == 1 then
            local h; h, why = need("h", "groups held"); if why then return why end
            why = strings_in(h, "h"); if why then return why end
        else
            local g; g, why = need("g", "groups"); if why then return why end
            if not whole(g, "map") then return "\"g\" is not a map" end
            for i, r in ipairs(g.vals) do
                if not whole(r, "array") or #r.items ~= 3 then
                    return string.format("group %s is not [owner, moving_to, admin_online]", json_text(g.keys[i]))
                end
                if not is_number(r.items[1]) or not is_number(r.items[2]) or not whole(r.items[3], "bool") then
                    return string.format("group %s is not [owner, moving_to, admin_online]", json_text(g.keys[i]))
                end
            end
            local set; set, why = need("set", "settings"); if why then return why end
            if not whole(set, "map") then return "\"set\" is not a map" end
            for _, v in ipairs(set.vals) do
                if not whole(v, "text") then return "\"set\" holds something else than text" end
            end
        end
        local s; s, why = need("s", "status"); if why then return why end
        if not whole(s, "map") then return "\"s\" is not a map" end
        return nil
    elseif kind == 3 then
        local op, why = need("op", "operation"); if why then return why end
        if not is_number(op) then return "\"op\" is not a number" end
        local o = small_uint(op, 255)
        if not o or o < 1 or o > 4 then return string.format("operation %s is not 1..4", json_text(op)) end
        local n; n, why = need("n", "name"); if why then return why end
        if not whole(n, "text") then return "\"n\" is not text" end
        local to; to, why = need("to", "target node"); if why then return why end
        if not is_number(to) then return "\"to\" is not a number" end
        local v; v, why = need("v", "value"); if why then return why end
        if not whole(v, "text") then return "\"v\" is not text" end
        return nil
    end
    return string.format("kind %s is not 1..3", json_text(k))
end

-- A Resources message (resources_wire.h Msg). Returns the Info text.
local function dissect_resources(tvb, bt, m, is_whole)
    local kind = add_uint(bt, tvb, f.res_kind, map_get(m, "k"), 255)
    local text = kind and (resources_kinds[kind] or string.format("kind %d", kind)) or ""
    local e = map_get(m, "e")
    if add_uint(bt, tvb, f.res_epoch, e) then text = text .. " view " .. epoch_text(e.n) end
    local q = add_uint(bt, tvb, f.res_seq, map_get(m, "q"))
    if q then text = text .. " rev " .. num_text(q) end
    local h = map_get(m, "h")
    if h and h.k == "array" then
        local held = {}
        for _, c in ipairs(h.items) do
            local s = add_text(bt, tvb, f.res_held, c)
            if s then held[#held + 1] = s end
        end
        text = text .. ", holds " .. (#held > 0 and table.concat(held, ",") or "nothing") .. (h.partial and ",..." or "")
    end
    local g = map_get(m, "g")
    if g and g.k == "map" then
        local owners = {}
        for i, key in ipairs(g.keys) do
            local r = g.vals[i]
            if whole(key, "text") then
                local gi = bt:add(f.res_group, range_of(tvb, key), key.s)
                if r and r.k == "array" then
                    local owner = add_uint(gi, tvb, f.res_group_owner, r.items[1], 65535)
                    local moving = add_uint(gi, tvb, f.res_group_moving, r.items[2], 65535)
                    local online = r.items[3]
                    if whole(online, "bool") then gi:add(f.res_group_online, range_of(tvb, online), online.v) end
                    if owner then
                        local o = string.format("%s on %d", key.s, owner)
                        if moving and moving ~= 0 then o = o .. string.format(" moving to %d", moving) end
                        if whole(online, "bool") and not online.v then o = o .. " (offline)" end
                        owners[#owners + 1] = o
                        gi:append_text(": owner " .. owner .. (moving and moving ~= 0 and (", moving to " .. moving) or ""))
                    end
                end
            end
        end
        text = text .. ", groups " .. table.concat(owners, ", ") .. (g.partial and ",..." or "")
    end
    local set = map_get(m, "set")
    if set and set.k == "map" then
        for i, key in ipairs(set.keys) do
            if whole(key, "text") then
                local si = bt:add(f.res_setting, range_of(tvb, key), key.s)
                add_text(si, tvb, f.res_setting_value, set.vals[i])
            end
        end
    end
    local s = map_get(m, "s")
    if s then bt:add(f.res_status, range_of(tvb, s), json_text(s)) end
    local op = add_uint(bt, tvb, f.res_op, map_get(m, "op"), 255)
    local name = add_text(bt, tvb, f.res_name, map_get(m, "n"))
    local to = add_uint(bt, tvb, f.res_to, map_get(m, "to"), 65535)
    local value = add_text(bt, tvb, f.res_value, map_get(m, "v"))
    if op then
        text = text .. " " .. (resources_ops[op] or string.format("op %d", op))
        if name then text = text .. " " .. name end
        if op == 1 and to then text = text .. " to node " .. to end
        if op == 4 and value then text = text .. " = " .. value end
    end
    if is_whole then
        local why = resources_refusal(m)
        if why then
            bt:add_proto_expert_info(ef_body_bad, "Resources message: " .. why ..
                                     ": receivers drop it (\"malformed resources message\" in their log)")
        end
    end
    return (text:gsub("^[ ,]+", ""))
end

-- A PortLeases message (dhcp_module.cpp tell_leases(), on_leases()).
-- Returns the Info text.
local function dissect_leases(tvb, bt, m, is_whole)
    local leases = map_get(m, "leases")
    local parts = {}
    local why
    if leases and leases.k == "array" then
        for _, e in ipairs(leases.items) do
            local et = bt:add(f.lease, range_of(tvb, e))
            local net = add_text(et, tvb, f.lease_network, map_get(e, "n"))
            local addr = add_text(et, tvb, f.lease_address, map_get(e, "a"))
            if addr == "" then et:append_text(": " .. (net or "?") .. ", nothing leased") end
            if net and addr and addr ~= "" then et:append_text(": " .. net .. " " .. addr) end
            if net and addr then
                parts[#parts + 1] = net .. " " .. (addr ~= "" and addr or "none")
            elseif not e.partial and not why then
                why = "an entry without text \"n\" (network) and \"a\" (address)"
            end
        end
    end
    if is_whole and not why then
        if m.k ~= "map" then why = "not a CBOR map"
        elseif not leases then why = "no \"leases\""
        elseif not whole(leases, "array") then why = "\"leases\" is not an array" end
    end
    if is_whole and why then
        bt:add_proto_expert_info(ef_body_bad, "PortLeases message: " .. why ..
                                 ": receivers ignore it from there on (\"malformed lease message\" in their log)")
    end
    return "leases " .. (#parts > 0 and table.concat(parts, ", ") or "none") .. ((leases and leases.partial) and ", ..." or "")
end

local body_dissectors = {
    [2] = dissect_membership,
    [3] = dissect_resources,
    [4] = dissect_leases,
}

-- The body of a Membership, Resources or PortLeases message: the data of the
-- first segment of a message of msg_len bytes, data_n of them captured here
-- at off; is_whole: they are the whole message. Returns the Info text.
local function dissect_body(tvb, st, off, data_n, msg_type, msg_len, is_whole, ctx)
    local name = session_types[msg_type]
    if data_n == 0 then
        local bi = st:add(f.session_body, "")
        if is_whole then
            bi:add_proto_expert_info(ef_body_bad, string.format(
                "%s message: empty, not a CBOR item: receivers drop it", name))
        end
        return ""
    end
    local lim = off + data_n
    local m, e = cbor_decode(tvb, off, lim)
    local bt = st:add(f.session_body, tvb(off, data_n), m and json_text(m) or "...")
    if not is_whole then
        -- (Not appended to the label, which long JSON text fills.)
        bt:add(tvb(off, data_n), string.format("Only the start of the message: the first %d of its %d bytes",
                                               data_n, msg_len))
    end
    if e and e.kind ~= "truncated" then
        if e.kind == "limit" then
            bt:add_proto_expert_info(ef_body_limit, e.msg)
        else
            bt:add_proto_expert_info(ef_body_bad, string.format(
                "%s message: not decodable CBOR: %s: receivers drop it", name, e.msg))
        end
        is_whole = false  -- the field checks mean nothing now
    elseif e and is_whole then
        bt:add_proto_expert_info(ef_body_bad, string.format(
            "%s message: its CBOR item ends after the message's %d bytes: receivers drop it", name, msg_len))
        is_whole = false
    elseif m and not e and m.len < msg_len then
        bt:add_proto_expert_info(ef_body_bad, string.format(
            "%s message: %d bytes after its CBOR item: receivers drop it", name, msg_len - m.len))
        is_whole = false
    end
    if not m then return "" end
    return body_dissectors[msg_type](tvb, bt, m, is_whole, ctx)
end

-- A reliable-session segment (engine/session/session_wire.h SegHeader and
-- the segment's data), checked as ReliableSession::on_segment() checks it
-- as far as the segment alone tells (the receiver's own incarnation and
-- stream position are not in the packet). ctx: the header's src and dst
-- nodes. Returns the text the Info column gets.
local function dissect_session(tvb, tree, off, plen, n, ctx)
    local st = n > 0 and tree:add(f.session, tvb(off, n)) or tree:add(f.session)
    check_segment_length(st, plen)
    if plen < SEG_HDR_LEN or n < SEG_HDR_LEN then
        if n > 0 then st:add(f.payload, tvb(off, n)) end
        return ""
    end
    local kind = tvb(off, 1):uint()
    local msg_type = tvb(off + 2, 2):uint()
    local sender, receiver = tvb(off + 4, 2):uint(), tvb(off + 6, 2):uint()
    local seq_hi, seq_lo = tvb(off + 8, 4):uint(), tvb(off + 12, 4):uint()
    local seq, ack = tvb(off + 8, 8):uint64(), tvb(off + 16, 8):uint64()
    local sack_hi, sack_lo = tvb(off + 24, 4):uint(), tvb(off + 28, 4):uint()
    local window = tvb(off + 32, 2):uint()
    local frag, frags = tvb(off + 34, 2):uint(), tvb(off + 36, 2):uint()
    local msg_len = tvb(off + 40, 4):uint()
    local data_len = plen - SEG_HDR_LEN
    local is_data = kind == 1

    local kind_i = st:add(f.session_kind, tvb(off, 1))
    st:add(f.session_flags, tvb(off + 1, 1))
    local type_i = st:add(f.session_msg_type, tvb(off + 2, 2))
    local sender_i = st:add(f.session_sender_inc, tvb(off + 4, 2))
    local receiver_i = st:add(f.session_receiver_inc, tvb(off + 6, 2))
    if receiver == 0 then receiver_i:append_text(" (not known yet)") end
    local seq_i = st:add(f.session_seq, tvb(off + 8, 8))
    st:add(f.session_ack, tvb(off + 16, 8))
    local sack_i = st:add(f.session_sack, tvb(off + 24, 8))
    if sack_hi ~= 0 or sack_lo ~= 0 then
        sack_i:append_text(" (also arrived: " .. sack_ranges(ack, sack_hi, sack_lo) .. ")")
    end
    local window_i = st:add(f.session_window, tvb(off + 32, 2))
    local frag_i = st:add(f.session_frag, tvb(off + 34, 2))
    local frags_i = st:add(f.session_frags, tvb(off + 36, 2))
    st:add(f.session_reserved, tvb(off + 38, 2))
    local len_i = st:add(f.session_msg_len, tvb(off + 40, 4))
    if not is_data then
        -- Only a Data segment's seq and message fields mean anything.
        type_i:append_text(" (unused)")
        seq_i:append_text(" (unused)")
    end
    local data_n = n - SEG_HDR_LEN
    if data_n > 0 then
        if is_data then
            st:add(f.session_data, tvb(off + SEG_HDR_LEN, data_n))
        else
            st:add(f.payload, tvb(off + SEG_HDR_LEN, data_n))
                :append_text(string.format(" (after the SegHeader of a%s: ignored by receivers)",
                                           kind == 2 and "n Ack" or (" " .. (seg_kinds[kind] or "segment"))))
        end
    end
    -- A Probe message's number: the first 8 bytes of its first fragment,
    -- in the sender's memory order (little-endian: x86).
    if is_data and msg_type == 1 and frag == 0 and data_n >= PROBE_HEADER_LEN then
        st:add_le(f.session_probe_number, tvb(off + SEG_HDR_LEN, PROBE_HEADER_LEN))
    end
    -- The CBOR body of a message, from its first segment: whole when this
    -- segment is all of it (and the capture holds all of it).
    local body_text = ""
    if is_data and body_dissectors[msg_type] and frag == 0 and frags >= 1 and data_len <= msg_len and
       msg_len <= SEG_MAX_MESSAGE then
        local is_whole = frags == 1 and data_len == msg_len and data_n == data_len
        body_text = dissect_body(tvb, st, off + SEG_HDR_LEN, math.max(data_n, 0), msg_type, msg_len, is_whole, ctx)
    end

    -- The checks of on_segment(), in its order; the first one that fails
    -- is where the receiver stops.
    local function malformed(item, what)
        item:add_proto_expert_info(ef_session_bad, what .. ": receivers drop it (segs_malformed in ftnetctl session)")
    end
    if kind == 0 or kind > 3 then
        malformed(kind_i, string.format("unknown segment kind %d", kind))
    elseif sender == 0 then
        malformed(sender_i, "sender's incarnation 0")
    elseif receiver == 0 and is_data then
        receiver_i:add_proto_expert_info(ef_session_stale,
            "Data segment to receiver's incarnation 0 (not known yet): receivers drop it (segs_stale in " ..
            "ftnetctl session) and answer with an Ack")
    elseif receiver ~= 0 then
        if window == 0 then
            malformed(window_i, "window 0")
        elseif is_data then
            if seq_hi == 0 and seq_lo == 0 then
                malformed(seq_i, "Data segment with seq 0")
            elseif frags == 0 then
                malformed(frags_i, "Data segment of a message of 0 fragments")
            elseif frag >= frags then
                malformed(frag_i, string.format("fragment %d of a message of %d", frag, frags))
            elseif msg_len > SEG_MAX_MESSAGE then
                malformed(len_i, string.format("message of %d bytes, above the %d-byte limit", msg_len, SEG_MAX_MESSAGE))
            elseif data_len > msg_len then
                malformed(len_i, string.format("%d data bytes in a segment of a %d-byte message", data_len, msg_len))
            end
        end
    end

    local kind_name = seg_kinds[kind] or string.format("kind %d", kind)
    local text = string.format("%s ", kind_name)
    if is_data then text = text .. "seq " .. tostring(seq) .. " " end
    text = text .. "ack " .. tostring(ack)
    if sack_hi ~= 0 then
        text = text .. string.format(" sack 0x%x%08x", sack_hi, sack_lo)
    elseif sack_lo ~= 0 then
        text = text .. string.format(" sack 0x%x", sack_lo)
    end
    text = text .. string.format(" win %d inc %d->%d", window, sender, receiver)
    if is_data then
        text = text .. string.format(", %s message of %d bytes, frag %d of %d",
                                     session_types[msg_type] or string.format("type %d", msg_type), msg_len, frag, frags)
        if body_text ~= "" then text = text .. ": " .. body_text end
    end
    st:append_text(": " .. text)
    return ": " .. text
end

-- ---------------------------------------------------------------- PMTU

-- The length rule of PmtuModule::on_probe() and on_reply(), which is all an
-- encrypted probe or reply shows.
local function check_pmtu_length(item, plen, mtype)
    if plen < PMTU_LEN then
        item:add_proto_expert_info(ef_pmtu_bad, string.format(
            "%s payload of %d bytes is shorter than the %d-byte PmtuProbePayload: receivers ignore it",
            mtype == 7 and "PMTU-PROBE" or "PMTU-REPLY", plen, PMTU_LEN))
    end
end

-- PMTU-PROBE and PMTU-REPLY (ftnet_wire.h PmtuProbePayload; pmtu_module.cpp
-- sends and answers them). ip_len: this packet's IP length, nil when it
-- cannot be told. Returns the Info text.
local function dissect_pmtu(tvb, tree, off, plen, n, mtype, ip_len)
    local pt = n > 0 and tree:add(f.pmtu, tvb(off, n)) or tree:add(f.pmtu)
    pt:append_text(mtype == 7 and " probe" or " reply")
    check_pmtu_length(pt, plen, mtype)
    if plen < PMTU_LEN or n < PMTU_LEN then
        if n > 0 then pt:add(f.payload, tvb(off, n)) end
        return ""
    end
    local probe_id, size = tvb(off + 4, 4):uint(), tvb(off + 8, 2):uint()
    pt:add(f.pmtu_boot_id, tvb(off, 4)):append_text(mtype == 7 and "" or " (echoed)")
    pt:add(f.pmtu_probe_id, tvb(off + 4, 4)):append_text(mtype == 7 and "" or " (echoed)")
    local size_i = pt:add(f.pmtu_size, tvb(off + 8, 2))
    if mtype == 8 then size_i:append_text(" (echoed: proved to pass)") end
    pt:add(f.pmtu_reserved, tvb(off + 10, 2))
    if mtype == 7 then
        if ip_len then
            pt:add(f.pmtu_packet_len, ip_len):set_generated()
            if ip_len ~= size then
                size_i:add_proto_expert_info(ef_pmtu_size, string.format(
                    "probe for size %d in an IP packet of %d bytes: its reply would prove a size this probe did not test",
                    size, ip_len))
            end
        end
        local pad = plen - PMTU_LEN
        pt:add(f.pmtu_padding_len, pad):set_generated()
        if n > PMTU_LEN then pt:add(f.pmtu_padding, tvb(off + PMTU_LEN, n - PMTU_LEN)) end
    elseif n > PMTU_LEN then
        pt:add(f.payload, tvb(off + PMTU_LEN, n - PMTU_LEN))
            :append_text(" (after the PmtuProbePayload: ignored by receivers)")
    end
    pt:append_text(string.format(": probe %d, size %d", probe_id, size))
    return string.format(" probe %d size %d", probe_id, size)
end

-- ---------------------------------------------------------------- fragments

-- Reassembly of the capture's DATA-FRAGMENTs, as reassemble()
-- (engine/tunnel/datapath/reassembly.cpp) does it: by sender, sequence
-- space and frame id; the fragments that complete a frame give it to the
-- Ethernet dissector. Filled on the first pass over the capture;
-- frag_state keeps what each packet showed for later passes.
local frag_sets, frag_state = {}, {}

function ftnet.init()
    frag_sets, frag_state = {}, {}
end

-- Adds a fragment (first pass). Returns what this packet shows: { set,
-- complete (the frame, a ByteArray), dup_of, conflict, holes }.
local function frag_add(number, key, count, frame_len, index, offset, piece)
    local set = frag_sets[key]
    if set and (set.count ~= count or set.frame_len ~= frame_len) then
        -- Fragments that disagree on their frame: neither can rebuild it.
        frag_sets[key] = nil
        return { conflict = set.first }
    end
    if not set then
        set = { count = count, frame_len = frame_len, pieces = {}, order = {}, have = 0, bytes = 0, first = number }
        frag_sets[key] = set
    end
    if set.pieces[index] then return { dup_of = set.pieces[index].number, set = set } end
    set.pieces[index] = { number = number, offset = offset, data = piece }
    set.order[#set.order + 1] = index
    set.have = set.have + 1
    set.bytes = set.bytes + #piece
    local st = { set = set }
    if set.have == count then
        frag_sets[key] = nil
        if set.bytes ~= frame_len then
            st.holes = true
            return st
        end
        -- The pieces in arrival order, each copied to its offset.
        local frame = string.rep("\0", frame_len)
        for _, i in ipairs(set.order) do
            local p = set.pieces[i]
            frame = frame:sub(1, p.offset) .. p.data .. frame:sub(p.offset + #p.data + 1)
        end
        st.complete = ByteArray.new(frame, true)
        set.done_in = number
    end
    return st
end

-- The checks of reassemble() that one fragment shows, in its order.
-- Returns the field to flag, the expert and its text, or nil.
local function check_fragment_header(plen, count, index, reserved, frame_len, offset)
    local piece = plen - FRAG_HDR_LEN
    if count < 2 or count > FRAG_MAX then
        return "count", ef_frag_bad, string.format("%d fragments (2..%d)", count, FRAG_MAX)
    elseif index >= count then
        return "index", ef_frag_bad, string.format("fragment index %d of %d", index, count)
    elseif reserved ~= 0 then
        return "reserved", ef_frag_bad, string.format("reserved 0x%04x is not 0", reserved)
    elseif frame_len < ETH_HDR_LEN then
        return "frame_len", ef_frag_bad, string.format("a frame of %d bytes is shorter than an Ethernet header",
                                                        frame_len)
    elseif offset + piece > frame_len then
        return "offset", ef_frag_bad, string.format("a piece of %d bytes at offset %d passes the end of a %d-byte frame",
                                                     piece, offset, frame_len)
    elseif frame_len > MAX_INNER_FRAME then
        return "frame_len", ef_frag_too_big, string.format(
            "a frame of %d bytes is larger than ftnet0's MTU can be (9000) with its Ethernet header", frame_len)
    end
    return nil
end

local function check_fragment_length(item, plen)
    if plen <= FRAG_HDR_LEN then
        item:add_proto_expert_info(ef_frag_bad, string.format(
            "DATA-FRAGMENT payload of %d bytes holds no piece after the %d-byte FragmentHeader: receivers drop it " ..
            "(rx-frag-bad)", plen, FRAG_HDR_LEN))
        return false
    end
    return true
end

-- A DATA-FRAGMENT (ftnet_wire.h FragmentHeader and the piece). Returns the
-- Info text and the reassembled frame (a ByteArray) when this fragment
-- completes one.
local function dissect_fragment(tvb, pinfo, tree, off, plen, n, ctx)
    local ft = n > 0 and tree:add(f.frag, tvb(off, n)) or tree:add(f.frag)
    local long_enough = check_fragment_length(ft, plen)
    if plen < FRAG_HDR_LEN or n < FRAG_HDR_LEN then
        if n > 0 then ft:add(f.payload, tvb(off, n)) end
        return ""
    end
    local frame_id, frame_len = tvb(off, 4):uint(), tvb(off + 4, 2):uint()
    local offset, index, count = tvb(off + 6, 2):uint(), tvb(off + 8, 1):uint(), tvb(off + 9, 1):uint()
    local reserved = tvb(off + 10, 2):uint()
    local piece = plen - FRAG_HDR_LEN
    local items = {}
    items.frame_id = ft:add(f.frag_frame_id, tvb(off, 4))
    items.frame_len = ft:add(f.frag_frame_len, tvb(off + 4, 2))
    items.offset = ft:add(f.frag_offset, tvb(off + 6, 2))
    items.index = ft:add(f.frag_index, tvb(off + 8, 1))
    items.count = ft:add(f.frag_count, tvb(off + 9, 1))
    items.reserved = ft:add(f.frag_reserved, tvb(off + 10, 2))
    local piece_n = n - FRAG_HDR_LEN
    local len_i = piece_n > 0 and ft:add(f.frag_piece_len, tvb(off + FRAG_HDR_LEN, piece_n), piece)
                  or ft:add(f.frag_piece_len, piece)
    len_i:set_generated()
    local ok = long_enough
    if long_enough then
        local which, ef, what = check_fragment_header(plen, count, index, reserved, frame_len, offset)
        if which then
            items[which]:add_proto_expert_info(ef, what .. ": receivers drop it (" ..
                                               (ef == ef_frag_too_big and "rx-frag-too-big" or "rx-frag-bad") .. ")")
            ok = false
        end
    end
    if piece_n > 0 then
        local pi = ft:add(f.frag_piece, tvb(off + FRAG_HDR_LEN, piece_n))
        -- The start of the inner frame: its Ethernet header.
        if offset == 0 and piece_n >= ETH_HDR_LEN then
            local b = off + FRAG_HDR_LEN
            pi:add(f.frag_inner_dst, tvb(b, 6))
            pi:add(f.frag_inner_src, tvb(b + 6, 6))
            pi:add(f.frag_inner_type, tvb(b + 12, 2))
            pi:append_text(string.format(" (the frame's start: %s -> %s)", tostring(tvb(b + 6, 6):ether()),
                                         tostring(tvb(b, 6):ether())))
        end
    end
    local text = string.format(" frame %d frag %d of %d, ", frame_id, index, count)
    local bytes = piece > 0 and string.format("bytes %d-%d of %d", offset, offset + piece - 1, frame_len)
                  or string.format("no bytes of %d", frame_len)
    ft:append_text(string.format(": frame %d, fragment %d of %d, %s", frame_id, index, count, bytes))
    text = text .. bytes

    -- Reassembly (not of fragments quoted in ICMP errors, nor of what a
    -- receiver drops, nor of pieces the capture cut).
    local st = frag_state[pinfo.number]
    if st == nil and not pinfo.visited and ok and not pinfo.in_error_pkt and piece_n == piece then
        local key = string.format("%d>%d:%d:%d", ctx.src, ctx.dst, ctx.space, frame_id)
        st = frag_add(pinfo.number, key, count, frame_len, index, offset, tvb:raw(off + FRAG_HDR_LEN, piece))
        frag_state[pinfo.number] = st
    end
    if st == nil then return text, nil end
    if st.dup_of then
        items.index:add_proto_expert_info(ef_frag_dup, string.format(
            "fragment %d of frame %d already arrived in packet %d: receivers drop it (rx-frag-duplicate)",
            index, frame_id, st.dup_of))
    elseif st.conflict then
        items.count:add_proto_expert_info(ef_frag_bad, string.format(
            "count or frame length disagree with the fragment of frame %d in packet %d: receivers drop both " ..
            "(rx-frag-bad)", frame_id, st.conflict))
    elseif st.holes then
        items.offset:add_proto_expert_info(ef_frag_bad, string.format(
            "the %d fragments of frame %d hold %d bytes, not %d: pieces overlap or leave a hole: receivers drop " ..
            "the frame (rx-frag-bad)", count, frame_id, st.set.bytes, frame_len))
    end
    local set = st.set
    if set and set.done_in and set.done_in ~= pinfo.number then
        ft:add(f.frag_reassembled_in, set.done_in):set_generated()
    end
    if st.complete then
        for i = 0, set.count - 1 do ft:add(f.frag_fragment, set.pieces[i].number):set_generated() end
        ft:add(f.frag_reassembled_len, set.frame_len):set_generated()
        return text .. " [reassembled]", st.complete
    end
    return text, nil
end

-- An encrypted payload: bytes, and the length checks of its type (AES-GCM
-- keeps the length).
local function dissect_encrypted(tvb, tree, off, plen, n, mtype)
    local it = n > 0 and tree:add(f.encrypted_payload, tvb(off, n)) or tree
    if n > 0 then it:append_text(" (AES-GCM ciphertext: not decrypted)") end
    if mtype == 1 then
        if plen < ETH_HDR_LEN then
            it:add_proto_expert_info(ef_inner_runt, string.format(
                "DATA payload of %d bytes is shorter than an Ethernet header: receivers drop it (rx-inner-runt)", plen))
        end
    elseif mtype == 2 then
        if plen < HELLO_LEN then
            it:add_proto_expert_info(ef_hello_invalid, string.format(
                "HELLO payload of %d bytes is shorter than the %d-byte HelloPayload: receivers ignore it",
                plen, HELLO_LEN))
        end
    elseif mtype == 3 or mtype == 4 then
        check_heartbeat_length(it, plen)
    elseif mtype == 5 then
        check_segment_length(it, plen)
    elseif mtype == 6 then
        if not notice_length_ok(plen) then
            it:add_proto_expert_info(ef_notice_bad, string.format(
                "link notice of %d bytes is not a %d-byte header and 1..%d entries of %d bytes: receivers drop it " ..
                "(rx-notice-malformed)", plen, NOTICE_HDR_LEN, NOTICE_MAX_ENTRIES, NOTICE_ENTRY_LEN))
        end
    elseif mtype == 7 or mtype == 8 then
        check_pmtu_length(it, plen, mtype)
    elseif mtype == 9 then
        check_fragment_length(it, plen)
    end
end

function ftnet.dissector(tvb, pinfo, tree)
    local udp_len = tvb:reported_len()  -- the UDP payload, as the UDP header announces it
    local cap = tvb:len()               -- what the capture holds of it
    pinfo.cols.protocol:set("FTNET")
    local t = tree:add(ftnet, tvb())
    local min_len = HDR_LEN + TAG_LEN

    if cap < 1 then
        t:add_proto_expert_info(ef_truncated, string.format(
            "empty UDP payload, shorter than the %d-byte ftnet header and the %d-byte tag: receivers drop it " ..
            "(rx-truncated)", HDR_LEN, TAG_LEN))
        pinfo.cols.info:set("ftnet [truncated]")
        return udp_len
    end
    local version = tvb(0, 1):uint()
    local ver_i = t:add(f.version, tvb(0, 1))
    if version ~= KNOWN_VERSION then
        -- Another version lays out everything after this byte differently
        -- (version 1: a 16-byte header with a payload_len field).
        if version == VERSION_1 then
            ver_i:add_proto_expert_info(ef_version1,
                "ftnet wire version 1: refused by version 2 nodes (rx-bad-version)")
        else
            ver_i:add_proto_expert_info(ef_unknown_version, string.format(
                "ftnet version %d, this dissector knows version %d: receivers drop it (rx-bad-version)",
                version, KNOWN_VERSION))
        end
        if cap > 1 then t:add(f.payload, tvb(1)) end
        pinfo.cols.info:set(string.format("ftnet version %d (%s, not decoded)", version,
                                          version == VERSION_1 and "refused by version 2 nodes" or "unknown"))
        return udp_len
    end

    -- Header fields, as far as the packet holds them.
    local function field(pf, o, n)
        if o + n <= cap then return t:add(pf, tvb(o, n)), tvb(o, n):uint() end
        return nil, nil
    end
    local type_i, mtype = field(f.type, 1, 1)
    local flags_i, flags = field(f.flags, 2, 1)
    local key_i, key_id = field(f.key_id, 3, 1)
    local _, src = field(f.src_node, 4, 2)
    local _, dst = field(f.dst_node, 6, 2)
    local binding_i, binding = field(f.route_binding, 8, 4)
    local seq_i
    if 20 <= cap then
        seq_i = t:add(f.seq, tvb(12, 8))
        seq_i:add(f.seq_epoch, tvb(12, 2))
        seq_i:add(f.seq_counter, tvb(14, 6))
    end
    local space_i, space = field(f.space, 20, 1)
    local reserved_i, reserved = field(f.reserved, 21, 1)
    if flags_i then flags_i:add(f.flags_encrypted, tvb(2, 1)) end
    if space_i then
        space_i:append_text(space == CONTROL_SPACE and " (control thread)" or string.format(" (worker %d)", space))
    end

    if udp_len < min_len then
        -- Dropped before the rest of the header is looked at.
        t:add_proto_expert_info(ef_truncated, string.format(
            "UDP payload of %d bytes is shorter than the %d-byte ftnet header and the %d-byte tag: receivers " ..
            "drop it (rx-truncated)", udp_len, HDR_LEN, TAG_LEN))
        if cap > HDR_LEN then t:add(f.payload, tvb(HDR_LEN)) end
        pinfo.cols.info:set(string.format("ftnet truncated (%d bytes) [truncated]", udp_len))
        return udp_len
    end
    if cap < HDR_LEN then
        -- Cut by the capture's snapshot length, not on the wire.
        pinfo.cols.info:set("ftnet [header not captured]")
        return udp_len
    end

    local type_name = msg_types[mtype] or string.format("type %d", mtype)
    local encrypted = flags % 2 == 1
    local epoch, counter = tvb(12, 2):uint(), tvb(14, 6):uint64()
    local info = string.format("%s node %d -> node %d seq %d:%s", info_names[mtype] or type_name, src, dst, epoch,
                               tostring(counter))
    t:append_text(string.format(", %s", info))
    -- Markers after the type's own summary: "[encrypted]", "[wrong route]".
    local marks = ""

    -- The checks of classify_tunnel() and admit_message() that need no key.
    if not msg_types[mtype] then
        type_i:add_proto_expert_info(ef_unknown_type, string.format(
            "unknown message type %d: receivers drop it (rx-bad-type)", mtype))
    end
    if flags - flags % 2 ~= 0 then
        flags_i:add(f.flags_unknown, tvb(2, 1))
        flags_i:add_proto_expert_info(ef_unknown_flags, string.format(
            "unknown flags 0x%02x: receivers drop it (rx-bad-type)", flags - flags % 2))
    end
    if reserved ~= 0 then
        reserved_i:add_proto_expert_info(ef_reserved, string.format(
            "reserved byte 0x%02x is not 0: receivers drop it (rx-bad-type)", reserved))
    end
    local want_binding = expected_binding(pinfo)
    local bstatus = 2
    if want_binding then bstatus = want_binding == binding and 1 or 0 end
    local bs_i = binding_i:add(f.binding_status, bstatus)
    bs_i:set_generated()
    if bstatus == 0 then
        bs_i:add_proto_expert_info(ef_wrong_route, string.format(
            "route binding 0x%08x, but 0x%08x for these outer addresses: receivers drop it (rx-wrong-route)",
            binding, want_binding))
        marks = marks .. " [wrong route]"
    end
    if key_id == 0 then
        key_i:add_proto_expert_info(ef_key_id, "key id 0 is no cluster key's: receivers drop it (rx-unknown-key)")
    end

    local off = HDR_LEN
    local plen = udp_len - min_len
    local n = math.max(math.min(plen, cap - off), 0)  -- payload bytes captured
    local len_i = n > 0 and t:add(f.payload_len, tvb(off, n), plen) or t:add(f.payload_len, plen)
    len_i:set_generated()
    local inner = false
    local reassembled = nil
    local ctx = { src = src, dst = dst, space = space }
    if encrypted then
        dissect_encrypted(tvb, t, off, plen, n, mtype)
        marks = " [encrypted]" .. marks
    elseif mtype == 1 then
        if plen < ETH_HDR_LEN then
            local it = n > 0 and t:add(f.payload, tvb(off, n)) or t
            it:add_proto_expert_info(ef_inner_runt, string.format(
                "DATA payload of %d bytes is shorter than an Ethernet header: receivers drop it (rx-inner-runt)",
                plen))
        elseif n > 0 then
            inner = true
        end
    elseif mtype == 2 then
        info = info .. dissect_hello(tvb, t, off, plen, n)
    elseif mtype == 3 or mtype == 4 then
        info = info .. dissect_heartbeat(tvb, t, off, plen, n, mtype)
    elseif mtype == 5 then
        info = info .. dissect_session(tvb, t, off, plen, n, ctx)
    elseif mtype == 6 then
        info = info .. dissect_notice(tvb, t, off, plen, n)
    elseif mtype == 7 or mtype == 8 then
        local ip_len
        if not pinfo.in_error_pkt then
            ip_len = udp_len + 8 + (tostring(pinfo.net_src):find(":", 1, true) and 40 or 20)
        end
        info = info .. dissect_pmtu(tvb, t, off, plen, n, mtype, ip_len)
    elseif mtype == 9 then
        local text
        text, reassembled = dissect_fragment(tvb, pinfo, t, off, plen, n, ctx)
        info = info .. text
    elseif n > 0 then
        -- Unknown types: bytes.
        t:add(f.payload, tvb(off, n))
    end

    -- The tag, as far as the capture holds it.
    local tag_off = off + plen
    if tag_off < cap then
        t:add(f.auth_tag, tvb(tag_off, math.min(TAG_LEN, cap - tag_off)))
            :append_text(" (not verified: the dissector holds no cluster key)")
    end

    pinfo.cols.info:set(info .. marks)
    if inner then
        -- Keep the ftnet summary in front of the inner frame's own Info text.
        -- (A Lua TvbRange cannot reach past the captured bytes, so an inner
        -- frame cut by the capture's snapshot length shows as malformed
        -- rather than "packet size limited during capture".)
        pinfo.cols.info:append(" | ")
        pinfo.cols.info:fence()
        eth_dissector:call(tvb(off, n):tvb(), pinfo, tree)
    elseif reassembled then
        -- The inner frame the fragments rebuilt, as a DATA message's.
        pinfo.cols.info:append(" | ")
        pinfo.cols.info:fence()
        eth_dissector:call(reassembled:tvb("Reassembled inner frame"), pinfo, tree)
    end
    return udp_len
end

-- Port registration, following the preference.
local udp_table = DissectorTable.get("udp.port")
local registered_port = 0

local function register_port(port)
    if registered_port ~= 0 then udp_table:remove(registered_port, ftnet) end
    registered_port = port
    if port ~= 0 then udp_table:add(port, ftnet) end
end

function ftnet.prefs_changed()
    if ftnet.prefs.udp_port ~= registered_port then register_port(ftnet.prefs.udp_port) end
end

register_port(DEFAULT_PORT)
udp_table:add_for_decode_as(ftnet)
