// The ESP packet layout (RFC 4303 2) and the room a caller must leave around a
// payload so an SA can seal it in place:
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ---   ^
//   |               Security Parameters Index (SPI)                 |  ^ headroom
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  |    |
//   |                      Sequence Number                          |  |    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  |    |
//   |                    IV (iv_len bytes, explicit)                |  |    v
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  |  ---
//   |                Payload Data (payload_len bytes)               | (encrypted)
//   +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  |    ^
//   |               |     Padding (0-255 bytes: 1, 2, 3, ...)       |  |  tailroom
//   +-+-+-+-+-+-+-+-+               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  |    |
//   |                               |  Pad Length   | Next Header   |  v    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ---   |
//   |         Integrity Check Value (icv_len bytes)                 |       v
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ -------
#pragma once

#include "base/bytes.hpp"
#include "crypto/suite.hpp"
#include "wire/esp.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>

namespace ikekit::esp {

inline constexpr size_t kEspHeaderLen = wire::kEspHeaderSize;   // SPI + low 32 bits of seq
inline constexpr size_t kEspTrailerLen = wire::kEspTrailerSize; // Pad Length + Next Header
inline constexpr size_t kMaxPadLen = 255;

// Next Header values the ESP layer itself cares about (IANA protocol numbers).
inline constexpr uint8_t kNextHeaderIpv4 = wire::kEspNextHeaderIpv4;  // tunnel, inner IPv4
inline constexpr uint8_t kNextHeaderIpv6 = wire::kEspNextHeaderIpv6;  // tunnel, inner IPv6
inline constexpr uint8_t kNextHeaderNone = wire::kEspNextHeaderDummy; // dummy (RFC 4303 2.6)

// Next Header for a tunnel-mode payload (RFC 4303 2.6): 4 for an inner IPv4 packet,
// 41 for IPv6, by the version nibble; nullopt for anything else.
inline std::optional<uint8_t> tunnel_next_header(ByteView inner_packet) {
  if (inner_packet.empty()) return std::nullopt;
  switch (inner_packet[0] >> 4) {
  case 4:
    return kNextHeaderIpv4;
  case 6:
    return kNextHeaderIpv6;
  default:
    return std::nullopt;
  }
}

// Sizes of one suite's framing. `integ` is null for AEAD suites.
struct Overhead {
  size_t header = 0;      // ESP header + IV: headroom needed before the payload
  size_t align = 4;       // the ciphertext (payload..next header) is a multiple of this
  size_t icv = 0;         // ICV bytes after the ciphertext
  size_t max_trailer = 0; // worst-case padding + 2 + ICV: tailroom needed after the payload

  // Padding the sender adds (RFC 4303 2.4): the least that makes payload + padding + 2
  // a multiple of `align` (the cipher block size, at least 4 for the 32-bit alignment).
  size_t padding(size_t payload_len) const {
    size_t r = (payload_len + kEspTrailerLen) % align;
    return r == 0 ? 0 : align - r;
  }
  // Bytes after the payload once sealed: padding + trailer + ICV.
  size_t trailer(size_t payload_len) const { return padding(payload_len) + kEspTrailerLen + icv; }
  // Total ESP packet length (header through ICV) for a payload.
  size_t sealed_len(size_t payload_len) const {
    return header + payload_len + trailer(payload_len);
  }
};

Overhead esp_overhead(const crypto::TransformInfo& encr, const crypto::TransformInfo* integ);

// The two fields every ESP packet starts with, read without any SA (RFC 4303 2.1, 2.2).
// Returns false when `packet` is shorter than the ESP header. The per-packet path uses
// this rather than wire::parse_esp_header, whose Error for a short packet allocates.
struct EspHeader {
  uint32_t spi = 0;
  uint32_t seq_lo = 0;
};
inline bool read_esp_header(ByteView packet, EspHeader& out) {
  if (packet.size() < kEspHeaderLen) return false;
  out.spi = load_be32(packet.data());
  out.seq_lo = load_be32(packet.data() + 4);
  return true;
}

} // namespace ikekit::esp
