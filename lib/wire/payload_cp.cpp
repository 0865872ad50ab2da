#include "wire/payload_cp.hpp"

#include <string>

namespace ikekit::wire {

Result<CpPayload> parse_cp(ByteView body) {
  Reader r(body);
  auto type = r.u8("cp.cfg_type");
  if (!type) return type.error();
  auto reserved = r.bytes(3, "cp.reserved");
  if (!reserved) return reserved.error();
  CpPayload out;
  out.type = CfgType(*type);
  for (size_t i = 0; !r.empty(); ++i) {
    auto fail = [i](const Error& e) {
      return Error(e).within("cp.attribute[" + std::to_string(i) + "]");
    };
    auto attr_type = r.u16("type");
    if (!attr_type) return fail(attr_type.error());
    auto length = r.u16("length");
    if (!length) return fail(length.error());
    auto value = r.bytes(*length, "value");
    if (!value) return fail(value.error());
    out.attributes.push_back(CfgAttribute{CfgAttr(*attr_type & 0x7fff), *value});
  }
  return out;
}

void write_body(Writer& w, const CpPayload& p) {
  w.u8(uint8_t(p.type));
  w.zeros(3);
  for (const auto& a : p.attributes) {
    w.u16(uint16_t(uint16_t(a.type) & 0x7fff));
    w.u16(uint16_t(a.value.size()));
    w.bytes(a.value);
  }
}

Result<size_t> serialize(const CpPayload& p, MutBytes out) {
  Writer w(out);
  write_body(w, p);
  return w.finish("cp");
}

} // namespace ikekit::wire
