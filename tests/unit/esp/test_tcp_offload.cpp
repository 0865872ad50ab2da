// The TCP offloads of the user-space data plane (esp/tcp_segment.hpp, esp/tcp_coalesce.hpp):
// a super-packet as the kernel hands it over (checksum partial) is cut into segments
// whose IP and TCP fields and checksums are what tcp_gso_segment would produce; the
// segments coalesce back into one super-packet that carries the same bytes; packets
// that must not be coalesced (bad checksum, a gap, FIN, another flow) are not.
#include "esp/tcp_coalesce.hpp"
#include "esp/tcp_segment.hpp"
#include "selector_test_util.hpp"
#include "wire/inet_checksum.hpp"
#include "wire/ip.hpp"
#include "wire/tcp.hpp"

#include <catch2/catch.hpp>
#include <cstring>

using namespace ikekit;
using namespace ikekit::esp;
using namespace ikekit::wire;
using selector_test::v4;
using selector_test::v6;

namespace {

Bytes payload_bytes(size_t n, uint8_t seed = 7) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i)
    b[i] = uint8_t(seed + i * 31 + (i >> 8));
  return b;
}

// A TCP header (20 bytes + a 12-byte timestamp option) and payload.
Bytes tcp(uint32_t seq, uint8_t flags, const Bytes& payload, uint16_t sport = 40000) {
  Bytes t(32 + payload.size(), 0);
  store_be16(&t[0], sport);
  store_be16(&t[2], 5201);
  store_be32(&t[4], seq);
  store_be32(&t[8], 0x01020304); // ack
  t[12] = 8 << 4;                // data offset: 32 bytes
  t[13] = flags;
  store_be16(&t[14], 512);
  t[20] = 1, t[21] = 1, t[22] = 8, t[23] = 10; // NOP NOP TS
  store_be32(&t[24], 1111);
  store_be32(&t[28], 2222);
  std::memcpy(t.data() + 32, payload.data(), payload.size());
  return t;
}

Bytes tcp_packet(bool ipv6, uint32_t seq, uint8_t flags, const Bytes& payload,
                 uint16_t sport = 40000) {
  Bytes p = ipv6 ? v6("fd00::1", "fd00::2", kIpProtoTcp, tcp(seq, flags, payload, sport))
                 : v4("10.1.0.1", "10.2.0.1", kIpProtoTcp, tcp(seq, flags, payload, sport));
  if (!ipv6) {
    p[6] = 0x40; // DF
    store_be16(&p[4], 0x1000);
    set_ipv4_header_checksum(p.data(), 20);
  }
  return p;
}

size_t ip_len(const Bytes& p) { return p[0] >> 4 == 4 ? 20 : 40; }

// The TCP checksum field as a kernel leaves it for CHECKSUM_PARTIAL: the pseudo-header sum.
void make_partial(Bytes& p) {
  size_t ihl = ip_len(p);
  InetChecksum c = pseudo_header_sum(ByteView(p).first(ihl), kIpProtoTcp, uint32_t(p.size() - ihl));
  store_be16(&p[ihl + 16], c.folded());
}

void set_valid_checksum(Bytes& p) {
  size_t ihl = ip_len(p);
  make_partial(p);
  REQUIRE(complete_checksum(p, uint16_t(ihl), 16));
}

bool tcp_ok(ByteView p) {
  TcpHeaders h;
  return read_tcp_headers(p, h) && tcp_checksum_valid(p, h);
}

} // namespace

TEST_CASE("complete_checksum: finishes a partial TCP and UDP checksum; UDP zero becomes 0xffff") {
  Bytes p = tcp_packet(false, 100, kTcpAck | kTcpPsh, payload_bytes(777));
  make_partial(p);
  CHECK_FALSE(tcp_ok(p));
  REQUIRE(complete_checksum(p, 20, 16));
  CHECK(tcp_ok(p));
  Bytes q = p;
  CHECK_FALSE(complete_checksum(q, 20, uint16_t(q.size()))); // field outside the packet
  // UDP: craft a datagram whose checksum comes out 0; it must be sent as all ones.
  Bytes udp(8 + 2, 0);
  store_be16(&udp[0], 1);
  store_be16(&udp[2], 2);
  store_be16(&udp[4], 10);
  Bytes u = v4("10.0.0.1", "10.0.0.2", kIpProtoUdp, udp);
  InetChecksum ph = pseudo_header_sum(ByteView(u).first(20), kIpProtoUdp, 10);
  InetChecksum all = ph;
  all.add(ByteView(u).subspan(20));
  // Choose the two data bytes so that the full sum is 0xffff (checksum 0).
  store_be16(&u[28], uint16_t(~all.folded()));
  store_be16(&u[26], ph.folded());
  REQUIRE(complete_checksum(u, 20, 6));
  CHECK(load_be16(&u[26]) == 0xffff);
}

