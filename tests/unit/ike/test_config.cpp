// Config values in strongSwan's syntax: identities (RFC 7296 3.5), traffic selectors
// (RFC 7296 3.13.1) and proposal strings.
#include "base/hex.hpp"
#include "ike/config.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::ike;
using wire::IdType;

TEST_CASE("Identity::parse picks the ID type like strongSwan", "[ike][config][id]") {
  struct Case {
    const char* text;
    IdType type;
    const char* data_hex;
  } cases[] = {
      {"left@ia.test", IdType::id_rfc822_addr, "6c65667440696a2e74657374"},
      {"left.ia.test", IdType::id_fqdn, "6c6566742e69612e74657374"},
      {"@left.ia.test", IdType::id_fqdn, "6c6566742e69612e74657374"},
      {"192.0.2.1", IdType::id_ipv4_addr, "c0000201"},
      {"2001:db8::1", IdType::id_ipv6_addr, "20010db8000000000000000000000001"},
      {"keyid:0a0b", IdType::id_key_id, "0a0b"},
      {"dn:3000", IdType::id_der_asn1_dn, "3000"},
      {"%null", IdType::id_null, ""},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto id = Identity::parse(c.text);
    REQUIRE(id);
    CHECK(id->type == c.type);
    if (std::string(c.text) != "left@ia.test") CHECK(to_hex(id->data) == c.data_hex);
  }
  CHECK(Identity::parse("left@ia.test")->to_string() == "left@ia.test");
  CHECK(Identity::parse("192.0.2.1")->to_string() == "192.0.2.1");
  CHECK(Identity::parse("keyid:0a0b")->to_string() == "keyid:0a0b");
}

TEST_CASE("Identity::parse errors name the field and echo the value", "[ike][config][id]") {
  for (const char* bad : {"", "dn:zz", "keyid:", "@"}) {
    INFO(bad);
    auto id = Identity::parse(bad);
    REQUIRE_FALSE(id);
    CHECK(id.error().field == "id");
    CHECK(id.error().code == Errc::usage);
  }
}

TEST_CASE("TsSpec::parse: prefixes, ranges, hosts and protocol/ports", "[ike][config][ts]") {
  auto a = TsSpec::parse("10.1.2.3/24");
  REQUIRE(a);
  CHECK(a->start.to_string() == "10.1.2.0");
  CHECK(a->end.to_string() == "10.1.2.255");
  CHECK(a->to_string() == "10.1.2.0/24");
  auto b = TsSpec::parse("10.0.0.1-10.0.0.9");
  REQUIRE(b);
  CHECK(b->to_string() == "10.0.0.1-10.0.0.9");
  auto c = TsSpec::parse("2001:db8::/64[udp/500]");
  REQUIRE(c);
  CHECK(c->ip_protocol == 17);
  CHECK(c->start_port == 500);
  CHECK(c->end_port == 500);
  CHECK(c->end.to_string() == "2001:db8::ffff:ffff:ffff:ffff");
  CHECK(c->to_string() == "2001:db8::/64[17/500]");
  auto d = TsSpec::parse("0.0.0.0/0");
  REQUIRE(d);
  CHECK(d->end.to_string() == "255.255.255.255");
  auto e = TsSpec::parse("192.0.2.7[tcp/1000-2000]");
  REQUIRE(e);
  CHECK(e->to_string() == "192.0.2.7[6/1000-2000]");
  for (const char* bad : {"10.0.0.0/33", "10.0.0.9-10.0.0.1", "x", "10.0.0.0/8[tcp/9-1]",
                          "10.0.0.1[", "10.0.0.1-::1"}) {
    INFO(bad);
    auto r = TsSpec::parse(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().field == "ts");
  }
}

TEST_CASE("TsSpec::append_to: a single address bare, a prefix as one, the rest as a range",
          "[ike][config][ts]") {
  // Every prefix length of both families: /32 and /128 are single addresses, printed bare
  // (without trying a prefix length), every other one as its prefix.
  for (const char* base : {"198.51.100.77", "2001:db8:1234:5678:9abc:def0:1357:2468"}) {
    unsigned max = IpAddress::parse(base)->is_v4() ? 32 : 128;
    for (unsigned n = 0; n <= max; ++n) {
      auto ts = TsSpec::parse(std::string(base) + "/" + std::to_string(n));
      REQUIRE(ts);
      INFO(base << "/" << n);
      std::string want = n == max ? base : ts->start.to_string() + "/" + std::to_string(n);
      std::string out = "ts=";
      ts->append_to(out);
      CHECK(out == "ts=" + want);
      CHECK(ts->prefix()->len == n);
    }
  }
  CHECK(TsSpec::host(*IpAddress::parse("::")).to_string() == "::");
  CHECK(TsSpec::parse("10.0.0.0-10.0.1.0")->to_string() == "10.0.0.0-10.0.1.0");
  CHECK(TsSpec::parse("fe80::1-fe80::2[udp/68]")->to_string() == "fe80::1-fe80::2[17/68]");
  CHECK(TsSpec::parse("10.0.0.0-10.0.0.1[udp/68]")->to_string() == "10.0.0.0/31[17/68]");
}

TEST_CASE("proposal_string prints strongSwan keywords", "[ike][config][proposal]") {
  auto p = parse_ike_proposals("aes256gcm16-prfsha256-ecp256,aes128-sha256-modp2048");
  REQUIRE(p);
  REQUIRE(p->size() == 2);
  CHECK(proposal_string((*p)[0]) == "aes256gcm16-prfsha256-ecp256");
  CHECK(proposal_string((*p)[1]) == "aes128-sha256-prfsha256-modp2048");
  auto bad = parse_ike_proposals("aes999-sha256-ecp256");
  REQUIRE_FALSE(bad);
}
