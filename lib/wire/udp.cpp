#include "wire/udp.hpp"

#include <string>

namespace ikekit::wire {

UdpError parse_udp(ByteView p, UdpHeader& out) {
  out = UdpHeader{};
  if (p.size() < 2) return UdpError::src_port_truncated;
  if (p.size() < 4) return UdpError::dst_port_truncated;
  if (p.size() < 6) return UdpError::length_truncated;
  if (p.size() < kUdpHeaderSize) return UdpError::checksum_truncated;
  out.src_port = load_be16(p.data());
  out.dst_port = load_be16(p.data() + 2);
  out.length = load_be16(p.data() + 4);
  out.checksum = load_be16(p.data() + 6);
  if (out.length < kUdpHeaderSize || out.length > p.size()) return UdpError::bad_length;
  out.payload = p.subspan(kUdpHeaderSize, out.length - kUdpHeaderSize);
  return UdpError::none;
}

namespace {
// The text base::Reader gives a 2-byte field cut short at `offset`.
Error cut_field(const char* field, size_t offset, size_t size) {
  return make_error(Errc::truncated, field,
                    "needs 2 bytes at offset " + std::to_string(offset) + ", " +
                        std::to_string(size - offset) + " left");
}
} // namespace

Error to_error(UdpError e, ByteView p) {
  switch (e) {
  case UdpError::none:
    break;
  case UdpError::src_port_truncated:
    return cut_field("udp.src_port", 0, p.size());
  case UdpError::dst_port_truncated:
    return cut_field("udp.dst_port", 2, p.size());
  case UdpError::length_truncated:
    return cut_field("udp.length", 4, p.size());
  case UdpError::checksum_truncated:
    return make_error(Errc::truncated, "udp.checksum", "UDP header cut");
  case UdpError::bad_length:
    return make_error(Errc::bad_length, "udp.length",
                      std::to_string(load_be16(p.data() + 4)) + " does not fit the " +
                          std::to_string(p.size()) + "-byte IP payload");
  }
  return make_error(Errc::bad_value, "udp", "no error");
}

MutBytes prepend_udp_header(MutBytes buffer, size_t payload_offset, size_t payload_len,
                            uint16_t src_port, uint16_t dst_port) {
  if (payload_offset < kUdpHeaderSize || payload_offset > buffer.size() ||
      payload_len > buffer.size() - payload_offset || payload_len + kUdpHeaderSize > 0xffff)
    return {};
  uint8_t* h = buffer.data() + payload_offset - kUdpHeaderSize;
  store_be16(h, src_port);
  store_be16(h + 2, dst_port);
  store_be16(h + 4, uint16_t(kUdpHeaderSize + payload_len)); // RFC 768 length
  store_be16(h + 6, 0);
  return MutBytes(h, kUdpHeaderSize + payload_len);
}

} // namespace ikekit::wire
