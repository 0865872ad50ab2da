// The Internet checksum (RFC 1071): known answers from RFC 1071's own example and from
// headers a Linux kernel wrote (a strongSwan capture), every length against the
// definition, and the TCP/UDP pseudo-headers of IPv4 and IPv6.
#include "base/hex.hpp"
#include "wire/inet_checksum.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::wire;

namespace {

// RFC 1071 done the slow way: 16-bit big-endian words, end-around carry.
uint16_t reference_sum(ByteView b) {
  uint32_t s = 0;
  for (size_t i = 0; i < b.size(); i += 2)
    s += uint32_t(b[i]) << 8 | (i + 1 < b.size() ? b[i + 1] : 0);
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return uint16_t(s);
}

Bytes hex(const char* text) { return *from_hex(text, "hex"); }

} // namespace

TEST_CASE("InetChecksum: known answers", "[wire][checksum]") {
  // RFC 1071 3, "Numerical Examples": 00 01 f2 03 f4 f5 f6 f7 sums to dd f2.
  InetChecksum rfc;
  rfc.add(hex("0001f203f4f5f6f7"));
  CHECK(rfc.folded() == 0xddf2);
  CHECK(rfc.checksum() == 0x220d);

  // The first IKE_SA_INIT of tests/data/psk-aes256gcm16-ecp256/capture.pcap: the IPv4
  // header checksum the kernel wrote (e1e3), recomputed with the field zeroed.
  Bytes ip = hex("45000124420140004011e1e30af100010af10002");
  InetChecksum whole;
  whole.add(ip);
  CHECK(whole.folded() == 0xffff);
  Bytes zeroed = ip;
  set_ipv4_header_checksum(zeroed.data(), zeroed.size());
  CHECK(zeroed == ip);
  // Its UDP checksum field was left for offload (CHECKSUM_PARTIAL): the kernel put the
  // folded pseudo-header sum there, 0x1706 for 10.241.0.1 -> 10.241.0.2, UDP, 272 bytes.
  CHECK(pseudo_header_sum(ip, 17, 272).folded() == 0x1706);
}

TEST_CASE("InetChecksum: matches RFC 1071 for every length, in one piece or in even chunks",
          "[wire][checksum]") {
  Bytes b(301);
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = uint8_t(7 + i * 31 + (i >> 8));
  for (size_t n = 0; n <= b.size(); ++n) {
    ByteView v(b.data(), n);
    InetChecksum one;
    one.add(v);
    CHECK(one.folded() == reference_sum(v));
    InetChecksum chunks;
    size_t cut = (n / 3) & ~size_t(1);
    chunks.add(v.first(cut));
    chunks.add(v.subspan(cut));
    CHECK(chunks.folded() == reference_sum(v));
  }
}

TEST_CASE("pseudo_header_sum: the RFC 768 and RFC 8200 8.1 layouts", "[wire][checksum]") {
  // IPv6: source, destination, 32-bit upper-layer length, 3 zero bytes, next header.
  Bytes ip6(40, 0);
  ip6[0] = 0x60;
  for (size_t i = 8; i < 40; ++i)
    ip6[i] = uint8_t(i * 7);
  Bytes layout(ip6.begin() + 8, ip6.end());
  const uint8_t tail[] = {0x00, 0x01, 0x02, 0x03, 0, 0, 0, 17};
  layout.insert(layout.end(), tail, tail + 8);
  CHECK(pseudo_header_sum(ip6, 17, 0x00010203).folded() == reference_sum(layout));
  // IPv4: source, destination, zero, protocol, 16-bit length.
  Bytes ip4 = hex("4500001c000000004006000ac0000201c6336407");
  Bytes layout4 = hex("c0000201c63364070006001c");
  CHECK(pseudo_header_sum(ip4, 6, 28).folded() == reference_sum(layout4));
}
