#include "wire/ip.hpp"

#include "wire/inet_checksum.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace ikekit::wire {

namespace {

// The length of the extension header `nh` at the front of `rest` (8 bytes at least):
// RFC 8200 4.3-4.6 in 8-octet units not counting the first, RFC 4302 2.2 for AH in
// 32-bit words minus 2, a Fragment header is 8 bytes.
size_t extension_length(uint8_t nh, ByteView rest) {
  if (nh == kIpProtoFragment) return kIpv6FragmentHeaderSize;
  if (nh == kIpProtoAh) return (size_t(rest[1]) + 2) * 4;
  return (size_t(rest[1]) + 1) * 8;
}

} // namespace

IpError walk_ipv6_extensions(IpHeader& h, Ipv6Walk walk) {
  for (size_t walked = 0; is_ipv6_extension(h.protocol, walk); ++walked) {
    if (walked == kMaxIpv6Extensions) return IpError::ipv6_chain_too_long;
    const bool fragment = h.protocol == kIpProtoFragment;
    if (h.payload.size() < 8)
      return fragment ? IpError::ipv6_fragment_truncated : IpError::ipv6_extension_truncated;
    const size_t len = extension_length(h.protocol, h.payload);
    if (len > h.payload.size()) return IpError::ipv6_extension_length;
    const uint8_t* x = h.payload.data();
    h.protocol = x[0];
    h.payload = h.payload.subspan(len);
    h.header_len += len;
    if (fragment) {
      // RFC 8200 4.5: offset in the top 13 bits of bytes 2-3 (8-byte units), M the lowest.
      const uint16_t off = load_be16(x + 2);
      h.fragment = true;
      h.fragment_offset = off & 0xfff8;
      h.more_fragments = (off & 1) != 0;
      h.fragment_id = load_be32(x + 4);
      return IpError::none;
    }
  }
  return IpError::none;
}

Error to_error(IpError e) {
  switch (e) {
  case IpError::none:
    break;
  case IpError::empty:
    return make_error(Errc::truncated, "ip", "empty packet");
  case IpError::version:
    return make_error(Errc::bad_value, "ip.version", "neither 4 nor 6");
  case IpError::ipv4_truncated:
    return make_error(Errc::truncated, "ipv4", "header needs 20 bytes");
  case IpError::ipv4_version:
    return make_error(Errc::bad_value, "ipv4.version", "not 4");
  case IpError::ipv4_ihl:
    return make_error(Errc::bad_length, "ipv4.ihl", "bad header length");
  case IpError::ipv4_total_length:
    return make_error(Errc::bad_length, "ipv4.total_length", "shorter than the header");
  case IpError::ipv6_truncated:
    return make_error(Errc::truncated, "ipv6", "header needs 40 bytes");
  case IpError::ipv6_version:
    return make_error(Errc::bad_value, "ipv6.version", "not 6");
  case IpError::ipv6_extension_truncated:
    return make_error(Errc::truncated, "ipv6.extension", "header cut");
  case IpError::ipv6_extension_length:
    return make_error(Errc::bad_length, "ipv6.extension.length", "too long");
  case IpError::ipv6_fragment_truncated:
    return make_error(Errc::truncated, "ipv6.fragment", "header cut");
  case IpError::ipv6_chain_too_long:
    return make_error(Errc::unsupported, "ipv6.extension",
                      "more than " + std::to_string(kMaxIpv6Extensions) + " extension headers");
  }
  return make_error(Errc::bad_value, "ip", "no error");
}

MutBytes prepend_ip_header(MutBytes buffer, size_t payload_offset, size_t payload_len,
                           const IpAddress& src, const IpAddress& dst, uint8_t protocol,
                           uint8_t ttl, uint16_t ipv4_id) {
  if (src.family() != dst.family()) return {};
  const size_t hlen = src.is_v4() ? kIpv4HeaderSize : kIpv6HeaderSize;
  if (payload_offset < hlen || payload_offset > buffer.size() ||
      payload_len > buffer.size() - payload_offset)
    return {};
  uint8_t* h = buffer.data() + payload_offset - hlen;
  if (src.is_v4()) {
    if (payload_len + hlen > 0xffff) return {};
    h[0] = 0x45; // version 4, IHL 5
    h[1] = 0;    // DSCP/ECN
    store_be16(h + 2, uint16_t(hlen + payload_len));
    store_be16(h + 4, ipv4_id);
    store_be16(h + 6, 0); // flags, fragment offset
    h[8] = ttl;
    h[9] = protocol;
    std::memcpy(h + 12, src.bytes().data(), 4);
    std::memcpy(h + 16, dst.bytes().data(), 4);
    set_ipv4_header_checksum(h, hlen);
  } else {
    if (payload_len > 0xffff) return {};
    store_be32(h, uint32_t(6) << 28); // version 6, traffic class 0, flow label 0
    store_be16(h + 4, uint16_t(payload_len));
    h[6] = protocol;
    h[7] = ttl;
    std::memcpy(h + 8, src.bytes().data(), 16);
    std::memcpy(h + 24, dst.bytes().data(), 16);
  }
  return MutBytes(h, hlen + payload_len);
}

} // namespace ikekit::wire
