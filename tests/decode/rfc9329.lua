-- rfc9329.lua - RFC 9329 framing for tshark, test-only (tests/decode/tcp_encap_decode.py).
--
-- Wireshark 4.0 has no RFC 8229/9329 dissector: its "tcpencap" is Cisco's proprietary
-- TCP encapsulation (port 10000, a 16-byte trailer). This plugin adds only the framing:
-- tshark's own TCP reassembly (dissect_tcp_pdus, with tcp.reassemble_out_of_order for
-- segments that come early) puts the stream together, and tshark's own isakmp and esp
-- dissectors, with their decryption tables, decode each message. Loaded with
--   tshark -X lua_script:rfc9329.lua -X lua_script1:PORT ...
-- (PORT defaults to 4500.) Frames are:
--   originator only, once: "IKETCP"                       (RFC 9329 4)
--   Length(2, counts itself) | 00000000 | IKE message     (3.1)
--   Length(2, counts itself) | ESP packet                 (3.2)
-- A 3-byte keepalive frame (Length 3, 0xFF) is shown and skipped; one at the very end of
-- a stream is not seen (the length function waits for 6 bytes, the prefix's size).
local p = Proto("rfc9329", "IKE/ESP over TCP (RFC 9329)")
local f_prefix = ProtoField.string("rfc9329.prefix", "Stream prefix")
local f_length = ProtoField.uint16("rfc9329.length", "Length")
local f_kind = ProtoField.string("rfc9329.kind", "Kind")
p.fields = {f_prefix, f_length, f_kind}

local isakmp = Dissector.get("isakmp")
local esp = Dissector.get("esp")
local PREFIX = "IKETCP"

local function is_prefix(tvb, offset)
  return tvb:len() - offset >= 6 and tvb(offset, 6):string() == PREFIX
end

local function frame_len(tvb, pinfo, offset)
  if is_prefix(tvb, offset) then return 6 end
  return tvb(offset, 2):uint()
end

local function dissect_frame(tvb, pinfo, tree)
  pinfo.cols.protocol = "RFC9329"
  local sub = tree:add(p, tvb())
  if tvb:len() == 6 and tvb(0, 6):string() == PREFIX then
    sub:add(f_prefix, tvb(0, 6))
    return 6
  end
  sub:add(f_length, tvb(0, 2))
  if tvb:len() == 3 and tvb(2, 1):uint() == 0xff then
    sub:add(f_kind, "NAT keepalive")
  elseif tvb:len() >= 6 and tvb(2, 4):uint() == 0 then
    sub:add(f_kind, "IKE")
    isakmp:call(tvb(6):tvb(), pinfo, tree)
  elseif tvb:len() > 2 then
    sub:add(f_kind, "ESP")
    esp:call(tvb(2):tvb(), pinfo, tree)
  end
  return tvb:len()
end

function p.dissector(tvb, pinfo, tree)
  dissect_tcp_pdus(tvb, tree, 6, frame_len, dissect_frame, true)
  return tvb:len()
end

local args = { ... }
local port = tonumber(args[1] or "4500")
DissectorTable.get("tcp.port"):add(port, p)
