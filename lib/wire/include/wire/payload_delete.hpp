// Delete payload, RFC 7296 3.11.
// | Protocol ID   |   SPI Size    |          Num of SPIs          |
// ~               Security Parameter Index(es) (SPI)              ~
// For the IKE SA: Protocol ID 1, SPI Size 0, Num of SPIs 0. AH/ESP: SPI Size 4.
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "wire/ids.hpp"

namespace ikekit::wire {

struct DeletePayload {
  ProtocolId protocol = ProtocolId::esp;
  uint8_t spi_size = 4;
  uint16_t count = 0; // Num of SPIs
  ByteView spis;      // count * spi_size bytes

  ByteView spi(size_t i) const { return spis.subspan(i * spi_size, spi_size); }
  uint32_t spi_u32(size_t i) const { return load_be32(spis.data() + i * 4); } // spi_size == 4
};

// Errors: "delete.protocol_id", "delete.spi_size", "delete.num_spis", "delete.spis"
// (truncated if fewer than count * spi_size bytes, bad_length if more).
Result<DeletePayload> parse_delete(ByteView body);
void write_body(Writer& w, const DeletePayload& p);
Result<size_t> serialize(const DeletePayload& p, MutBytes out);

} // namespace ikekit::wire
