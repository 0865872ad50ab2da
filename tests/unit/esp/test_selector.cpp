// Selector values of IP packets and the inbound check (RFC 4301 4.4.1.1, 5.2, 7):
// ports of TCP/UDP, ICMP Type * 256 + Code, OPAQUE ports of non-initial fragments,
// IPv6 extension headers; address ranges and port ranges as blocks.
#include "selector_test_util.hpp"

using namespace selector_test;

TEST_CASE("IPv4: addresses, protocol and ports of TCP and UDP") {
  auto p = read(v4("10.1.0.5", "10.2.0.7", 6, ports(40000, 443)));
  CHECK(p.src.address() == ip("10.1.0.5"));
  CHECK(p.dst.address() == ip("10.2.0.7"));
  CHECK(p.protocol == 6);
  CHECK(p.ports_known);
  CHECK(p.src_port == 40000);
  CHECK(p.dst_port == 443);
  CHECK_FALSE(p.fragment);

  // IPv4 options move the transport header (IHL 6: 24 bytes).
  Bytes opt = v4("10.1.0.5", "10.2.0.7", 17, Bytes{1, 1, 1, 1, 0, 53, 0, 99, 0, 8, 0, 0});
  opt[0] = 0x46;
  auto q = read(opt);
  CHECK(q.src_port == 53);
  CHECK(q.dst_port == 99);
}

TEST_CASE("ICMP and ICMPv6: the port is Type * 256 + Code (RFC 7296 3.13.1)") {
  auto echo = read(v4("10.1.0.5", "10.2.0.7", wire::kIpProtoIcmp, icmp(8, 0)));
  CHECK(echo.ports_known);
  CHECK(echo.src_port == 0x0800);
  CHECK(echo.dst_port == 0x0800);
  auto unreach = read(v6("fd00::1", "fd00::2", wire::kIpProtoIcmpv6, icmp(1, 4)));
  CHECK(unreach.src_port == 0x0104);
  // Protocol 1 inside IPv6 is not ICMPv6: no type/code is read.
  CHECK_FALSE(read(v6("fd00::1", "fd00::2", wire::kIpProtoIcmp, icmp(8, 0))).ports_known);
}

TEST_CASE("non-initial fragments have OPAQUE ports (RFC 4301 7)") {
  auto first = read(v4("10.1.0.5", "10.2.0.7", 17, ports(1, 2), 0));
  CHECK(first.ports_known);
  Bytes more = v4("10.1.0.5", "10.2.0.7", 17, ports(1, 2), 0);
  store_be16(&more[6], 0x2000); // MF set, offset 0: still the first fragment
  CHECK(read(more).ports_known);
  auto later = read(v4("10.1.0.5", "10.2.0.7", 17, ports(1, 2), 185));
  CHECK(later.fragment);
  CHECK_FALSE(later.ports_known);
  CHECK(later.protocol == 17);

  // IPv6: Fragment header (44) with offset 0 then UDP; with offset 100 no ports.
  Bytes frag0{17, 0, 0, 1, 0, 0, 0, 7};
  Bytes l4 = ports(5000, 53);
  Bytes rest = frag0;
  rest.insert(rest.end(), l4.begin(), l4.end());
  auto f0 = read(v6("fd00::1", "fd00::2", 44, rest));
  CHECK(f0.protocol == 17);
  CHECK(f0.dst_port == 53);
  Bytes frag100{17, 0, 0x03, 0x20, 0, 0, 0, 7}; // offset 100 (x8 bytes)
  auto f1 = read(v6("fd00::1", "fd00::2", 44, frag100));
  CHECK(f1.fragment);
  CHECK_FALSE(f1.ports_known);
}

