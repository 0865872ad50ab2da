#include "wire/payload_auth.hpp"

namespace ikekit::wire {

Result<AuthPayload> parse_auth(ByteView body) {
  Reader r(body);
  auto method = r.u8("auth.method");
  if (!method) return method.error();
  auto reserved = r.bytes(3, "auth.reserved");
  if (!reserved) return reserved.error();
  return AuthPayload{AuthMethod(*method), r.rest()};
}

void write_body(Writer& w, const AuthPayload& p) {
  w.u8(uint8_t(p.method));
  w.zeros(3);
  w.bytes(p.data);
}

Result<size_t> serialize(const AuthPayload& p, MutBytes out) {
  Writer w(out);
  write_body(w, p);
  return w.finish("auth");
}

} // namespace ikekit::wire
