// MOBIKE, RFC 4555: left (initiator, 10.0.0.1) moves to 10.0.1.1 (its first address
// is gone, as a phone's when it leaves a Wi-Fi network); right (responder, 10.0.0.2)
// follows on the authenticated UPDATE_SA_ADDRESSES.
//
//   Initiator (from 10.0.1.1)                 Responder
//   HDR, SK { N(UPDATE_SA_ADDRESSES), N(NAT_DETECTION_SOURCE_IP),
//             N(NAT_DETECTION_DESTINATION_IP), N(COOKIE2) }  -->
//                       <--  HDR, SK { N(NAT_DETECTION_SOURCE_IP),
//                                      N(NAT_DETECTION_DESTINATION_IP), N(COOKIE2) }
#include "craft.hpp"
#include "flow.hpp"
#include "sim.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::ike;
using namespace ikekit::ike::test;

namespace {

const IpAddress kNew = ip("10.0.1.1");

Pair mobike_pair(uint64_t seed = 1, bool left_mobike = true, bool right_mobike = true) {
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2");
  auto r = psk_peer("gw", "10.0.0.2", "10.0.0.1");
  l.mobike = left_mobike;
  r.mobike = right_mobike;
  // Tunnel mode between networks (a roaming host's own address is no selector).
  l.child.local_ts = r.child.remote_ts = {*TsSpec::parse("10.1.0.0/16")};
  l.child.remote_ts = r.child.local_ts = {*TsSpec::parse("10.2.0.0/16")};
  Config lc = config_with(std::move(l)), rc = config_with(std::move(r));
  lc.retransmit_timeout = rc.retransmit_timeout = 1s;
  lc.retransmit_tries = rc.retransmit_tries = 10;
  return Pair(std::move(lc), std::move(rc), seed);
}

SaId up(Pair& p) {
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  return p.left->all<IkeSaUp>().at(0).sa;
}

IkeSaInfo info(Node* n) { return n->engine->list_sas().at(0); }

// One datagram on the simulated wire: its exchange (the IKE header's octet 18) and path.
struct SentIke {
  wire::ExchangeType exchange;
  bool response;
  Endpoint from, to;
  bool nat_t;
};

// Records every IKE message the pair sends (keepalives have no header).
void record_ike_messages(Net& net, std::vector<SentIke>& sent) {
  net.tap = [&sent](Bytes& d, const Transmit& t) {
    if (d.size() >= 28)
      sent.push_back({wire::ExchangeType(d[18]), (d[19] & 0x20) != 0, t.local, t.remote, t.nat_t});
    return true;
  };
}

// RFC 4555 3.3's flow: IKE_SA_INIT on port 500, then IKE_AUTH (both ways) on 4500 from
// `l` to `r`, with the non-ESP marker.
void check_float_at_ike_auth(const std::vector<SentIke>& sent, const IpAddress& l,
                             const IpAddress& r) {
  REQUIRE(sent.size() >= 4);
  CHECK(sent[0].exchange == wire::ExchangeType::ike_sa_init);
  CHECK(sent[0].from == Endpoint{l, 500});
  CHECK(sent[0].to == Endpoint{r, 500});
  CHECK(sent[1].exchange == wire::ExchangeType::ike_sa_init);
  CHECK(sent[1].from == Endpoint{r, 500});
  for (size_t i = 2; i < sent.size(); ++i) {
    INFO("datagram " << i);
    CHECK(sent[i].exchange == wire::ExchangeType::ike_auth);
    CHECK(sent[i].nat_t);
    CHECK(sent[i].from == (sent[i].response ? Endpoint{r, 4500} : Endpoint{l, 4500}));
    CHECK(sent[i].to == (sent[i].response ? Endpoint{l, 4500} : Endpoint{r, 4500}));
  }
}

// The old address is gone: nothing reaches left there any more.
void roam(Pair& p, SaId sa) {
  p.left->address = kNew;
  REQUIRE(p.left->engine->move_local(sa, kNew, p.net.now));
  p.net.collect_all();
}

} // namespace

