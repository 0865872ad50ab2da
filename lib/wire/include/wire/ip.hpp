// IPv4 (RFC 791) and IPv6 (RFC 8200) headers: the one codec that the data plane (the
// selector check, the TCP offloads, outer headers of raw ESP: esp, io) and the capture
// decoder (decode) share. Parsing never allocates and reports a typed IpError, so it
// can sit on the per-packet path; to_error() turns one into the Error (field path and
// text) for a caller that reports it. Building writes a header into the headroom in
// front of a payload.
//
//  IPv4 (RFC 791 3.1)                        IPv6 (RFC 8200 3)
//  +-------+-------+-------+-------+         +-------+-------+-------+-------+
//  |Ver|IHL|  TOS  | Total Length  |         |Ver| Traffic Class | Flow Label|
//  | Identification|Flg|Frag Offset|         |Payload Length |NextHdr|HopLmt |
//  |  TTL  | Proto |   Checksum    |         |    Source Address (16 bytes)  |
//  |   Source Address (4 bytes)    |         | Destination Address (16 bytes)|
//  | Destination Address (4 bytes) |         +-------------------------------+
//  |  Options (IHL > 5 words) ...  |         extension headers (RFC 8200 4), each
//  +-------------------------------+         starting with its own Next Header
#pragma once

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/result.hpp"

#include <cstddef>
#include <cstdint>

