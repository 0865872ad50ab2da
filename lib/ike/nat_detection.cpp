// NAT detection, RFC 7296 2.23:
//
//   "The data associated with these Notify types is the SHA-1 digest of the SPIs (in the
//    order they appear in the header), IP address, and port from which this packet was
//    sent."  NAT_DETECTION_SOURCE_IP / NAT_DETECTION_DESTINATION_IP.
//
// SHA-1 here is a fingerprint of public values, not a security function; a small
// FIPS 180-4 implementation keeps the engine free of direct OpenSSL use (the crypto
// layer exposes no plain digest).
#include "ike/engine_impl.hpp"

#include <array>
#include <cstring>

namespace ikekit::ike {

namespace {

uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

std::array<uint8_t, 20> sha1(ByteView data) {
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  Bytes m(data.begin(), data.end());
  uint64_t bits = uint64_t(data.size()) * 8;
  m.push_back(0x80);
  while (m.size() % 64 != 56)
    m.push_back(0);
  for (int i = 7; i >= 0; --i)
    m.push_back(uint8_t(bits >> (i * 8)));
  for (size_t off = 0; off < m.size(); off += 64) {
    uint32_t w[80];
    for (int i = 0; i < 16; ++i)
      w[i] = load_be32(m.data() + off + size_t(i) * 4);
    for (int i = 16; i < 80; ++i)
      w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; ++i) {
      uint32_t f, k;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5A827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ED9EBA1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8F1BBCDC;
      } else {
        f = b ^ c ^ d;
        k = 0xCA62C1D6;
      }
      uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d;
      d = c;
      c = rol(b, 30);
      b = a;
      a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
  }
  std::array<uint8_t, 20> out{};
  for (int i = 0; i < 5; ++i)
    store_be32(out.data() + i * 4, h[i]);
  return out;
}

} // namespace

Bytes nat_detection_hash(uint64_t spi_i, uint64_t spi_r, const Endpoint& e) {
  Bytes in(16);
  store_be64(in.data(), spi_i);
  store_be64(in.data() + 8, spi_r);
  auto a = e.address.bytes();
  in.insert(in.end(), a.begin(), a.end());
  in.push_back(uint8_t(e.port >> 8));
  in.push_back(uint8_t(e.port));
  auto d = sha1(in);
  return Bytes(d.begin(), d.end());
}

// Reads the NAT_D notifies: RFC 7296 2.23 "If none of the NAT_DETECTION_SOURCE_IP
// payload(s) received match the expected value ..., the other end is behind a NAT";
// a mismatching NAT_DETECTION_DESTINATION_IP means we are behind one.
bool detect_nat(IkeSa& sa, const Inbound& in, uint64_t spi_i, uint64_t spi_r) {
  // RFC 9329: in a TCP stream the initiator's source port was the kernel's choice, not
  // known when it wrote NAT_D, and a stream needs neither keepalives nor UDP encapsulation.
  if (sa.stream) return false;
  Bytes src = nat_detection_hash(spi_i, spi_r, in.dg->remote);
  Bytes dst = nat_detection_hash(spi_i, spi_r, in.dg->local);
  bool have_src = false, src_ok = false, have_dst = false, dst_ok = false;
  for (const auto& n : in.notifies) {
    if (n.type == wire::NotifyType::nat_detection_source_ip) {
      have_src = true;
      src_ok = src_ok || equal_bytes(n.data, src);
    } else if (n.type == wire::NotifyType::nat_detection_destination_ip) {
      have_dst = true;
      dst_ok = dst_ok || equal_bytes(n.data, dst);
    }
  }
  sa.nat_remote = have_src && !src_ok;
  sa.nat_local = have_dst && !dst_ok;
  return have_src && have_dst;
}

} // namespace ikekit::ike
