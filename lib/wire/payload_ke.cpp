#include "wire/payload_ke.hpp"

namespace ikekit::wire {

Result<KePayload> parse_ke(ByteView body) {
  Reader r(body);
  auto group = r.u16("ke.group");
  if (!group) return group.error();
  auto reserved = r.u16("ke.reserved");
  if (!reserved) return reserved.error();
  return KePayload{KeGroup(*group), r.rest()};
}

void write_body(Writer& w, const KePayload& p) {
  w.u16(uint16_t(p.group));
  w.u16(0);
  w.bytes(p.data);
}

Result<size_t> serialize(const KePayload& p, MutBytes out) {
  Writer w(out);
  write_body(w, p);
  return w.finish("ke");
}

} // namespace ikekit::wire
