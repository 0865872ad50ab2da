// The Internet checksum (RFC 1071): known answers from RFC 1071's own example and from
// headers a Linux kernel wrote (a strongSwan capture), every length against the
// definition (in one piece, copied, or in chunks cut anywhere, odd offsets and
// addresses included), and the TCP/UDP pseudo-headers of IPv4 and IPv6.
#include "base/hex.hpp"
#include "wire/inet_checksum.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <vector>

using namespace ikekit;
using namespace ikekit::wire;

namespace {

// RFC 1071 done the slow way: 16-bit big-endian words, end-around carry.
uint16_t reference_sum(ByteView b) {
  uint64_t s = 0;
  for (size_t i = 0; i < b.size(); i += 2)
    s += uint32_t(b[i]) << 8 | (i + 1 < b.size() ? b[i + 1] : 0);
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return uint16_t(s);
}

Bytes hex(const char* text) { return *from_hex(text, "hex"); }

// Random bytes in a buffer with room to start them at any of 8 addresses (the vector
// loop's loads are unaligned, and an odd address is not an odd offset).
struct RandomBytes {
  explicit RandomBytes(size_t n, std::mt19937& rng) : storage(n + 8) {
    for (auto& b : storage)
      b = uint8_t(rng());
  }
  ByteView at(size_t shift, size_t n) const { return ByteView(storage.data() + shift, n); }
  Bytes storage;
};

// The sizes the tests below sum: the edges of the 8-, 32- and 64-byte steps, the
// largest IP packet, and random ones up to it.
std::vector<size_t> checksum_test_lengths(std::mt19937& rng) {
  std::vector<size_t> n = {0,  1,  2,  3,  7,   8,   9,   31,   32,   33,   63,    64,
                           65, 95, 96, 97, 127, 128, 129, 1399, 1400, 1401, 65534, 65535};
  std::uniform_int_distribution<size_t> any(0, 65535), small(0, 300);
  for (int i = 0; i < 60; ++i) {
    n.push_back(any(rng));
    n.push_back(small(rng));
  }
  return n;
}

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

TEST_CASE("InetChecksum: random lengths up to 65535 at every address, whole and copied",
          "[wire][checksum]") {
  std::mt19937 rng(1071);
  RandomBytes src(65535, rng);
  Bytes dst(65535 + 16);
  for (size_t n : checksum_test_lengths(rng)) {
    const size_t shift = n % 8; // walks through the addresses as the lengths vary
    ByteView v = src.at(shift, n);
    INFO("length " << n << " at address offset " << shift);
    const uint16_t want = reference_sum(v);
    InetChecksum whole;
    whole.add(v);
    CHECK(whole.folded() == want);

    // add_copy: the same sum, the bytes copied exactly, nothing written past them.
    std::fill(dst.begin(), dst.end(), uint8_t(0xa5));
    InetChecksum copied;
    copied.add_copy(dst.data() + (7 - shift), v);
    CHECK(copied.folded() == want);
    CHECK(std::equal(v.begin(), v.end(), dst.begin() + std::ptrdiff_t(7 - shift)));
    CHECK(dst[7 - shift + n] == 0xa5);
    if (shift < 7) CHECK(dst[6 - shift] == 0xa5);
  }
}

TEST_CASE("InetChecksum: chunks cut at any offset, odd ones included, continue the sum",
          "[wire][checksum]") {
  std::mt19937 rng(1624);
  RandomBytes src(65535, rng);
  Bytes dst(65535);
  for (size_t n : checksum_test_lengths(rng)) {
    ByteView v = src.at(1, n);
    // Up to five cuts anywhere; each chunk alternately added and copied.
    std::uniform_int_distribution<size_t> pos(0, n);
    std::vector<size_t> cuts = {0, n};
    for (int k = 0; k < 5; ++k)
      cuts.push_back(pos(rng));
    std::sort(cuts.begin(), cuts.end());
    InetChecksum chunks;
    for (size_t k = 0; k + 1 < cuts.size(); ++k) {
      ByteView part = v.subspan(cuts[k], cuts[k + 1] - cuts[k]);
      if (k % 2)
        chunks.add_copy(dst.data() + cuts[k], part);
      else
        chunks.add(part);
    }
    INFO("length " << n);
    CHECK(chunks.folded() == reference_sum(v));
  }
  // One byte at a time: every chunk after the first odd one starts at an odd offset.
  ByteView v = src.at(3, 1001);
  InetChecksum bytewise;
  for (size_t i = 0; i < v.size(); ++i)
    bytewise.add(v.subspan(i, 1));
  CHECK(bytewise.folded() == reference_sum(v));
  // A 16-bit value added after an odd chunk is still a whole word (the pseudo-header).
  InetChecksum odd_then_value;
  odd_then_value.add(v.first(3));
  odd_then_value.add_be16(0x1234);
  const uint8_t word[] = {0x12, 0x34};
  InetChecksum value_then_odd;
  value_then_odd.add(word);
  value_then_odd.add(v.first(3));
  CHECK(odd_then_value.folded() == value_then_odd.folded());
}

TEST_CASE("InetChecksum: all-ones data, where every addition carries", "[wire][checksum]") {
  Bytes ones(65535, 0xff);
  Bytes dst(65535);
  for (size_t n :
       {size_t(1), size_t(2), size_t(63), size_t(64), size_t(1400), size_t(65534), size_t(65535)}) {
    ByteView v(ones.data(), n);
    InetChecksum c;
    c.add(v);
    CHECK(c.folded() == reference_sum(v));
    // An even run of 0xffff words is one's complement zero written as 0xffff (RFC 1071:
    // the sum of non-zero words never folds to 0x0000).
    if (n % 2 == 0) CHECK(c.folded() == 0xffff);
    InetChecksum copied;
    copied.add_copy(dst.data(), v);
    CHECK(copied.folded() == reference_sum(v));
    const size_t cut = n / 2 | 1; // an odd first chunk: the rest starts at an odd offset
    InetChecksum split;
    split.add(v.first(cut));
    split.add(v.subspan(cut));
    CHECK(split.folded() == reference_sum(v));
  }
  // 1000 odd chunks of all-ones, every other one starting at an odd offset: 65,535,000
  // bytes of 0xff, an even count, all 0xffff words.
  InetChecksum many;
  for (int i = 0; i < 1000; ++i)
    many.add(ByteView(ones.data(), 65535));
  CHECK(many.folded() == 0xffff);
}
