#include "esp/udp_encap.hpp"

#include "esp/layout.hpp"

namespace ikekit::esp {

MutBytes prepend_udp_header(MutBytes buffer, size_t esp_offset, size_t esp_len,
                            uint16_t src_port, uint16_t dst_port) {
  if (esp_offset < kUdpHeaderLen || esp_offset > buffer.size() ||
      esp_len > buffer.size() - esp_offset || esp_len + kUdpHeaderLen > 0xffff)
    return {};
  uint8_t* h = buffer.data() + esp_offset - kUdpHeaderLen;
  store_be16(h, src_port);
  store_be16(h + 2, dst_port);
  store_be16(h + 4, uint16_t(kUdpHeaderLen + esp_len));  // RFC 768 length
  store_be16(h + 6, 0);                                  // RFC 3948 2.1: zero checksum
  return MutBytes(h, kUdpHeaderLen + esp_len);
}

std::string_view udp_encap_kind_name(UdpEncapKind k) {
  switch (k) {
    case UdpEncapKind::esp: return "esp";
    case UdpEncapKind::ike: return "ike";
    case UdpEncapKind::keepalive: return "keepalive";
    case UdpEncapKind::malformed: return "malformed";
  }
  return "unknown";
}

UdpEncapKind classify_udp_encap(ByteView p) {
  // RFC 3948 2.3: a single 0xFF octet is a NAT-keepalive.
  if (p.size() == 1 && p[0] == kNatKeepalive) return UdpEncapKind::keepalive;
  if (p.size() < kNonEspMarkerLen) return UdpEncapKind::malformed;
  // RFC 3948 2.2: SPI 0 is reserved, so four zero octets mark a non-ESP (IKE) packet.
  if (load_be32(p.data()) == 0) return UdpEncapKind::ike;
  return p.size() >= kEspHeaderLen ? UdpEncapKind::esp : UdpEncapKind::malformed;
}

}  // namespace ikekit::esp
