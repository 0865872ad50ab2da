// RFC 7296 1.4, 1.4.1: INFORMATIONAL - Delete and liveness (DPD).
//
//   HDR, SK {D(ESP, spi_a)}  -->
//                       <--  HDR, SK {D(ESP, spi_b)}      (the paired SA)
//
//   HDR, SK {D(IKE)}  -->
//                       <--  HDR, SK {}
//
//   HDR, SK {}  -->          (DPD after dpd_delay of silence)
//                       <--  HDR, SK {}
#include "sim.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::ike;
using namespace ikekit::ike::test;

TEST_CASE("Delete of the IKE SA from the initiator", "[engine][informational][delete]") {
  Pair p = Pair::psk();
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  REQUIRE(p.left->engine->terminate(sa_of(p.left), p.net.now));
  REQUIRE(p.net.run_until(
      [&] { return p.left->count<IkeSaDown>() == 1 && p.right->count<IkeSaDown>() == 1; }));
  CHECK(p.left->all<IkeSaDown>()[0].reason == DownReason::deleted_locally);
  CHECK(p.right->all<IkeSaDown>()[0].reason == DownReason::deleted_by_peer);
  CHECK(p.left->count<ChildSaDown>() == 1);
  CHECK(p.right->count<ChildSaDown>() == 1);
  CHECK(p.left->engine->list_sas().empty());
  CHECK(p.right->engine->list_sas().empty());
}

TEST_CASE("Delete of the IKE SA from the responder", "[engine][informational][delete]") {
  Pair p = Pair::psk();
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  REQUIRE(p.right->engine->terminate(sa_of(p.right), p.net.now));
  REQUIRE(p.net.run_until(
      [&] { return p.left->count<IkeSaDown>() == 1 && p.right->count<IkeSaDown>() == 1; }));
  CHECK(p.left->all<IkeSaDown>()[0].reason == DownReason::deleted_by_peer);
  p.net.run_for(60s);
  CHECK(p.left->count<Failure>() == 0);
  CHECK(p.right->count<Failure>() == 0);
}

TEST_CASE("Delete of a Child SA from each side; the response deletes the paired SA",
          "[engine][informational][delete]") {
  for (int side = 0; side < 2; ++side) {
    Pair p = Pair::psk();
    p.initiate();
    REQUIRE(p.net.run_until([&] { return p.both_up(); }));
    Node* from = side == 0 ? p.left : p.right;
    Node* to = side == 0 ? p.right : p.left;
    uint32_t spi = from->all<ChildSaUp>()[0].spi_in;
    REQUIRE(from->engine->terminate_child(sa_of(from), spi, p.net.now));
    REQUIRE(p.net.run_until(
        [&] { return from->count<ChildSaDown>() == 1 && to->count<ChildSaDown>() == 1; }));
    CHECK(from->all<ChildSaDown>()[0].reason == DownReason::deleted_locally);
    CHECK(to->all<ChildSaDown>()[0].reason == DownReason::deleted_by_peer);
    CHECK(to->all<ChildSaDown>()[0].spi_out == spi);
    auto sas = from->engine->list_sas();
    REQUIRE(sas.size() == 1);
    CHECK(sas[0].children.empty());
    CHECK(to->engine->list_sas()[0].children.empty());
    CHECK(from->count<IkeSaDown>() == 0);
  }
}

TEST_CASE("DPD: an empty INFORMATIONAL after dpd_delay, answered by a live peer", "[engine][dpd]") {
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2");
  l.dpd_delay = 30s;
  Pair p(config_with(l), config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1")));
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  uint64_t before = p.left->engine->stats().datagrams_sent;
  p.net.run_for(100s);
  CHECK(p.left->engine->stats().datagrams_sent - before == 3); // at ~30, 60, 90 s
  CHECK(p.left->count<IkeSaDown>() == 0);
  CHECK(p.left->engine->list_sas()[0].next_message_id_out == 5);
}

TEST_CASE("DPD failure: the silent peer is declared dead (action clear)", "[engine][dpd]") {
  auto l = config_with(psk_peer("home", "10.0.0.1", "10.0.0.2"));
  l.peers[0].dpd_delay = 10s;
  l.retransmit_timeout = 1s;
  l.retransmit_tries = 2;
  Pair p(l, config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1")));
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  p.right->silent = true;
  REQUIRE(p.net.run_until([&] { return p.left->count<IkeSaDown>() == 1; }, 120s));
  CHECK(p.left->all<IkeSaDown>()[0].reason == DownReason::dpd);
  auto f = p.left->all<Failure>();
  REQUIRE(f.size() == 1);
  CHECK(f[0].exchange == wire::ExchangeType::informational);
  CHECK(f[0].retransmits == 2);
  CHECK(p.left->count<ChildSaDown>() == 1);
}

TEST_CASE("DPD failure with action restart initiates again", "[engine][dpd]") {
  auto l = config_with(psk_peer("home", "10.0.0.1", "10.0.0.2"));
  l.peers[0].dpd_delay = 10s;
  l.peers[0].dpd_action = DpdAction::restart;
  l.retransmit_timeout = 1s;
  l.retransmit_tries = 1;
  Pair p(l, config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1")));
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  p.right->silent = true;
  REQUIRE(p.net.run_until([&] { return p.left->count<IkeSaDown>() == 1; }, 60s));
  p.right->silent = false;
  REQUIRE(p.net.run_until([&] { return p.left->count<ChildSaUp>() == 2; }, 60s));
  CHECK(p.left->count<IkeSaUp>() == 2);
}

TEST_CASE("hard lifetimes: the Child SA and then the IKE SA are deleted when they expire",
          "[engine][lifetime][delete]") {
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2");
  l.child.lifetimes = Lifetimes{0s, 50s, 0s};
  l.ike_lifetimes = Lifetimes{0s, 100s, 0s};
  Pair p(config_with(l), config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1")));
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  p.net.run_for(60s);
  CHECK(p.left->count<ChildSaDown>() == 1);
  CHECK(p.right->count<ChildSaDown>() == 1);
  CHECK(p.left->count<IkeSaDown>() == 0);
  p.net.run_for(60s);
  CHECK(p.left->count<IkeSaDown>() == 1);
  REQUIRE(p.right->count<IkeSaDown>() == 1);
  CHECK(p.right->all<IkeSaDown>()[0].reason == DownReason::deleted_by_peer);
  CHECK(p.left->count<Failure>() == 0);
}

TEST_CASE("simultaneous Delete of the same Child SA: no Delete payloads in the responses",
          "[engine][informational][delete]") {
  Pair p = Pair::psk();
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  uint32_t l_in = p.left->all<ChildSaUp>()[0].spi_in;
  uint32_t r_in = p.right->all<ChildSaUp>()[0].spi_in;
  REQUIRE(p.left->engine->terminate_child(sa_of(p.left), l_in, p.net.now));
  REQUIRE(p.right->engine->terminate_child(sa_of(p.right), r_in, p.net.now));
  p.net.run_for(10s);
  CHECK(p.left->count<ChildSaDown>() == 1);
  CHECK(p.right->count<ChildSaDown>() == 1);
  CHECK(p.left->engine->list_sas()[0].children.empty());
  CHECK(p.right->engine->list_sas()[0].children.empty());
  CHECK(p.left->engine->stats().retransmissions == 0);
}
