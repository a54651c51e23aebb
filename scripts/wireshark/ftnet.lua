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
--   header and 36-byte entries) | AES-GCM tag (16 bytes, on every message)
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
-- session_wire.h) and the link notice fields (ftnet.notice.*), and hands a
-- DATA payload to Wireshark's Ethernet dissector (no FCS) so the inner frame
-- is decoded too.
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
-- stale (named by the per-peer count of `ftnetctl session` it increments).
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
}
-- Short names for the Info column.
local info_names = {
    [1] = "DATA",
    [2] = "HELLO",
    [3] = "HB-REQ",
    [4] = "HB-REP",
    [5] = "SESSION",
    [6] = "NOTICE",
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
ftnet.experts = { ef_truncated, ef_version1, ef_unknown_version, ef_unknown_type, ef_unknown_flags,
                  ef_reserved, ef_key_id, ef_wrong_route, ef_inner_runt, ef_hello_invalid, ef_hb_bad_length,
                  ef_notice_bad, ef_session_bad, ef_session_stale }

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

-- A reliable-session segment (engine/session/session_wire.h SegHeader and
-- the segment's data), checked as ReliableSession::on_segment() checks it
-- as far as the segment alone tells (the receiver's own incarnation and
-- stream position are not in the packet). Returns the text the Info column
-- gets.
local function dissect_session(tvb, tree, off, plen, n)
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
    end
    st:append_text(": " .. text)
    return ": " .. text
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
        info = info .. dissect_session(tvb, t, off, plen, n)
    elseif mtype == 6 then
        info = info .. dissect_notice(tvb, t, off, plen, n)
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
