#include "esp/sa_db.hpp"

#include "base/hex.hpp"

namespace ikekit::esp {

Result<void> EspSaDb::add(EspSaIn sa) {
  const uint32_t spi = sa.spi();
  auto [it, inserted] = sas_.try_emplace(spi, std::move(sa));
  (void)it;
  if (!inserted)
    return make_error(Errc::bad_value, "spi",
                      "an inbound SA with SPI " + to_hex_u32(spi) + " already exists");
  return {};
}

bool EspSaDb::remove(uint32_t spi) { return sas_.erase(spi) > 0; }

EspSaIn* EspSaDb::find(uint32_t spi) {
  auto it = sas_.find(spi);
  return it == sas_.end() ? nullptr : &it->second;
}

const EspSaIn* EspSaDb::find(uint32_t spi) const {
  auto it = sas_.find(spi);
  return it == sas_.end() ? nullptr : &it->second;
}

Opened EspSaDb::open_in_place(MutBytes esp_packet) {
  Opened out;
  EspHeader h;
  if (!read_esp_header(esp_packet, h)) {
    ++malformed_;
    out.status = OpenStatus::malformed;
    return out;
  }
  EspSaIn* sa = find(h.spi);
  if (!sa) {
    ++unknown_spi_;
    out.status = OpenStatus::unknown_spi;
    return out;
  }
  return sa->open_in_place(esp_packet);
}

} // namespace ikekit::esp
