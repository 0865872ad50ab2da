#include "esp/outer_ip.hpp"

#include "esp/inet_checksum.hpp"

#include <cstring>

namespace ikekit::esp {

// RFC 1071 one's-complement sum over the header.
uint16_t ipv4_checksum(const uint8_t* h, size_t len) {
  InetChecksum c;
  c.add(ByteView(h, len & ~size_t(1)));
  return c.checksum();
}

std::optional<uint8_t> tunnel_next_header(ByteView inner) {
  if (inner.empty()) return std::nullopt;
  switch (inner[0] >> 4) {
  case 4:
    return uint8_t(4);
  case 6:
    return uint8_t(41);
  default:
    return std::nullopt;
  }
}

MutBytes prepend_ip_header(MutBytes buffer, size_t payload_offset, size_t payload_len,
                           const IpAddress& src, const IpAddress& dst, uint8_t protocol,
                           uint8_t ttl, uint16_t ipv4_id) {
  if (src.family() != dst.family()) return {};
  const size_t hlen = src.is_v4() ? kIpv4HeaderLen : kIpv6HeaderLen;
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
    store_be16(h + 10, 0);
    std::memcpy(h + 12, src.bytes().data(), 4);
    std::memcpy(h + 16, dst.bytes().data(), 4);
    store_be16(h + 10, ipv4_checksum(h, hlen));
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

std::optional<IpHeaderInfo> parse_ip_header(ByteView p) {
  if (p.empty()) return std::nullopt;
  IpHeaderInfo info;
  const unsigned version = p[0] >> 4;
  if (version == 4) {
    if (p.size() < kIpv4HeaderLen) return std::nullopt;
    const size_t ihl = size_t(p[0] & 0x0f) * 4;
    const size_t total = load_be16(p.data() + 2);
    if (ihl < kIpv4HeaderLen || total < ihl || total > p.size()) return std::nullopt;
    const uint16_t frag = load_be16(p.data() + 6);
    if ((frag & 0x2000) || (frag & 0x1fff)) return std::nullopt; // MF or offset: a fragment
    info.src = IpAddress::v4(p.subspan(12, 4));
    info.dst = IpAddress::v4(p.subspan(16, 4));
    info.protocol = p[9];
    info.payload_offset = ihl;
    info.payload_len = total - ihl;
    return info;
  }
  if (version == 6) {
    if (p.size() < kIpv6HeaderLen) return std::nullopt;
    const size_t plen = load_be16(p.data() + 4);
    if (plen > p.size() - kIpv6HeaderLen) return std::nullopt;
    info.src = IpAddress::v6(p.subspan(8, 16));
    info.dst = IpAddress::v6(p.subspan(24, 16));
    info.protocol = p[6];
    info.payload_offset = kIpv6HeaderLen;
    info.payload_len = plen;
    return info;
  }
  return std::nullopt;
}

} // namespace ikekit::esp