TEST_CASE(
    "TcpSegmenter: a TSO super-packet becomes segments with their own headers and checksums") {
  for (bool ipv6 : {false, true}) {
    SECTION(ipv6 ? "IPv6" : "IPv4") {
      const size_t mss = 1000;
      Bytes data = payload_bytes(3 * mss + 123); // the last segment is short
      Bytes super = tcp_packet(ipv6, 0xfffffc00, kTcpAck | kTcpPsh | kTcpFin | kTcpCwr, data);
      make_partial(super);
      const size_t hl = ip_len(super) + 32;
      GsoInfo gso{ipv6 ? GsoInfo::Type::tcp6 : GsoInfo::Type::tcp4, uint16_t(mss), true,
                  uint16_t(ip_len(super)), 16};
      TcpSegmenter seg;
      REQUIRE(seg.start(super, gso, 64));
      REQUIRE(seg.count() == 4);
      CHECK_FALSE(TcpSegmenter().start(super, gso, 3)); // more segments than allowed
      GsoInfo wrong = gso;
      wrong.type = ipv6 ? GsoInfo::Type::tcp4 : GsoInfo::Type::tcp6;
      CHECK_FALSE(TcpSegmenter().start(super, wrong, 64));
      Bytes joined;
      for (size_t i = 0; i < seg.count(); ++i) {
        Bytes out(seg.segment_len(i));
        REQUIRE(seg.write(i, out.data()) == out.size());
        const size_t len = i < 3 ? mss : 123;
        CHECK(out.size() == hl + len);
        CHECK(tcp_ok(out));
        const uint8_t* t = out.data() + ip_len(out);
        CHECK(load_be32(t + 4) == uint32_t(0xfffffc00 + i * mss)); // wraps past 2^32
        const bool last = i == 3;
        CHECK(bool(t[13] & kTcpFin) == last);
        CHECK(bool(t[13] & kTcpPsh) == last);
        CHECK(bool(t[13] & kTcpCwr) == (i == 0));
        CHECK((t[13] & kTcpAck) != 0);
        if (ipv6) {
          CHECK(load_be16(&out[4]) == 32 + len);
        } else {
          CHECK(load_be16(&out[2]) == out.size());
          CHECK(load_be16(&out[4]) == 0x1000 + i);
          InetChecksum c;
          c.add(ByteView(out).first(20));
          CHECK(c.folded() == 0xffff);
        }
        joined.insert(joined.end(), out.begin() + long(hl), out.end());
      }
      CHECK(joined == data);
    }
  }
}

TEST_CASE("TcpCoalescer: segments of one flow become one super-packet carrying the same bytes") {
  for (bool ipv6 : {false, true}) {
    SECTION(ipv6 ? "IPv6" : "IPv4") {
      const size_t mss = 1200;
      Bytes data = payload_bytes(4 * mss + 500);
      std::vector<Bytes> segs;
      for (size_t off = 0; off < data.size(); off += mss) {
        size_t len = std::min(mss, data.size() - off);
        bool last = off + len == data.size();
        Bytes part(data.begin() + long(off), data.begin() + long(off + len));
        segs.push_back(
            tcp_packet(ipv6, uint32_t(5000 + off), kTcpAck | (last ? kTcpPsh : 0), part));
        set_valid_checksum(segs.back());
      }
      TcpCoalescer c;
      c.reset();
      for (auto& s : segs)
        c.add(s);
      c.finish();
      REQUIRE(c.groups() == 1);
      const auto& g = c.group(0);
      CHECK(g.count == 5);
      CHECK(g.gso.type == (ipv6 ? GsoInfo::Type::tcp6 : GsoInfo::Type::tcp4));
      CHECK(g.gso.segment_size == mss);
      CHECK(g.gso.needs_csum);
      CHECK(g.gso.csum_start == ip_len(segs[0]));
      CHECK(g.gso.csum_offset == 16);
      // What the kernel receives: head, then the payloads; finishing the partial checksum
      // gives a valid TCP packet with the whole payload and PSH from the last segment.
      Bytes whole(c.head(0).begin(), c.head(0).end());
      for (uint16_t m = c.next(g.first); m != TcpCoalescer::kNone; m = c.next(m))
        whole.insert(whole.end(), c.payload(m).begin(), c.payload(m).end());
      CHECK(whole.size() == g.total);
      REQUIRE(complete_checksum(whole, g.gso.csum_start, g.gso.csum_offset));
      CHECK(tcp_ok(whole));
      const size_t hl = ip_len(whole) + 32;
      CHECK(Bytes(whole.begin() + long(hl), whole.end()) == data);
      CHECK((whole[ip_len(whole) + 13] & kTcpPsh) != 0);
      if (ipv6)
        CHECK(load_be16(&whole[4]) == whole.size() - 40);
      else
        CHECK(load_be16(&whole[2]) == whole.size());
    }
  }
}

