// The IPv4 (RFC 791) and IPv6 (RFC 8200) header codec: fields, options, every
// truncation point with the exact error, fragments, extension header chains, and the
// headers it builds.
//
//   IPv4: | Ver IHL | TOS | Total Length | Identification | Flags Offset | TTL | Proto |
//         | Checksum | Source | Destination | Options (IHL > 5) |
//   IPv6: | Ver TC Flow | Payload Length | Next Header | Hop Limit | Source | Destination |
//         | extension headers, each with Next Header and (most) Hdr Ext Len first |
#include "wire/inet_checksum.hpp"
#include "wire/ip.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::wire;

namespace {

// IPv4, 192.0.2.1 -> 198.51.100.7, TTL 64, `option_words` 32-bit words of options
// (NOPs), then `payload`; `trailer` bytes after Total Length (Ethernet padding).
Bytes ipv4(uint8_t protocol, const Bytes& payload, uint16_t frag = 0, size_t option_words = 0,
           size_t trailer = 0) {
  const size_t hl = 20 + 4 * option_words;
  Bytes p(hl + payload.size() + trailer, 0xee);
  p[0] = uint8_t(0x40 | (hl / 4));
  p[1] = 0;
  store_be16(&p[2], uint16_t(hl + payload.size()));
  store_be16(&p[4], 0x1234);
  store_be16(&p[6], frag);
  p[8] = 64;
  p[9] = protocol;
  const uint8_t src[] = {192, 0, 2, 1}, dst[] = {198, 51, 100, 7};
  std::copy(src, src + 4, &p[12]);
  std::copy(dst, dst + 4, &p[16]);
  std::fill(p.begin() + 20, p.begin() + long(hl), 1); // NOP options
  set_ipv4_header_checksum(p.data(), hl);
  std::copy(payload.begin(), payload.end(), p.begin() + long(hl));
  return p;
}

// IPv6, 2001:db8::1 -> 2001:db8::2, Hop Limit 64, Next Header `nh`, then `rest`.
Bytes ipv6(uint8_t nh, const Bytes& rest) {
  Bytes p(40 + rest.size(), 0);
  p[0] = 0x60;
  store_be16(&p[4], uint16_t(rest.size()));
  p[6] = nh;
  p[7] = 64;
  p[8] = p[24] = 0x20;
  p[9] = p[25] = 0x01;
  p[10] = p[26] = 0x0d;
  p[11] = p[27] = 0xb8;
  p[23] = 1;
  p[39] = 2;
  std::copy(rest.begin(), rest.end(), p.begin() + 40);
  return p;
}

// Hop-by-Hop, Routing or Destination Options: (units + 1) * 8 bytes (RFC 8200 4.3).
Bytes ext(uint8_t next, uint8_t units) {
  Bytes b((units + 1) * 8, 0);
  b[0] = next;
  b[1] = units;
  return b;
}
// AH (RFC 4302 2.2): (words + 2) * 4 bytes.
Bytes ah(uint8_t next, uint8_t words) {
  Bytes b((words + 2) * 4, 0);
  b[0] = next;
  b[1] = words;
  return b;
}
// Fragment header (RFC 8200 4.5): offset in bytes (a multiple of 8), M flag, id.
Bytes frag6(uint8_t next, uint16_t offset, bool more, uint32_t id) {
  Bytes b(8, 0);
  b[0] = next;
  store_be16(&b[2], uint16_t(offset | (more ? 1 : 0)));
  store_be32(&b[4], id);
  return b;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& b : parts)
    out.insert(out.end(), b.begin(), b.end());
  return out;
}

Bytes data(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i)
    b[i] = uint8_t(i + 1);
  return b;
}

IpError parse(ByteView p, IpHeader& h, Ipv6Walk walk = Ipv6Walk::extensions) {
  return parse_ip(p, h, walk);
}

} // namespace

