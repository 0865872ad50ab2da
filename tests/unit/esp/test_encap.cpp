// RFC 3948 UDP encapsulation and outer IP headers (built and parsed by wire/ip.hpp and
// wire/udp.hpp) around sealed ESP, and the inbound SA table.
#include "esp/sa_db.hpp"
#include "esp_test_util.hpp"
#include "wire/ip.hpp"
#include "wire/udp.hpp"
#include "wire/udp_encap.hpp"

#include <catch2/catch.hpp>

using namespace esp_test;

TEST_CASE("RFC 3948 2.1: UDP header in front of a sealed ESP packet, zero checksum") {
  Suite s = suite("aes128gcm16");
  Keys k = keys_for(s);
  EspSaOut out = make_out(params(s, k, 0x11223344, false), nullptr);
  Bytes inner = pattern(60, 1);
  const size_t headroom = wire::kUdpHeaderSize + out.overhead().header;
  Packet pkt(inner, headroom, out.overhead().max_trailer);
  auto sealed = out.seal_in_place(pkt.span(), pkt.offset, pkt.len, kNextHeaderIpv4);
  REQUIRE(sealed);
  const size_t esp_offset = size_t(sealed.packet.data() - pkt.buf.data());
  MutBytes dgram =
      wire::prepend_udp_header(pkt.span(), esp_offset, sealed.packet.size(), 4500, 4500);
  REQUIRE(dgram.size() == sealed.packet.size() + 8);
  CHECK(dgram.data() == pkt.buf.data());
  CHECK(load_be16(dgram.data()) == 4500);
  CHECK(load_be16(dgram.data() + 2) == 4500);
  CHECK(load_be16(dgram.data() + 4) == dgram.size());
  CHECK(load_be16(dgram.data() + 6) == 0);
  auto kind = wire::classify_udp_encap(dgram.subspan(8));
  REQUIRE(kind);
  CHECK(kind->kind == wire::UdpKind::esp);
}

TEST_CASE("RFC 4303 2.6: tunnel-mode Next Header by the inner version") {
  Bytes inner = pattern(30, 2);
  inner[0] = 0x45;
  CHECK(tunnel_next_header(inner) == std::optional<uint8_t>(kNextHeaderIpv4));
  inner[0] = 0x60;
  CHECK(tunnel_next_header(inner) == std::optional<uint8_t>(kNextHeaderIpv6));
  inner[0] = 0x50;
  CHECK_FALSE(tunnel_next_header(inner));
  CHECK_FALSE(tunnel_next_header(ByteView()));
}

TEST_CASE("EspSaDb: dispatch by SPI, unknown SPIs and short packets counted") {
  Suite s = suite("aes256gcm16");
  Keys k1 = keys_for(s, 1);
  Keys k2 = keys_for(s, 2);
  EspSaDb db;
  REQUIRE(db.add(make_in(params(s, k1, 0x100, false))));
  REQUIRE(db.add(make_in(params(s, k2, 0x200, true))));
  auto dup = db.add(make_in(params(s, k1, 0x100, false)));
  REQUIRE_FALSE(dup);
  CHECK(dup.error().field == "spi");
  CHECK(db.size() == 2);

  EspSaOut o1 = make_out(params(s, k1, 0x100, false), nullptr);
  EspSaOut o2 = make_out(params(s, k2, 0x200, true), nullptr);
  for (EspSaOut* o : {&o1, &o2}) {
    Bytes inner = pattern(44, 4);
    Packet pkt(inner, 64, 64);
    auto r = o->seal_in_place(pkt.span(), pkt.offset, pkt.len, 41);
    REQUIRE(r);
    auto opened = db.open_in_place(r.packet);
    REQUIRE(opened.status == OpenStatus::ok);
    CHECK(to_bytes(opened.payload) == inner);
    CHECK(opened.next_header == 41);
  }
  CHECK(db.find(0x100)->stats().packets == 1);
  CHECK(db.find(0x200)->stats().packets == 1);

  Bytes stray = {0, 0, 0x3, 0, 0, 0, 0, 1, 9, 9, 9, 9};
  CHECK(db.open_in_place(stray).status == OpenStatus::unknown_spi);
  CHECK(db.unknown_spi() == 1);
  Bytes tiny = {1, 2, 3};
  CHECK(db.open_in_place(tiny).status == OpenStatus::malformed);
  CHECK(db.malformed() == 1);
  CHECK(db.remove(0x100));
  CHECK_FALSE(db.remove(0x100));
  CHECK(db.find(0x100) == nullptr);
}

