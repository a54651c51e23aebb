-- ftnet.lua: Wireshark dissector for the ftnet tunnel, wire format version 1.
--
-- The format is defined by engine/tunnel/ftnet_wire.h and documented in
-- docs/wire-format.md:
--
--   Ethernet | IPv6 or IPv4 | UDP (dst port 3343) | ftnet header (16 bytes) |
--   payload (DATA: an inner Ethernet frame; HELLO: 100-byte HelloPayload;
--   HEARTBEAT-REQ/REP: 28-byte HeartbeatPayload; LINK-NOTICE: 12-byte
--   header and 36-byte entries) |
--   [16-byte auth tag when the AUTH flag is set]
--
-- The dissector shows every header field (ftnet.version, ftnet.type,
-- ftnet.flags, ftnet.flags.auth, ftnet.src_node, ftnet.dst_node,
-- ftnet.route_id, ftnet.payload_len, ftnet.seq, ftnet.auth_tag), the HELLO
-- fields (ftnet.hello.*), the heartbeat fields (ftnet.hb.*), the link notice
-- fields (ftnet.notice.*), hands a DATA
-- payload to Wireshark's Ethernet dissector (no FCS) so the inner frame is
-- decoded too, and raises expert info where a receiver would drop the packet
-- (bad length, unknown version, type or flags, a HELLO or heartbeat without
-- the AUTH flag, a heartbeat payload that is neither 28 nor 24 bytes, a malformed link
-- notice), naming the
-- ftnetd drop counter it would increment.
--
-- HELLO, heartbeats and link notices are signed: a SipHash-2-4-128 tag over the ftnet
-- header and the payload, keyed with the cluster key. The dissector shows
-- the tag; it checks it only when given the key (Preferences > Protocols >
-- FTNET > Cluster key, or `-o ftnet.cluster_key:<32 hex digits>`), and then
-- sets ftnet.auth_tag.status (0 bad, 1 good, 2 not verified). Wireshark
-- keeps preferences in a plain-text file: give the key on the command line
-- on a shared machine. DATA tags are never checked, as ftnetd does not
-- check them either.
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

local HDR_LEN = 16
local AUTH_TAG_LEN = 16
local HELLO_LEN = 100
local HB_LEN = 28
local HB_V1_LEN = 24  -- the first revision of version 1, without send_skew_us
local NOTICE_HDR_LEN = 12
local NOTICE_ENTRY_LEN = 36
local NOTICE_MAX_ENTRIES = 16
local ETH_HDR_LEN = 14
local KNOWN_VERSION = 1
local DEFAULT_PORT = 3343
local FLAG_AUTH = 0x0001

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
-- Types that ftnetd always signs and whose tag receivers check, with what
-- counts an unsigned or wrongly signed one.
local signed_types = {
    [2] = "ctl-bad-auth",
    [3] = "rx-bad-auth",
    [4] = "rx-bad-auth",
    [6] = "rx-bad-auth",
}
-- HeartbeatPayload.route_state (route_health.h HealthState).
local route_states = {
    [0] = "unknown",
    [1] = "up",
    [2] = "down",
}
local auth_status = {
    [0] = "Bad",
    [1] = "Good",
    [2] = "Not verified",
}

local f = ftnet.fields
f.version     = ProtoField.uint8("ftnet.version", "Version", base.DEC)
f.type        = ProtoField.uint8("ftnet.type", "Message type", base.DEC, msg_types)
f.flags       = ProtoField.uint16("ftnet.flags", "Flags", base.HEX)
f.flags_auth  = ProtoField.bool("ftnet.flags.auth", "AUTH (auth tag follows the payload)", 16,
                                nil, 0x0001)