TEST_CASE("IPv4: fields, options skipped by IHL, payload bounded by Total Length", "[wire][ip]") {
  Bytes p = ipv4(kIpProtoUdp, data(10), 0, 1, 4); // IHL 6, 4 bytes of padding after
  IpHeader h;
  REQUIRE(parse(p, h) == IpError::none);
  CHECK(h.version == 4);
  CHECK(h.protocol == kIpProtoUdp);
  CHECK(h.hop_limit == 64);
  CHECK(IpAddress::v4(h.src).to_string() == "192.0.2.1");
  CHECK(IpAddress::v4(h.dst).to_string() == "198.51.100.7");
  CHECK(h.header_len == 24);
  CHECK(h.payload.data() == p.data() + 24);
  CHECK(h.payload.size() == 10); // the padding is not the packet's
  CHECK_FALSE(h.cut);
  CHECK_FALSE(h.fragment);
  CHECK(h.fragment_id == 0x1234);
  IpHeader direct;
  REQUIRE(parse_ipv4(p, direct) == IpError::none);
  CHECK(direct.header_len == 24);
}

TEST_CASE("IPv4: every truncation point gets its exact error; a cut payload is marked",
          "[wire][ip]") {
  Bytes p = ipv4(kIpProtoTcp, data(10), 0, 1); // 24-byte header, Total Length 34
  for (size_t n = 0; n < p.size(); ++n) {
    INFO("cut at " << n);
    IpHeader h;
    const IpError e = parse(ByteView(p).first(n), h);
    if (n == 0) {
      CHECK(e == IpError::empty);
    } else if (n < 20) {
      CHECK(e == IpError::ipv4_truncated);
    } else if (n < 24) {
      CHECK(e == IpError::ipv4_ihl); // the options reach past the data
    } else {
      REQUIRE(e == IpError::none);
      CHECK(h.cut);
      CHECK(h.payload.size() == n - 24);
    }
    if (n < 20) CHECK(parse_ipv4(ByteView(p).first(n), h) == IpError::ipv4_truncated);
  }
}

TEST_CASE("IPv4: IHL below 5, Total Length below IHL, wrong versions", "[wire][ip]") {
  IpHeader h;
  Bytes p = ipv4(kIpProtoUdp, data(8));
  Bytes ihl4 = p;
  ihl4[0] = 0x44;
  CHECK(parse(ihl4, h) == IpError::ipv4_ihl);
  Bytes short_total = ipv4(kIpProtoUdp, data(8), 0, 1);
  store_be16(&short_total[2], 23); // IHL says 24
  CHECK(parse(short_total, h) == IpError::ipv4_total_length);
  store_be16(&short_total[2], 24); // a header and nothing else
  REQUIRE(parse(short_total, h) == IpError::none);
  CHECK(h.payload.empty());
  Bytes v5 = p;
  v5[0] = 0x55;
  CHECK(parse(v5, h) == IpError::version);
  CHECK(parse_ipv4(ipv6(kIpProtoUdp, data(8)), h) == IpError::ipv4_version);
}

TEST_CASE("IPv4 fragments (RFC 791 3.2): MF, offset in 8-byte units; DF is no fragment",
          "[wire][ip]") {
  IpHeader h;
  REQUIRE(parse(ipv4(kIpProtoUdp, data(16), 0x2000), h) == IpError::none);
  CHECK(h.fragment);
  CHECK(h.more_fragments);
  CHECK(h.fragment_offset == 0);
  CHECK(h.fragment_id == 0x1234);
  REQUIRE(parse(ipv4(kIpProtoUdp, data(16), 185), h) == IpError::none);
  CHECK(h.fragment);
  CHECK_FALSE(h.more_fragments);
  CHECK(h.fragment_offset == 1480);
  REQUIRE(parse(ipv4(kIpProtoUdp, data(16), 0x2000 | 0x1fff), h) == IpError::none);
  CHECK(h.fragment_offset == 65528);
  REQUIRE(parse(ipv4(kIpProtoUdp, data(16), 0x4000), h) == IpError::none);
  CHECK_FALSE(h.fragment);
  CHECK_FALSE(h.more_fragments);
}

