// The UDP header (RFC 768), parsed behind an IP header (wire/ip.hpp) and built in front
// of a payload: for the capture decoder and for UDP-encapsulated ESP (RFC 3948 2.1,
// what arrives on port 4500 is classified by wire/udp_encap.hpp). No allocation;
// typed errors, to_error() for a caller that reports them.
//
//  +--------+--------+--------+--------+
//  |  Source Port    |   Dest Port     |
//  |  Length         |   Checksum      |
//  +--------+--------+--------+--------+
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"

#include <cstddef>
#include <cstdint>

namespace ikekit::wire {

inline constexpr size_t kUdpHeaderSize = 8;

// Why a header was refused: a field cut short (named in to_error), or a Length below 8
// or beyond the IP payload.
enum class UdpError : uint8_t {
  none,
  src_port_truncated, // "udp.src_port"
  dst_port_truncated, // "udp.dst_port"
  length_truncated,   // "udp.length"
  checksum_truncated, // "udp.checksum"
  bad_length,         // "udp.length"
};

struct UdpHeader {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint16_t length = 0; // header + data
  uint16_t checksum = 0;
  ByteView payload; // the Length's worth of data (bytes behind it are not the datagram's)
};

UdpError parse_udp(ByteView ip_payload, UdpHeader& out);

// The Error a caller reports for `e` returned on `ip_payload`: field and message.
Error to_error(UdpError e, ByteView ip_payload);

// Writes a UDP header in the 8 bytes before buffer[payload_offset] for the payload_len
// bytes there, and returns the datagram (header + payload); an empty span when there is
// no headroom or the datagram would exceed 65535 bytes. The checksum is zero: RFC 3948
// 2.1 says to send it so over IPv4; a caller sending over IPv6 fills it in (RFC 8200
// 8.1, with wire/inet_checksum.hpp) unless RFC 6936 zero-checksum rules apply.
MutBytes prepend_udp_header(MutBytes buffer, size_t payload_offset, size_t payload_len,
                            uint16_t src_port, uint16_t dst_port);

} // namespace ikekit::wire
