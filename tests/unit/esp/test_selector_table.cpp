// The outbound selector table (RFC 4301 5.1): longest remote prefix first, then local
// address, protocol and ports; owners never overlap; a rekey takes over (RFC 7296 2.8).
#include "esp/selector_table.hpp"
#include "selector_test_util.hpp"

using namespace selector_test;

namespace {

std::optional<uint32_t> out(const SelectorTable& t, const Bytes& packet) {
  return t.lookup(read(packet));
}

} // namespace

TEST_CASE("longest remote prefix wins, IPv4 and IPv6") {
  SelectorTable t;
  t.add(1, 100, sel({"0.0.0.0/0"}, {"10.0.0.0/8"}));
  t.add(2, 100, sel({"0.0.0.0/0"}, {"10.1.0.0/16"}));
  t.add(3, 100, sel({"0.0.0.0/0"}, {"10.1.2.3/32"}));
  t.add(4, 100, sel({"::/0"}, {"fd00::/16"}));
  t.add(5, 100, sel({"::/0"}, {"fd00:1::/64"}));
  CHECK(out(t, v4("192.0.2.1", "10.9.9.9", 17, ports(1, 2))) == 1u);
  CHECK(out(t, v4("192.0.2.1", "10.1.9.9", 17, ports(1, 2))) == 2u);
  CHECK(out(t, v4("192.0.2.1", "10.1.2.3", 17, ports(1, 2))) == 3u);
  CHECK(out(t, v4("192.0.2.1", "11.0.0.1", 17, ports(1, 2))) == std::nullopt);
  CHECK(out(t, v6("fd09::1", "fd00:1::5", 17, ports(1, 2))) == 5u);
  CHECK(out(t, v6("fd09::1", "fd00:2::5", 17, ports(1, 2))) == 4u);
  CHECK(out(t, v6("fd09::1", "fd01::5", 17, ports(1, 2))) == std::nullopt);
  CHECK(t.rules() == 5);
  CHECK(t.remove(3));
  CHECK(out(t, v4("192.0.2.1", "10.1.2.3", 17, ports(1, 2))) == 2u);
  CHECK_FALSE(t.remove(3));
}

TEST_CASE("the local selector must hold the packet's source") {
  SelectorTable t;
  t.add(1, 1, sel({"10.1.0.0/24"}, {"10.2.0.0/16"}));
  t.add(2, 2, sel({"10.5.0.0/24"}, {"10.2.0.0/16"})); // same remote, other local: no overlap
  CHECK(out(t, v4("10.1.0.7", "10.2.3.4", 6, ports(1, 2))) == 1u);
  CHECK(out(t, v4("10.5.0.7", "10.2.3.4", 6, ports(1, 2))) == 2u);
  CHECK(out(t, v4("10.6.0.7", "10.2.3.4", 6, ports(1, 2))) == std::nullopt);
}

TEST_CASE("protocol and port ranges, falling back to a shorter prefix") {
  SelectorTable t;
  t.add(1, 1, sel({"0.0.0.0/0"}, {"10.0.0.0/8"}));
  t.add(2, 1, sel({"0.0.0.0/0"}, {"10.1.0.0/16[6/8000-8099]"}));
  t.add(3, 1, sel({"0.0.0.0/0[17/53]"}, {"10.1.0.0/16[17]"}));
  CHECK(out(t, v4("192.0.2.1", "10.1.0.1", 6, ports(40000, 8050))) == 2u);
  CHECK(out(t, v4("192.0.2.1", "10.1.0.1", 6, ports(40000, 8100))) == 1u); // port outside: /8
  CHECK(out(t, v4("192.0.2.1", "10.1.0.1", 17, ports(53, 9))) == 3u);
  CHECK(out(t, v4("192.0.2.1", "10.1.0.1", 17, ports(54, 9))) == 1u);
  CHECK(out(t, v4("192.0.2.1", "10.1.0.1", 1, icmp(8, 0))) == 1u);
  // A non-initial fragment has no ports: the port-specific SA cannot take it.
  CHECK(out(t, v4("192.0.2.1", "10.1.0.1", 6, ports(40000, 8050), 20)) == 1u);
  t.remove(1);
  CHECK(out(t, v4("192.0.2.1", "10.1.0.1", 6, ports(40000, 8050), 20)) == std::nullopt);
  CHECK(out(t, v4("192.0.2.1", "10.1.0.1", 6, ports(40000, 8050))) == 2u);
}

