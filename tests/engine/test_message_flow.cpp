// The four base exchanges as RFC 7296 draws them (1.2, 1.3, 1.4), message by message:
// who sent it, exchange, request/response, the Initiator flag, the message ID and the
// payloads (inside SK, decrypted with the initiator's key log).
#include "craft.hpp"
#include "flow.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::ike;
using namespace ikekit::ike::test;

TEST_CASE("message flow: IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL (RFC 7296 1.2-1.4)",
          "[engine][flow]") {
  auto l = config_with(psk_peer("home", "10.0.0.1", "10.0.0.2"));
  l.emit_keys = true;
  Pair p(l, config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1")));
  std::vector<Captured> seen;
  capture(p.net, seen);
  SaId id = p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  uint32_t child = p.left->all<ChildSaUp>()[0].spi_in;
  REQUIRE(p.left->engine->rekey_child(id, child, p.net.now));
  REQUIRE(p.net.run_until([&] { return p.right->count<ChildSaDown>() == 1; }));
  REQUIRE(p.left->engine->send_dpd(id, p.net.now));
  p.net.run_for(1s);
  // The responder's own requests count from 0 in its direction (2.2), with I clear.
  REQUIRE(p.right->engine->send_dpd(p.right->all<IkeSaUp>()[0].sa, p.net.now));
  p.net.run_for(1s);
  REQUIRE(p.left->engine->terminate(id, p.net.now));
  REQUIRE(p.net.run_until([&] { return p.right->count<IkeSaDown>() == 1; }));
  const IkeSaKeys* keys = ike_keys(*p.left);
  REQUIRE(keys);

  std::vector<std::string> flow;
  for (const auto& c : seen)
    flow.push_back(describe(c, keys));
  const std::vector<std::string> rfc = {
      // 1.2: HDR, SAi1, KEi, Ni -->  <-- HDR, SAr1, KEr, Nr; NAT detection (2.23),
      // RFC 7383 fragmentation and RFC 7427 signature hashes announced by notify.
      "10.0.0.1 IKE_SA_INIT request I=1 mid=0: SA KE Nonce N(NAT_DETECTION_SOURCE_IP) "
      "N(NAT_DETECTION_DESTINATION_IP) N(IKEV2_FRAGMENTATION_SUPPORTED) "
      "N(SIGNATURE_HASH_ALGORITHMS)",
      "10.0.0.2 IKE_SA_INIT response I=0 mid=0: SA KE Nonce N(NAT_DETECTION_SOURCE_IP) "
      "N(NAT_DETECTION_DESTINATION_IP) N(IKEV2_FRAGMENTATION_SUPPORTED) "
      "N(SIGNATURE_HASH_ALGORITHMS)",
      // 1.2: HDR, SK {IDi, [N(INITIAL_CONTACT)], [IDr], AUTH, SAi2, TSi, TSr} -->
      //      <-- HDR, SK {IDr, AUTH, SAr2, TSi, TSr}
      // RFC 4555 3.3: N(MOBIKE_SUPPORTED) both ways.
      "10.0.0.1 IKE_AUTH request I=1 mid=1: SK{ IDi N(INITIAL_CONTACT) N(MOBIKE_SUPPORTED) IDr "
      "AUTH SA TSi TSr }",
      "10.0.0.2 IKE_AUTH response I=0 mid=1: SK{ IDr AUTH N(MOBIKE_SUPPORTED) SA TSi TSr }",
      // 1.3.3: HDR, SK {N(REKEY_SA), SA, Ni, TSi, TSr} -->  <-- HDR, SK {SA, Nr, TSi, TSr}
      "10.0.0.1 CREATE_CHILD_SA request I=1 mid=2: SK{ N(REKEY_SA) SA Nonce TSi TSr }",
      "10.0.0.2 CREATE_CHILD_SA response I=0 mid=2: SK{ SA Nonce TSi TSr }",
      // 1.4.1: the rekey's initiator deletes the old Child SA; the answer deletes the
      // peer's half of the pair.
      "10.0.0.1 INFORMATIONAL request I=1 mid=3: SK{ D }",
      "10.0.0.2 INFORMATIONAL response I=0 mid=3: SK{ D }",
      // 2.4: liveness check: an empty INFORMATIONAL, answered empty; either end may ask.
      "10.0.0.1 INFORMATIONAL request I=1 mid=4: SK{ }",
      "10.0.0.2 INFORMATIONAL response I=0 mid=4: SK{ }",
      "10.0.0.2 INFORMATIONAL request I=0 mid=0: SK{ }",
      "10.0.0.1 INFORMATIONAL response I=1 mid=0: SK{ }",
      // 1.4.1: deleting the IKE SA: HDR, SK {D} -->  <-- HDR, SK {}
      "10.0.0.1 INFORMATIONAL request I=1 mid=5: SK{ D }",
      "10.0.0.2 INFORMATIONAL response I=0 mid=5: SK{ }",
  };
  CHECK(flow == rfc);
}

TEST_CASE("message flow: rekeying the IKE SA (RFC 7296 1.3.2, 2.18)", "[engine][flow][rekey]") {
  auto l = config_with(psk_peer("home", "10.0.0.1", "10.0.0.2"));
  l.emit_keys = true;
  Pair p(l, config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1")));
  SaId id = p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  std::vector<Captured> seen;
  capture(p.net, seen);
  REQUIRE(p.left->engine->rekey_ike(id, p.net.now));
  REQUIRE(p.net.run_until([&] { return p.right->count<IkeSaRekeyed>() == 1; }));
  p.net.run_for(1s);
  const IkeSaKeys* old_keys = ike_keys(*p.left); // the first SaKeys: the old IKE SA
  REQUIRE(old_keys);

  std::vector<std::string> flow;
  for (const auto& c : seen)
    flow.push_back(describe(c, old_keys));
  const std::vector<std::string> rfc = {
      // 1.3.2: HDR, SK {SA, Ni, KEi} -->  <-- HDR, SK {SA, Nr, KEr}
      "10.0.0.1 CREATE_CHILD_SA request I=1 mid=2: SK{ SA Nonce KE }",
      "10.0.0.2 CREATE_CHILD_SA response I=0 mid=2: SK{ SA Nonce KE }",
      // 2.18: the initiator of the rekey deletes the old IKE SA, under the old SA.
      "10.0.0.1 INFORMATIONAL request I=1 mid=3: SK{ D }",
      "10.0.0.2 INFORMATIONAL response I=0 mid=3: SK{ }",
  };
  CHECK(flow == rfc);
}
