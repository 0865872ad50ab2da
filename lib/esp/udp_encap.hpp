// UDP encapsulation of ESP for NAT traversal (RFC 3948): the 8-byte UDP header
// written into headroom in front of a sealed ESP packet, and the classification of
// what arrives on the NAT-T port (ESP, IKE behind the non-ESP marker, keepalive).
//
// Kept in lib/esp: lib/wire had no UDP-encapsulation helper when this was written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/bytes.hpp"

namespace ikekit::esp {

inline constexpr size_t kUdpHeaderLen = 8;
inline constexpr uint16_t kNatTraversalPort = 4500;  // RFC 3948 / RFC 7296 2.23
inline constexpr size_t kNonEspMarkerLen = 4;        // RFC 3948 2.2: four zero octets
inline constexpr uint8_t kNatKeepalive = 0xff;       // RFC 3948 2.3: one octet 0xFF

// Writes a UDP header in the 8 bytes before buffer[esp_offset] for the
// esp_len-byte ESP packet there, and returns the UDP datagram (header + ESP); an
// empty span when there is no headroom or the datagram would exceed 65535 bytes.
// RFC 3948 2.1: the checksum SHOULD be sent as zero over IPv4; callers sending over
// IPv6 must fill it in (RFC 8200 8.1) unless RFC 6936 zero-checksum rules apply.
MutBytes prepend_udp_header(MutBytes buffer, size_t esp_offset, size_t esp_len,
                            uint16_t src_port, uint16_t dst_port);

// What a UDP payload received on port 4500 holds.
enum class UdpEncapKind : uint8_t {
  esp,        // an ESP packet: SPI (never 0) then sequence number (RFC 3948 2.1)
  ike,        // an IKE message after the non-ESP marker (RFC 3948 2.2)
  keepalive,  // a NAT-keepalive, to be ignored (RFC 3948 2.3)
  malformed,  // none of these
};
std::string_view udp_encap_kind_name(UdpEncapKind k);

UdpEncapKind classify_udp_encap(ByteView udp_payload);

// The IKE message inside a payload classified `ike` (the bytes after the marker).
inline ByteView strip_non_esp_marker(ByteView udp_payload) {
  return udp_payload.size() < kNonEspMarkerLen ? ByteView() : udp_payload.subspan(kNonEspMarkerLen);
}

}  // namespace ikekit::esp