TEST_CASE("ICMP type and code in selectors (RFC 4301 4.4.1.1)") {
  SelectorTable t;
  // Echo requests (type 8, any code) out through SA 1, everything else ICMP through 2.
  t.add(1, 1, sel({"10.1.0.0/16[1/2048-2303]"}, {"10.2.0.0/16[1]"}));
  t.add(2, 1, sel({"10.1.0.0/16[1]"}, {"10.2.0.0/16[1]"}));
  CHECK(out(t, v4("10.1.0.1", "10.2.0.1", 1, icmp(8, 0))) == 1u);
  CHECK(out(t, v4("10.1.0.1", "10.2.0.1", 1, icmp(0, 0))) == 2u);
  CHECK(out(t, v4("10.1.0.1", "10.2.0.1", 1, icmp(3, 4))) == 2u);
  CHECK(out(t, v4("10.1.0.1", "10.2.0.1", 6, ports(1, 2))) == std::nullopt);
  SelectorTable six;
  six.add(7, 1, sel({"fd01::/64[58]"}, {"fd02::/64[58/33024-33279]"})); // echo reply (129)
  CHECK(out(six, v6("fd01::1", "fd02::1", 58, icmp(129, 0))) == 7u);
  CHECK(out(six, v6("fd01::1", "fd02::1", 58, icmp(128, 0))) == std::nullopt);
}

TEST_CASE("SAs of different owners never overlap; one owner's may") {
  SelectorTable t;
  t.add(1, 100, sel({"10.0.0.0/24"}, {"10.9.0.0/16"}));
  // Another IKE SA claiming the same, a wider or a narrower remote range: refused.
  CHECK(t.conflict(200, sel({"10.0.0.0/24"}, {"10.9.0.0/16"})) == 1u);
  CHECK(t.conflict(200, sel({"0.0.0.0/0"}, {"0.0.0.0/1", "128.0.0.0/1"})) == 1u);
  CHECK(t.conflict(200, sel({"10.0.0.5/32"}, {"10.9.8.7/32"})) == 1u);
  // Disjoint local side, disjoint ports or protocol: no conflict.
  CHECK_FALSE(t.conflict(200, sel({"10.0.1.0/24"}, {"10.9.0.0/16"})));
  CHECK_FALSE(t.conflict(200, sel({"10.0.0.0/24"}, {"10.8.0.0/16"})));
  // The same owner may add more specific selectors (another Child SA of the IKE SA).
  CHECK_FALSE(t.conflict(100, sel({"10.0.0.0/24"}, {"10.9.1.0/24"})));
  t.add(2, 100, sel({"10.0.0.0/24"}, {"10.9.1.0/24"}));
  CHECK(out(t, v4("10.0.0.1", "10.9.1.1", 6, ports(1, 2))) == 2u);
  t.add(3, 200, sel({"10.0.0.0/24[6/22]"}, {"10.7.0.0/16"}));
  CHECK(t.conflict(300, sel({"10.0.0.0/24"}, {"10.7.1.0/24[6]"})) == 3u);
  CHECK_FALSE(t.conflict(300, sel({"10.0.0.0/24[6/23]"}, {"10.7.1.0/24[6]"})));
}

TEST_CASE("a rekey takes over its SA's selectors; removing either keeps traffic flowing") {
  SelectorTable t;
  auto s = sel({"10.0.0.0/24"}, {"10.9.0.0/16"});
  auto pkt = v4("10.0.0.1", "10.9.0.1", 17, ports(1, 2));
  t.add(10, 100, s);
  CHECK(out(t, pkt) == 10u);
  // RFC 7296 2.8: the new SA (11) replaces 10: it carries the traffic at once.
  CHECK_FALSE(t.conflict(100, s));
  t.add(11, 100, s, 10);
  CHECK(out(t, pkt) == 11u);
  CHECK_FALSE(t.selectable(10));
  CHECK(t.replaced_by(10) == 11u);
  CHECK(t.rules() == 1);
  // The old SA goes: nothing changes for the traffic.
  CHECK(t.remove(10));
  CHECK(out(t, pkt) == 11u);
  // A second rekey, then the newest goes first (the rekey was undone): 11 again.
  t.add(12, 100, s, 11);
  CHECK(out(t, pkt) == 12u);
  CHECK(t.remove(12));
  CHECK(out(t, pkt) == 11u);
  CHECK(t.selectable(11));
  // Replacing another owner's SA is no replacement (and conflict() refuses it first).
  CHECK(t.conflict(200, s) == 11u);
}

