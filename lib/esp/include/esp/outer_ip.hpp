// Outer IP headers around ESP, for callers that build or strip them themselves
// (raw sockets, TUN, pcap): tunnel mode wraps the inner packet (RFC 4301 5.1.2),
// transport mode keeps the original header with protocol 50 (RFC 4303 3.1.1).
// The ESP layer itself only produces and consumes the ESP bytes.
#pragma once

#include "base/bytes.hpp"
#include "base/ip_address.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>

namespace ikekit::esp {

inline constexpr size_t kIpv4HeaderLen = 20; // without options
inline constexpr size_t kIpv6HeaderLen = 40; // without extension headers

// The IPv4 header checksum (RFC 791, RFC 1071) over `len` bytes of header whose
// checksum field is zero.
uint16_t ipv4_checksum(const uint8_t* header, size_t len);

// Next Header for a tunnel-mode payload (RFC 4303 2.6): 4 for an inner IPv4 packet,
// 41 for IPv6, by the version nibble; nullopt for anything else.
std::optional<uint8_t> tunnel_next_header(ByteView inner_packet);

// Writes an IPv4 (RFC 791, header checksum filled, DF clear, no options) or IPv6
// (RFC 8200) header just before buffer[payload_offset], with `protocol` as Protocol /
// Next Header (50 for ESP, 17 for UDP-encapsulated ESP). Returns the whole IP packet;
// an empty span when src and dst differ in family, there is no headroom, or the
// packet would be too long.
MutBytes prepend_ip_header(MutBytes buffer, size_t payload_offset, size_t payload_len,
                           const IpAddress& src, const IpAddress& dst, uint8_t protocol,
                           uint8_t ttl = 64, uint16_t ipv4_id = 0);

// The outer header of a received packet: addresses, protocol, and where the payload
// lies. IPv4 options are skipped; IPv6 extension headers are not (protocol is the
// first Next Header). nullopt for a truncated or inconsistent header or an IPv4
// fragment (reassemble first).
struct IpHeaderInfo {
  IpAddress src;
  IpAddress dst;
  uint8_t protocol = 0;
  size_t payload_offset = 0;
  size_t payload_len = 0;
};
std::optional<IpHeaderInfo> parse_ip_header(ByteView packet);

} // namespace ikekit::esp
