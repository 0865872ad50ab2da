#include "eap/packet.hpp"

#include <string>

namespace ikekit::eap {

std::string_view code_name(Code c) {
  switch (c) {
  case Code::request:
    return "request";
  case Code::response:
    return "response";
  case Code::success:
    return "success";
  case Code::failure:
    return "failure";
  }
  return "unknown";
}

std::string_view type_name(uint8_t type) {
  switch (Type(type)) {
  case Type::identity:
    return "identity";
  case Type::notification:
    return "notification";
  case Type::nak:
    return "nak";
  case Type::mschapv2:
    return "mschapv2";
  }
  return "unknown";
}

std::string_view opcode_name(OpCode op) {
  switch (op) {
  case OpCode::challenge:
    return "challenge";
  case OpCode::response:
    return "response";
  case OpCode::success:
    return "success";
  case OpCode::failure:
    return "failure";
  }
  return "unknown";
}

Result<Packet> parse_packet(ByteView in) {
  Reader r(in);
  auto code = r.u8("eap.code");
  if (!code) return code.error();
  auto identifier = r.u8("eap.identifier");
  if (!identifier) return identifier.error();
  auto length = r.u16("eap.length");
  if (!length) return length.error();
  if (*code < 1 || *code > 4)
    return make_error(Errc::bad_value, "eap.code",
                      std::to_string(*code) + ": expected 1..4 (RFC 3748 4)");
  Packet p;
  p.code = Code(*code);
  p.identifier = *identifier;
  const bool typed = p.code == Code::request || p.code == Code::response;
  const size_t min_length = typed ? kHeaderSize + 1 : kHeaderSize;
  if (*length < min_length)
    return make_error(Errc::bad_length, "eap.length",
                      std::to_string(*length) + ": less than the " + std::to_string(min_length) +
                          " bytes a " + std::string(code_name(p.code)) + " needs");
  if (*length > in.size())
    return make_error(Errc::truncated, "eap.length",
                      std::to_string(*length) + ": more than the " + std::to_string(in.size()) +
                          " bytes received");
  p.bytes = in.first(*length);
  if (!typed) {
    if (*length != kHeaderSize) // RFC 3748 4.2: Success and Failure are 4 octets
      return make_error(Errc::bad_length, "eap.length",
                        std::to_string(*length) + ": a " + std::string(code_name(p.code)) +
                            " is 4 bytes (RFC 3748 4.2)");
    return p;
  }
  p.type = p.bytes[kHeaderSize];
  p.type_data = p.bytes.subspan(kHeaderSize + 1);
  return p;
}

Result<MsChapV2> parse_mschapv2(Code code, ByteView type_data) {
  Reader r(type_data);
  auto opcode = r.u8("mschapv2.opcode");
  if (!opcode) return opcode.error();
  if (*opcode < 1 || *opcode > 4)
    return make_error(Errc::unsupported, "mschapv2.opcode",
                      std::to_string(*opcode) +
                          ": expected 1..4 (change-password is not supported)");
  MsChapV2 m;
  m.opcode = OpCode(*opcode);
  const bool short_form =
      code == Code::response && (m.opcode == OpCode::success || m.opcode == OpCode::failure);
  if (short_form) { // draft 2.4 / 2.6: the OpCode alone
    if (!r.empty())
      return make_error(Errc::bad_length, "mschapv2",
                        "a " + std::string(opcode_name(m.opcode)) +
                            " response carries the OpCode alone");
    return m;
  }
  const bool from_server = code == Code::request;
  if (from_server != (m.opcode != OpCode::response))
    return make_error(Errc::bad_value, "mschapv2.opcode",
                      std::string(opcode_name(m.opcode)) + " is not allowed in a " +
                          std::string(code_name(code)));
  auto id = r.u8("mschapv2.ms_chapv2_id");
  if (!id) return id.error();
  m.ms_chapv2_id = *id;
  auto ms_length = r.u16("mschapv2.ms_length");
  if (!ms_length) return ms_length.error();
  // MS-Length = EAP Length - 5 = the Type-Data length (draft 2).
  if (*ms_length != type_data.size())
    return make_error(Errc::bad_length, "mschapv2.ms_length",
                      std::to_string(*ms_length) + ": expected " +
                          std::to_string(type_data.size()) + " (the EAP Length - 5)");
  if (m.opcode == OpCode::challenge || m.opcode == OpCode::response) {
    const size_t want = m.opcode == OpCode::challenge ? kChallengeSize : kResponseValueSize;
    auto size = r.u8("mschapv2.value_size");
    if (!size) return size.error();
    if (*size != want)
      return make_error(Errc::bad_length, "mschapv2.value_size",
                        std::to_string(*size) + ": expected " + std::to_string(want));
    auto value = r.bytes(want, "mschapv2.value");
    if (!value) return value.error();
    m.value = *value;
  }
  m.name_or_message = r.rest();
  return m;
}

Result<ResponseValue> parse_response_value(ByteView value) {
  if (value.size() != kResponseValueSize)
    return make_error(Errc::bad_length, "mschapv2.value", "expected 49 bytes");
  // RFC 2759 4: Peer-Challenge[16], Reserved[8] (zero), NT-Response[24], Flags (zero).
  for (size_t i = 16; i < 24; ++i)
    if (value[i] != 0)
      return make_error(Errc::bad_value, "mschapv2.value.reserved", "must be zero (RFC 2759 4)");
  return ResponseValue{value.subspan(0, 16), value.subspan(24, kNtResponseSize)};
}

namespace {

void write_header(Writer& w, Code code, uint8_t identifier, size_t length) {
  w.u8(uint8_t(code));
  w.u8(identifier);
  w.u16(uint16_t(length));
}

Result<size_t> too_long(size_t length) {
  return make_error(Errc::bad_length, "eap.length",
                    std::to_string(length) + ": more than 65535 bytes");
}

} // namespace

Result<size_t> write_typed(MutBytes out, Code code, uint8_t identifier, Type type,
                           ByteView type_data) {
  const size_t length = kHeaderSize + 1 + type_data.size();
  if (length > kMaxPacketSize) return too_long(length);
  Writer w(out);
  write_header(w, code, identifier, length);
  w.u8(uint8_t(type));
  w.bytes(type_data);
  return w.finish("eap");
}

Result<size_t> write_result(MutBytes out, Code code, uint8_t identifier) {
  Writer w(out);
  write_header(w, code, identifier, kHeaderSize);
  return w.finish("eap");
}

Result<size_t> write_nak(MutBytes out, uint8_t identifier, Type desired) {
  const uint8_t data[] = {uint8_t(desired)};
  return write_typed(out, Code::response, identifier, Type::nak, data);
}

Result<size_t> write_mschapv2(MutBytes out, Code code, uint8_t identifier, const MsChapV2Out& m) {
  const size_t data_length = m.short_form ? 1
                                          : kMsChapV2HeaderSize +
                                                (m.value.empty() ? 0 : 1 + m.value.size()) +
                                                m.name_or_message.size();
  const size_t length = kHeaderSize + 1 + data_length;
  if (length > kMaxPacketSize) return too_long(length);
  Writer w(out);
  write_header(w, code, identifier, length);
  w.u8(uint8_t(Type::mschapv2));
  w.u8(uint8_t(m.opcode));
  if (!m.short_form) {
    w.u8(m.ms_chapv2_id);
    w.u16(uint16_t(data_length)); // MS-Length = Length - 5
    if (!m.value.empty()) {
      w.u8(uint8_t(m.value.size()));
      w.bytes(m.value);
    }
    w.bytes(m.name_or_message);
  }
  return w.finish("eap");
}

} // namespace ikekit::eap
