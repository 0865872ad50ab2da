// UDP (RFC 768) and TCP (RFC 9293 3.1) headers behind an IP header: fields, every
// truncation point with the exact error and the text a decoder reports, lengths and
// data offsets that do not fit, and the UDP header built for RFC 3948.
//
//   UDP: | Source Port | Destination Port | Length | Checksum |
//   TCP: | Source Port | Destination Port | Sequence | Ack | Off Flags Window | ... |
#include "wire/tcp.hpp"
#include "wire/udp.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

using namespace ikekit;
using namespace ikekit::wire;

namespace {

Bytes udp(uint16_t length, size_t total) {
  Bytes b(total, 0xab);
  store_be16(&b[0], 500);
  store_be16(&b[2], 4500);
  store_be16(&b[4], length);
  store_be16(&b[6], 0x1234);
  return b;
}

// A TCP header with `data_offset` words (options as NOPs), `payload` bytes after it.
Bytes tcp(uint8_t data_offset, size_t payload) {
  const size_t hl = std::max<size_t>(20, data_offset * 4u);
  Bytes b(hl + payload, 0xcd);
  store_be16(&b[0], 40000);
  store_be16(&b[2], 4500);
  store_be32(&b[4], 0xfedcba98);
  store_be32(&b[8], 1);
  b[12] = uint8_t(data_offset << 4);
  b[13] = kTcpAck | kTcpPsh;
  std::fill(b.begin() + 20, b.begin() + long(hl), 1);
  return b;
}

} // namespace

TEST_CASE("UDP: fields; the payload is what Length says", "[wire][udp]") {
  Bytes b = udp(20, 26); // 6 bytes after the datagram (IP padding)
  UdpHeader h;
  REQUIRE(parse_udp(b, h) == UdpError::none);
  CHECK(h.src_port == 500);
  CHECK(h.dst_port == 4500);
  CHECK(h.length == 20);
  CHECK(h.checksum == 0x1234);
  CHECK(h.payload.data() == b.data() + 8);
  CHECK(h.payload.size() == 12);
  REQUIRE(parse_udp(udp(8, 8), h) == UdpError::none);
  CHECK(h.payload.empty());
}

TEST_CASE("UDP: every truncation point names the field that was cut", "[wire][udp]") {
  Bytes b = udp(8, 8);
  const UdpError expected[] = {UdpError::src_port_truncated, UdpError::src_port_truncated,
                               UdpError::dst_port_truncated, UdpError::dst_port_truncated,
                               UdpError::length_truncated,   UdpError::length_truncated,
                               UdpError::checksum_truncated, UdpError::checksum_truncated};
  for (size_t n = 0; n < 8; ++n) {
    INFO("cut at " << n);
    UdpHeader h;
    CHECK(parse_udp(ByteView(b).first(n), h) == expected[n]);
  }
  // The texts (base::Reader's for the first three fields), as ike-decode reports them.
  auto text = [&](size_t n) {
    UdpHeader h;
    ByteView cut = ByteView(b).first(n);
    Error e = to_error(parse_udp(cut, h), cut);
    CHECK(e.code == Errc::truncated);
    return e.field + ": " + e.message;
  };
  CHECK(text(0) == "udp.src_port: needs 2 bytes at offset 0, 0 left");
  CHECK(text(3) == "udp.dst_port: needs 2 bytes at offset 2, 1 left");
  CHECK(text(5) == "udp.length: needs 2 bytes at offset 4, 1 left");
  CHECK(text(7) == "udp.checksum: UDP header cut");
}

TEST_CASE("UDP: a Length below 8 or beyond the IP payload is refused", "[wire][udp]") {
  UdpHeader h;
  for (uint16_t len : {0, 7, 13, 65535}) {
    INFO("length " << len);
    Bytes b = udp(len, 12);
    REQUIRE(parse_udp(b, h) == UdpError::bad_length);
    Error e = to_error(UdpError::bad_length, b);
    CHECK(e.code == Errc::bad_length);
    CHECK(e.field == "udp.length");
    CHECK(e.message == std::to_string(len) + " does not fit the 12-byte IP payload");
  }
  CHECK(parse_udp(udp(12, 12), h) == UdpError::none);
}

TEST_CASE("RFC 3948 2.1: prepend_udp_header in headroom, zero checksum", "[wire][udp]") {
  Bytes buf(8 + 100, 0x5a);
  MutBytes d = prepend_udp_header(buf, 8, 100, 4500, 4501);
  REQUIRE(d.data() == buf.data());
  REQUIRE(d.size() == 108);
  UdpHeader h;
  REQUIRE(parse_udp(d, h) == UdpError::none);
  CHECK(h.src_port == 4500);
  CHECK(h.dst_port == 4501);
  CHECK(h.length == 108);
  CHECK(h.checksum == 0);
  CHECK(h.payload.size() == 100);
  CHECK(prepend_udp_header(buf, 7, 10, 1, 2).empty());         // no headroom
  CHECK(prepend_udp_header(buf, 8, buf.size(), 1, 2).empty()); // past the buffer
  CHECK(prepend_udp_header(buf, buf.size() + 1, 0, 1, 2).empty());
  Bytes big(8 + 65528, 0);
  CHECK(prepend_udp_header(big, 8, 65528, 1, 2).empty()); // Length would exceed 65535
  CHECK_FALSE(prepend_udp_header(big, 8, 65527, 1, 2).empty());
}

TEST_CASE("TCP: fields, options skipped by the data offset", "[wire][tcp]") {
  Bytes b = tcp(8, 5); // 32-byte header
  TcpHeader h;
  REQUIRE(parse_tcp(b, h) == TcpError::none);
  CHECK(h.src_port == 40000);
  CHECK(h.dst_port == 4500);
  CHECK(h.seq == 0xfedcba98);
  CHECK(h.flags == (kTcpAck | kTcpPsh));
  CHECK(h.header_len == 32);
  CHECK(h.payload.data() == b.data() + 32);
  CHECK(h.payload.size() == 5);
}

TEST_CASE("TCP: every truncation point and bad data offsets get their exact error", "[wire][tcp]") {
  Bytes b = tcp(8, 0);
  for (size_t n = 0; n < b.size(); ++n) {
    INFO("cut at " << n);
    TcpHeader h;
    const TcpError e = parse_tcp(ByteView(b).first(n), h);
    if (n < 4) {
      CHECK(e == TcpError::ports_truncated);
      CHECK(h.src_port == 0);
    } else {
      CHECK(e == (n < 20 ? TcpError::truncated : TcpError::data_offset));
      CHECK(h.src_port == 40000); // a cut header still says whose it was
      CHECK(h.dst_port == 4500);
    }
  }
  TcpHeader h;
  CHECK(parse_tcp(tcp(4, 10), h) == TcpError::data_offset); // 16 bytes: below the minimum
  Bytes cut(b.begin(), b.begin() + 30);
  Error e = to_error(parse_tcp(cut, h), cut);
  CHECK(e.code == Errc::bad_length);
  CHECK(e.field == "tcp.data_offset");
  CHECK(e.message == "32-byte header does not fit the 30-byte segment (at least 20)");
  ByteView short_header = ByteView(b).first(12);
  e = to_error(parse_tcp(short_header, h), short_header);
  CHECK(e.code == Errc::truncated);
  CHECK(e.field == "tcp");
  CHECK(e.message == "header needs 20 bytes");
}