// RFC 4303 3.1.1 transport mode: ESP goes between the IP header and the upper
// protocol, whose number moves into Next Header; the IP header's protocol becomes 50.
TEST_CASE("transport mode: IPv4 + UDP protected in place, restored on receipt") {
  Suite s = suite("aes128-sha256");
  Keys k = keys_for(s);
  SeededRng rng(3);
  EspSaOut out = make_out(params(s, k, 0xabcd, false), &rng);
  EspSaIn in = make_in(params(s, k, 0xabcd, false));
  auto a = *IpAddress::parse("192.0.2.1");
  auto b = *IpAddress::parse("192.0.2.2");
  Bytes udp = pattern(28, 6); // the transport header and data

  // Sender: the upper-layer payload sits after room for IP header + ESP header/IV.
  const size_t headroom = wire::kIpv4HeaderSize + out.overhead().header;
  Packet pkt(udp, headroom, out.overhead().max_trailer);
  auto sealed = out.seal_in_place(pkt.span(), pkt.offset, pkt.len, wire::kIpProtoUdp);
  REQUIRE(sealed);
  const size_t esp_offset = size_t(sealed.packet.data() - pkt.buf.data());
  MutBytes ip = wire::prepend_ip_header(pkt.span(), esp_offset, sealed.packet.size(), a, b,
                                        wire::kIpProtoEsp);
  REQUIRE(ip.data() == pkt.buf.data());

  // Receiver: strip the outer header, open, and the protocol comes back from Next Header.
  Bytes received(ip.begin(), ip.end());
  wire::IpHeader info;
  REQUIRE(wire::parse_ip(received, info) == wire::IpError::none);
  REQUIRE(info.protocol == wire::kIpProtoEsp);
  auto opened = in.open_in_place(MutBytes(received).subspan(info.header_len, info.payload.size()));
  REQUIRE(opened.status == OpenStatus::ok);
  CHECK(opened.next_header == wire::kIpProtoUdp);
  CHECK(to_bytes(opened.payload) == udp);
}

// RFC 4301 5.1.2 tunnel mode over RFC 3948 UDP encapsulation: outer IPv4 / UDP 4500 /
// ESP / inner IPv6 packet, built front to back in one buffer without moving the inner packet.
TEST_CASE("tunnel mode over UDP: outer IPv4 + UDP + ESP around an inner IPv6 packet") {
  Suite s = suite("chacha20poly1305");
  Keys k = keys_for(s);
  EspSaOut out = make_out(params(s, k, 0x5151, true), nullptr);
  EspSaDb db;
  REQUIRE(db.add(make_in(params(s, k, 0x5151, true))));
  Bytes inner = pattern(80, 7);
  inner[0] = 0x60;
  const auto nh = tunnel_next_header(inner);
  REQUIRE(nh == std::optional<uint8_t>(kNextHeaderIpv6));

  const size_t headroom = wire::kIpv4HeaderSize + wire::kUdpHeaderSize + out.overhead().header;
  Packet pkt(inner, headroom, out.overhead().max_trailer);
  auto sealed = out.seal_in_place(pkt.span(), pkt.offset, pkt.len, *nh);
  REQUIRE(sealed);
  size_t off = size_t(sealed.packet.data() - pkt.buf.data());
  MutBytes udp = wire::prepend_udp_header(pkt.span(), off, sealed.packet.size(), 4500, 4500);
  REQUIRE_FALSE(udp.empty());
  off = size_t(udp.data() - pkt.buf.data());
  MutBytes ip =
      wire::prepend_ip_header(pkt.span(), off, udp.size(), *IpAddress::parse("203.0.113.1"),
                              *IpAddress::parse("198.51.100.1"), wire::kIpProtoUdp);
  REQUIRE(ip.data() == pkt.buf.data());

  Bytes received(ip.begin(), ip.end());
  wire::IpHeader info;
  REQUIRE(wire::parse_ip(received, info) == wire::IpError::none);
  REQUIRE(info.protocol == wire::kIpProtoUdp);
  wire::UdpHeader dgram;
  REQUIRE(wire::parse_udp(info.payload, dgram) == wire::UdpError::none);
  CHECK(dgram.dst_port == 4500);
  MutBytes udp_payload =
      MutBytes(received).subspan(info.header_len + wire::kUdpHeaderSize, dgram.payload.size());
  auto kind = wire::classify_udp_encap(udp_payload);
  REQUIRE(kind);
  REQUIRE(kind->kind == wire::UdpKind::esp);
  auto opened = db.open_in_place(udp_payload);
  REQUIRE(opened.status == OpenStatus::ok);
  CHECK(opened.next_header == kNextHeaderIpv6);
  CHECK(to_bytes(opened.payload) == inner);
}
