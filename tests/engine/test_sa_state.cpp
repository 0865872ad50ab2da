// The IKE SA state machine (sa_state.cpp): an exchange that arrives in a state it is not
// handled in is refused by the state table, before any exchange code runs.
#include "craft.hpp"
#include "sim.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::ike;
using namespace ikekit::ike::test;

TEST_CASE("state table: an IKE_AUTH request on an established IKE SA is dropped (RFC 7296 1.2)",
          "[engine][sa_state]") {
  auto l = config_with(psk_peer("home", "10.0.0.1", "10.0.0.2"));
  auto r = config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1"));
  l.emit_keys = true;
  r.debug_events = true;
  Pair p(l, r);
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  const IkeSaKeys* keys = ike_keys(*p.left);
  REQUIRE(keys);

  // A well-formed, authentic IKE_AUTH request (message ID 2, the next one): IDi only.
  // RFC 7296 3.5: generic header, ID Type 1 (ID_IPV4_ADDR), 3 reserved octets, address.
  const Bytes idi = {0, 0, 0, 12, 1, 0, 0, 0, 10, 0, 0, 1};
  SeededRng rng(9);
  Bytes d = craft_fragment(*keys, wire::ExchangeType::ike_auth, 2, 1, 1, idi, rng);
  auto out = exchange(p.net, *p.right, "10.0.0.1", d);
  CHECK(out.empty());
  const Stats& s = p.right->engine->stats();
  CHECK(s.fragments_received == 1); // it decrypted: the state table refused it
  CHECK(s.dropped_for(DropReason::unexpected_exchange) == 1);
  auto drops = p.right->all<InputDropped>();
  REQUIRE(drops.size() == 1);
  CHECK(drops[0].detail == "IKE_AUTH request in state established");
  CHECK(p.right->count<Failure>() == 0);
  CHECK(p.right->engine->list_sas().at(0).state == IkeSaState::established);
}

TEST_CASE("state table: an IKE_SA_INIT response after the initiator moved on is a duplicate",
          "[engine][sa_state]") {
  auto l = config_with(psk_peer("home", "10.0.0.1", "10.0.0.2"));
  l.debug_events = true;
  Pair p(l, config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1")));
  // Keep the responder's IKE_SA_INIT response, and lose its first IKE_AUTH response so
  // that the initiator waits in state authenticating.
  Bytes init_response;
  bool auth_lost = false;
  p.net.tap = [&](Bytes& d, const Transmit&) {
    auto m = wire::parse_message(d);
    if (!m || !m->header.response()) return true;
    if (m->header.exchange_type == wire::ExchangeType::ike_sa_init) init_response = d;
    if (m->header.exchange_type != wire::ExchangeType::ike_auth || auth_lost) return true;
    return auth_lost = true, false;
  };
  p.initiate();
  REQUIRE(p.net.run_until([&] { return auth_lost; }));
  REQUIRE_FALSE(init_response.empty());
  const SaId sa = p.left->engine->list_sas().at(0).sa;
  REQUIRE(p.left->engine->list_sas().at(0).state == IkeSaState::authenticating);
  const Stats& s = p.left->engine->stats();

  // RFC 7296 1.2: only a connecting initiator waits for it; a copy is dropped before its
  // message ID or payloads are looked at.
  CHECK(exchange(p.net, *p.left, "10.0.0.2", init_response).empty());
  CHECK(s.dropped_for(DropReason::duplicate) == 1);
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  CHECK(exchange(p.net, *p.left, "10.0.0.2", init_response).empty());
  CHECK(s.dropped_for(DropReason::duplicate) == 2);
  auto drops = p.left->all<InputDropped>();
  REQUIRE(drops.size() == 2);
  CHECK(drops[0].detail == "IKE_SA_INIT response in state authenticating");
  CHECK(drops[1].detail == "IKE_SA_INIT response in state established");
  CHECK(p.left->count<Failure>() == 0);
  CHECK(p.left->engine->list_sas().at(0).sa == sa);
  CHECK(p.left->engine->list_sas().at(0).state == IkeSaState::established);
}
