// The Internet checksum (RFC 1071, RFC 1624) of IP, UDP and TCP headers: the IPv4
// header checksum of the headers wire/ip.hpp builds, and the TCP offloads of the
// user-space data plane (segments cut from a TCP super-packet need their checksums
// computed, esp/tcp_segment.hpp; received segments are verified before they are
// coalesced, esp/tcp_coalesce.hpp). Sans-I/O, no allocation.
//
// The sum is accumulated in host byte order over 32-bit words (RFC 1071 2(B): the
// one's complement sum is independent of byte order) and turned into the big-endian
// 16-bit value only when folded. Chunks added one after another must each start at an
// even offset of the summed region (headers and payloads of IP packets do).
#pragma once

#include "base/bytes.hpp"

#include <bit>
#include <cstddef>
#include <cstdint>

namespace ikekit::wire {

class InetChecksum {
public:
  void add(ByteView data);
  // A 16-bit value as it appears in the packet (big-endian numeric value).
  void add_be16(uint16_t v) { acc_ += to_host_order(v); }
  void add_be32(uint32_t v) {
    add_be16(uint16_t(v >> 16));
    add_be16(uint16_t(v));
  }
  // The one's complement sum folded to 16 bits (big-endian numeric value), not
  // complemented: what a CHECKSUM_PARTIAL header field holds for the pseudo-header.
  uint16_t folded() const;
  // The checksum to write into a header: the complement of folded().
  uint16_t checksum() const { return uint16_t(~folded()); }

private:
  static uint16_t to_host_order(uint16_t v) {
    if constexpr (std::endian::native == std::endian::little) return uint16_t(v << 8 | v >> 8);
    return v;
  }
  uint64_t acc_ = 0;
};

// The pseudo-header sum of TCP/UDP over IPv4 (RFC 793 3.1, RFC 768) or IPv6 (RFC 8200
// 8.1), from the addresses of `ip` (an IPv4 or IPv6 header), the protocol and the
// upper-layer length.
InetChecksum pseudo_header_sum(ByteView ip, uint8_t protocol, uint32_t upper_len);

// The IPv4 header checksum field (bytes 10-11, RFC 791 3.1) recomputed over
// `ihl_bytes` of header (options included).
void set_ipv4_header_checksum(uint8_t* ip, size_t ihl_bytes);

} // namespace ikekit::wire
