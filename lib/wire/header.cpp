// RFC 7296 3.1 IKE header.
#include "wire/header.hpp"

#include <string>

namespace ikekit::wire {

Result<IkeHeader> parse_header_fields(ByteView data) {
  Reader r(data);
  IkeHeader h;
  auto spi_i = r.u64("header.spi_i");
  if (!spi_i) return spi_i.error();
  auto spi_r = r.u64("header.spi_r");
  if (!spi_r) return spi_r.error();
  auto next = r.u8("header.next_payload");
  if (!next) return next.error();
  auto version = r.u8("header.version");
  if (!version) return version.error();
  auto exchange = r.u8("header.exchange_type");
  if (!exchange) return exchange.error();
  auto flags = r.u8("header.flags");
  if (!flags) return flags.error();
  auto message_id = r.u32("header.message_id");
  if (!message_id) return message_id.error();
  auto length = r.u32("header.length");
  if (!length) return length.error();
  h.spi_i = *spi_i;
  h.spi_r = *spi_r;
  h.next_payload = *next;
  h.major_version = uint8_t(*version >> 4);
  h.minor_version = uint8_t(*version & 0x0f);
  h.exchange_type = ExchangeType(*exchange);
  h.flags = *flags;
  h.message_id = *message_id;
  h.length = *length;
  return h;
}

Result<IkeHeader> parse_header(ByteView datagram) {
  auto h = parse_header_fields(datagram);
  if (!h) return h;
  // RFC 7296 2.5: a different major version is answered with INVALID_MAJOR_VERSION.
  if (h->major_version != 2)
    return make_error(Errc::unsupported, "header.major_version",
                      "major version " + std::to_string(h->major_version) +
                          ", only 2 is supported");
  if (h->length < kIkeHeaderSize)
    return make_error(Errc::bad_length, "header.length",
                      "length " + std::to_string(h->length) +
                          " is shorter than the 28-byte header");
  if (h->length > datagram.size())
    return make_error(Errc::truncated, "header.length",
                      "length " + std::to_string(h->length) + " but the datagram has " +
                          std::to_string(datagram.size()) + " bytes");
  if (h->length < datagram.size())
    return make_error(Errc::bad_length, "header.length",
                      "length " + std::to_string(h->length) + " but the datagram has " +
                          std::to_string(datagram.size()) + " bytes");
  return h;
}

void write_header(Writer& w, const IkeHeader& h) {
  w.u64(h.spi_i);
  w.u64(h.spi_r);
  w.u8(h.next_payload);
  w.u8(uint8_t(h.major_version << 4 | (h.minor_version & 0x0f)));
  w.u8(uint8_t(h.exchange_type));
  w.u8(h.flags);
  w.u32(h.message_id);
  w.u32(h.length);
}

Result<size_t> serialize_header(const IkeHeader& h, MutBytes out) {
  Writer w(out);
  write_header(w, h);
  return w.finish("header");
}

} // namespace ikekit::wire