TEST_CASE("an SA that names itself as the one it rekeys replaces nothing") {
  // add() made the record first and then found it as the SA it replaces: the SA was
  // marked replaced by itself, and its removal re-indexed it, so lookup() kept
  // returning a removed SA (found by fuzz_esp_selector;
  // fuzz/corpus/fuzz_esp_selector/regress-self-rekey).
  SelectorTable t;
  auto s = sel({"10.0.0.0/24"}, {"10.9.0.0/16"});
  auto pkt = v4("10.0.0.1", "10.9.0.1", 17, ports(1, 2));
  t.add(7, 100, s, 7);
  CHECK(out(t, pkt) == 7u);
  CHECK(t.selectable(7));
  CHECK(t.replaced_by(7) == std::nullopt);
  CHECK(t.remove(7));
  CHECK(out(t, pkt) == std::nullopt);
  CHECK(t.rules() == 0);
}

TEST_CASE("one owner's duplicate selectors: the newest wins, the older remains") {
  SelectorTable t;
  auto s = sel({"10.0.0.0/24"}, {"10.9.0.0/16"});
  auto pkt = v4("10.0.0.1", "10.9.0.1", 17, ports(1, 2));
  t.add(1, 5, s);
  t.add(2, 5, s); // e.g. both ends rekeyed at once (RFC 7296 2.8.1) before one is deleted
  CHECK(out(t, pkt) == 2u);
  t.remove(2);
  CHECK(out(t, pkt) == 1u);
}

TEST_CASE("thousands of road-warrior /32s, each its own owner") {
  SelectorTable t;
  for (uint32_t i = 0; i < 4000; ++i) {
    uint8_t b[4] = {10, 200, uint8_t(i >> 8), uint8_t(i)};
    SaSelectors s;
    s.local.push_back(TrafficSelector{Prefix::any(IpAddress::Family::v4)});
    s.remote.push_back(TrafficSelector{Prefix::host(IpAddress::v4(ByteView(b, 4)))});
    t.add(i, 1000 + i, s);
  }
  t.add(9999, 1, sel({"0.0.0.0/0"}, {"10.0.0.0/8"}));
  CHECK(out(t, v4("192.0.2.1", "10.200.3.231", 6, ports(1, 2))) == 3u * 256 + 231);
  CHECK(out(t, v4("192.0.2.1", "10.200.0.0", 6, ports(1, 2))) == 0u);
  CHECK(out(t, v4("192.0.2.1", "10.201.0.0", 6, ports(1, 2))) == 9999u);
  CHECK(t.rules() == 4001);
}

TEST_CASE("removing thousands of SAs leaves every other one found (hash table deletion)") {
  SelectorTable t;
  auto host = [](uint32_t i) {
    uint8_t b[4] = {10, 200, uint8_t(i >> 8), uint8_t(i)};
    return IpAddress::v4(ByteView(b, 4));
  };
  auto packet_to = [&](uint32_t i) {
    PacketSelector p;
    p.src = AddressBits::of(ip("192.0.2.1"));
    p.dst = AddressBits::of(host(i));
    p.protocol = 17;
    return p;
  };
  for (uint32_t i = 0; i < 3000; ++i) {
    SaSelectors s;
    s.local.push_back(TrafficSelector{Prefix::any(IpAddress::Family::v4)});
    s.remote.push_back(TrafficSelector{Prefix::host(host(i))});
    t.add(i, 1000 + i, s);
  }
  for (uint32_t i = 0; i < 3000; i += 2)
    REQUIRE(t.remove(i));
  CHECK(t.rules() == 1500);
  for (uint32_t i = 0; i < 3000; ++i)
    REQUIRE(t.lookup(packet_to(i)) == (i % 2 ? std::optional<uint32_t>(i) : std::nullopt));
  for (uint32_t i = 1; i < 3000; i += 2)
    REQUIRE(t.remove(i));
  CHECK(t.rules() == 0);
  CHECK(t.size() == 0);
  CHECK_FALSE(t.lookup(packet_to(7)));
}
