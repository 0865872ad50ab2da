// RFC 7296 2.9: traffic selector narrowing.
#include "ike/ts.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::ike;

namespace {
TsSpec ts(std::string_view s) { return *TsSpec::parse(s); }
} // namespace

TEST_CASE("intersect: addresses, protocol and ports", "[ike][ts]") {
  CHECK(intersect(ts("10.0.0.0/16"), ts("10.0.1.0/24")) == ts("10.0.1.0/24"));
  CHECK_FALSE(intersect(ts("10.0.0.0/24"), ts("10.0.1.0/24")));
  CHECK_FALSE(intersect(ts("10.0.0.0/8"), ts("2001:db8::/32")));
  CHECK(intersect(ts("10.0.0.0/8"), ts("10.1.1.1[udp/500]")) == ts("10.1.1.1[udp/500]"));
  CHECK_FALSE(intersect(ts("10.0.0.0/8[tcp]"), ts("10.1.1.1[udp]")));
  CHECK(intersect(ts("10.0.0.0/8[tcp/1-100]"), ts("10.1.1.1[tcp/50-200]")) ==
        ts("10.1.1.1[tcp/50-100]"));
}

TEST_CASE("narrow: every non-empty pairwise intersection, no duplicates", "[ike][ts]") {
  auto n = narrow({ts("10.0.0.0/8"), ts("192.168.0.0/16")}, {ts("10.1.0.0/16"), ts("10.2.0.0/16")});
  CHECK(n == std::vector<TsSpec>{ts("10.1.0.0/16"), ts("10.2.0.0/16")});
  CHECK(narrow({ts("10.0.0.0/8")}, {ts("172.16.0.0/12")}).empty());
}

TEST_CASE("is_subset: the responder's answer must lie inside what was proposed", "[ike][ts]") {
  CHECK(is_subset({ts("10.1.0.0/16")}, {ts("10.0.0.0/8")}));
  CHECK_FALSE(is_subset({ts("10.0.0.0/8")}, {ts("10.1.0.0/16")}));
  CHECK_FALSE(is_subset({ts("10.1.1.1")}, {ts("10.0.0.0/8[udp]")}));
}

TEST_CASE("payload round trip", "[ike][ts]") {
  std::vector<TsSpec> in{ts("10.0.0.0/24"), ts("2001:db8::/64[tcp/22]")};
  std::vector<Bytes> storage;
  auto p = to_payload(in, storage);
  Bytes out(256);
  auto n = wire::serialize(p, out);
  REQUIRE(n);
  auto back = wire::parse_ts(ByteView(out).first(*n));
  REQUIRE(back);
  CHECK(from_payload(*back) == in);
}

TEST_CASE("remote_ts_policy: configured, dynamic, and the NAT inner host (RFC 7296 2.9, 2.23)",
          "[ike][ts]") {
  auto peer = *IpAddress::parse("198.51.100.7");
  std::vector<TsSpec> ours{ts("10.2.0.0/16")};
  // Configured remote selectors win whatever is proposed.
  CHECK(remote_ts_policy({ts("10.1.0.0/16")}, peer, true, {ts("0.0.0.0/0")}, ours) ==
        std::vector<TsSpec>{ts("10.1.0.0/16")});
  // Nothing configured: the peer's address only, NAT or not, for a wide proposal.
  CHECK(remote_ts_policy({}, peer, false, {ts("0.0.0.0/1"), ts("128.0.0.0/1")}, ours) ==
        std::vector<TsSpec>{ts("198.51.100.7")});
  CHECK(remote_ts_policy({}, peer, true, {ts("0.0.0.0/1"), ts("128.0.0.0/1")}, ours) ==
        std::vector<TsSpec>{ts("198.51.100.7")});
  // Behind a NAT: one single-address selector (its inner address) too.
  CHECK(remote_ts_policy({}, peer, true, {ts("192.168.1.5[tcp/22]"), ts("192.168.1.6")}, ours) ==
        std::vector<TsSpec>{ts("198.51.100.7"), ts("192.168.1.5")});
  // Without NAT a single host is not an inner address.
  CHECK(remote_ts_policy({}, peer, false, {ts("192.168.1.5")}, ours) ==
        std::vector<TsSpec>{ts("198.51.100.7")});
  // Never an address on our side, never another family.
  CHECK(remote_ts_policy({}, peer, true, {ts("10.2.3.4")}, ours) ==
        std::vector<TsSpec>{ts("198.51.100.7")});
  CHECK(remote_ts_policy({}, peer, true, {ts("2001:db8::1")}, ours) ==
        std::vector<TsSpec>{ts("198.51.100.7")});
}
