// RFC 7296 2.19 / 3.15: virtual IPs and DNS from the configuration payload in IKE_AUTH.
// The initiator asks (CP(CFG_REQUEST), TSi 0.0.0.0/0); the responder leases from its
// pools by identity, answers CP(CFG_REPLY) and narrows TSi to the leased address.
#include "flow.hpp"
#include "ike/ts.hpp"
#include "sim.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::ike;
using namespace ikekit::ike::test;

namespace {

Prefix prefix(std::string_view s) { return *Prefix::parse(s); }

// A road-warrior client at `addr` with identity `id` asking for `vips`.
PeerConfig client(std::string_view addr, std::string_view id, std::vector<std::string> vips) {
  PeerConfig p = psk_peer("vpn", addr, "10.0.0.2");
  p.local_id = *Identity::parse(id);
  for (const auto& v : vips)
    p.request_vips.push_back(ip(v));
  return p;
}

// The server: any peer address, any identity, pools and DNS servers.
Config server(std::vector<std::string> pools, std::vector<std::string> dns) {
  PeerConfig p = psk_peer("rw", "10.0.0.2", "10.0.0.1");
  p.remote_address.reset();
  p.remote_id.reset();
  for (const auto& s : pools)
    p.pools.push_back(prefix(s));
  for (const auto& d : dns)
    p.dns.push_back(ip(d));
  return config_with(std::move(p));
}

std::vector<std::string> texts(const std::vector<IpAddress>& v) {
  std::vector<std::string> out;
  for (const auto& a : v)
    out.push_back(a.to_string());
  return out;
}

std::vector<std::string> texts(const std::vector<TsSpec>& v) { return ts_strings(v); }

std::vector<std::string> texts(const std::vector<Prefix>& v) {
  std::vector<std::string> out;
  for (const auto& p : v)
    out.push_back(p.to_string());
  return out;
}

using Strings = std::vector<std::string>;

// Brings up `n`'s connection "vpn" and runs until it has `ups` ChildSaUp or a Failure.
void connect(Net& net, Node& n, size_t ups = 1) {
  REQUIRE(n.engine->initiate("vpn", net.now));
  net.run_until([&] { return n.count<ChildSaUp>() >= ups || n.count<Failure>() > 0; }, 600s);
}

} // namespace

TEST_CASE("CP: an IPv4 virtual IP and DNS server from the responder's pool", "[engine][cp]") {
  Config l = config_with(client("10.0.0.1", "alice@vpn.test", {"0.0.0.0"}));
  l.emit_keys = true;
  Pair p(l, server({"10.99.0.0/24"}, {"10.99.0.53"}));
  std::vector<Captured> wire;
  capture(p.net, wire);
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  auto lc = p.left->all<ChildSaUp>()[0];
  auto rc = p.right->all<ChildSaUp>()[0];
  CHECK(texts(lc.virtual_ips) == Strings{"10.99.0.1"});
  CHECK(texts(lc.dns) == Strings{"10.99.0.53"});
  // TSi 0.0.0.0/0 narrowed to the virtual IP on both sides (strongSwan's rule).
  CHECK(texts(lc.local_ts) == Strings{"10.99.0.1"});
  CHECK(texts(rc.remote_ts) == Strings{"10.99.0.1"});
  CHECK(rc.virtual_ips.empty()); // the responder's child_sa_up names no virtual IP of its own
  auto leases = p.right->all<Lease>();
  REQUIRE(leases.size() == 1);
  CHECK(leases[0].action == LeaseAction::assigned);
  CHECK(leases[0].address.to_string() == "10.99.0.1");
  CHECK(leases[0].identity == "alice@vpn.test");
  CHECK(leases[0].pool.to_string() == "10.99.0.0/24");
  CHECK_FALSE(leases[0].reused);
  // The messages: CP(CFG_REQUEST) in the IKE_AUTH request, CP(CFG_REPLY) in its response.
  auto keys = p.left->all<SaKeys>();
  REQUIRE(keys.size() == 1);
  std::vector<std::string> auth;
  for (const auto& c : wire)
    if (auto d = describe(c, &keys[0].keys); d.find("IKE_AUTH") != std::string::npos)
      auth.push_back(d);
  REQUIRE(auth.size() == 2);
  CHECK(auth[0].find(" AUTH CP SA TSi TSr }") != std::string::npos);
  CHECK(auth[1].find(" AUTH N(MOBIKE_SUPPORTED) CP SA TSi TSr }") != std::string::npos);
  // ikectl's views.
  auto sas = p.right->engine->list_sas();
  REQUIRE(sas.size() == 1);
  CHECK(texts(sas[0].virtual_ips) == Strings{"10.99.0.1"});
  auto pools = p.right->engine->list_pools();
  REQUIRE(pools.size() == 1);
  CHECK(pools[0].size == 254);
  CHECK(pools[0].online == 1);
  auto mine = p.left->engine->list_sas();
  REQUIRE(mine.size() == 1);
  CHECK(texts(mine[0].dns) == Strings{"10.99.0.53"});
  // A further Child SA (CREATE_CHILD_SA) covers the virtual IP on both sides too.
  ChildConfig more = p.left->engine->config().peers.front().child;
  more.name = "more";
  REQUIRE(p.left->engine->create_child(lc.sa, more, p.net.now));
  REQUIRE(p.net.run_until(
      [&] { return p.right->count<ChildSaUp>() == 2 && p.left->count<ChildSaUp>() == 2; }));
  REQUIRE(p.left->count<ChildSaUp>() == 2);
  CHECK(texts(p.left->all<ChildSaUp>()[1].local_ts) == Strings{"10.99.0.1"});
  CHECK(texts(p.right->all<ChildSaUp>()[1].remote_ts) == Strings{"10.99.0.1"});
  CHECK(texts(p.left->all<ChildSaUp>()[1].virtual_ips) == Strings{"10.99.0.1"});
}

