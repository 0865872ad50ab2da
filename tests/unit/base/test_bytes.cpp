#include "base/bytes.hpp"
#include "base/hex.hpp"
#include "base/secret_bytes.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;

TEST_CASE("Reader names the field it could not read") {
  const uint8_t data[] = {0x01, 0x02, 0x03};
  Reader r(data);
  REQUIRE(*r.u16("a") == 0x0102);
  auto v = r.u16("b.length");
  REQUIRE_FALSE(v);
  CHECK(v.error().code == Errc::truncated);
  CHECK(v.error().field == "b.length");
}

TEST_CASE("Writer refuses to overflow and reports it once") {
  uint8_t buf[3];
  Writer w(buf);
  w.u16(0xabcd);
  w.u16(0x1234);
  CHECK_FALSE(w.ok());
  CHECK_FALSE(w.finish("msg"));
  CHECK(buf[0] == 0xab);
}

TEST_CASE("hex round trip and errors") {
  auto b = from_hex("0xDEad:be ef", "key");
  REQUIRE(b);
  CHECK(to_hex(*b) == "deadbeef");
  CHECK(to_hex_u32(0x1234) == "00001234");
  auto bad = from_hex("abc", "key");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().field == "key");
  CHECK_FALSE(from_hex("zz", "key"));
}

TEST_CASE("Error::within builds dotted paths") {
  Error e = make_error(Errc::bad_value, "length", "x");
  e.within("transform[3]").within("proposal[1]").within("sa");
  CHECK(e.field == "sa.proposal[1].transform[3].length");
}

TEST_CASE("SecretBytes empties on move") {
  const uint8_t k[] = {1, 2, 3};
  SecretBytes a{ByteView(k)};
  SecretBytes b = std::move(a);
  CHECK(a.empty()); // NOLINT(bugprone-use-after-move): the point of the test
  CHECK(b.reveal()[2] == 3);
  CHECK(b.slice(1, 2).reveal()[0] == 2);
}

#include "base/ip_address.hpp"

TEST_CASE("IpAddress parses and prints both families") {
  auto a = IpAddress::parse("10.231.0.1");
  REQUIRE(a);
  CHECK(a->is_v4());
  CHECK(a->to_string() == "10.231.0.1");
  auto b = IpAddress::parse("fd00::1");
  REQUIRE(b);
  CHECK(b->to_string() == "fd00::1");
  CHECK(b->bytes().size() == 16);
  CHECK_FALSE(IpAddress::parse("10.1"));
}

TEST_CASE("parse_hex_u64 is the inverse of to_hex_u64 and to_hex_u32", "[hex]") {
  CHECK(parse_hex_u64(to_hex_u64(0x0123456789abcdefULL)) == 0x0123456789abcdefULL);
  CHECK(parse_hex_u64(to_hex_u32(0xdeadbeef), 8) == 0xdeadbeefULL);
  CHECK(parse_hex_u64("ABCdef") == 0xabcdefULL);
  CHECK_FALSE(parse_hex_u64(""));
  CHECK_FALSE(parse_hex_u64("0x12"));
  CHECK_FALSE(parse_hex_u64("12 34"));
  CHECK_FALSE(parse_hex_u64("123456789", 8));
  CHECK_FALSE(parse_hex_u64("11112222333344445")); // 17 digits overflow 64 bits
}
