#include "wire/payload_cert.hpp"

namespace ikekit::wire {

Result<CertPayload> parse_cert(ByteView body) {
  Reader r(body);
  auto enc = r.u8("cert.encoding");
  if (!enc) return enc.error();
  return CertPayload{CertEncoding(*enc), r.rest()};
}

Result<CertReqPayload> parse_certreq(ByteView body) {
  Reader r(body);
  auto enc = r.u8("certreq.encoding");
  if (!enc) return enc.error();
  return CertReqPayload{CertEncoding(*enc), r.rest()};
}

void write_body(Writer& w, const CertPayload& p) {
  w.u8(uint8_t(p.encoding));
  w.bytes(p.data);
}

void write_body(Writer& w, const CertReqPayload& p) {
  w.u8(uint8_t(p.encoding));
  w.bytes(p.authorities);
}

Result<size_t> serialize(const CertPayload& p, MutBytes out) {
  Writer w(out);
  write_body(w, p);
  return w.finish("cert");
}

Result<size_t> serialize(const CertReqPayload& p, MutBytes out) {
  Writer w(out);
  write_body(w, p);
  return w.finish("certreq");
}

} // namespace ikekit::wire
