// Inbound SA lookup by SPI (RFC 4301 4.4.2: the SAD is indexed by SPI for unicast
// ESP). Adding and removing SAs allocates; looking a packet up does not.
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "esp/sa.hpp"

#include <cstdint>
#include <unordered_map>

namespace ikekit::esp {

class EspSaDb {
public:
  // Errc::bad_value when an SA with the same SPI is already present.
  Result<void> add(EspSaIn sa);
  // True when an SA was removed.
  bool remove(uint32_t spi);
  EspSaIn* find(uint32_t spi);
  const EspSaIn* find(uint32_t spi) const;
  size_t size() const { return sas_.size(); }

  // Reads the SPI, finds the SA and opens the packet with it. A packet shorter than
  // the ESP header is counted malformed, an unknown SPI unknown_spi; both counters
  // live here because no SA saw the packet.
  Opened open_in_place(MutBytes esp_packet);

  uint64_t unknown_spi() const { return unknown_spi_; }
  uint64_t malformed() const { return malformed_; }

private:
  std::unordered_map<uint32_t, EspSaIn> sas_;
  uint64_t unknown_spi_ = 0;
  uint64_t malformed_ = 0;
};

} // namespace ikekit::esp
