// The Internet checksum (RFC 1071, RFC 1624) of IP, UDP and TCP headers: the IPv4
// header checksum of the headers wire/ip.hpp builds, and the TCP offloads of the
// user-space data plane (segments cut from a TCP super-packet need their checksums
// computed, esp/tcp_segment.hpp; received segments are verified before they are
// coalesced, esp/tcp_coalesce.hpp). Sans-I/O, no allocation.
//
// The sum is accumulated in host byte order (RFC 1071 2(B): the one's complement sum
// is independent of byte order) in 64 bits with end-around carries, and turned into
// the big-endian 16-bit value only when folded. Chunks added one after another may be
// of any length: a chunk that starts at an odd offset of the summed region has its
// sum byte-swapped (RFC 1071 2(B) again) before it is added.
#pragma once

#include "base/bytes.hpp"

#include <bit>
#include <cstddef>
#include <cstdint>

namespace ikekit::wire {

namespace detail {
// One's complement addition in 64 bits: the carry out of the top wraps around.
inline uint64_t add_end_around(uint64_t a, uint64_t b) {
  a += b;
  return a + (a < b);
}
} // namespace detail

class InetChecksum {
public:
  // The bytes of `data`, continuing the summed region where the last add ended.
  void add(ByteView data);
  // Copies `src` to `dst` (which must not overlap it) and adds it, in one pass over the
  // bytes: for a segment that is built by copying anyway (esp/tcp_segment.hpp).
  void add_copy(uint8_t* dst, ByteView src);
  // A 16-bit value as it appears in the packet (big-endian numeric value), summed as a
  // word at an even offset whatever was added before (the pseudo-header's fields).
  void add_be16(uint16_t v) { acc_ = detail::add_end_around(acc_, to_host_order(v)); }
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
  void add_chunk_sum(uint64_t sum, size_t len);

  uint64_t acc_ = 0;
  bool odd_ = false; // the bytes added so far are of odd length
};

// The pseudo-header sum of TCP/UDP over IPv4 (RFC 793 3.1, RFC 768) or IPv6 (RFC 8200
// 8.1), from the addresses of `ip` (an IPv4 or IPv6 header), the protocol and the
// upper-layer length.
InetChecksum pseudo_header_sum(ByteView ip, uint8_t protocol, uint32_t upper_len);

// The IPv4 header checksum field (bytes 10-11, RFC 791 3.1) recomputed over
// `ihl_bytes` of header (options included).
void set_ipv4_header_checksum(uint8_t* ip, size_t ihl_bytes);

} // namespace ikekit::wire