f.flags_unknown = ProtoField.uint16("ftnet.flags.unknown", "Unknown flags", base.HEX, nil, 0xfffe)
f.src_node    = ProtoField.uint16("ftnet.src_node", "Source node", base.DEC)
f.dst_node    = ProtoField.uint16("ftnet.dst_node", "Destination node", base.DEC)
f.route_id    = ProtoField.uint16("ftnet.route_id", "Route id", base.DEC)
f.payload_len = ProtoField.uint16("ftnet.payload_len", "Payload length", base.DEC)
f.seq         = ProtoField.uint32("ftnet.seq", "Sequence number", base.DEC)
f.payload     = ProtoField.bytes("ftnet.payload", "Payload")
f.auth_tag    = ProtoField.bytes("ftnet.auth_tag", "Auth tag")
f.auth_status = ProtoField.uint8("ftnet.auth_tag.status", "Auth tag status", base.DEC, auth_status)
f.trailer     = ProtoField.bytes("ftnet.trailer", "Bytes after the announced payload")

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
f.hb_echo_boot_id = ProtoField.uint32("ftnet.hb.echo_boot_id", "Echoed boot id (the requester's)", base.HEX)
f.hb_tx_time      = ProtoField.uint64("ftnet.hb.tx_time", "Requester's send time (its TSC, cycles)", base.DEC)
f.hb_echo_seq     = ProtoField.uint32("ftnet.hb.echo_seq", "Echoed request seq", base.DEC)
f.hb_interval_ms  = ProtoField.uint16("ftnet.hb.interval_ms", "Sender's heartbeat interval (ms)", base.DEC)
f.hb_threshold    = ProtoField.uint8("ftnet.hb.threshold", "Sender's miss threshold", base.DEC)
f.hb_route_state  = ProtoField.uint8("ftnet.hb.route_state", "Sender's route state", base.DEC, route_states)
f.hb_send_skew_us = ProtoField.uint32("ftnet.hb.send_skew_us", "Sender's send skew between networks (us)", base.DEC)

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

local ef_bad_length = ProtoExpert.new("ftnet.bad_length", "Length disagrees with the ftnet header",
                                      expert.group.MALFORMED, expert.severity.ERROR)
local ef_unknown_version = ProtoExpert.new("ftnet.unknown_version", "Unknown ftnet version",
                                           expert.group.PROTOCOL, expert.severity.ERROR)
local ef_unknown_type = ProtoExpert.new("ftnet.unknown_type", "Unknown ftnet message type",
                                        expert.group.PROTOCOL, expert.severity.WARN)
local ef_unknown_flags = ProtoExpert.new("ftnet.unknown_flags", "Unknown ftnet flags",
                                         expert.group.PROTOCOL, expert.severity.WARN)
local ef_inner_runt = ProtoExpert.new("ftnet.inner_runt", "DATA payload shorter than an Ethernet header",
                                      expert.group.MALFORMED, expert.severity.ERROR)
local ef_hello_invalid = ProtoExpert.new("ftnet.hello.invalid", "HELLO a receiver ignores",
                                         expert.group.PROTOCOL, expert.severity.WARN)
local ef_unsigned = ProtoExpert.new("ftnet.unsigned", "HELLO, heartbeat or link notice without the AUTH flag",
                                    expert.group.SECURITY, expert.severity.ERROR)
local ef_bad_tag = ProtoExpert.new("ftnet.bad_auth_tag", "Auth tag wrong for the configured cluster key",
                                   expert.group.SECURITY, expert.severity.ERROR)
local ef_hb_bad_length = ProtoExpert.new("ftnet.hb.bad_length", "Heartbeat payload is neither 28 nor 24 bytes",
                                         expert.group.MALFORMED, expert.severity.ERROR)
local ef_notice_bad = ProtoExpert.new("ftnet.notice.malformed", "Link notice a receiver drops",
                                      expert.group.MALFORMED, expert.severity.ERROR)
ftnet.experts = { ef_bad_length, ef_unknown_version, ef_unknown_type, ef_unknown_flags,
                  ef_inner_runt, ef_hello_invalid, ef_unsigned, ef_bad_tag, ef_hb_bad_length, ef_notice_bad }

ftnet.prefs.udp_port = Pref.uint("UDP port", DEFAULT_PORT,
                                 "UDP destination port of the tunnel (ftnetd tunnel.udp_port)")
ftnet.prefs.cluster_key = Pref.string("Cluster key", "",
                                      "ftnetd's [cluster] key (32 hex digits): when set, the auth tags " ..
                                      "of HELLOs and heartbeats are checked. Stored in plain text.")

local eth_dissector = Dissector.get("eth_withoutfcs")

-- A name as decode_hello() accepts it: NUL-terminated inside its 32 bytes,
-- letters, digits, '-' and '_'.
local function valid_name(r)
    local s = r:raw()
    local nul = s:find("\0", 1, true)
    if not nul then return false end
    return s:sub(1, nul - 1):match("^[%w_-]*$") ~= nil
end

local function dissect_hello(tvb, pinfo, tree, off, plen)
    local avail = tvb:len() - off
    local n = math.max(math.min(plen, avail), 0)
    local ht = n > 0 and tree:add(f.hello, tvb(off, n)) or tree:add(f.hello)
    if plen < HELLO_LEN or avail < HELLO_LEN then
        ht:add_proto_expert_info(ef_hello_invalid, string.format(
            "HELLO payload of %d bytes is shorter than the %d-byte HelloPayload: receivers ignore it",
            n, HELLO_LEN))
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
    if plen > HELLO_LEN then
        ht:add(f.payload, tvb(off + HELLO_LEN, math.min(plen, avail) - HELLO_LEN))
            :append_text(" (after the HelloPayload; ignored by version-1 receivers)")
    end
    return summary
