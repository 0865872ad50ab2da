#include "wire/payload_notify.hpp"

namespace ikekit::wire {

Result<NotifyPayload> parse_notify(ByteView body) {
  Reader r(body);
  auto protocol = r.u8("notify.protocol_id");
  if (!protocol) return protocol.error();
  auto spi_size = r.u8("notify.spi_size");
  if (!spi_size) return spi_size.error();
  auto type = r.u16("notify.type");
  if (!type) return type.error();
  auto spi = r.bytes(*spi_size, "notify.spi");
  if (!spi) return spi.error();
  return NotifyPayload{ProtocolId(*protocol), *spi, NotifyType(*type), r.rest()};
}

void write_body(Writer& w, const NotifyPayload& p) {
  w.u8(uint8_t(p.protocol));
  w.u8(uint8_t(p.spi.size()));
  w.u16(uint16_t(p.type));
  w.bytes(p.spi);
  w.bytes(p.data);
}

Result<size_t> serialize(const NotifyPayload& p, MutBytes out) {
  Writer w(out);
  write_body(w, p);
  return w.finish("notify");
}

} // namespace ikekit::wire