TEST_CASE("MOBIKE: negotiated in IKE_AUTH by default; the responder moves on "
          "UPDATE_SA_ADDRESSES, SPIs stay (RFC 4555 3.3, 3.5)",
          "[engine][mobike]") {
  Pair p = mobike_pair();
  SaId sa = up(p);
  CHECK(info(p.left).mobike);
  CHECK(info(p.right).mobike);
  auto before = info(p.right);
  roam(p, sa);
  // The initiator moved at once: its data plane sends from the new address.
  REQUIRE(p.left->count<IkeSaMoved>() == 1);
  auto lm = p.left->all<IkeSaMoved>()[0];
  CHECK(lm.reason == MoveReason::mobike);
  CHECK(lm.old_local == Endpoint{ip("10.0.0.1"), 4500});
  CHECK(lm.local == Endpoint{kNew, 4500});
  CHECK(lm.remote == Endpoint{ip("10.0.0.2"), 4500});
  REQUIRE(p.net.run_until([&] { return p.right->count<IkeSaMoved>() == 1; }, 10s));
  auto rm = p.right->all<IkeSaMoved>()[0];
  CHECK(rm.reason == MoveReason::mobike);
  CHECK(rm.old_remote == Endpoint{ip("10.0.0.1"), 4500});
  CHECK(rm.remote == Endpoint{kNew, 4500});
  CHECK(rm.local == Endpoint{ip("10.0.0.2"), 4500});
  p.net.run_for(5s);
  auto after = info(p.right);
  CHECK(after.spi_i == before.spi_i);
  CHECK(after.spi_r == before.spi_r);
  CHECK(after.remote == Endpoint{kNew, 4500});
  CHECK(after.moves == 1);
  CHECK(after.children.size() == 1);
  CHECK(p.left->engine->stats().mobike_updates_sent == 1);
  CHECK(p.right->engine->stats().mobike_updates_received == 1);
  CHECK(p.left->engine->stats().dropped_total() == 0); // COOKIE2 echoed
  CHECK(p.left->count<IkeSaDown>() + p.right->count<IkeSaDown>() == 0);
  // The responder's own requests now reach the new address.
  REQUIRE(p.right->engine->send_dpd(after.sa, p.net.now));
  p.net.run_for(5s);
  CHECK(p.right->engine->stats().retransmissions == 0);
  CHECK(info(p.right).state == IkeSaState::established);
}

TEST_CASE("MOBIKE: a forged UPDATE_SA_ADDRESSES from another address moves nothing",
          "[engine][mobike]") {
  Pair p = mobike_pair();
  SaId sa = up(p);
  Bytes update;
  p.net.tap = [&](Bytes& d, const Transmit& t) {
    if (update.empty() && t.local.address == kNew) {
      update = d; // the first one is held back
      return false;
    }
    return true;
  };
  Endpoint right_local = info(p.right).local;
  roam(p, sa);
  REQUIRE_FALSE(update.empty());
  // Before the genuine one arrives, an attacker flips one octet of the encrypted part and
  // sends it from its own address: it does not verify, nothing moves.
  Bytes forged = update;
  forged[forged.size() - 5] ^= 0x01;
  const Endpoint attacker{ip("10.0.9.9"), 4500};
  p.right->engine->receive(Datagram{right_local, attacker, true, forged}, p.net.now);
  p.net.collect_all();
  CHECK(p.right->engine->stats().dropped_for(DropReason::integrity) == 1);
  CHECK(p.right->count<IkeSaMoved>() == 0);
  CHECK(info(p.right).remote == Endpoint{ip("10.0.0.1"), 4500});
  CHECK(p.right->engine->stats().mobike_updates_received == 0);
  // The retransmission from the new path moves the SA.
  REQUIRE(p.net.run_until([&] { return p.right->count<IkeSaMoved>() == 1; }, 10s));
  // The genuine update replayed from the attacker's address is an answered retransmission:
  // answered from the cache, nothing moves.
  p.right->engine->receive(Datagram{right_local, attacker, true, update}, p.net.now);
  p.net.collect_all();
  CHECK(p.right->count<IkeSaMoved>() == 1);
  CHECK(info(p.right).remote == Endpoint{kNew, 4500});
  CHECK(p.right->engine->stats().mobike_updates_received == 1);
}