end

-- The HeartbeatPayload (ftnet_wire.h). plen is the header's payload_len,
-- n how many of its bytes the packet holds. Returns the text the Info
-- column gets after "seq N".
local function dissect_heartbeat(tvb, tree, off, plen, n, mtype)
    local ht = n > 0 and tree:add(f.hb, tvb(off, n)) or tree:add(f.hb)
    ht:append_text(mtype == 3 and " request" or " reply")
    if plen ~= HB_LEN and plen ~= HB_V1_LEN then
        ht:add_proto_expert_info(ef_hb_bad_length, string.format(
            "heartbeat payload of %d bytes, not the %d-byte HeartbeatPayload: receivers drop it (rx-bad-length)",
            plen, HB_LEN))
    end
    local len = plen == HB_V1_LEN and HB_V1_LEN or HB_LEN
    if n < len then
        if n > 0 then ht:add(f.payload, tvb(off, n)) end
        return ""
    end
    local boot = tvb(off, 4):uint()
    ht:add(f.hb_boot_id, tvb(off, 4))
    ht:add(f.hb_echo_boot_id, tvb(off + 4, 4))
    ht:add(f.hb_tx_time, tvb(off + 8, 8))
    ht:add(f.hb_echo_seq, tvb(off + 16, 4))
    ht:add(f.hb_interval_ms, tvb(off + 20, 2))
    ht:add(f.hb_threshold, tvb(off + 22, 1))
    ht:add(f.hb_route_state, tvb(off + 23, 1))
    local state = tvb(off + 23, 1):uint()
    ht:append_text(string.format(": boot id 0x%08x, every %d ms x %d, route %s", boot, tvb(off + 20, 2):uint(),
                                 tvb(off + 22, 1):uint(), route_states[state] or string.format("state %d", state)))
    if len == HB_LEN then
        ht:add(f.hb_send_skew_us, tvb(off + 24, 4))
        ht:append_text(string.format(", send skew %d us", tvb(off + 24, 4):uint()))
    else
        ht:append_text(" (first revision: no send skew)")
    end
    if n > len then
        ht:add(f.payload, tvb(off + len, n - len)):append_text(" (after the HeartbeatPayload)")
    end
    if mtype == 4 then return string.format(" echo %d", tvb(off + 16, 4):uint()) end
    return ""
end

-- The LINK_NOTICE payload (ftnet_wire.h LinkNoticeHeader, LinkNoticeEntry).
-- Returns the text the Info column gets.
local function dissect_notice(tvb, tree, off, plen, n)
    local nt = n > 0 and tree:add(f.notice, tvb(off, n)) or tree:add(f.notice)
    if n < NOTICE_HDR_LEN then
        nt:add_proto_expert_info(ef_notice_bad, string.format(
            "link notice of %d bytes is shorter than its %d-byte header: receivers drop it (rx-notice-malformed)", n,
            NOTICE_HDR_LEN))
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

-- SipHash-2-4 with 128-bit output (engine/core/siphash.h), on Wireshark's
-- UInt64, whose + wraps modulo 2^64 as the algorithm wants.
local function rotl(x, b) return x:lshift(b):bor(x:rshift(64 - b)) end

local function sipround(v)
    v[1] = v[1] + v[2]; v[2] = rotl(v[2], 13); v[2] = v[2]:bxor(v[1]); v[1] = rotl(v[1], 32)
    v[3] = v[3] + v[4]; v[4] = rotl(v[4], 16); v[4] = v[4]:bxor(v[3])
    v[1] = v[1] + v[4]; v[4] = rotl(v[4], 21); v[4] = v[4]:bxor(v[1])
    v[3] = v[3] + v[2]; v[2] = rotl(v[2], 17); v[2] = v[2]:bxor(v[3]); v[3] = rotl(v[3], 32)
end

-- "0123456789abcdef" -> "efcdab8967452301": hex of the same bytes in the
-- other order.
local function swap_bytes(hex)
    local out = {}
    for i = #hex - 1, 1, -2 do out[#out + 1] = hex:sub(i, i + 1) end
    return table.concat(out)
end