TEST_CASE("CP: IPv4 and IPv6 virtual IPs with DNS servers of both families", "[engine][cp]") {
  Pair p(config_with(client("10.0.0.1", "alice@vpn.test", {"0.0.0.0", "::"})),
         server({"10.99.0.0/24", "fd99::/112"}, {"10.99.0.53", "fd99::53"}));
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  auto lc = p.left->all<ChildSaUp>()[0];
  auto rc = p.right->all<ChildSaUp>()[0];
  CHECK(texts(lc.virtual_ips) == Strings{"10.99.0.1", "fd99::1"});
  CHECK(texts(lc.dns) == Strings{"10.99.0.53", "fd99::53"});
  CHECK(texts(lc.local_ts) == Strings{"10.99.0.1", "fd99::1"});
  CHECK(texts(rc.remote_ts) == Strings{"10.99.0.1", "fd99::1"});
  CHECK(p.right->count<Lease>() == 2);
}

TEST_CASE("CP: a lease is released on delete and given back to the same identity", "[engine][cp]") {
  Net net(7);
  Node& alice = net.add("alice", "10.0.0.1",
                        config_with(client("10.0.0.1", "alice@vpn.test", {"0.0.0.0"})), 11);
  Node& bob =
      net.add("bob", "10.0.0.3", config_with(client("10.0.0.3", "bob@vpn.test", {"0.0.0.0"})), 13);
  Node& gw = net.add("gw", "10.0.0.2", server({"10.99.0.0/24"}, {}), 12);
  connect(net, alice);
  REQUIRE(alice.count<ChildSaUp>() == 1);
  CHECK(texts(alice.all<ChildSaUp>()[0].virtual_ips) == Strings{"10.99.0.1"});
  SaId id = alice.all<IkeSaUp>()[0].sa;
  REQUIRE(alice.engine->terminate(id, net.now));
  REQUIRE(net.run_until([&] { return gw.count<IkeSaDown>() == 1; }));
  auto leases = gw.all<Lease>();
  REQUIRE(leases.size() == 2);
  CHECK(leases[1].action == LeaseAction::released);
  CHECK(leases[1].address.to_string() == "10.99.0.1");
  auto pools = gw.engine->list_pools();
  REQUIRE(pools.size() == 1);
  CHECK(pools[0].online == 0);
  CHECK(pools[0].offline == 1);
  REQUIRE(pools[0].leases.size() == 1);
  CHECK(pools[0].leases[0].identity == "alice@vpn.test");
  CHECK_FALSE(pools[0].leases[0].online);
  // bob gets a fresh address (alice's is remembered for her), alice hers back.
  connect(net, bob);
  REQUIRE(bob.count<ChildSaUp>() == 1);
  CHECK(texts(bob.all<ChildSaUp>()[0].virtual_ips) == Strings{"10.99.0.2"});
  connect(net, alice, 2);
  REQUIRE(alice.count<ChildSaUp>() == 2);
  CHECK(texts(alice.all<ChildSaUp>()[1].virtual_ips) == Strings{"10.99.0.1"});
  leases = gw.all<Lease>();
  REQUIRE(leases.size() == 4);
  CHECK(leases[3].action == LeaseAction::assigned);
  CHECK(leases[3].identity == "alice@vpn.test");
  CHECK(leases[3].reused);
  CHECK(gw.engine->list_pools()[0].online == 2);
}