TEST_CASE("MOBIKE: a lost UPDATE_SA_ADDRESSES is retransmitted on the new path, and a request "
          "in flight follows the path too",
          "[engine][mobike][retransmit]") {
  Pair p = mobike_pair();
  SaId sa = up(p);
  std::vector<Transmit> from_left;
  int dropped = 0;
  p.net.tap = [&](Bytes&, const Transmit& t) {
    if (t.local.address == kNew || t.local.address == ip("10.0.0.1")) from_left.push_back(t);
    // The DPD and the first two UPDATE_SA_ADDRESSES are lost.
    return !(t.local.address == p.left->address && dropped++ < 3);
  };
  // A DPD in flight when the path breaks.
  p.left->address = ip("10.0.0.1");
  REQUIRE(p.left->engine->send_dpd(sa, p.net.now));
  p.net.collect_all();
  roam(p, sa);
  REQUIRE(p.net.run_until([&] { return p.right->count<IkeSaMoved>() == 1; }, 30s));
  p.net.run_for(5s);
  CHECK(p.left->engine->stats().retransmissions >= 2);
  // After the move every datagram left from the new address, to the same peer.
  size_t first_new = 0;
  while (first_new < from_left.size() && !(from_left[first_new].local.address == kNew))
    ++first_new;
  REQUIRE(first_new < from_left.size());
  for (size_t i = first_new; i < from_left.size(); ++i) {
    CHECK(from_left[i].local.address == kNew);
    CHECK(from_left[i].remote == Endpoint{ip("10.0.0.2"), 4500});
  }
  CHECK(info(p.right).remote == Endpoint{kNew, 4500});
  CHECK(info(p.left).state == IkeSaState::established);
  CHECK(p.left->count<Failure>() == 0);
}

TEST_CASE("MOBIKE: the peer's CREATE_CHILD_SA before the reply to our update is answered, "
          "the new Child SA on the new path (strongSwan's rekey after a move)",
          "[engine][mobike]") {
  Pair p = mobike_pair();
  SaId sa = up(p);
  SaId rsa = info(p.right).sa;
  uint32_t r_in = p.right->all<ChildSaUp>()[0].spi_in;
  bool held = false;
  std::optional<Net::InFlight> update_reply;
  p.net.tap = [&](Bytes& d, const Transmit& t) {
    // Right's first datagram to the new address (the update's reply) comes late.
    if (!held && t.remote.address == kNew) {
      held = true;
      update_reply =
          Net::InFlight{p.net.now + 200ms, 1u << 30, Datagram{t.remote, t.local, t.nat_t, {}}, d};
      return false;
    }
    return true;
  };
  roam(p, sa);
  REQUIRE(p.net.run_until([&] { return p.right->count<IkeSaMoved>() == 1; }, 10s));
  // As strongSwan does right after an address update: rekey the Child SA.
  REQUIRE(p.right->engine->rekey_child(rsa, r_in, p.net.now));
  REQUIRE(update_reply);
  p.net.flight.push_back(*update_reply);
  REQUIRE(p.net.run_until(
      [&] { return p.left->count<ChildSaRekeyed>() == 1 && p.right->count<ChildSaRekeyed>() == 1; },
      10s));
  auto lc = p.left->all<ChildSaUp>().back();
  CHECK(lc.local == Endpoint{kNew, 4500});
  CHECK(p.right->all<ChildSaUp>().back().remote == Endpoint{kNew, 4500});
  p.net.run_for(5s);
  CHECK(p.left->engine->stats().mobike_updates_sent == 1);
  CHECK(info(p.left).state == IkeSaState::established);
  CHECK(p.left->count<Failure>() + p.right->count<Failure>() == 0);
}

