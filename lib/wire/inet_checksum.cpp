#include "wire/inet_checksum.hpp"

#include <cstring>

namespace ikekit::wire {

void InetChecksum::add(ByteView data) {
  const uint8_t* p = data.data();
  size_t n = data.size();
  uint64_t acc = acc_;
  // Four 32-bit words per step into a 64-bit accumulator: no carry is lost before
  // 2^32 words, far beyond any IP packet.
  while (n >= 16) {
    uint32_t w[4];
    std::memcpy(w, p, 16);
    acc += uint64_t(w[0]) + w[1] + w[2] + w[3];
    p += 16;
    n -= 16;
  }
  while (n >= 4) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    acc += w;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    acc += w;
    p += 2;
    n -= 2;
  }
  if (n == 1) { // RFC 1071 4.1: an odd last byte is padded with a zero byte
    uint8_t last[2] = {p[0], 0};
    uint16_t w;
    std::memcpy(&w, last, 2);
    acc += w;
  }
  acc_ = acc;
}

uint16_t InetChecksum::folded() const {
  uint64_t s = acc_;
  s = (s & 0xffffffff) + (s >> 32);
  s = (s & 0xffffffff) + (s >> 32);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return to_host_order(uint16_t(s)); // host order back to the big-endian value
}

InetChecksum pseudo_header_sum(ByteView ip, uint8_t protocol, uint32_t upper_len) {
  InetChecksum c;
  if (!ip.empty() && ip[0] >> 4 == 4 && ip.size() >= 20)
    c.add(ip.subspan(12, 8)); // source and destination address
  else if (ip.size() >= 40)
    c.add(ip.subspan(8, 32));
  c.add_be32(upper_len);
  c.add_be16(protocol);
  return c;
}

void set_ipv4_header_checksum(uint8_t* ip, size_t ihl_bytes) {
  ip[10] = ip[11] = 0;
  InetChecksum c;
  c.add(ByteView(ip, ihl_bytes));
  store_be16(ip + 10, c.checksum());
}

} // namespace ikekit::wire