TEST_CASE("IPv6: fields and the extension chain walked to the upper layer", "[wire][ip]") {
  // Hop-by-Hop (8) -> Destination Options (16) -> Routing (8) -> UDP.
  Bytes chain = cat({ext(kIpProtoDestOpts, 0), ext(kIpProtoRouting, 1), ext(kIpProtoUdp, 0)});
  Bytes p = ipv6(kIpProtoHopByHop, cat({chain, data(12)}));
  IpHeader h;
  REQUIRE(parse(p, h) == IpError::none);
  CHECK(h.version == 6);
  CHECK(h.hop_limit == 64);
  CHECK(IpAddress::v6(h.src).to_string() == "2001:db8::1");
  CHECK(IpAddress::v6(h.dst).to_string() == "2001:db8::2");
  CHECK(h.protocol == kIpProtoUdp);
  CHECK(h.header_len == 72);
  CHECK(h.payload.size() == 12);
  CHECK(h.payload[0] == 1);
  CHECK_FALSE(h.fragment);
  // No walk: the fixed header's Next Header, the rest is payload.
  REQUIRE(parse(p, h, Ipv6Walk::none) == IpError::none);
  CHECK(h.protocol == kIpProtoHopByHop);
  CHECK(h.header_len == 40);
  CHECK(h.payload.size() == 44);
  // Payload Length, not the data, bounds the packet: bytes after it are not walked.
  Bytes padded = p;
  padded.resize(p.size() + 6, 0xee);
  REQUIRE(parse(padded, h) == IpError::none);
  CHECK(h.payload.size() == 12);
  CHECK_FALSE(h.cut);
}

TEST_CASE("IPv6: every truncation point of the header and its chain gets its exact error",
          "[wire][ip]") {
  // Hop-by-Hop (8, bytes 40-47) -> Destination Options (16, bytes 48-63) -> UDP at 64.
  Bytes p = ipv6(kIpProtoHopByHop, cat({ext(kIpProtoDestOpts, 0), ext(kIpProtoUdp, 1), data(8)}));
  for (size_t n = 0; n <= p.size(); ++n) {
    INFO("cut at " << n);
    IpHeader h;
    const IpError e = parse(ByteView(p).first(n), h);
    if (n == 0) {
      CHECK(e == IpError::empty);
    } else if (n < 40) {
      CHECK(e == IpError::ipv6_truncated);
    } else if (n < 56) {
      CHECK(e == IpError::ipv6_extension_truncated); // fewer than 8 bytes of one
    } else if (n < 64) {
      CHECK(e == IpError::ipv6_extension_length); // 8 of the 16 bytes it claims
    } else {
      REQUIRE(e == IpError::none);
      CHECK(h.protocol == kIpProtoUdp);
      CHECK(h.cut == (n < p.size()));
      CHECK(h.payload.size() == n - 64);
    }
    if (n < 40) CHECK(parse_ipv6(ByteView(p).first(n), h) == IpError::ipv6_truncated);
  }
  // A Payload Length shorter than the chain cuts it the same way.
  Bytes short_plen = p;
  store_be16(&short_plen[4], 10);
  IpHeader h;
  CHECK(parse(short_plen, h) == IpError::ipv6_extension_truncated);
  Bytes v4 = p;
  v4[0] = 0x40;
  CHECK(parse_ipv6(v4, h) == IpError::ipv6_version);
}