TEST_CASE("MOBIKE disabled on one side: not negotiated, no update is sent", "[engine][mobike]") {
  for (bool left_on : {false, true}) {
    INFO("MOBIKE on at the initiator: " << left_on);
    Pair p = mobike_pair(1, left_on, !left_on);
    SaId sa = up(p);
    CHECK_FALSE(info(p.left).mobike);
    CHECK_FALSE(info(p.right).mobike);
    auto r = p.left->engine->move_local(sa, kNew, p.net.now);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::unsupported);
    p.net.run_for(5s);
    CHECK(p.left->engine->stats().mobike_updates_sent == 0);
    CHECK(p.left->count<IkeSaMoved>() == 0);
  }
  // And the responder never moves an IKE SA: the initiator decides (RFC 4555 3.3).
  Pair p = mobike_pair();
  up(p);
  auto r = p.right->engine->move_local(info(p.right).sa, ip("10.0.0.3"), p.net.now);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::unsupported);
}

TEST_CASE("MOBIKE: move and back again under 30% loss with duplication and reordering, "
          "100 seeds",
          "[engine][mobike][loss]") {
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    INFO("seed " << seed);
    Pair p = mobike_pair(seed);
    p.net.loss = 0.3;
    p.net.duplicate = 0.1;
    p.net.reorder = 0.5;
    SaId sa = up(p);
    auto before = info(p.right);
    roam(p, sa);
    REQUIRE(p.net.run_until([&] { return info(p.right).remote.address == kNew; }, 600s));
    // Back to the first network while things may still be in flight.
    p.left->address = ip("10.0.0.1");
    REQUIRE(p.left->engine->move_local(sa, ip("10.0.0.1"), p.net.now));
    REQUIRE(p.net.run_until(
        [&] {
          return info(p.right).remote.address == ip("10.0.0.1") && !p.left->engine->next_timeout();
        },
        600s));
    auto after = info(p.right);
    CHECK(after.spi_i == before.spi_i);
    CHECK(after.spi_r == before.spi_r);
    CHECK(info(p.left).state == IkeSaState::established);
    CHECK(p.left->count<Failure>() + p.right->count<Failure>() == 0);
  }
}

