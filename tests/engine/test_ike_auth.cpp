// RFC 7296 1.2, 2.9, 2.15, 2.21.2: IKE_AUTH outcomes.
//
//   HDR, SK {IDi, AUTH(bad), SAi2, TSi, TSr}  -->
//                              <--  HDR, SK {N(AUTHENTICATION_FAILED)}
//
//   HDR, SK {IDi, AUTH, SAi2, TSi, TSr}  -->
//                              <--  HDR, SK {IDr, AUTH, N(TS_UNACCEPTABLE)}   (IKE SA up)
#include "sim.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::ike;
using namespace ikekit::ike::test;

TEST_CASE("wrong PSK: AUTHENTICATION_FAILED and a Failure on both sides",
          "[engine][ike_auth][psk]") {
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2", "aes256gcm16-prfsha256-ecp256", "aes256gcm16",
                    "one-psk");
  auto r = psk_peer("gw", "10.0.0.2", "10.0.0.1", "aes256gcm16-prfsha256-ecp256", "aes256gcm16",
                    "other-psk");
  Pair p(config_with(l), config_with(r));
  p.initiate();
  p.net.run_for(30s);
  auto lf = p.left->all<Failure>(), rf = p.right->all<Failure>();
  REQUIRE(rf.size() == 1);
  CHECK(rf[0].exchange == wire::ExchangeType::ike_auth);
  CHECK(rf[0].step == FailureStep::auth);
  CHECK(rf[0].reason == "AUTH payload did not verify with the configured PSK");
  CHECK(rf[0].notify == wire::NotifyType::authentication_failed);
  REQUIRE(lf.size() == 1);
  CHECK(lf[0].step == FailureStep::auth);
  CHECK(lf[0].from_peer);
  CHECK(lf[0].notify == wire::NotifyType::authentication_failed);
  CHECK(p.left->count<IkeSaUp>() == 0);
  CHECK(p.right->count<IkeSaUp>() == 0);
  CHECK(p.left->engine->list_sas().empty());
}

TEST_CASE("unexpected responder identity is a Failure at the initiator", "[engine][ike_auth][id]") {
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2");
  l.remote_id = *Identity::parse("someone.else");
  Pair p(config_with(l), config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1")));
  p.initiate();
  p.net.run_for(30s);
  // The responder does not hold "someone.else" but answers as itself (IDr is a hint);
  // the initiator refuses the identity and tells the responder (RFC 7296 2.21.2).
  auto lf = p.left->all<Failure>();
  REQUIRE(lf.size() == 1);
  CHECK(lf[0].exchange == wire::ExchangeType::ike_auth);
  CHECK(lf[0].step == FailureStep::id);
  CHECK(lf[0].offered == std::vector<std::string>{"10.0.0.2"});
  CHECK(lf[0].configured == std::vector<std::string>{"someone.else"});
  auto rf = p.right->all<Failure>();
  REQUIRE(rf.size() == 1);
  CHECK(rf[0].from_peer);
  CHECK(rf[0].notify == wire::NotifyType::authentication_failed);
  CHECK(p.right->count<IkeSaDown>() == 1);
  CHECK(p.right->engine->list_sas().empty());
}

TEST_CASE("TS narrowing: the responder answers with the intersection (RFC 7296 2.9)",
          "[engine][ts]") {
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2");
  auto r = psk_peer("gw", "10.0.0.2", "10.0.0.1");
  l.child.local_ts = {*TsSpec::parse("10.1.0.0/16")};
  l.child.remote_ts = {*TsSpec::parse("10.2.0.0/16")};
  r.child.local_ts = {*TsSpec::parse("10.2.1.0/24")};
  r.child.remote_ts = {*TsSpec::parse("10.1.0.0/16")};
  Pair p(config_with(l), config_with(r));
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  auto lc = p.left->all<ChildSaUp>()[0];
  CHECK(lc.local_ts == std::vector<TsSpec>{*TsSpec::parse("10.1.0.0/16")});
  CHECK(lc.remote_ts == std::vector<TsSpec>{*TsSpec::parse("10.2.1.0/24")});
  auto rc = p.right->all<ChildSaUp>()[0];
  CHECK(rc.local_ts == std::vector<TsSpec>{*TsSpec::parse("10.2.1.0/24")});
  CHECK(rc.remote_ts == std::vector<TsSpec>{*TsSpec::parse("10.1.0.0/16")});
}

TEST_CASE("TS_UNACCEPTABLE: IKE SA up, Child SA Failure with both sets as evidence",
          "[engine][ts]") {
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2");
  auto r = psk_peer("gw", "10.0.0.2", "10.0.0.1");
  l.child.local_ts = {*TsSpec::parse("10.1.0.0/24")};
  l.child.remote_ts = {*TsSpec::parse("10.2.0.0/24")};
  r.child.local_ts = {*TsSpec::parse("10.3.0.0/24")};
  r.child.remote_ts = {*TsSpec::parse("10.1.0.0/24")};
  Pair p(config_with(l), config_with(r));
  p.initiate();
  REQUIRE(p.net.run_until(
      [&] { return p.left->count<IkeSaUp>() == 1 && p.left->count<Failure>() == 1; }));
  CHECK(p.right->count<IkeSaUp>() == 1);
  CHECK(p.left->count<ChildSaUp>() == 0);
  auto lf = p.left->all<Failure>()[0];
  CHECK(lf.step == FailureStep::ts);
  CHECK(lf.from_peer);
  CHECK(lf.notify == wire::NotifyType::ts_unacceptable);
  CHECK(lf.offered == std::vector<std::string>{"TSi 10.1.0.0/24", "TSr 10.2.0.0/24"});
  // Our own policy, in the responder's shape (issue 20: it was empty).
  CHECK(lf.configured == std::vector<std::string>{"remote 10.2.0.0/24", "local 10.1.0.0/24"});
  auto rf = p.right->all<Failure>();
  REQUIRE(rf.size() == 1);
  CHECK(rf[0].step == FailureStep::ts);
  CHECK(rf[0].offered == std::vector<std::string>{"TSi 10.1.0.0/24", "TSr 10.2.0.0/24"});
  CHECK(rf[0].configured == std::vector<std::string>{"remote 10.1.0.0/24", "local 10.3.0.0/24"});
}

TEST_CASE("ESP proposal mismatch: NO_PROPOSAL_CHOSEN for the Child SA, IKE SA up",
          "[engine][proposal][child]") {
  auto l =
      psk_peer("home", "10.0.0.1", "10.0.0.2", "aes256gcm16-prfsha256-ecp256", "aes128-sha256");
  auto r = psk_peer("gw", "10.0.0.2", "10.0.0.1", "aes256gcm16-prfsha256-ecp256", "aes256gcm16");
  Pair p(config_with(l), config_with(r));
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.left->count<Failure>() == 1; }));
  auto lf = p.left->all<Failure>()[0];
  CHECK(lf.step == FailureStep::proposal);
  CHECK(lf.notify == wire::NotifyType::no_proposal_chosen);
  auto rf = p.right->all<Failure>()[0];
  CHECK(rf.offered == std::vector<std::string>{"aes128-sha256-noesn"});
  CHECK(rf.configured == std::vector<std::string>{"aes256gcm16-noesn"});
  CHECK(p.left->count<IkeSaUp>() == 1);
}

