// Remote access at scale: one responder, many EAP clients asking for virtual IPs
// (RFC 7296 2.16, 2.19, 3.15).
#include "eap_pair.hpp"
#include "ike/ts.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

using namespace ikekit;
using namespace ikekit::ike;
using namespace ikekit::ike::test;

// Remote access at scale (RFC 7296 2.16, 2.19): one responder, a hundred EAP-MSCHAPv2
// clients from addresses of their own asking for a virtual IP at once (the responder
// demands cookies past its threshold, 2.6). Every client gets an address of its own from
// pools that hold exactly a hundred; the 101st gets INTERNAL_ADDRESS_FAILURE (3.10.1: its
// IKE SA stands, no Child SA); a client that disconnects gives its address back, and the
// 101st gets it when it connects again.
TEST_CASE("EAP + CP: a hundred clients on one responder, then the pool is exhausted",
          "[engine][eap][cp]") {
  constexpr int kClients = 100;
  auto user = [](int i) { return "user" + std::to_string(i); };
  EapPair ep;
  std::map<std::string, std::string> table;
  for (int i = 0; i <= kClients; ++i)
    table[user(i)] = "pass-" + std::to_string(i);
  ep.r.eap_backend = users(table);
  ep.r.remote_address.reset();
  for (const char* pool : {"10.99.0.0/26", "10.99.1.0/27", "10.99.2.0/29", "10.99.3.0/31"})
    ep.r.pools.push_back(*Prefix::parse(pool)); // 62 + 30 + 6 + 2 addresses
  ep.r.dns = {ip("10.99.0.53")};
  ep.r.child.local_ts = {*TsSpec::parse("10.1.0.0/16")};
  Net net(5);
  ep.lc.wall_clock_offset = ep.rc.wall_clock_offset = offset_for(net.now, "ee-p256.crt");
  ep.rc.peers = {ep.r};
  Node& gw = net.add("gw", "10.0.0.2", ep.rc, 2);
  std::vector<Node*> clients;
  for (int i = 0; i <= kClients; ++i) {
    std::string addr = "10.0." + std::to_string(1 + i / 200) + "." + std::to_string(1 + i % 200);
    PeerConfig c = ep.l;
    c.local = Endpoint{ip(addr), 500};
    c.local_id = *Identity::parse(user(i));
    c.eap_identity = user(i);
    c.eap_password = SecretBytes(as_bytes(table[user(i)]));
    c.request_vips = {ip("0.0.0.0")};
    c.child.remote_ts = {*TsSpec::parse("10.1.0.0/16")};
    Config cc = ep.lc;
    cc.peers = {c};
    clients.push_back(&net.add(user(i), addr, cc, 100 + uint64_t(i)));
  }
  for (int i = 0; i < kClients; ++i)
    REQUIRE(clients[size_t(i)]->engine->initiate("home", net.now));
  auto all_up = [&] {
    return std::all_of(clients.begin(), clients.end() - 1,
                       [](Node* c) { return c->count<ChildSaUp>() == 1; });
  };
  REQUIRE(net.run_until(all_up, 600s));
  std::set<std::string> addresses;
  for (int i = 0; i < kClients; ++i) {
    auto up = clients[size_t(i)]->all<ChildSaUp>().at(0);
    REQUIRE(up.virtual_ips.size() == 1);
    addresses.insert(up.virtual_ips[0].to_string());
    CHECK(ts_strings(up.local_ts) == std::vector<std::string>{up.virtual_ips[0].to_string()});
    CHECK(up.dns == std::vector<IpAddress>{ip("10.99.0.53")});
    CHECK(up.subnets.size() == 1);
  }
  CHECK(addresses.size() == kClients);
  CHECK(gw.count<IkeSaUp>() == kClients);
  CHECK(gw.count<ChildSaUp>() == kClients);
  CHECK(gw.count<Failure>() == 0);
  std::set<std::string> identities;
  for (const auto& sa : gw.engine->list_sas())
    identities.insert(sa.eap_identity);
  CHECK(identities.size() == kClients);
  uint64_t online = 0, fresh = 0;
  for (const auto& pool : gw.engine->list_pools()) {
    online += pool.online;
    fresh += pool.never_used;
  }
  CHECK(online == kClients);
  CHECK(fresh == 0);

  // The 101st: authenticated, but no address left.
  Node& late = *clients.back();
  REQUIRE(late.engine->initiate("home", net.now));
  REQUIRE(net.run_until([&] { return late.count<Failure>() > 0; }, 600s));
  for (const auto& f : late.all<Failure>())
    UNSCOPED_INFO("late failure: " << f.reason);
  for (const auto& f : gw.all<Failure>())
    UNSCOPED_INFO("gw failure: " << f.reason);
  REQUIRE(late.count<IkeSaUp>() == 1);
  CHECK(late.count<ChildSaUp>() == 0);
  CHECK(late.all<Failure>()[0].notify == wire::NotifyType::internal_address_failure);
  REQUIRE(gw.count<Failure>() == 1);
  CHECK(gw.all<Failure>()[0].reason == "address pool exhausted");
  CHECK(gw.count<ChildSaUp>() == kClients);

  // A client disconnects: its lease is released, and the 101st, connecting again, gets it.
  Node& leaving = *clients[37];
  std::string freed = leaving.all<ChildSaUp>()[0].virtual_ips[0].to_string();
  REQUIRE(leaving.engine->terminate(leaving.all<IkeSaUp>()[0].sa, net.now));
  auto released = [&] {
    for (const auto& l : gw.all<Lease>())
      if (l.action == LeaseAction::released) return true;
    return false;
  };
  REQUIRE(net.run_until(released, 600s));
  CHECK(gw.all<Lease>().back().address.to_string() == freed);
  REQUIRE(late.engine->terminate(late.all<IkeSaUp>()[0].sa, net.now));
  REQUIRE(net.run_until([&] { return late.count<IkeSaDown>() == 1; }, 600s));
  REQUIRE(late.engine->initiate("home", net.now));
  REQUIRE(net.run_until([&] { return late.count<ChildSaUp>() == 1; }, 600s));
  CHECK(late.all<ChildSaUp>()[0].virtual_ips.at(0).to_string() == freed);
  CHECK(gw.count<ChildSaUp>() == kClients + 1);
}
