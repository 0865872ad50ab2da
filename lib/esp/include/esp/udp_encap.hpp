// UDP encapsulation of ESP for NAT traversal (RFC 3948 2.1): the 8-byte UDP header
// written into headroom in front of a sealed ESP packet. Classifying what arrives on
// port 4500 (ESP, IKE after the non-ESP marker, NAT-keepalive) is
// wire::classify_udp_encap (wire/udp_encap.hpp).
#pragma once

#include "base/bytes.hpp"

#include <cstddef>
#include <cstdint>

namespace ikekit::esp {

inline constexpr size_t kUdpHeaderLen = 8;
inline constexpr uint16_t kNatTraversalPort = 4500; // RFC 3948 / RFC 7296 2.23

// Writes a UDP header in the 8 bytes before buffer[esp_offset] for the
// esp_len-byte ESP packet there, and returns the UDP datagram (header + ESP); an
// empty span when there is no headroom or the datagram would exceed 65535 bytes.
// RFC 3948 2.1: the checksum SHOULD be sent as zero over IPv4; callers sending over
// IPv6 must fill it in (RFC 8200 8.1) unless RFC 6936 zero-checksum rules apply.
MutBytes prepend_udp_header(MutBytes buffer, size_t esp_offset, size_t esp_len, uint16_t src_port,
                            uint16_t dst_port);

} // namespace ikekit::esp
