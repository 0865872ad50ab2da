#include "decode/packet.hpp"

#include <catch2/catch.hpp>
#include <pcap/dlt.h>

using namespace ikekit;
using namespace ikekit::decode;

namespace {

// IPv4 header (RFC 791) + UDP header (RFC 768) around `payload`, with optional
// fragment fields; checksums are left zero (the decoder does not verify them).
Bytes ipv4_udp(ByteView payload, uint16_t id = 1, uint16_t frag_field = 0) {
  Bytes b(28 + payload.size());
  b[0] = 0x45;
  store_be16(&b[2], uint16_t(b.size()));
  store_be16(&b[4], id);
  store_be16(&b[6], frag_field);
  b[8] = 64;
  b[9] = 17;
  const uint8_t src[] = {10, 0, 0, 1}, dst[] = {10, 0, 0, 2};
  std::copy(src, src + 4, &b[12]);
  std::copy(dst, dst + 4, &b[16]);
  store_be16(&b[20], 500);
  store_be16(&b[22], 4500);
  store_be16(&b[24], uint16_t(8 + payload.size()));
  std::copy(payload.begin(), payload.end(), &b[28]);
  return b;
}

// `header` bytes of link header (zeroed) in front of `ip`, with `type_at` holding 0x0800.
Bytes behind_link_header(const Bytes& ip, size_t header, size_t type_at) {
  Bytes f(header + ip.size(), 0);
  f[type_at] = 0x08;
  std::copy(ip.begin(), ip.end(), f.begin() + long(header));
  return f;
}
Bytes with_ethernet(const Bytes& ip) { return behind_link_header(ip, 14, 12); }

} // namespace

TEST_CASE("Ethernet, SLL, SLL2 and raw frames all reach the UDP payload") {
  const uint8_t payload[] = {1, 2, 3, 4, 5};
  Bytes ip = ipv4_udp(payload);
  IpReassembler reasm;

  auto eth = with_ethernet(ip);
  auto p = dissect_frame(DLT_EN10MB, eth, reasm);
  REQUIRE(p);
  REQUIRE(*p);
  CHECK((*p)->src.to_string() == "10.0.0.1");
  CHECK((*p)->dst_port == 4500);
  CHECK((*p)->payload.size() == 5);

  Bytes sll = behind_link_header(ip, 16, 14);
  auto q = dissect_frame(DLT_LINUX_SLL, sll, reasm);
  REQUIRE((q && *q));
  CHECK((*q)->payload[4] == 5);

  Bytes sll2 = behind_link_header(ip, 20, 0);
  auto r = dissect_frame(276, sll2, reasm);
  REQUIRE((r && *r));

  auto raw = dissect_frame(DLT_RAW, ip, reasm);
  REQUIRE((raw && *raw));
  CHECK((*raw)->src_port == 500);
}

TEST_CASE("Truncated frames name the layer that was cut") {
  const uint8_t payload[] = {1, 2, 3};
  Bytes eth = with_ethernet(ipv4_udp(payload));
  IpReassembler reasm;
  for (size_t cut = 0; cut < 14 + 28; ++cut) {
    auto p = dissect_frame(DLT_EN10MB, ByteView(eth).first(cut), reasm);
    REQUIRE_FALSE(p);
    CHECK_FALSE(p.error().field.empty());
  }
  auto p = dissect_frame(DLT_EN10MB, ByteView(eth).first(20), reasm);
  CHECK(p.error().field == "ipv4");
}

TEST_CASE("IPv4 fragments reassemble in any order") {
  Bytes payload(100);
  for (size_t i = 0; i < payload.size(); ++i)
    payload[i] = uint8_t(i);
  Bytes whole = ipv4_udp(payload, 7);
  // Split the 108-byte UDP datagram at offset 56 (a multiple of 8).
  ByteView udp = ByteView(whole).subspan(20);
  auto fragment = [&](uint32_t off, size_t len, bool more) {
    Bytes f(20 + len);
    std::copy(whole.begin(), whole.begin() + 20, f.begin());
    store_be16(&f[2], uint16_t(f.size()));
    store_be16(&f[6], uint16_t((more ? 0x2000 : 0) | off / 8));
    std::copy(udp.begin() + off, udp.begin() + off + len, f.begin() + 20);
    return f;
  };
  IpReassembler reasm;
  auto second = dissect_frame(DLT_RAW, fragment(56, udp.size() - 56, false), reasm);
  REQUIRE(second);
  CHECK_FALSE(*second); // waiting for the first piece
  auto first = dissect_frame(DLT_RAW, fragment(0, 56, true), reasm);
  REQUIRE((first && *first));
  CHECK((*first)->reassembled);
  REQUIRE((*first)->payload.size() == 100);
  CHECK((*first)->payload[99] == 99);
}

TEST_CASE("Unknown link types are reported, not guessed") {
  IpReassembler reasm;
  const uint8_t junk[] = {0};
  auto p = dissect_frame(147, junk, reasm);
  REQUIRE_FALSE(p);
  CHECK(p.error().code == Errc::unsupported);
  CHECK(p.error().field == "linktype");
}

