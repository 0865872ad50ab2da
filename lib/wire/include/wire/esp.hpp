// ESP packet layout, RFC 4303 2:
//
//  0                   1                   2                   3
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |               Security Parameters Index (SPI)                 |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                      Sequence Number                          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    IV (optional, per suite)                   |
// ~                    Payload Data (variable)                    ~
// |               |     Padding (0-255 bytes)                     |
// |                               |  Pad Length   | Next Header   |
// ~           Integrity Check Value-ICV   (variable)              ~
//
// Here: the clear header, and the trailer of a decrypted payload. Cipher-specific sizes
// (IV, ICV, block) come from the crypto suite table.
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"

#include <cstddef>
#include <cstdint>

namespace ikekit::wire {

inline constexpr size_t kEspHeaderSize = 8;  // SPI + Sequence Number
inline constexpr size_t kEspTrailerSize = 2; // Pad Length + Next Header
// Smallest packet: header + trailer (NULL encryption, no ICV).
inline constexpr size_t kEspMinPacketSize = kEspHeaderSize + kEspTrailerSize;
inline constexpr uint8_t kEspNextHeaderDummy = 59; // RFC 4303 2.6 dummy packet (TFC)
inline constexpr uint8_t kEspNextHeaderIpv4 = 4;
inline constexpr uint8_t kEspNextHeaderIpv6 = 41;

struct EspHeader {
  uint32_t spi = 0;
  uint32_t seq = 0; // low 32 bits of the sequence number
  ByteView rest;    // IV | ciphertext | ICV
};

// Errors: truncated "esp.spi" / "esp.seq"; bad_value "esp.spi" for SPI 0 (RFC 4303 2.1:
// reserved for local use, never sent).
Result<EspHeader> parse_esp_header(ByteView packet);
void write_esp_header(Writer& w, uint32_t spi, uint32_t seq);

struct EspTrailer {
  uint8_t pad_length = 0;
  uint8_t next_header = 0;
  ByteView payload; // the inner packet, padding and trailer removed
};

// Parses the end of a decrypted ESP payload (Payload Data | Padding | Pad Length | Next
// Header). RFC 4303 2.4: default padding bytes are 1, 2, 3, ...; `check_padding` verifies
// that. Errors: truncated "esp.trailer" (< 2 bytes), bad_length "esp.pad_length" (more
// padding than data), bad_value "esp.padding" (not 1, 2, 3 ...).
Result<EspTrailer> parse_esp_trailer(ByteView decrypted, bool check_padding = true);

// Padding needed after `payload_size` bytes so payload + padding + 2 is a multiple of
// `block` (use 4 for stream/AEAD ciphers: RFC 4303 2.4 requires 4-byte alignment).
size_t esp_padding_length(size_t payload_size, size_t block);
// Writes padding 1, 2, 3, ..., Pad Length, Next Header.
void write_esp_trailer(Writer& w, size_t pad_length, uint8_t next_header);

} // namespace ikekit::wire
