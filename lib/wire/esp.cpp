#include "wire/esp.hpp"

#include <string>

namespace ikekit::wire {

Result<EspHeader> parse_esp_header(ByteView packet) {
  Reader r(packet);
  auto spi = r.u32("esp.spi");
  if (!spi) return spi.error();
  auto seq = r.u32("esp.seq");
  if (!seq) return seq.error();
  if (*spi == 0) return make_error(Errc::bad_value, "esp.spi", "SPI 0 is reserved (RFC 4303 2.1)");
  return EspHeader{*spi, *seq, r.rest()};
}

void write_esp_header(Writer& w, uint32_t spi, uint32_t seq) {
  w.u32(spi);
  w.u32(seq);
}

Result<EspTrailer> parse_esp_trailer(ByteView decrypted, bool check_padding) {
  if (decrypted.size() < kEspTrailerSize)
    return make_error(Errc::truncated, "esp.trailer",
                      "needs 2 bytes, have " + std::to_string(decrypted.size()));
  size_t n = decrypted.size();
  EspTrailer t;
  t.pad_length = decrypted[n - 2];
  t.next_header = decrypted[n - 1];
  if (t.pad_length > n - kEspTrailerSize)
    return make_error(Errc::bad_length, "esp.pad_length",
                      "pad length " + std::to_string(t.pad_length) + " but only " +
                          std::to_string(n - kEspTrailerSize) + " bytes precede the trailer");
  size_t payload_size = n - kEspTrailerSize - t.pad_length;
  if (check_padding) {
    for (size_t i = 0; i < t.pad_length; ++i)
      if (decrypted[payload_size + i] != uint8_t(i + 1))
        return make_error(Errc::bad_value, "esp.padding",
                          "padding byte " + std::to_string(i) + " is " +
                              std::to_string(decrypted[payload_size + i]) + ", expected " +
                              std::to_string(i + 1) + " (RFC 4303 2.4)");
  }
  t.payload = decrypted.first(payload_size);
  return t;
}

size_t esp_padding_length(size_t payload_size, size_t block) {
  if (block < 4) block = 4;
  size_t used = (payload_size + kEspTrailerSize) % block;
  return used == 0 ? 0 : block - used;
}

void write_esp_trailer(Writer& w, size_t pad_length, uint8_t next_header) {
  for (size_t i = 0; i < pad_length; ++i)
    w.u8(uint8_t(i + 1));
  w.u8(uint8_t(pad_length));
  w.u8(next_header);
}

} // namespace ikekit::wire
