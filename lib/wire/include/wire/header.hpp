// The IKE header, RFC 7296 3.1.
//
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                       IKE SA Initiator's SPI                  |
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                       IKE SA Responder's SPI                  |
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                          Message ID                           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                            Length                             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Flags: |X|X|R|V|I|X|X|X|  R = Response (0x20), V = Version (0x10), I = Initiator (0x08).
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "wire/ids.hpp"

#include <cstddef>
#include <cstdint>

namespace ikekit::wire {

inline constexpr size_t kIkeHeaderSize = 28;
inline constexpr size_t kIkeHeaderNextPayloadOffset = 16;
inline constexpr size_t kIkeHeaderLengthOffset = 24;

inline constexpr uint8_t kFlagInitiator = 0x08;
inline constexpr uint8_t kFlagVersion = 0x10;
inline constexpr uint8_t kFlagResponse = 0x20;

struct IkeHeader {
  uint64_t spi_i = 0;
  uint64_t spi_r = 0;
  uint8_t next_payload = 0; // type of the first payload (PayloadType value)
  uint8_t major_version = 2;
  uint8_t minor_version = 0;
  ExchangeType exchange_type = ExchangeType::ike_sa_init;
  uint8_t flags = 0;
  uint32_t message_id = 0;
  uint32_t length = 0; // whole message including this header

  bool initiator() const { return flags & kFlagInitiator; }
  bool response() const { return flags & kFlagResponse; }
  bool version_flag() const { return flags & kFlagVersion; }

  friend bool operator==(const IkeHeader&, const IkeHeader&) = default;
};

// Parses the header at the start of `datagram` (after any non-ESP marker).
// Checks: 28 bytes present ("header.*" truncated); major version 2 (RFC 7296 2.5:
// otherwise INVALID_MAJOR_VERSION; Errc::unsupported, field "header.major_version");
// length >= 28 (bad_length) and length == datagram size (bigger: truncated, smaller:
// bad_length; field "header.length").
Result<IkeHeader> parse_header(ByteView datagram);

// Like parse_header but only checks that the 28 bytes are there; no version or
// length checks (for decoders that want to show a broken header).
Result<IkeHeader> parse_header_fields(ByteView data);

// Writes the 28 header bytes as given (length and next_payload included).
void write_header(Writer& w, const IkeHeader& h);
Result<size_t> serialize_header(const IkeHeader& h, MutBytes out);

} // namespace ikekit::wire