namespace {
// Two responder connections for the initiator's address: IKE_SA_INIT picks "weak" by its
// proposal, IKE_AUTH's IDi "strong.client" then selects "strong" (proposals `strong`).
Pair switch_pair(std::string_view strong_proposals) {
  auto weak = psk_peer("weak", "10.0.0.2", "10.0.0.1", "aes128-sha1-modp1024");
  weak.remote_id = *Identity::parse("weak.client");
  auto strong = psk_peer("strong", "10.0.0.2", "10.0.0.1", strong_proposals);
  strong.remote_id = *Identity::parse("strong.client");
  Config rc;
  rc.peers = {weak, strong};
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2", "aes128-sha1-modp1024");
  l.local_id = *Identity::parse("strong.client");
  return Pair(config_with(l), rc);
}
} // namespace

TEST_CASE("IKE_AUTH connection switch: the IKE SA's algorithms must suit the connection picked "
          "by identity",
          "[engine][ike_auth][proposal]") {
  // "strong" allows only Suite-B-like algorithms: the IKE SA negotiated for "weak" must
  // not come up under it.
  Pair p = switch_pair("aes256gcm16-prfsha384-ecp384");
  p.initiate();
  p.net.run_for(30s);
  CHECK(p.right->count<IkeSaUp>() == 0);
  CHECK(p.left->count<IkeSaUp>() == 0);
  auto rf = p.right->all<Failure>();
  REQUIRE(rf.size() == 1);
  CHECK(rf[0].exchange == wire::ExchangeType::ike_auth);
  CHECK(rf[0].step == FailureStep::proposal);
  CHECK(rf[0].peer == "strong");
  CHECK(rf[0].notify == wire::NotifyType::authentication_failed);
  CHECK(rf[0].offered == std::vector<std::string>{"aes128-sha1-prfsha1-modp1024"});
  CHECK(rf[0].configured == std::vector<std::string>{"aes256gcm16-prfsha384-ecp384"});
  auto lf = p.left->all<Failure>();
  REQUIRE(lf.size() == 1);
  CHECK(lf[0].notify == wire::NotifyType::authentication_failed);
}

TEST_CASE("IKE_AUTH connection switch: a connection that allows the IKE SA's algorithms is used",
          "[engine][ike_auth][proposal]") {
  Pair p = switch_pair("aes256gcm16-prfsha384-ecp384,aes128-sha1-modp1024");
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  CHECK(p.right->all<IkeSaUp>()[0].peer == "strong");
}
