// The EAP codec (RFC 3748 4) and the MS-CHAPv2 method data (draft-kamath-pppext-eap-
// mschapv2 2): round trips, and every truncation of a valid packet refused with a field.
#include "eap/packet.hpp"
#include "test_helpers.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::eap;
using ikekit::test::hex;

TEST_CASE("EAP Request/Identity and Success round trip") {
  uint8_t buf[64];
  auto n = write_typed(buf, Code::request, 7, Type::identity, {});
  REQUIRE(n);
  CHECK(Bytes(buf, buf + *n) == hex("0107000501"));
  auto p = parse_packet(ByteView(buf, *n));
  REQUIRE(p);
  CHECK(p->code == Code::request);
  CHECK(p->identifier == 7);
  CHECK(*p->type == uint8_t(Type::identity));
  CHECK(p->type_data.empty());
  n = write_result(buf, Code::success, 9);
  REQUIRE(n);
  CHECK(Bytes(buf, buf + *n) == hex("03090004"));
  REQUIRE(parse_packet(ByteView(buf, *n)));
}

TEST_CASE("EAP Length: padding past it is ignored, beyond the input refused") {
  auto p = parse_packet(hex("0201000601410000"));
  REQUIRE(p);
  CHECK(p->bytes.size() == 6);
  CHECK(p->type_data.size() == 1);
  auto bad = parse_packet(hex("02010009014141"));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().field == "eap.length");
  auto small = parse_packet(hex("02010004"));
  REQUIRE_FALSE(small);
  CHECK(small.error().field == "eap.length");
  auto success_long = parse_packet(hex("0301000500"));
  REQUIRE_FALSE(success_long);
  CHECK(success_long.error().field == "eap.length");
  auto code = parse_packet(hex("05010004"));
  REQUIRE_FALSE(code);
  CHECK(code.error().field == "eap.code");
}

TEST_CASE("MS-CHAPv2 Challenge: encode, parse, MS-Length, every truncation") {
  const Bytes challenge = hex("5B5D7C7D7B3F2F3E3C2C602132262628");
  uint8_t buf[128];
  auto n =
      write_mschapv2(buf, Code::request, 2, {OpCode::challenge, 2, challenge, as_bytes("srv")});
  REQUIRE(n);
  // Code 1, Id 2, Length 29, Type 26, OpCode 1, MS-ID 2, MS-Length 24, Value-Size 16, ...
  CHECK(Bytes(buf, buf + 10) == hex("0102001d1a0102001810"));
  auto p = parse_packet(ByteView(buf, *n));
  REQUIRE(p);
  auto m = parse_mschapv2(p->code, p->type_data);
  REQUIRE(m);
  CHECK(m->opcode == OpCode::challenge);
  CHECK(m->ms_chapv2_id == 2);
  CHECK(Bytes(m->value.begin(), m->value.end()) == challenge);
  CHECK(std::string(m->name_or_message.begin(), m->name_or_message.end()) == "srv");
  // Cutting the packet at every length: the EAP Length then disagrees with the input.
  for (size_t cut = 0; cut < *n; ++cut) {
    INFO(cut);
    auto t = parse_packet(ByteView(buf, cut));
    REQUIRE_FALSE(t);
    CHECK_FALSE(t.error().field.empty());
  }
  // Cutting the Type-Data alone: the MS-CHAPv2 header or MS-Length check fires.
  for (size_t cut = 0; cut < p->type_data.size(); ++cut) {
    INFO(cut);
    auto t = parse_mschapv2(Code::request, p->type_data.first(cut));
    REQUIRE_FALSE(t);
    CHECK(t.error().field.rfind("mschapv2", 0) == 0);
  }
}

TEST_CASE("MS-CHAPv2: Value-Size, OpCode direction and short forms are checked") {
  // A Challenge whose Value-Size is 8.
  auto bad_size = parse_mschapv2(Code::request, hex("010100060800"));
  REQUIRE_FALSE(bad_size);
  // MS-Length disagrees with the Type-Data.
  auto bad_ms_length = parse_mschapv2(Code::request, hex("03010009533d"));
  REQUIRE_FALSE(bad_ms_length);
  CHECK(bad_ms_length.error().field == "mschapv2.ms_length");
  // A Response OpCode inside a Request.
  auto wrong_direction = parse_mschapv2(Code::request, hex("02010004"));
  REQUIRE_FALSE(wrong_direction);
  CHECK(wrong_direction.error().field == "mschapv2.opcode");
  // Success Response: the OpCode alone; anything more is refused.
  REQUIRE(parse_mschapv2(Code::response, hex("03")));
  REQUIRE_FALSE(parse_mschapv2(Code::response, hex("0300")));
  // Change-Password (7) is not supported.
  auto change = parse_mschapv2(Code::response, hex("07"));
  REQUIRE_FALSE(change);
  CHECK(change.error().code == Errc::unsupported);
  // The Response value's reserved octets must be zero.
  Bytes value(49, 0);
  value[20] = 1;
  REQUIRE_FALSE(parse_response_value(value));
  value[20] = 0;
  REQUIRE(parse_response_value(value));
}

TEST_CASE("Legacy Nak proposes MS-CHAPv2") {
  uint8_t buf[16];
  auto n = write_nak(buf, 4, Type::mschapv2);
  REQUIRE(n);
  CHECK(Bytes(buf, buf + *n) == hex("02040006031a"));
}
