// ESP (RFC 4303 2) and UDP encapsulation on port 4500 (RFC 3948 2).
//
//   | SPI | Sequence Number | IV | Payload Data | Padding | Pad Length | Next Header | ICV |
#include "wire/esp.hpp"
#include "wire/udp_encap.hpp"

#include <array>
#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::wire;

TEST_CASE("ESP header parse and write", "[wire][esp]") {
  std::array<uint8_t, 16> buf{};
  Writer w(buf);
  write_esp_header(w, 0xc001d00d, 42);
  w.bytes(std::array<uint8_t, 8>{1, 2, 3, 4, 5, 6, 7, 8});
  REQUIRE(w.finish("esp"));
  auto h = parse_esp_header(buf);
  REQUIRE(h);
  CHECK(h->spi == 0xc001d00d);
  CHECK(h->seq == 42);
  CHECK(h->rest.size() == 8);
  CHECK(parse_esp_header(ByteView(buf.data(), 7)).error().field == "esp.seq");
  CHECK(parse_esp_header(ByteView(buf.data(), 3)).error().field == "esp.spi");
  std::array<uint8_t, 8> zero_spi{0, 0, 0, 0, 0, 0, 0, 1};
  CHECK(parse_esp_header(zero_spi).error().code == Errc::bad_value);
}

TEST_CASE("ESP trailer: padding 1, 2, 3 ... (RFC 4303 2.4)", "[wire][esp]") {
  std::array<uint8_t, 64> buf{};
  Writer w(buf);
  std::array<uint8_t, 5> payload{0x45, 0, 0, 5, 9};
  w.bytes(payload);
  size_t pad = esp_padding_length(payload.size(), 16);
  CHECK(pad == 9); // 5 + 9 + 2 = 16
  write_esp_trailer(w, pad, kEspNextHeaderIpv4);
  auto n = w.finish("esp");
  REQUIRE(n);
  REQUIRE(*n == 16);
  auto t = parse_esp_trailer(ByteView(buf.data(), *n));
  REQUIRE(t);
  CHECK(t->pad_length == 9);
  CHECK(t->next_header == 4);
  CHECK(equal_bytes(t->payload, payload));

  SECTION("non-monotonic padding") {
    buf[7] = 9;
    auto bad = parse_esp_trailer(ByteView(buf.data(), *n));
    REQUIRE_FALSE(bad);
    CHECK(bad.error().field == "esp.padding");
    CHECK(parse_esp_trailer(ByteView(buf.data(), *n), false));
  }
  SECTION("pad length larger than the data") {
    buf[14] = 200;
    CHECK(parse_esp_trailer(ByteView(buf.data(), *n)).error().field == "esp.pad_length");
  }
  CHECK(parse_esp_trailer(ByteView(buf.data(), 1)).error().code == Errc::truncated);
  CHECK(esp_padding_length(2, 4) == 0);
  CHECK(esp_padding_length(3, 1) == 3); // at least 4-byte alignment
}

TEST_CASE("UDP 4500: non-ESP marker, NAT keepalive, ESP (RFC 3948 2.2-2.3)", "[wire][udp]") {
  std::array<uint8_t, 40> ike{};
  Writer w(ike);
  write_non_esp_marker(w);
  w.u64(0x1122334455667788); // IKE SPIi
  auto c = classify_udp_encap(ike);
  REQUIRE(c);
  CHECK(c->kind == UdpKind::ike);
  CHECK(c->data.size() == 36);
  CHECK(c->data[0] == 0x11);

  std::array<uint8_t, 1> keepalive{};
  Writer k(keepalive);
  write_nat_keepalive(k);
  auto ka = classify_udp_encap(keepalive);
  REQUIRE(ka);
  CHECK(ka->kind == UdpKind::keepalive);

  std::array<uint8_t, 12> esp{0xc0, 0x01, 0xd0, 0x0d, 0, 0, 0, 1, 9, 9, 9, 9};
  auto e = classify_udp_encap(esp);
  REQUIRE(e);
  CHECK(e->kind == UdpKind::esp);
  CHECK(e->data.size() == 12);

  CHECK(classify_udp_encap({}).error().field == "udp");
  CHECK(classify_udp_encap(ByteView(esp.data(), 2)).error().code == Errc::truncated);
  CHECK(classify_udp_encap(ByteView(esp.data(), 6)).error().field == "udp.esp");
  CHECK(classify_udp_encap(ByteView(ike.data(), 10)).error().field == "udp.ike");
}

TEST_CASE("RFC 3948 2.2: port-4500 payloads are told apart by their first bytes", "[wire][udp]") {
  const uint8_t keepalive[] = {0xff};
  const uint8_t ike[] = {0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}; // the engine judges the length
  const uint8_t esp[] = {0, 0, 0x12, 0x34, 0, 0, 0, 1};
  const uint8_t short_esp[] = {0, 0, 0x12, 0x34, 0, 0};
  const uint8_t two_ff[] = {0xff, 0xff};
  CHECK(udp_encap_kind(keepalive) == UdpKind::keepalive);
  CHECK(udp_encap_kind(ike) == UdpKind::ike);
  CHECK(udp_encap_kind(esp) == UdpKind::esp);
  CHECK_FALSE(udp_encap_kind(short_esp));
  CHECK_FALSE(udp_encap_kind(two_ff));
  CHECK_FALSE(udp_encap_kind(ByteView()));
}
