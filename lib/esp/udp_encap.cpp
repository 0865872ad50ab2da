#include "esp/udp_encap.hpp"

namespace ikekit::esp {

MutBytes prepend_udp_header(MutBytes buffer, size_t esp_offset, size_t esp_len, uint16_t src_port,
                            uint16_t dst_port) {
  if (esp_offset < kUdpHeaderLen || esp_offset > buffer.size() ||
      esp_len > buffer.size() - esp_offset || esp_len + kUdpHeaderLen > 0xffff)
    return {};
  uint8_t* h = buffer.data() + esp_offset - kUdpHeaderLen;
  store_be16(h, src_port);
  store_be16(h + 2, dst_port);
  store_be16(h + 4, uint16_t(kUdpHeaderLen + esp_len)); // RFC 768 length
  store_be16(h + 6, 0);                                 // RFC 3948 2.1: zero checksum
  return MutBytes(h, kUdpHeaderLen + esp_len);
}

} // namespace ikekit::esp