TEST_CASE("IPv6 fragments (RFC 8200 4.5): the walk stops behind the Fragment header",
          "[wire][ip]") {
  IpHeader h;
  Bytes first =
      ipv6(kIpProtoHopByHop,
           cat({ext(kIpProtoFragment, 0), frag6(kIpProtoUdp, 0, true, 0xdeadbeef), data(16)}));
  REQUIRE(parse(first, h) == IpError::none);
  CHECK(h.fragment);
  CHECK(h.more_fragments);
  CHECK(h.fragment_offset == 0);
  CHECK(h.fragment_id == 0xdeadbeef);
  CHECK(h.protocol == kIpProtoUdp);
  CHECK(h.header_len == 56);
  CHECK(h.payload.size() == 16);

  Bytes later = ipv6(kIpProtoFragment, cat({frag6(kIpProtoUdp, 1480, false, 7), data(16)}));
  REQUIRE(parse(later, h) == IpError::none);
  CHECK(h.fragment);
  CHECK_FALSE(h.more_fragments);
  CHECK(h.fragment_offset == 1480);
  CHECK(h.fragment_id == 7);

  // The Fragment header cut at every byte.
  for (size_t n = 48; n < 56; ++n)
    CHECK(parse(ByteView(first).first(n), h) == IpError::ipv6_fragment_truncated);

  // A first fragment whose fragmentable part starts with Destination Options: the walk
  // stops at the Fragment header; walk_ipv6_extensions goes on to the upper layer.
  Bytes with_opts = ipv6(kIpProtoFragment,
                         cat({frag6(kIpProtoDestOpts, 0, true, 9), ext(kIpProtoTcp, 1), data(20)}));
  REQUIRE(parse(with_opts, h) == IpError::none);
  CHECK(h.protocol == kIpProtoDestOpts);
  CHECK(h.header_len == 48);
  REQUIRE(walk_ipv6_extensions(h, Ipv6Walk::extensions) == IpError::none);
  CHECK(h.protocol == kIpProtoTcp);
  CHECK(h.header_len == 64);
  CHECK(h.payload.size() == 20);
}

TEST_CASE("IPv6: AH is walked only when asked; at most 8 extension headers", "[wire][ip]") {
  IpHeader h;
  Bytes p = ipv6(kIpProtoHopByHop, cat({ext(kIpProtoAh, 0), ah(kIpProtoTcp, 1), data(20)}));
  REQUIRE(parse(p, h) == IpError::none);
  CHECK(h.protocol == kIpProtoAh);
  CHECK(h.header_len == 48);
  REQUIRE(parse(p, h, Ipv6Walk::extensions_and_ah) == IpError::none);
  CHECK(h.protocol == kIpProtoTcp);
  CHECK(h.header_len == 60); // AH: (1 + 2) * 4 bytes
  CHECK(parse(ByteView(p).first(59), h, Ipv6Walk::extensions_and_ah) ==
        IpError::ipv6_extension_length);

  auto chain = [](size_t count) {
    Bytes rest;
    for (size_t i = 0; i < count; ++i) {
      Bytes e = ext(i + 1 < count ? kIpProtoDestOpts : kIpProtoUdp, 0);
      rest.insert(rest.end(), e.begin(), e.end());
    }
    return ipv6(kIpProtoDestOpts, cat({rest, data(8)}));
  };
  REQUIRE(parse(chain(kMaxIpv6Extensions), h) == IpError::none);
  CHECK(h.protocol == kIpProtoUdp);
  CHECK(h.header_len == 40 + 8 * kMaxIpv6Extensions);
  CHECK(parse(chain(kMaxIpv6Extensions + 1), h) == IpError::ipv6_chain_too_long);
}