TEST_CASE("CP: a reconnect with INITIAL_CONTACT keeps the identity's address", "[engine][cp]") {
  Pair p(config_with(client("10.0.0.1", "alice@vpn.test", {"0.0.0.0"})),
         server({"10.99.0.0/24"}, {}));
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  p.initiate(); // a second IKE SA of the same identity replaces the first (RFC 7296 2.4)
  REQUIRE(p.net.run_until([&] { return p.left->count<ChildSaUp>() == 2; }));
  auto ups = p.left->all<ChildSaUp>();
  CHECK(texts(ups[1].virtual_ips) == Strings{"10.99.0.1"});
  auto pools = p.right->engine->list_pools();
  CHECK(pools[0].online == 1);
  CHECK(pools[0].leases.size() == 1);
}

TEST_CASE("CP: an exhausted pool answers INTERNAL_ADDRESS_FAILURE, no Child SA", "[engine][cp]") {
  Net net(3);
  Node& alice = net.add("alice", "10.0.0.1",
                        config_with(client("10.0.0.1", "alice@vpn.test", {"0.0.0.0"})), 11);
  Node& bob =
      net.add("bob", "10.0.0.3", config_with(client("10.0.0.3", "bob@vpn.test", {"0.0.0.0"})), 13);
  Node& gw = net.add("gw", "10.0.0.2", server({"10.99.0.0/31", "10.99.1.0/32"}, {}), 12);
  Node& carol = net.add("carol", "10.0.0.4",
                        config_with(client("10.0.0.4", "carol@vpn.test", {"0.0.0.0"})), 14);
  Node& dave = net.add("dave", "10.0.0.5",
                       config_with(client("10.0.0.5", "dave@vpn.test", {"0.0.0.0"})), 15);
  connect(net, alice);
  connect(net, bob);
  connect(net, carol); // the second pool's only address
  CHECK(texts(alice.all<ChildSaUp>()[0].virtual_ips) == Strings{"10.99.0.0"});
  CHECK(texts(bob.all<ChildSaUp>()[0].virtual_ips) == Strings{"10.99.0.1"});
  CHECK(texts(carol.all<ChildSaUp>()[0].virtual_ips) == Strings{"10.99.1.0"});
  connect(net, dave);
  CHECK(dave.count<ChildSaUp>() == 0);
  CHECK(dave.count<IkeSaUp>() == 1); // RFC 7296 3.10.1: the IKE SA stands, no Child SA
  auto df = dave.all<Failure>();
  REQUIRE(df.size() == 1);
  CHECK(df[0].step == FailureStep::cp);
  CHECK(df[0].from_peer);
  CHECK(df[0].notify == wire::NotifyType::internal_address_failure);
  auto gf = gw.all<Failure>();
  REQUIRE(gf.size() == 1);
  CHECK(gf[0].step == FailureStep::cp);
  CHECK(gf[0].reason == "address pool exhausted");
  CHECK(gf[0].notify == wire::NotifyType::internal_address_failure);
  CHECK(gf[0].configured == Strings{"10.99.0.0/31", "10.99.1.0/32"});
  CHECK(gw.count<ChildSaUp>() == 3);
  CHECK(gw.count<Lease>() == 3);
}

TEST_CASE("CP: no pool of the family asked for is a failure too", "[engine][cp]") {
  Pair p(config_with(client("10.0.0.1", "alice@vpn.test", {"::"})), server({"10.99.0.0/24"}, {}));
  p.initiate();
  p.net.run_until([&] { return p.left->count<Failure>() > 0; });
  auto gf = p.right->all<Failure>();
  REQUIRE(gf.size() == 1);
  CHECK(gf[0].step == FailureStep::cp);
  CHECK(gf[0].reason == "no address pool of the family the peer asked for");
  CHECK(p.left->count<ChildSaUp>() == 0);
}

