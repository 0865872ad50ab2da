// RFC 7296 2.9 and 2.23: a responder narrows the peer's traffic selectors to what its
// configuration allows, also when the peer is behind a NAT (or claims to be: NAT
// detection is the peer's own word, a random NAT_DETECTION_SOURCE_IP makes us believe
// it). Without a configured remote TS the peer's side is its address; behind a NAT also
// one single-address selector, its inner address (strongSwan's rule), never a range and
// never an address on our side.
//
//   HDR, SK {IDi, AUTH, SAi2, TSi(0.0.0.0/1, 128.0.0.0/1), TSr}  -->     (fake NAT_D)
//                              <--  HDR, SK {IDr, AUTH, SAr2, TSi(10.0.0.1), TSr}
//
// The same narrowing applies to CREATE_CHILD_SA, whichever end starts it.
#include "sim.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::ike;
using namespace ikekit::ike::test;

namespace ikekit::ike {
// Readable Catch expansions.
std::ostream& operator<<(std::ostream& os, const TsSpec& t) { return os << t.to_string(); }
} // namespace ikekit::ike

namespace {

TsSpec ts(std::string_view s) { return *TsSpec::parse(s); }
std::vector<TsSpec> tss(std::initializer_list<std::string_view> l) {
  std::vector<TsSpec> v;
  for (auto s : l)
    v.push_back(ts(s));
  return v;
}

// left claims `left_ts` for its side and forces encapsulation (so right sees a NAT);
// right has no remote TS configured.
Pair nat_pair(std::vector<TsSpec> left_ts, std::vector<TsSpec> right_local = {},
              uint64_t seed = 1) {
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2");
  auto r = psk_peer("gw", "10.0.0.2", "10.0.0.1");
  l.force_encap = true;
  l.child.local_ts = std::move(left_ts);
  l.child.remote_ts = right_local;
  r.child.local_ts = std::move(right_local);
  auto lc = config_with(l), rc = config_with(r);
  lc.retransmit_timeout = rc.retransmit_timeout = 1s;
  lc.retransmit_tries = rc.retransmit_tries = 10;
  return Pair(lc, rc, seed);
}

} // namespace

TEST_CASE("TS with a claimed NAT: a peer cannot take 0.0.0.0/1 + 128.0.0.0/1 (IKE_AUTH)",
          "[engine][ts][nat]") {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    INFO("seed " << seed);
    Pair p = nat_pair(tss({"0.0.0.0/1", "128.0.0.0/1"}), {}, seed);
    p.net.loss = seed > 1 ? 0.2 : 0;
    p.initiate();
    REQUIRE(p.net.run_until([&] { return p.both_up(); }));
    REQUIRE(p.right->all<IkeSaUp>()[0].nat_remote);
    // Narrowed to the peer's own address (what its dynamic TS means), on both sides.
    CHECK(p.right->all<ChildSaUp>().at(0).remote_ts == tss({"10.0.0.1"}));
    CHECK(p.left->all<ChildSaUp>().at(0).local_ts == tss({"10.0.0.1"}));
  }
}

TEST_CASE("TS with NAT: the peer's inner address (one host) is accepted", "[engine][ts][nat]") {
  Pair p = nat_pair(tss({"192.168.7.10"}));
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  CHECK(p.right->all<ChildSaUp>()[0].remote_ts == tss({"192.168.7.10"}));
  CHECK(p.left->all<ChildSaUp>()[0].local_ts == tss({"192.168.7.10"}));
}

TEST_CASE("TS with NAT: an 'inner address' on our own side is refused", "[engine][ts][nat]") {
  // The peer claims a host of the network behind the gateway as its inner address.
  Pair p = nat_pair(tss({"10.2.0.5"}), tss({"10.2.0.0/16"}));
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.right->count<Failure>() == 1; }));
  auto f = p.right->all<Failure>()[0];
  CHECK(f.step == "ts");
  CHECK(f.notify == wire::NotifyType::ts_unacceptable);
  CHECK(f.configured == std::vector<std::string>{"remote 10.0.0.1", "local 10.2.0.0/16"});
  CHECK(p.right->count<ChildSaUp>() == 0);
}

TEST_CASE("TS without NAT: a single host other than the peer's address is refused",
          "[engine][ts]") {
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2");
  l.child.local_ts = tss({"192.168.7.10"});
  Pair p(config_with(l), config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1")));
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.right->count<Failure>() == 1; }));
  CHECK(p.right->all<Failure>()[0].notify == wire::NotifyType::ts_unacceptable);
}

TEST_CASE("TS with a claimed NAT: CREATE_CHILD_SA from the IKE initiator is narrowed",
          "[engine][ts][nat][create_child_sa]") {
  Pair p = nat_pair({});
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  ChildConfig wide = p.left->engine->config().peers[0].child;
  wide.name = "wide";
  wide.local_ts = tss({"0.0.0.0/1", "128.0.0.0/1"});
  REQUIRE(p.left->engine->create_child(p.left->all<IkeSaUp>()[0].sa, wide, p.net.now));
  REQUIRE(p.net.run_until([&] { return p.right->count<ChildSaUp>() == 2; }));
  CHECK(p.right->all<ChildSaUp>().at(1).remote_ts == tss({"10.0.0.1"}));
}

TEST_CASE("TS with a claimed NAT: CREATE_CHILD_SA from the IKE responder is narrowed by the "
          "initiator",
          "[engine][ts][nat][create_child_sa]") {
  // Here right claims the NAT and the wide selectors; left, the IKE initiator, answers.
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2");
  auto r = psk_peer("gw", "10.0.0.2", "10.0.0.1");
  r.force_encap = true;
  Pair p(config_with(l), config_with(r));
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  REQUIRE(p.left->all<IkeSaUp>()[0].nat_remote);
  ChildConfig wide = r.child;
  wide.name = "wide";
  wide.local_ts = tss({"0.0.0.0/0"});
  REQUIRE(p.right->engine->create_child(p.right->all<IkeSaUp>()[0].sa, wide, p.net.now));
  REQUIRE(p.net.run_until(
      [&] { return p.left->count<ChildSaUp>() == 2 && p.right->count<ChildSaUp>() == 2; }));
  CHECK(p.left->all<ChildSaUp>().at(1).remote_ts == tss({"10.0.0.2"}));
  CHECK(p.right->all<ChildSaUp>().at(1).local_ts == tss({"10.0.0.2"}));
}

TEST_CASE("TS: a wider responder policy is narrowed to what the initiator asked for",
          "[engine][ts]") {
  // RFC 7296 2.9: the answer is the intersection; the initiator checks it is a subset.
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2");
  auto r = psk_peer("gw", "10.0.0.2", "10.0.0.1");
  l.child.remote_ts = tss({"10.2.1.0/24"});
  r.child.local_ts = tss({"10.2.0.0/16"});
  Pair p(config_with(l), config_with(r));
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  CHECK(p.left->all<ChildSaUp>()[0].remote_ts == tss({"10.2.1.0/24"}));
}