TEST_CASE("to_error: the field and code each IpError reports", "[wire][ip]") {
  struct Row {
    IpError e;
    Errc code;
    const char* field;
    const char* message;
  };
  const Row rows[] = {
      {IpError::empty, Errc::truncated, "ip", "empty packet"},
      {IpError::version, Errc::bad_value, "ip.version", "neither 4 nor 6"},
      {IpError::ipv4_truncated, Errc::truncated, "ipv4", "header needs 20 bytes"},
      {IpError::ipv4_version, Errc::bad_value, "ipv4.version", "not 4"},
      {IpError::ipv4_ihl, Errc::bad_length, "ipv4.ihl", "bad header length"},
      {IpError::ipv4_total_length, Errc::bad_length, "ipv4.total_length",
       "shorter than the header"},
      {IpError::ipv6_truncated, Errc::truncated, "ipv6", "header needs 40 bytes"},
      {IpError::ipv6_version, Errc::bad_value, "ipv6.version", "not 6"},
      {IpError::ipv6_extension_truncated, Errc::truncated, "ipv6.extension", "header cut"},
      {IpError::ipv6_extension_length, Errc::bad_length, "ipv6.extension.length", "too long"},
      {IpError::ipv6_fragment_truncated, Errc::truncated, "ipv6.fragment", "header cut"},
      {IpError::ipv6_chain_too_long, Errc::unsupported, "ipv6.extension",
       "more than 8 extension headers"},
  };
  for (const Row& r : rows) {
    Error err = to_error(r.e);
    CHECK(err.code == r.code);
    CHECK(err.field == r.field);
    CHECK(err.message == r.message);
  }
}

TEST_CASE("prepend_ip_header: IPv4 and IPv6 written into headroom, parsed back", "[wire][ip]") {
  const Bytes payload = data(30);
  auto room = [&](size_t headroom) {
    Bytes b(headroom + payload.size(), 0);
    std::copy(payload.begin(), payload.end(), b.begin() + long(headroom));
    return b;
  };
  const auto a4 = *IpAddress::parse("192.0.2.1"), b4 = *IpAddress::parse("198.51.100.7");
  const auto a6 = *IpAddress::parse("2001:db8::1"), b6 = *IpAddress::parse("2001:db8::2");
  SECTION("IPv4, protocol 50") {
    Bytes buf = room(24); // more room than needed: the header goes right before the payload
    MutBytes ip = prepend_ip_header(buf, 24, 30, a4, b4, kIpProtoEsp, 64, 0x0102);
    REQUIRE(ip.data() == buf.data() + 4);
    REQUIRE(ip.size() == 50);
    InetChecksum sum; // RFC 1071: a correct header sums to 0xffff
    sum.add(ip.first(20));
    CHECK(sum.folded() == 0xffff);
    IpHeader h;
    REQUIRE(parse(ip, h) == IpError::none);
    CHECK(IpAddress::v4(h.src) == a4);
    CHECK(IpAddress::v4(h.dst) == b4);
    CHECK(h.protocol == kIpProtoEsp);
    CHECK(h.fragment_id == 0x0102);
    CHECK_FALSE(h.fragment);
    CHECK(h.header_len == 20);
    CHECK(Bytes(h.payload.begin(), h.payload.end()) == payload);
  }
  SECTION("IPv6, protocol 17") {
    Bytes buf = room(40);
    MutBytes ip = prepend_ip_header(buf, 40, 30, a6, b6, kIpProtoUdp);
    REQUIRE(ip.size() == 70);
    IpHeader h;
    REQUIRE(parse(ip, h) == IpError::none);
    CHECK(IpAddress::v6(h.src) == a6);
    CHECK(IpAddress::v6(h.dst) == b6);
    CHECK(h.protocol == kIpProtoUdp);
    CHECK(h.hop_limit == 64);
    CHECK(h.payload.size() == 30);
  }
  SECTION("refusals: no headroom, mixed families, too long") {
    Bytes buf = room(10);
    CHECK(prepend_ip_header(buf, 10, 30, a4, b4, 50).empty());
    Bytes fits = room(20);
    CHECK(prepend_ip_header(fits, 20, 31, a4, b4, 50).empty()); // payload past the buffer
    CHECK(prepend_ip_header(fits, 51, 0, a4, b4, 50).empty());  // offset past the buffer
    Bytes big(20 + 65516, 0);
    CHECK(prepend_ip_header(big, 20, 65516, a4, b4, 50).empty());
    CHECK_FALSE(prepend_ip_header(big, 20, 65515, a4, b4, 50).empty());
    Bytes buf6 = room(40);
    CHECK(prepend_ip_header(buf6, 40, 30, a4, b6, 50).empty());
  }
}