// Issue 11: a flood of fragments of one datagram (40,000 took 21.6 s when every fragment
// re-sorted the list) is bounded: each datagram takes at most kMaxFragments fragments,
// then it is dropped, reported with the reason, and its fragments counted as dropped.
TEST_CASE("IPv4 fragment floods are capped per datagram and counted") {
  const IpAddress src = *IpAddress::parse("10.0.0.1"), dst = *IpAddress::parse("10.0.0.2");
  Bytes piece(8, 0xab);
  IpReassembler reasm;
  size_t completed = 0;
  for (int i = 0; i < 40000; ++i) // the same first 8 bytes over and over
    if (reasm.add(src, dst, 9, 17, 0, true, piece)) ++completed;
  CHECK(completed == 0);
  auto lost = reasm.take_abandoned();
  REQUIRE(lost.size() == 1);
  CHECK(lost[0].fragments == IpReassembler::kMaxFragments + 1);
  CHECK(lost[0].describe().find("limit") != std::string::npos);
  CHECK(reasm.dropped_fragments() == 40000);
  CHECK(reasm.pending().empty());

  // A datagram within the limits still reassembles, from overlapping pieces in any order.
  Bytes data(64);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = uint8_t(i);
  ByteView all(data);
  CHECK_FALSE(reasm.add(src, dst, 10, 17, 32, false, all.subspan(32)));
  CHECK_FALSE(reasm.add(src, dst, 10, 17, 8, true, all.subspan(8, 16)));
  CHECK_FALSE(reasm.add(src, dst, 10, 17, 16, true, all.subspan(16, 16))); // overlaps
  auto whole = reasm.add(src, dst, 10, 17, 0, true, all.first(8));
  REQUIRE(whole);
  CHECK(Bytes(whole->begin(), whole->end()) == data);
  CHECK(reasm.dropped_fragments() == 40000);
}

TEST_CASE("IPv4 reassembly holds a bounded number of bytes") {
  const IpAddress src = *IpAddress::parse("10.0.0.1"), dst = *IpAddress::parse("10.0.0.2");
  Bytes big(65000, 0x11);
  IpReassembler reasm;
  // Each datagram waits for its first 8 bytes; together they exceed the byte budget.
  const size_t datagrams = IpReassembler::kMaxPendingBytes / big.size() + 8;
  for (size_t id = 0; id < datagrams; ++id)
    CHECK_FALSE(reasm.add(src, dst, uint32_t(id), 17, 8, false, ByteView(big).first(65000 - 8)));
  CHECK(reasm.pending_bytes() <= IpReassembler::kMaxPendingBytes);
  auto lost = reasm.take_abandoned();
  CHECK(lost.size() >= 8);
  CHECK(reasm.dropped_fragments() == lost.size());
  CHECK(lost.size() + reasm.pending().size() == datagrams);
}

// The IP/UDP/TCP headers are wire/ip.hpp's, wire/udp.hpp's and wire/tcp.hpp's; what a
// malformed record shows is their error, field and text.
TEST_CASE("Header errors reach the record as the codec names them") {
  const uint8_t payload[] = {1, 2, 3, 4};
  IpReassembler reasm;
  Bytes long_udp = ipv4_udp(payload);
  store_be16(&long_udp[24], 40); // UDP Length past the IP payload
  auto p = dissect_frame(DLT_RAW, long_udp, reasm);
  REQUIRE_FALSE(p);
  CHECK(p.error().field == "udp.length");
  CHECK(p.error().message == "40 does not fit the 12-byte IP payload");

  Bytes cut_tcp = ipv4_udp(payload);
  cut_tcp[9] = 6; // 12 bytes of TCP: the ports, no whole header
  auto t = dissect_frame(DLT_RAW, cut_tcp, reasm);
  REQUIRE((t && *t));
  CHECK((*t)->src_port == 500);
  REQUIRE((*t)->tcp_error);
  CHECK((*t)->tcp_error->field == "tcp");

  Bytes v5 = ipv4_udp(payload);
  v5[0] = 0x55;
  auto bad = dissect_frame(DLT_RAW, v5, reasm);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().field == "ip.version");
}

// RFC 8200 4.5: a Destination Options header in the fragmentable part travels in the
// first fragment; it is walked once the datagram is whole.
TEST_CASE("IPv6 fragments reassemble; the reassembled datagram's extension headers are walked") {
  Bytes udp(8 + 16);
  store_be16(&udp[0], 500);
  store_be16(&udp[2], 500);
  store_be16(&udp[4], uint16_t(udp.size()));
  for (size_t i = 8; i < udp.size(); ++i)
    udp[i] = uint8_t(i);
  Bytes whole = {17, 0, 0, 0, 0, 0, 0, 0}; // Destination Options -> UDP
  whole.insert(whole.end(), udp.begin(), udp.end());
  auto fragment = [&](uint16_t off, size_t len, bool more) {
    Bytes f(40 + 8 + len, 0);
    f[0] = 0x60;
    store_be16(&f[4], uint16_t(8 + len));
    f[6] = 44;
    f[7] = 64;
    f[23] = 1;
    f[39] = 2;
    f[40] = 60; // the fragmentable part starts with Destination Options
    store_be16(&f[42], uint16_t(off | (more ? 1 : 0)));
    store_be32(&f[44], 0x01020304);
    std::copy(whole.begin() + off, whole.begin() + off + long(len), f.begin() + 48);
    return f;
  };
  IpReassembler reasm;
  auto first = dissect_frame(DLT_RAW, fragment(0, 16, true), reasm);
  REQUIRE(first);
  CHECK_FALSE(*first);
  auto last = dissect_frame(DLT_RAW, fragment(16, whole.size() - 16, false), reasm);
  REQUIRE((last && *last));
  CHECK((*last)->reassembled);
  CHECK((*last)->ip_protocol == 17);
  CHECK((*last)->src_port == 500);
  REQUIRE((*last)->payload.size() == 16);
  CHECK((*last)->payload[15] == 23);
}