TEST_CASE("MOBIKE: the UPDATE_SA_ADDRESSES exchange as RFC 4555 3.5 draws it, from the new "
          "address",
          "[engine][mobike][flow]") {
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2");
  Config lc = config_with(std::move(l));
  lc.emit_keys = true;
  Pair p(std::move(lc), config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1")));
  SaId sa = up(p);
  std::vector<Captured> seen;
  capture(p.net, seen);
  roam(p, sa);
  p.net.run_for(2s);
  const IkeSaKeys* keys = ike_keys(*p.left);
  REQUIRE(keys);
  std::vector<std::string> flow;
  for (const auto& c : seen)
    flow.push_back(describe(c, keys));
  const std::vector<std::string> rfc = {
      "10.0.1.1 INFORMATIONAL request I=1 mid=2: SK{ N(UPDATE_SA_ADDRESSES) "
      "N(NAT_DETECTION_SOURCE_IP) N(NAT_DETECTION_DESTINATION_IP) N(COOKIE2) }",
      "10.0.0.2 INFORMATIONAL response I=0 mid=2: SK{ N(NAT_DETECTION_SOURCE_IP) "
      "N(NAT_DETECTION_DESTINATION_IP) N(COOKIE2) }",
  };
  CHECK(flow == rfc);
  // No NAT on the new path either.
  CHECK_FALSE(info(p.left).nat_local);
  CHECK_FALSE(info(p.right).nat_remote);
}

// RFC 4555 3.3 (its flows), as strongSwan (ike_natd.c): a MOBIKE initiator moves to port
// 4500 for IKE_AUTH whenever the peer sent NAT detection, NAT or not, so that a later
// move behind a NAT finds IKE where ESP in UDP goes. Without a NAT ESP stays plain.
TEST_CASE("MOBIKE: the initiator floats to port 4500 for IKE_AUTH with no NAT; ESP stays plain, "
          "no keepalives (RFC 4555 3.3)",
          "[engine][mobike][nat]") {
  Pair p = mobike_pair();
  std::vector<SentIke> sent;
  record_ike_messages(p.net, sent);
  up(p);
  check_float_at_ike_auth(sent, ip("10.0.0.1"), ip("10.0.0.2"));
  for (Node* n : {p.left, p.right}) {
    INFO(n->name);
    auto u = n->all<IkeSaUp>().at(0);
    CHECK(u.nat_t);
    CHECK(u.local.port == 4500);
    CHECK(u.remote.port == 4500);
    CHECK_FALSE(u.nat_local);
    CHECK_FALSE(u.nat_remote);
    CHECK(u.encap == Encap::none);
    auto c = n->all<ChildSaUp>().at(0);
    CHECK_FALSE(c.udp_encap);
    CHECK(c.encap == Encap::none);
    CHECK(c.local.port == 4500);
  }
  CHECK(info(p.left).mobike);
  p.net.run_for(120s);
  CHECK(p.left->engine->stats().nat_keepalives_sent +
            p.right->engine->stats().nat_keepalives_sent ==
        0);
}

TEST_CASE("MOBIKE: the float at IKE_AUTH is the initiator's: not with --no-mobike there, but "
          "also when only the responder has MOBIKE off (the initiator cannot know)",
          "[engine][mobike][nat]") {
  {
    Pair p = mobike_pair(1, false, true);
    up(p);
    for (Node* n : {p.left, p.right}) {
      INFO(n->name);
      auto u = n->all<IkeSaUp>().at(0);
      CHECK_FALSE(u.nat_t);
      CHECK(u.local.port == 500);
      CHECK(u.remote.port == 500);
    }
  }
  Pair p = mobike_pair(1, true, false);
  std::vector<SentIke> sent;
  record_ike_messages(p.net, sent);
  up(p);
  check_float_at_ike_auth(sent, ip("10.0.0.1"), ip("10.0.0.2"));
  CHECK_FALSE(info(p.left).mobike);
  CHECK(info(p.right).nat_t);
  CHECK(info(p.right).encap == Encap::none);
}

TEST_CASE("MOBIKE over IPv6: the float at IKE_AUTH, and a move on the NAT-T port",
          "[engine][mobike][nat][ipv6]") {
  auto l = psk_peer("home", "fd00::1", "fd00::2");
  auto r = psk_peer("gw", "fd00::2", "fd00::1");
  Net net;
  Node& left = net.add("left", "fd00::1", config_with(std::move(l)), 3);
  Node& right = net.add("right", "fd00::2", config_with(std::move(r)), 4);
  std::vector<SentIke> sent;
  record_ike_messages(net, sent);
  SaId sa = *left.engine->initiate("home", net.now);
  REQUIRE(
      net.run_until([&] { return left.count<ChildSaUp>() == 1 && right.count<ChildSaUp>() == 1; }));
  check_float_at_ike_auth(sent, ip("fd00::1"), ip("fd00::2"));
  CHECK_FALSE(left.all<ChildSaUp>()[0].udp_encap);
  const IpAddress moved = ip("fd00:1::1");
  left.address = moved;
  REQUIRE(left.engine->move_local(sa, moved, net.now));
  REQUIRE(net.run_until([&] { return right.count<IkeSaMoved>() == 1; }, 10s));
  auto m = right.all<IkeSaMoved>()[0];
  CHECK(m.remote == Endpoint{moved, 4500});
  CHECK(m.local == Endpoint{ip("fd00::2"), 4500});
  CHECK(m.encap == Encap::none);
  CHECK_FALSE(m.udp_encap);
}
