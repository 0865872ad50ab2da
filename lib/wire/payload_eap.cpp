#include "wire/payload_eap.hpp"

#include <string>

namespace ikekit::wire {

Result<EapPayload> parse_eap(ByteView body) {
  Reader r(body);
  auto code = r.u8("eap.code");
  if (!code) return code.error();
  auto identifier = r.u8("eap.identifier");
  if (!identifier) return identifier.error();
  auto length = r.u16("eap.length");
  if (!length) return length.error();
  if (*length > body.size())
    return make_error(Errc::truncated, "eap.length",
                      "EAP length " + std::to_string(*length) + " but the payload holds " +
                          std::to_string(body.size()) + " bytes");
  if (*length < body.size() || *length < 4)
    return make_error(Errc::bad_length, "eap.length",
                      "EAP length " + std::to_string(*length) + " but the payload holds " +
                          std::to_string(body.size()) + " bytes");
  EapPayload out;
  out.code = EapCode(*code);
  out.identifier = *identifier;
  if (!out.has_type()) {
    if (*length != 4)
      return make_error(Errc::bad_length, "eap.length",
                        "EAP Success/Failure must be 4 bytes, got " + std::to_string(*length));
    return out;
  }
  auto type = r.u8("eap.type");
  if (!type) return type.error();
  out.type = EapType(*type);
  out.data = r.rest();
  return out;
}

void write_body(Writer& w, const EapPayload& p) {
  bool typed = p.has_type() && p.type.has_value();
  w.u8(uint8_t(p.code));
  w.u8(p.identifier);
  w.u16(uint16_t(4 + (typed ? 1 + p.data.size() : 0)));
  if (typed) {
    w.u8(uint8_t(*p.type));
    w.bytes(p.data);
  }
}

Result<size_t> serialize(const EapPayload& p, MutBytes out) {
  Writer w(out);
  write_body(w, p);
  return w.finish("eap");
}

} // namespace ikekit::wire