TEST_CASE("IPv6 extension headers are skipped to the upper-layer header") {
  // Hop-by-hop (8 bytes) -> destination options (16 bytes) -> TCP.
  Bytes rest{60, 0, 1, 4, 0, 0, 0, 0, 6, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  Bytes l4 = ports(22, 50022);
  rest.insert(rest.end(), l4.begin(), l4.end());
  auto p = read(v6("fd00::1", "fd00::2", 0, rest));
  CHECK(p.protocol == 6);
  CHECK(p.src_port == 22);
  CHECK(p.dst_port == 50022);
  // A chain cut short is refused, not guessed.
  PacketSelector q;
  CHECK_FALSE(read_packet_selector(v6("fd00::1", "fd00::2", 0, Bytes{60, 4, 0, 0}), q));
}

TEST_CASE("short or non-IP packets are refused; short transport headers are OPAQUE") {
  PacketSelector p;
  CHECK_FALSE(read_packet_selector(Bytes{}, p));
  CHECK_FALSE(read_packet_selector(Bytes{0x45, 0, 0}, p));
  CHECK_FALSE(read_packet_selector(Bytes(39, 0x60), p));
  Bytes bad_ihl = v4("10.0.0.1", "10.0.0.2", 6, ports(1, 2));
  bad_ihl[0] = 0x4f; // 60-byte header in a 28-byte packet
  CHECK_FALSE(read_packet_selector(bad_ihl, p));
  CHECK_FALSE(read_packet_selector(Bytes(40, 0x20), p)); // version 2
  auto cut = read(v4("10.0.0.1", "10.0.0.2", 6, Bytes{0, 80}));
  CHECK_FALSE(cut.ports_known);
  CHECK_FALSE(read(v4("10.0.0.1", "10.0.0.2", 47, ports(1, 2))).ports_known); // GRE
}

TEST_CASE("selector pairs: one family, compatible protocols") {
  auto pairs =
      selector_pairs(sel({"10.1.0.0/16", "fd01::/64[17]"}, {"10.2.0.0/16[6]", "fd02::/64"}));
  REQUIRE(pairs.size() == 2);
  CHECK(pairs[0].protocol == 6);
  CHECK(pairs[1].protocol == 17);
  CHECK(selector_pairs(sel({"10.1.0.0/16[17]"}, {"10.2.0.0/16[6]"})).empty());
}

TEST_CASE("check_inbound: RFC 4301 5.2 verdicts in order src, dst, protocol, port") {
  auto pairs = selector_pairs(sel({"10.1.0.0/24[6/80]"}, {"10.2.0.0/24"}));
  auto check = [&](const Bytes& b) { return check_inbound(pairs, read(b)); };
  // Inbound: the packet comes from the remote side to us.
  CHECK(check(v4("10.2.0.9", "10.1.0.3", 6, ports(33000, 80))) == SelectorVerdict::match);
  CHECK(check(v4("10.9.0.9", "10.1.0.3", 6, ports(33000, 80))) == SelectorVerdict::src_outside);
  CHECK(check(v4("10.2.0.9", "10.1.9.3", 6, ports(33000, 80))) == SelectorVerdict::dst_outside);
  CHECK(check(v4("10.2.0.9", "10.1.0.3", 17, ports(33000, 80))) ==
        SelectorVerdict::protocol_outside);
  CHECK(check(v4("10.2.0.9", "10.1.0.3", 6, ports(33000, 81))) == SelectorVerdict::port_outside);
  // The port that matters inbound is the local one: the destination port.
  CHECK(check(v4("10.2.0.9", "10.1.0.3", 6, ports(80, 33000))) == SelectorVerdict::port_outside);
  // A non-initial fragment has no ports: only ANY ports take it.
  CHECK(check(v4("10.2.0.9", "10.1.0.3", 6, ports(33000, 80), 10)) ==
        SelectorVerdict::port_outside);
  auto any = selector_pairs(sel({"10.1.0.0/24"}, {"10.2.0.0/24"}));
  CHECK(check_inbound(any, read(v4("10.2.0.9", "10.1.0.3", 6, ports(1, 2), 10))) ==
        SelectorVerdict::match);
  // The furthest verdict over several pairs.
  auto two = selector_pairs(sel({"10.1.0.0/24[17]", "10.5.0.0/24"}, {"10.2.0.0/24"}));
  CHECK(check_inbound(two, read(v4("10.2.0.9", "10.1.0.3", 6, ports(1, 2)))) ==
        SelectorVerdict::protocol_outside);
  CHECK(check_inbound({}, read(v4("10.2.0.9", "10.1.0.3", 6, ports(1, 2)))) ==
        SelectorVerdict::src_outside);
}

TEST_CASE("check_inbound: IPv6 and ICMPv6 type/code ranges") {
  // Echo request only (type 128, any code) from fd02::/64 to fd01::1.
  auto pairs = selector_pairs(sel({"fd01::1/128[58/32768-33023]"}, {"fd02::/64[58]"}));
  CHECK(check_inbound(pairs, read(v6("fd02::7", "fd01::1", wire::kIpProtoIcmpv6, icmp(128, 0)))) ==
        SelectorVerdict::match);
  CHECK(check_inbound(pairs, read(v6("fd02::7", "fd01::1", wire::kIpProtoIcmpv6, icmp(129, 0)))) ==
        SelectorVerdict::port_outside);
  CHECK(check_inbound(pairs, read(v6("fd02::7", "fd01::2", wire::kIpProtoIcmpv6, icmp(128, 0)))) ==
        SelectorVerdict::dst_outside);
  // An IPv4 packet never matches IPv6 selectors.
  CHECK(check_inbound(pairs, read(v4("10.0.0.1", "10.0.0.2", 1, icmp(8, 0)))) ==
        SelectorVerdict::src_outside);
}

TEST_CASE("OPAQUE port selectors (65535-0) take only packets without ports") {
  TrafficSelector opaque = ts("10.2.0.0/24[17]");
  opaque.port_start = 65535;
  opaque.port_end = 0;
  SaSelectors s{{ts("10.1.0.0/24[17]")}, {opaque}};
  auto pairs = selector_pairs(s);
  CHECK(check_inbound(pairs, read(v4("10.2.0.1", "10.1.0.1", 17, ports(5, 6)))) ==
        SelectorVerdict::port_outside);
  CHECK(check_inbound(pairs, read(v4("10.2.0.1", "10.1.0.1", 17, ports(5, 6), 3))) ==
        SelectorVerdict::match);
}

TEST_CASE("pairs_overlap: addresses, protocol and ports must all intersect") {
  auto one = [](const SaSelectors& s) { return selector_pairs(s).at(0); };
  auto a = one(sel({"10.1.0.0/16"}, {"10.2.0.0/16"}));
  CHECK(pairs_overlap(a, one(sel({"10.1.2.0/24"}, {"10.0.0.0/8"}))));
  CHECK_FALSE(pairs_overlap(a, one(sel({"10.3.0.0/16"}, {"10.2.0.0/16"}))));
  CHECK_FALSE(pairs_overlap(a, one(sel({"fd01::/16"}, {"fd02::/16"}))));
  auto tcp80 = one(sel({"10.1.0.0/16[6/80]"}, {"10.2.0.0/16"}));
  CHECK(pairs_overlap(a, tcp80));
  CHECK_FALSE(pairs_overlap(tcp80, one(sel({"10.1.0.0/16[17/80]"}, {"10.2.0.0/16"}))));
  CHECK_FALSE(pairs_overlap(tcp80, one(sel({"10.1.0.0/16[6/81-90]"}, {"10.2.0.0/16"}))));
  CHECK(pairs_overlap(tcp80, one(sel({"10.1.0.0/16[6/1-80]"}, {"10.2.0.0/16"}))));
  // ICMP: one Type/Code value in all four ranges. Echo request vs echo reply do not meet.
  auto echo = one(sel({"10.1.0.0/16[1/2048-2303]"}, {"10.2.0.0/16[1]"}));
  auto reply = one(sel({"10.1.0.0/16[1]"}, {"10.2.0.0/16[1/0-255]"}));
  CHECK_FALSE(pairs_overlap(echo, reply));
  CHECK(pairs_overlap(echo, one(sel({"10.1.0.0/16[1]"}, {"10.2.0.0/16[1]"}))));
}

TEST_CASE("range_to_prefixes splits a range into exact prefixes") {
  auto p = range_to_prefixes(ip("10.0.0.1"), ip("10.0.0.9"));
  std::vector<std::string> got;
  for (const auto& x : p)
    got.push_back(x.to_string());
  CHECK(got ==
        std::vector<std::string>{"10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/30", "10.0.0.8/31"});
  CHECK(range_to_prefixes(ip("10.1.0.0"), ip("10.1.255.255")).at(0).to_string() == "10.1.0.0/16");
  auto all = range_to_prefixes(ip("0.0.0.0"), ip("255.255.255.255"));
  REQUIRE(all.size() == 1);
  CHECK(all[0].len == 0);
  auto v6 = range_to_prefixes(ip("fd00::"), ip("fd00::ffff:ffff"));
  REQUIRE(v6.size() == 1);
  CHECK(v6[0].to_string() == "fd00::/96");
  CHECK(range_to_prefixes(ip("::"), ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")).at(0).len == 0);
  CHECK(range_to_prefixes(ip("10.0.0.9"), ip("10.0.0.1")).empty());
  CHECK(range_to_prefixes(ip("10.0.0.1"), ip("fd00::1")).empty());
  // Every address of the range in exactly one prefix, none outside.
  auto r = range_to_prefixes(ip("192.0.2.3"), ip("192.0.2.200"));
  for (int last = 0; last < 256; ++last) {
    uint8_t b[4] = {192, 0, 2, uint8_t(last)};
    int n = 0;
    for (const auto& x : r)
      n += x.contains(IpAddress::v4(ByteView(b, 4)));
    CHECK(n == (last >= 3 && last <= 200 ? 1 : 0));
  }
}

TEST_CASE("port_range_blocks: value/mask blocks cover exactly the range") {
  CHECK(port_range_blocks(0, 65535) == std::vector<PortBlock>{{0, 0}});
  CHECK(port_range_blocks(443, 443) == std::vector<PortBlock>{{443, 0xffff}});
  CHECK(port_range_blocks(1024, 65535).size() == 6);
  CHECK(port_range_blocks(5, 4).empty());
  auto b = port_range_blocks(1000, 2000);
  for (uint32_t p = 900; p < 2100; ++p) {
    int n = 0;
    for (const auto& x : b)
      n += (uint16_t(p) & x.mask) == x.value;
    CHECK(n == (p >= 1000 && p <= 2000 ? 1 : 0));
  }
}

TEST_CASE("a packet cut at every byte: refused, or read without ports it does not hold") {
  Bytes rest{0, 0, 1, 4, 0, 0, 0, 0, 44, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 1, 0, 0, 0, 7};
  Bytes l4 = ports(22, 80);
  rest.insert(rest.end(), l4.begin(), l4.end());
  rest[0] = 60; // hop-by-hop -> destination options (8) -> fragment (offset 0) -> TCP
  for (const Bytes& whole :
       {v4("10.0.0.1", "10.0.0.2", 6, ports(22, 80)), v6("fd00::1", "fd00::2", 0, rest)}) {
    PacketSelector full = read(whole);
    REQUIRE(full.ports_known);
    CHECK(full.protocol == 6);
    for (size_t n = 0; n < whole.size(); ++n) {
      INFO("cut at " << n);
      PacketSelector p;
      bool ok = read_packet_selector(ByteView(whole.data(), n), p);
      size_t l4_at = whole.size() - 8;
      CHECK(ok == (n >= (whole[0] >> 4 == 4 ? 20 : l4_at)));
      if (ok) CHECK(p.ports_known == (n >= l4_at + 4));
    }
  }
}
