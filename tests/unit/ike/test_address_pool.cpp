// Address pools for the configuration payload (RFC 7296 2.19): leases by identity.
#include "ike/address_pool.hpp"

#include <catch2/catch.hpp>
#include <set>

using namespace ikekit;
using namespace ikekit::ike;

namespace {
AddressPool pool(std::string_view cidr) {
  auto p = AddressPool::parse(cidr);
  REQUIRE(p);
  return std::move(*p);
}
std::string addr(const AddressPool::Acquired& a) { return a.address.to_string(); }
} // namespace

TEST_CASE("pool: IPv4 leases skip the network and broadcast addresses", "[ike][pool]") {
  auto p = pool("10.99.0.0/30");
  CHECK(p.size() == 2);
  auto a = p.acquire("alice");
  auto b = p.acquire("bob");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(addr(*a) == "10.99.0.1");
  CHECK(addr(*b) == "10.99.0.2");
  CHECK_FALSE(a->reused);
  CHECK_FALSE(p.acquire("carol")); // exhausted: .0 and .3 are never leased
  CHECK(p.online() == 2);
  CHECK(pool("10.0.0.0/24").size() == 254);
  CHECK(pool("10.0.0.0/31").size() == 2);
  CHECK(pool("10.0.0.7/32").size() == 1);
}

TEST_CASE("pool: IPv6 leases skip the Subnet-Router anycast address", "[ike][pool]") {
  auto p = pool("fd99::/112");
  CHECK(p.size() == 65535);
  auto a = p.acquire("alice");
  REQUIRE(a);
  CHECK(addr(*a) == "fd99::1");
  for (int i = 0; i < 300; ++i)
    REQUIRE(p.acquire("user" + std::to_string(i)));
  auto z = p.acquire("zed");
  REQUIRE(z);
  CHECK(addr(*z) == "fd99::12e"); // 1 + 300 + 1 = 302 = 0x12e (carry into the next byte)
  CHECK(pool("fd99::/64").size() == (uint64_t(1) << 32) - 1);
}

TEST_CASE("pool: the same identity gets its address back", "[ike][pool]") {
  auto p = pool("10.99.0.0/24");
  auto a = p.acquire("alice");
  auto b = p.acquire("bob");
  REQUIRE(a);
  REQUIRE(b);
  // While online: a second IKE SA of the same identity shares the lease.
  auto again = p.acquire("alice");
  REQUIRE(again);
  CHECK(again->address == a->address);
  CHECK(again->reused);
  CHECK(p.online() == 2);
  CHECK(p.release("alice"));
  CHECK(p.online() == 2); // still held once
  CHECK(p.release("alice"));
  CHECK(p.online() == 1);
  CHECK(p.offline() == 1);
  CHECK_FALSE(p.release("alice")); // nothing held
  // Offline but remembered: a reconnect gets the same address, not a fresh one.
  auto back = p.acquire("alice");
  REQUIRE(back);
  CHECK(back->address == a->address);
  CHECK(back->reused);
  CHECK(p.offline() == 0);
}

TEST_CASE("pool: exhaustion, then reuse of the oldest offline lease", "[ike][pool]") {
  auto p = pool("10.99.0.0/30"); // .1 and .2
  auto a = p.acquire("alice");
  auto b = p.acquire("bob");
  REQUIRE(a);
  REQUIRE(b);
  CHECK_FALSE(p.acquire("carol"));
  CHECK(p.release("bob"));
  CHECK(p.release("alice")); // alice released last: bob's lease is the oldest
  auto c = p.acquire("carol");
  REQUIRE(c);
  CHECK(c->address == b->address);
  CHECK_FALSE(c->reused);
  // bob's address went to carol; alice still gets hers back.
  auto a2 = p.acquire("alice");
  REQUIRE(a2);
  CHECK(a2->address == a->address);
  CHECK_FALSE(p.acquire("bob"));
  CHECK_FALSE(p.release("bob"));
  auto leases = p.leases();
  REQUIRE(leases.size() == 2);
  CHECK(leases[0].identity == "alice");
  CHECK(leases[1].identity == "carol");
  CHECK(leases[1].online);
}

TEST_CASE("pool: a million clients without scanning", "[ike][pool]") {
  auto p = pool("10.0.0.0/12"); // 1048574 addresses
  std::set<std::string> seen;
  for (int i = 0; i < 1000000; ++i) {
    auto a = p.acquire("u" + std::to_string(i));
    REQUIRE(a);
    if (i % 9973 == 0) CHECK(seen.insert(a->address.to_string()).second);
  }
  CHECK(p.online() == 1000000);
  auto last = p.acquire("last");
  REQUIRE(last);
  CHECK(last->address.to_string() == "10.15.66.65"); // offset 1000000 + 1
}

TEST_CASE("pool: bad prefixes are refused naming the field", "[ike][pool]") {
  for (auto bad : {"10.99.0.0", "10.99.0.0/33", "10.99.0.5/24", "fd99::1/112", "nonsense/8", ""}) {
    auto p = AddressPool::parse(bad);
    REQUIRE_FALSE(p);
    CHECK(p.error().field == "pool");
    CHECK(p.error().code == Errc::usage);
  }
}