TEST_CASE("TcpCoalescer: what must stay apart stays apart") {
  const Bytes d = payload_bytes(1000);
  auto seg = [&](uint32_t seq, uint8_t flags = kTcpAck, uint16_t sport = 40000, size_t n = 1000) {
    Bytes p = tcp_packet(false, seq, flags, Bytes(d.begin(), d.begin() + long(n)), sport);
    set_valid_checksum(p);
    return p;
  };
  TcpCoalescer c;
  auto run = [&](std::vector<Bytes>& pkts) {
    c.reset();
    for (auto& p : pkts)
      c.add(p);
    c.finish();
  };
  SECTION("a bad checksum goes alone, for the kernel to drop") {
    std::vector<Bytes> p{seg(0), seg(1000), seg(2000)};
    p[1][40] ^= 1; // a payload bit flipped after the checksum was computed
    run(p);
    CHECK(c.groups() == 3);
    for (size_t g = 0; g < 3; ++g)
      CHECK(c.group(g).gso.type == GsoInfo::Type::none);
  }
  SECTION("a gap in the sequence starts a new group") {
    std::vector<Bytes> p{seg(0), seg(1000), seg(3000), seg(4000)};
    run(p);
    REQUIRE(c.groups() == 2);
    CHECK(c.group(0).count == 2);
    CHECK(c.group(1).count == 2);
  }
  SECTION("two flows interleaved: one group each, each in order") {
    std::vector<Bytes> p{seg(0), seg(0, kTcpAck, 40001), seg(1000), seg(1000, kTcpAck, 40001)};
    run(p);
    REQUIRE(c.groups() == 2);
    CHECK(c.group(0).count == 2);
    CHECK(c.group(1).count == 2);
    CHECK(c.next(c.group(0).first) == 2);
  }
  SECTION("FIN, SYN, RST and URG are never coalesced; PSH closes a group") {
    std::vector<Bytes> p{seg(0), seg(1000, kTcpAck | kTcpFin), seg(2000, kTcpAck | kTcpPsh),
                         seg(3000)};
    run(p);
    // [0] alone once FIN refused to join; FIN alone; PSH packet alone; then a new group.
    CHECK(c.groups() == 4);
  }
  SECTION("the last short segment closes the group") {
    std::vector<Bytes> p{seg(0), seg(1000, kTcpAck, 40000, 400), seg(1400)};
    run(p);
    REQUIRE(c.groups() == 2);
    CHECK(c.group(0).count == 2);
    CHECK(c.group(0).total == 20 + 32 + 1400);
  }
  SECTION("a larger segment after a smaller first one starts a new group") {
    std::vector<Bytes> p{seg(0, kTcpAck, 40000, 500), seg(500)};
    run(p);
    CHECK(c.groups() == 2);
  }
  SECTION("a different acknowledgment number or TCP option starts a new group") {
    std::vector<Bytes> p{seg(0), seg(1000), seg(2000)};
    store_be32(&p[1][28], 0x01020305);
    set_valid_checksum(p[1]);
    store_be32(&p[2][20 + 24], 1112); // TSval
    set_valid_checksum(p[2]);
    run(p);
    CHECK(c.groups() == 3);
  }
  SECTION("not TCP, or IPv4 with options: alone") {
    Bytes udp = v4("10.1.0.1", "10.2.0.1", kIpProtoUdp, Bytes(100, 1));
    std::vector<Bytes> p{udp, udp};
    run(p);
    CHECK(c.groups() == 2);
  }
  SECTION("no more than 65535 bytes in one super-packet") {
    std::vector<Bytes> p;
    for (uint32_t i = 0; i < 80; ++i)
      p.push_back(seg(i * 1000));
    run(p);
    REQUIRE(c.groups() == 2);
    CHECK(c.group(0).total <= 65535);
    CHECK(c.group(0).count + c.group(1).count == 80);
  }
}