-- The 8 bytes of x, least significant first, as 16 lowercase hex digits.
local function le_hex(x)
    local h = x:tohex():lower()
    return swap_bytes(string.rep("0", 16 - #h) .. h)
end

-- The key as SipHash's two little-endian words, or nil when the preference
-- is not 32 hex digits.
local function cluster_key()
    local k = ftnet.prefs.cluster_key:gsub("%s", "")
    if #k ~= 32 or not k:match("^%x+$") then return nil end
    return UInt64.fromhex(swap_bytes(k:sub(1, 16))), UInt64.fromhex(swap_bytes(k:sub(17, 32)))
end

-- The tag of tvb(off, len), as 32 lowercase hex digits.
local function siphash128_hex(k0, k1, tvb, off, len)
    local v = { UInt64.fromhex("736f6d6570736575"):bxor(k0), UInt64.fromhex("646f72616e646f6d"):bxor(k1),
                UInt64.fromhex("6c7967656e657261"):bxor(k0), UInt64.fromhex("7465646279746573"):bxor(k1) }
    v[2] = v[2]:bxor(UInt64.new(0xee))
    local whole = len - len % 8
    for i = 0, whole - 8, 8 do
        local m = tvb(off + i, 8):le_uint64()
        v[4] = v[4]:bxor(m)
        sipround(v)
        sipround(v)
        v[1] = v[1]:bxor(m)
    end
    local b = UInt64.new(len % 256):lshift(56)
    for i = 0, len % 8 - 1 do b = b:bor(UInt64.new(tvb(off + whole + i, 1):uint()):lshift(8 * i)) end
    v[4] = v[4]:bxor(b)
    sipround(v)
    sipround(v)
    v[1] = v[1]:bxor(b)
    v[3] = v[3]:bxor(UInt64.new(0xee))
    for _ = 1, 4 do sipround(v) end
    local h0 = v[1]:bxor(v[2]):bxor(v[3]):bxor(v[4])
    v[2] = v[2]:bxor(UInt64.new(0xdd))
    for _ = 1, 4 do sipround(v) end
    local h1 = v[1]:bxor(v[2]):bxor(v[3]):bxor(v[4])
    return le_hex(h0) .. le_hex(h1)
end

function ftnet.dissector(tvb, pinfo, tree)
    local udp_len = tvb:reported_len()  -- the UDP payload, as the UDP header announces it
    local cap = tvb:len()               -- what the capture holds of it
    pinfo.cols.protocol:set("FTNET")
    local t = tree:add(ftnet, tvb())

    if cap < 1 then
        t:add_proto_expert_info(ef_bad_length, "empty UDP payload: receivers drop it (rx-bad-length)")
        pinfo.cols.info:set("ftnet [bad length]")
        return udp_len
    end
    local version = tvb(0, 1):uint()
    local ver_i = t:add(f.version, tvb(0, 1))
    if version ~= KNOWN_VERSION then
        -- Another version may lay out everything after this byte differently.
        ver_i:add_proto_expert_info(ef_unknown_version, string.format(
            "ftnet version %d, this dissector knows version %d: receivers drop it (rx-bad-version)",
            version, KNOWN_VERSION))
        if cap > 1 then t:add(f.payload, tvb(1)) end
        pinfo.cols.info:set(string.format("ftnet version %d (unknown, not decoded)", version))
        return udp_len
    end

    -- Header fields, as far as the packet holds them.
    local function field(pf, o, n)
        if o + n <= cap then return t:add(pf, tvb(o, n)), tvb(o, n):uint() end
        return nil, nil
    end
    local _, mtype = field(f.type, 1, 1)
    local flags_i, flags = field(f.flags, 2, 2)
    local _, src = field(f.src_node, 4, 2)
    local _, dst = field(f.dst_node, 6, 2)
    local _, route = field(f.route_id, 8, 2)
    local plen_i, plen = field(f.payload_len, 10, 2)
    local _, seq = field(f.seq, 12, 4)

    if udp_len < HDR_LEN then
        t:add_proto_expert_info(ef_bad_length, string.format(
            "UDP payload of %d bytes is shorter than the %d-byte ftnet header: receivers drop it (rx-bad-length)",
            udp_len, HDR_LEN))
        pinfo.cols.info:set(string.format("ftnet truncated header (%d bytes) [bad length]", udp_len))
        return udp_len
    end
    if cap < HDR_LEN then
        -- Cut by the capture's snapshot length, not on the wire.
        pinfo.cols.info:set("ftnet [header not captured]")
        return udp_len
    end

    local type_name = msg_types[mtype] or string.format("type %d", mtype)
    local auth = flags % 2 == 1
    if flags_i then
        flags_i:add(f.flags_auth, tvb(2, 2))
        if flags - flags % 2 ~= 0 then
            flags_i:add(f.flags_unknown, tvb(2, 2))
            flags_i:add_proto_expert_info(ef_unknown_flags, string.format(
                "unknown flags 0x%04x: receivers drop it (rx-bad-type)", flags - flags % 2))
        end
    end
    local info = string.format("%s node %d -> node %d route %d seq %d", info_names[mtype] or type_name, src, dst,
                               route, seq)
    t:append_text(string.format(", %s", info))
    -- Markers after the type's own summary: "[no auth]", "[bad length]".
    local marks = ""
    local counter = signed_types[mtype]
    if counter and not auth then
        flags_i:add_proto_expert_info(ef_unsigned, string.format(
            "%s without the AUTH flag: receivers drop it (%s)", type_name, counter))
        marks = marks .. " [no auth]"
    elseif auth and not counter then
        marks = marks .. " [auth]"
    end
    if not msg_types[mtype] then
        t:add_proto_expert_info(ef_unknown_type, string.format(
            "unknown message type %d: receivers drop it (rx-bad-type)", mtype))
    end

    -- Length rule: header + payload_len + auth tag must be the UDP payload.
    local want = HDR_LEN + plen + (auth and AUTH_TAG_LEN or 0)
    local bad_length = want ~= udp_len
    if bad_length then
        plen_i:add_proto_expert_info(ef_bad_length, string.format(
            "header %d + payload_len %d%s = %d bytes, but the UDP payload holds %d: receivers drop it (rx-bad-length)",
            HDR_LEN, plen, auth and string.format(" + auth tag %d", AUTH_TAG_LEN) or "", want, udp_len))
        marks = marks .. " [bad length]"
    end

    local off = HDR_LEN
    local pcap_n = math.max(math.min(plen, cap - off), 0)  -- payload bytes captured
    local pwire_n = math.max(math.min(plen, udp_len - off), 0)  -- payload bytes on the wire
    local inner = false
    if mtype == 1 then
        if plen < ETH_HDR_LEN then
            local it = pcap_n > 0 and t:add(f.payload, tvb(off, pcap_n)) or t
            it:add_proto_expert_info(ef_inner_runt, string.format(
                "DATA payload of %d bytes is shorter than an Ethernet header: receivers drop it (rx-inner-runt)",
                plen))
        elseif pcap_n > 0 then
            inner = true
        end
    elseif mtype == 2 then
        info = info .. dissect_hello(tvb, pinfo, t, off, pwire_n)
    elseif mtype == 3 or mtype == 4 then
        info = info .. dissect_heartbeat(tvb, t, off, plen, pcap_n, mtype)
    elseif mtype == 6 then
        info = info .. dissect_notice(tvb, t, off, plen, pcap_n)
    elseif pcap_n > 0 then
        -- Session segments (5), reserved, and unknown types: bytes.
        t:add(f.payload, tvb(off, pcap_n))
    end

    local after = off + plen
    if auth and after < cap then
        local n = math.min(AUTH_TAG_LEN, cap - after)
        local tag_i = t:add(f.auth_tag, tvb(after, n))
        if not counter then
            tag_i:append_text(" (not checked: receivers do not authenticate this type)")
        else
            -- Checked only with the key, and only when header, payload and
            -- tag are all there.
            local k0, k1 = cluster_key()
            local status = 2
            if k0 and n == AUTH_TAG_LEN and not bad_length then
                local want_tag = siphash128_hex(k0, k1, tvb, 0, HDR_LEN + plen)
                status = want_tag == tostring(tvb(after, n):bytes()):lower() and 1 or 0
            end
            local st_i = tag_i:add(f.auth_status, status)
            st_i:set_generated()
            if status == 0 then
                st_i:add_proto_expert_info(ef_bad_tag, string.format(
                    "auth tag wrong for the configured cluster key: receivers drop it (%s)", counter))
                marks = marks .. " [bad auth]"
            end
        end
    end
    local tail = after + (auth and AUTH_TAG_LEN or 0)
    if tail < cap then t:add(f.trailer, tvb(tail)) end

    pinfo.cols.info:set(info .. marks)
    if inner then
        -- Keep the ftnet summary in front of the inner frame's own Info text.
        -- (A Lua TvbRange cannot reach past the captured bytes, so an inner
        -- frame cut by the capture's snapshot length shows as malformed
        -- rather than "packet size limited during capture".)
        pinfo.cols.info:append(" | ")
        pinfo.cols.info:fence()
        eth_dissector:call(tvb(off, pcap_n):tvb(), pinfo, tree)
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