namespace ikekit::wire {

// IANA "Assigned Internet Protocol Numbers": IPv4 Protocol / IPv6 Next Header.
inline constexpr uint8_t kIpProtoHopByHop = 0; // IPv6 Hop-by-Hop Options (RFC 8200 4.3)
inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoIpv4 = 4; // IP in IP: a tunnel-mode ESP payload
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;
inline constexpr uint8_t kIpProtoIpv6 = 41;
inline constexpr uint8_t kIpProtoRouting = 43;  // RFC 8200 4.4
inline constexpr uint8_t kIpProtoFragment = 44; // RFC 8200 4.5
inline constexpr uint8_t kIpProtoEsp = 50;
inline constexpr uint8_t kIpProtoAh = 51;
inline constexpr uint8_t kIpProtoIcmpv6 = 58;
inline constexpr uint8_t kIpProtoNoNext = 59;   // RFC 8200 4.7; also ESP's dummy packet
inline constexpr uint8_t kIpProtoDestOpts = 60; // RFC 8200 4.6

inline constexpr size_t kIpv4HeaderSize = 20; // without options
inline constexpr size_t kIpv6HeaderSize = 40; // without extension headers
inline constexpr size_t kIpv6FragmentHeaderSize = 8;
// Extension headers walked before giving up: RFC 8200 4.1 orders at most seven kinds,
// so a longer chain is no traffic anyone sends.
inline constexpr size_t kMaxIpv6Extensions = 8;

// Why a header was refused; to_error() names the field and says what was wrong.
enum class IpError : uint8_t {
  none,
  empty,                    // "ip": no byte to read the version from
  version,                  // "ip.version": neither 4 nor 6
  ipv4_truncated,           // "ipv4": fewer than 20 bytes
  ipv4_version,             // "ipv4.version": not 4 (parse_ipv4 on another packet)
  ipv4_ihl,                 // "ipv4.ihl": below 5 words, or more than the data
  ipv4_total_length,        // "ipv4.total_length": shorter than the header
  ipv6_truncated,           // "ipv6": fewer than 40 bytes
  ipv6_version,             // "ipv6.version": not 6
  ipv6_extension_truncated, // "ipv6.extension": fewer than 8 bytes left for one
  ipv6_extension_length,    // "ipv6.extension.length": reaches past the payload
  ipv6_fragment_truncated,  // "ipv6.fragment": fewer than 8 bytes left for it
  ipv6_chain_too_long,      // "ipv6.extension": more than kMaxIpv6Extensions
};

// How far parse_ipv6 follows the Next Header chain (RFC 8200 4).
enum class Ipv6Walk : uint8_t {
  none,              // `protocol` is the fixed header's Next Header
  extensions,        // over Hop-by-Hop, Routing, Destination Options and Fragment headers
  extensions_and_ah, // and over AH (RFC 4302 2: 32-bit words), to the upper layer
};

// A parsed header; its views point into the packet. Valid only after IpError::none.
struct IpHeader {
  uint8_t version = 0;   // 4 or 6
  uint8_t protocol = 0;  // IPv4 Protocol; IPv6 the Next Header where the walk stopped
  uint8_t hop_limit = 0; // TTL / Hop Limit
  ByteView src;          // 4 or 16 bytes
  ByteView dst;
  size_t header_len = 0; // where `payload` starts: IHL * 4, or 40 + extension headers walked
  // From header_len to the end the length field gives (Total Length, Payload Length), cut
  // to the data: a capture may hold Ethernet padding after a packet or less than it.
  ByteView payload;
  bool cut = false; // the length field promises more than the data holds
  // Fragments (RFC 791 3.2, RFC 8200 4.5). IPv4: MF set or a non-zero offset. IPv6: a
  // Fragment header was walked; the walk stops behind it (`protocol` is its Next
  // Header, `payload` the fragment's data).
  bool fragment = false;
  bool more_fragments = false;
  uint32_t fragment_offset = 0; // in bytes
  uint32_t fragment_id = 0;     // Identification: 16 bits in IPv4, 32 in IPv6
};

// The IPv4 header, options skipped by IHL.
IpError parse_ipv4(ByteView packet, IpHeader& out);
// The IPv6 header and, as `walk` says, its extension headers.
IpError parse_ipv6(ByteView packet, IpHeader& out, Ipv6Walk walk = Ipv6Walk::extensions);
// Either, by the version nibble.
IpError parse_ip(ByteView packet, IpHeader& out, Ipv6Walk walk = Ipv6Walk::extensions);
// Walks on from h.protocol over h.payload, advancing both and h.header_len: behind a
// first fragment's Fragment header (its upper-layer header is there, RFC 8200 4.5), or
// over a reassembled datagram.
IpError walk_ipv6_extensions(IpHeader& h, Ipv6Walk walk);
// Whether `walk` goes over Next Header `nh`.
inline bool is_ipv6_extension(uint8_t nh, Ipv6Walk walk) {
  return walk != Ipv6Walk::none &&
         (nh == kIpProtoHopByHop || nh == kIpProtoRouting || nh == kIpProtoDestOpts ||
          nh == kIpProtoFragment || (nh == kIpProtoAh && walk == Ipv6Walk::extensions_and_ah));
}

// The Error a caller reports: code, field (as listed at IpError) and message.
Error to_error(IpError e);

// Writes an IPv4 (RFC 791: IHL 5, DF clear, header checksum filled) or IPv6 (RFC 8200)
// header just before buffer[payload_offset], with `protocol` as Protocol / Next Header.
// Returns the whole IP packet; an empty span when src and dst differ in family, there
// is no headroom, or the packet would be too long for the length field.
MutBytes prepend_ip_header(MutBytes buffer, size_t payload_offset, size_t payload_len,
                           const IpAddress& src, const IpAddress& dst, uint8_t protocol,
                           uint8_t ttl = 64, uint16_t ipv4_id = 0);

// Inline: these run for every packet of the data plane (selector check, TCP offloads),
// where a call and a zeroed struct cost as much as the parsing.
inline IpError parse_ipv4(ByteView p, IpHeader& out) {
  if (p.size() < kIpv4HeaderSize) return IpError::ipv4_truncated;
  if (p[0] >> 4 != 4) return IpError::ipv4_version;
  const size_t ihl = size_t(p[0] & 0x0f) * 4;
  if (ihl < kIpv4HeaderSize || ihl > p.size()) return IpError::ipv4_ihl;
  const size_t total = load_be16(p.data() + 2);
  if (total < ihl) return IpError::ipv4_total_length;
  out.version = 4;
  out.hop_limit = p[8];
  out.protocol = p[9];
  out.src = p.subspan(12, 4);
  out.dst = p.subspan(16, 4);
  out.header_len = ihl;
  out.cut = total > p.size();
  out.payload = p.subspan(ihl, (total < p.size() ? total : p.size()) - ihl);
  // RFC 791 3.1: flags in the top 3 bits (MF 0x2000), the offset in 8-byte units below.
  const uint16_t frag = load_be16(p.data() + 6);
  out.more_fragments = (frag & 0x2000) != 0;
  out.fragment_offset = uint32_t(frag & 0x1fff) * 8;
  out.fragment = out.more_fragments || out.fragment_offset != 0;
  out.fragment_id = load_be16(p.data() + 4);
  return IpError::none;
}

inline IpError parse_ipv6(ByteView p, IpHeader& out, Ipv6Walk walk) {
  if (p.size() < kIpv6HeaderSize) return IpError::ipv6_truncated;
  if (p[0] >> 4 != 6) return IpError::ipv6_version;
  const size_t plen = load_be16(p.data() + 4);
  const size_t held = p.size() - kIpv6HeaderSize;
  out.version = 6;
  out.protocol = p[6];
  out.hop_limit = p[7];
  out.src = p.subspan(8, 16);
  out.dst = p.subspan(24, 16);
  out.header_len = kIpv6HeaderSize;
  out.cut = plen > held;
  out.payload = p.subspan(kIpv6HeaderSize, plen < held ? plen : held);
  out.fragment = out.more_fragments = false;
  out.fragment_offset = out.fragment_id = 0;
  if (!is_ipv6_extension(out.protocol, walk)) return IpError::none;
  return walk_ipv6_extensions(out, walk);
}

inline IpError parse_ip(ByteView p, IpHeader& out, Ipv6Walk walk) {
  if (p.empty()) return IpError::empty;
  switch (p[0] >> 4) {
  case 4:
    return parse_ipv4(p, out);
  case 6:
    return parse_ipv6(p, out, walk);
  default:
    return IpError::version;
  }
}

} // namespace ikekit::wire
