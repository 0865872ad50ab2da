#include "wire/payload_delete.hpp"

#include <string>

namespace ikekit::wire {

Result<DeletePayload> parse_delete(ByteView body) {
  Reader r(body);
  auto protocol = r.u8("delete.protocol_id");
  if (!protocol) return protocol.error();
  auto spi_size = r.u8("delete.spi_size");
  if (!spi_size) return spi_size.error();
  auto count = r.u16("delete.num_spis");
  if (!count) return count.error();
  auto spis = r.bytes(size_t(*spi_size) * *count, "delete.spis");
  if (!spis) return spis.error();
  if (!r.empty())
    return make_error(Errc::bad_length, "delete.spis",
                      std::to_string(r.remaining()) + " bytes after " + std::to_string(*count) +
                          " SPIs of " + std::to_string(*spi_size) + " bytes");
  return DeletePayload{ProtocolId(*protocol), *spi_size, *count, *spis};
}

void write_body(Writer& w, const DeletePayload& p) {
  w.u8(uint8_t(p.protocol));
  w.u8(p.spi_size);
  w.u16(p.count);
  w.bytes(p.spis);
}

Result<size_t> serialize(const DeletePayload& p, MutBytes out) {
  Writer w(out);
  write_body(w, p);
  return w.finish("delete");
}

} // namespace ikekit::wire