TEST_CASE("CP: virtual IPs under 30% loss with duplication and reordering, 100 seeds",
          "[engine][cp][loss]") {
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    INFO("seed " << seed);
    Config l = config_with(client("10.0.0.1", "alice@vpn.test", {"0.0.0.0", "::"}));
    Config r = server({"10.99.0.0/24", "fd99::/112"}, {"10.99.0.53"});
    l.retransmit_timeout = r.retransmit_timeout = 1s;
    l.retransmit_tries = r.retransmit_tries = 10;
    Pair p(l, r, seed);
    p.net.loss = 0.3;
    p.net.duplicate = 0.1;
    p.net.reorder = 0.5;
    p.initiate();
    REQUIRE(p.net.run_until([&] { return p.both_up(); }, 600s));
    auto lc = p.left->all<ChildSaUp>();
    REQUIRE(lc.size() == 1);
    CHECK(texts(lc[0].virtual_ips) == Strings{"10.99.0.1", "fd99::1"});
    CHECK(texts(lc[0].dns) == Strings{"10.99.0.53"});
    // A retransmitted IKE_AUTH request is answered from the cache: one lease only.
    CHECK(p.right->count<Lease>() == 2);
    CHECK(p.right->engine->list_pools()[0].online == 1);
    REQUIRE(p.left->engine->terminate(lc[0].sa, p.net.now));
    REQUIRE(p.net.run_until([&] { return p.right->count<IkeSaDown>() == 1; }, 600s));
    CHECK(p.right->count<Lease>() == 4);
    CHECK(p.right->engine->list_pools()[0].online == 0);
  }
}

TEST_CASE("CP: the responder announces its local traffic selectors as protected subnets",
          "[engine][cp]") {
  Config r = server({"10.99.0.0/24", "fd99::/112"}, {});
  // RFC 7296 3.15.2: one prefix each, as INTERNAL_IP4_SUBNET / INTERNAL_IP6_SUBNET; a
  // range that is no prefix, and a selector narrowed to a protocol, are not subnets.
  for (const char* ts : {"10.1.0.0/24", "fd00:1::/48", "10.2.0.1-10.2.0.9", "10.3.0.0/24[6/80]"})
    r.peers[0].child.local_ts.push_back(*TsSpec::parse(ts));
  Config l = config_with(client("10.0.0.1", "alice@vpn.test", {"0.0.0.0", "::"}));
  l.peers[0].child.remote_ts = {*TsSpec::parse("10.1.0.0/24"), *TsSpec::parse("fd00:1::/48")};
  l.emit_keys = true;
  Pair p(l, r);
  std::vector<Captured> wire;
  capture(p.net, wire);
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  auto lc = p.left->all<ChildSaUp>()[0];
  CHECK(texts(lc.subnets) == Strings{"10.1.0.0/24", "fd00:1::/48"});
  CHECK(texts(lc.remote_ts) == Strings{"10.1.0.0/24", "fd00:1::/48"});
  CHECK(p.right->all<ChildSaUp>()[0].subnets.empty()); // the responder's own: none
  auto mine = p.left->engine->list_sas();
  REQUIRE(mine.size() == 1);
  CHECK(texts(mine[0].subnets) == Strings{"10.1.0.0/24", "fd00:1::/48"});
  // On the wire: the CFG_REPLY holds the two subnets after the addresses.
  auto sa_keys = p.left->all<SaKeys>();
  REQUIRE(sa_keys.size() == 1);
  const IkeSaKeys& keys = sa_keys[0].keys;
  std::vector<wire::CfgAttr> types;
  Bytes storage;
  for (const auto& c : wire)
    if (auto cp = find_cp(c, keys, storage); cp && cp->type == wire::CfgType::cfg_reply)
      for (const auto& a : cp->attributes)
        types.push_back(a.type);
  CHECK(types == std::vector<wire::CfgAttr>{
                     wire::CfgAttr::internal_ip4_address, wire::CfgAttr::internal_ip6_address,
                     wire::CfgAttr::internal_ip4_subnet, wire::CfgAttr::internal_ip6_subnet});
}

TEST_CASE("CP: no local traffic selectors configured, no subnets announced", "[engine][cp]") {
  Pair p(config_with(client("10.0.0.1", "alice@vpn.test", {"0.0.0.0"})),
         server({"10.99.0.0/24"}, {}));
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  CHECK(p.left->all<ChildSaUp>()[0].subnets.empty());
}
