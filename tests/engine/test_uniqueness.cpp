// Uniqueness of IKE SAs between the same identities: strongSwan's `unique` policy per
// connection and RFC 7296 2.4 INITIAL_CONTACT (lib/ike/uniqueness.cpp).
//
// A second IKE SA between the same identities, without INITIAL_CONTACT:
//   HDR, SK {IDi, IDr, AUTH, SAi2, TSi, TSr}  -->        (second IKE SA)
//   no / never:  <--  HDR, SK {IDr, AUTH, SAr2, ...}     both IKE SAs kept
//   replace:     <--  HDR, SK {IDr, AUTH, SAr2, ...}, then on the old IKE SA:
//                <--  HDR, SK {D(IKE)}
//   keep (from another address):
//                <--  HDR, SK {N(AUTHENTICATION_FAILED)}
// The Libreswan case (issue 20): the peer lost its IKE SA without a Delete and
// re-initiates without INITIAL_CONTACT; the old IKE SA's Delete is never answered.
#include "sim.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>

using namespace ikekit;
using namespace ikekit::ike;
using namespace ikekit::ike::test;

namespace {

// left 10.0.0.1 initiates to right 10.0.0.2 (policy `unique` on both); no INITIAL_CONTACT
// unless asked.
Pair unique_pair(UniquePolicy unique, bool initial_contact = false) {
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2");
  auto r = psk_peer("gw", "10.0.0.2", "10.0.0.1");
  l.send_initial_contact = initial_contact;
  l.unique = r.unique = unique;
  return Pair(config_with(l), config_with(r));
}

// The left side loses all state (a restarted peer) and initiates again.
void restart_left(Pair& p, bool initial_contact) {
  Config c = p.left->engine->config();
  c.peers[0].send_initial_contact = initial_contact;
  p.left->engine = std::make_unique<Engine>(c, *p.left->rng, p.net.now);
  p.left->events.clear();
  p.initiate();
}

// The responder (policy `unique`) accepts identity 10.0.0.1 from any address; node
// "other" at 10.0.0.3 is a second device with that identity (no INITIAL_CONTACT).
Pair other_address_pair(UniquePolicy unique) {
  auto r = psk_peer("gw", "10.0.0.2", "10.0.0.1");
  r.remote_address.reset();
  r.unique = unique;
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2");
  Pair p(config_with(l), config_with(r));
  auto o = psk_peer("home", "10.0.0.3", "10.0.0.2");
  o.local_id = l.local_id;
  o.send_initial_contact = false;
  p.net.add("other", "10.0.0.3", config_with(o), 77);
  return p;
}

size_t up_count(Node* n) { return n->engine->list_sas().size(); }

// Both ends' IKE SAs up and a second initiation from the left, as strongSwan's
// `swanctl --initiate` twice (its second IKE SA carries no INITIAL_CONTACT).
SaId second_initiation(Pair& p) {
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  SaId first = p.right->all<IkeSaUp>()[0].sa;
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.right->count<IkeSaUp>() == 2; }));
  return first;
}

} // namespace

TEST_CASE("unique=no: a second IKE SA without INITIAL_CONTACT is kept beside the first",
          "[engine][unique]") {
  Pair p = unique_pair(UniquePolicy::no);
  second_initiation(p);
  p.net.run_for(30s);
  CHECK(up_count(p.right) == 2);
  CHECK(up_count(p.left) == 2);
  CHECK(p.right->count<IkeSaDown>() == 0);
  CHECK(p.right->all<IkeSaUp>()[1].replaces.empty());
}

TEST_CASE("unique=no: INITIAL_CONTACT from a restarted peer removes the old IKE SA",
          "[engine][unique]") {
  Pair p = unique_pair(UniquePolicy::no, true);
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  SaId old = p.right->all<IkeSaUp>()[0].sa;
  restart_left(p, true);
  REQUIRE(p.net.run_until([&] { return p.right->count<IkeSaUp>() == 2; }));
  auto down = p.right->all<IkeSaDown>();
  REQUIRE(down.size() == 1);
  CHECK(down[0].sa == old);
  CHECK(down[0].reason == DownReason::initial_contact);
  auto up = p.right->all<IkeSaUp>()[1];
  CHECK(down[0].replaced_by == up.sa);
  CHECK(up.replaces == std::vector<SaId>{old});
  CHECK(p.right->all<ChildSaDown>().at(0).reason == DownReason::ike_sa_down);
  CHECK(up_count(p.right) == 1);
}

TEST_CASE("unique=no: a restarted peer without INITIAL_CONTACT (Libreswan) leaves an orphan",
          "[engine][unique]") {
  Pair p = unique_pair(UniquePolicy::no);
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  restart_left(p, false);
  REQUIRE(p.net.run_until([&] { return p.right->count<IkeSaUp>() == 2; }));
  CHECK(up_count(p.right) == 2);
  CHECK(p.right->count<IkeSaDown>() == 0);
}

TEST_CASE("unique=never: even INITIAL_CONTACT leaves the old IKE SA (as strongSwan)",
          "[engine][unique]") {
  Pair p = unique_pair(UniquePolicy::never, true);
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  restart_left(p, true);
  REQUIRE(p.net.run_until([&] { return p.right->count<IkeSaUp>() == 2; }));
  p.net.run_for(10s);
  CHECK(up_count(p.right) == 2);
  CHECK(p.right->count<IkeSaDown>() == 0);
  CHECK(p.right->all<IkeSaUp>()[1].replaces.empty());
}

TEST_CASE("unique=replace: a restarted peer without INITIAL_CONTACT (Libreswan) replaces the "
          "orphan; its unanswered Delete ends silently",
          "[engine][unique]") {
  Pair p = unique_pair(UniquePolicy::replace);
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  SaId old = p.right->all<IkeSaUp>()[0].sa;
  uint32_t old_child = p.right->all<ChildSaUp>()[0].spi_in;
  restart_left(p, false);
  REQUIRE(p.net.run_until([&] { return p.right->count<IkeSaUp>() == 2; }));
  auto up = p.right->all<IkeSaUp>()[1];
  CHECK(up.replaces == std::vector<SaId>{old});
  // The old IKE SA and its Child SA are reported down at once (the data plane drops it).
  auto down = p.right->all<IkeSaDown>();
  REQUIRE(down.size() == 1);
  CHECK(down[0].sa == old);
  CHECK(down[0].reason == DownReason::replaced);
  CHECK(down[0].replaced_by == up.sa);
  auto cdown = p.right->all<ChildSaDown>();
  REQUIRE(cdown.size() == 1);
  CHECK(cdown[0].spi_in == old_child);
  CHECK(cdown[0].reason == DownReason::replaced);
  CHECK(up_count(p.right) == 1);
  CHECK(p.right->engine->list_sas()[0].sa == up.sa);
  // The restarted peer knows no such IKE SA: the Delete is retransmitted, then given up
  // without a Failure or a second ike_sa_down.
  p.net.run_for(10min);
  CHECK(p.right->count<IkeSaDown>() == 1);
  CHECK(p.right->count<Failure>() == 0);
  CHECK(p.right->engine->stats().ike_sas_established == 2);
  CHECK(up_count(p.right) == 1);
  CHECK(up_count(p.left) == 1);
}

TEST_CASE("unique=replace: the responder deletes the old IKE SA of a live peer",
          "[engine][unique]") {
  Pair p = unique_pair(UniquePolicy::never); // the initiator keeps duplicates
  Config rc = p.right->engine->config();
  rc.peers[0].unique = UniquePolicy::replace;
  p.right->engine = std::make_unique<Engine>(rc, *p.right->rng, p.net.now);
  SaId first = second_initiation(p);
  SaId left_first = p.left->all<IkeSaUp>()[0].sa;
  REQUIRE(p.net.run_until([&] { return p.left->count<IkeSaDown>() == 1; }));
  // The peer got HDR, SK {D(IKE)} for its first IKE SA.
  auto ldown = p.left->all<IkeSaDown>()[0];
  CHECK(ldown.sa == left_first);
  CHECK(ldown.reason == DownReason::deleted_by_peer);
  CHECK(p.right->all<IkeSaDown>().at(0).sa == first);
  CHECK(p.right->all<IkeSaDown>().at(0).reason == DownReason::replaced);
  p.net.run_for(60s);
  CHECK(up_count(p.left) == 1);
  CHECK(up_count(p.right) == 1);
  CHECK(p.right->count<IkeSaDown>() == 1);
  CHECK(p.left->count<Failure>() == 0);
  CHECK(p.right->count<Failure>() == 0);
}

TEST_CASE("unique=replace on the initiator: its second IKE SA replaces its first",
          "[engine][unique]") {
  Pair p = unique_pair(UniquePolicy::never);
  Config lc = p.left->engine->config();
  lc.peers[0].unique = UniquePolicy::replace;
  p.left->engine = std::make_unique<Engine>(lc, *p.left->rng, p.net.now);
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  SaId first = p.left->all<IkeSaUp>()[0].sa;
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.right->count<IkeSaDown>() == 1; }));
  CHECK(p.left->all<IkeSaUp>().at(1).replaces == std::vector<SaId>{first});
  CHECK(p.left->all<IkeSaDown>().at(0).reason == DownReason::replaced);
  CHECK(p.right->all<IkeSaDown>()[0].reason == DownReason::deleted_by_peer);
  CHECK(up_count(p.left) == 1);
  CHECK(up_count(p.right) == 1);
}

TEST_CASE("unique=keep: a second IKE SA from the same address is a reauthentication, kept",
          "[engine][unique]") {
  Pair p = unique_pair(UniquePolicy::keep);
  second_initiation(p);
  p.net.run_for(30s);
  CHECK(up_count(p.right) == 2);
  CHECK(p.right->count<Failure>() == 0);
  CHECK(p.right->count<IkeSaDown>() == 0);
}

TEST_CASE("unique=keep: the same identity from another address is refused with "
          "AUTHENTICATION_FAILED, the first IKE SA kept",
          "[engine][unique]") {
  Pair p = other_address_pair(UniquePolicy::keep);
  Node& other = *p.net.nodes.back();
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  SaId first = p.right->all<IkeSaUp>()[0].sa;
  REQUIRE(other.engine->initiate("home", p.net.now));
  REQUIRE(p.net.run_until([&] { return other.count<Failure>() == 1; }));
  auto f = p.right->all<Failure>();
  REQUIRE(f.size() == 1);
  CHECK(f[0].step == FailureStep::unique);
  CHECK(f[0].notify == wire::NotifyType::authentication_failed);
  CHECK(f[0].configured == std::vector<std::string>{"unique=keep"});
  CHECK(f[0].offered == std::vector<std::string>{"10.0.0.1"});
  // IKE on 4500 since IKE_AUTH (MOBIKE on, RFC 4555 3.3): the first SA's path.
  CHECK(f[0].reason.find("from 10.0.0.1:4500") != std::string::npos);
  auto of = other.all<Failure>()[0];
  CHECK(of.from_peer);
  CHECK(of.notify == wire::NotifyType::authentication_failed);
  CHECK(other.count<IkeSaUp>() == 0);
  CHECK(p.right->count<IkeSaUp>() == 1);
  CHECK(p.right->count<IkeSaDown>() == 0);
  REQUIRE(up_count(p.right) == 1);
  CHECK(p.right->engine->list_sas()[0].sa == first);
}

TEST_CASE("unique=replace: the same identity from another address replaces the first",
          "[engine][unique]") {
  Pair p = other_address_pair(UniquePolicy::replace);
  Node& other = *p.net.nodes.back();
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  REQUIRE(other.engine->initiate("home", p.net.now));
  REQUIRE(p.net.run_until(
      [&] { return p.left->count<IkeSaDown>() == 1 && other.count<ChildSaUp>() == 1; }));
  CHECK(p.left->all<IkeSaDown>()[0].reason == DownReason::deleted_by_peer);
  REQUIRE(up_count(p.right) == 1);
  CHECK(p.right->engine->list_sas()[0].remote.address == ip("10.0.0.3"));
}

// The duplicates are found by an index of the IKE SAs by peer identity (SaTable::
// same_peer_identity), not by a walk: every entry must follow its SA through a second IKE
// SA of the same identity, a Delete, and an IKE SA rekey by either end (the SaId stays,
// the responder's role flips). Then the peer restarts and sends INITIAL_CONTACT on each
// connection: each new IKE SA must remove exactly the IKE SAs of its identity.
TEST_CASE("INITIAL_CONTACT finds the IKE SAs of its identity among many, after rekeys, "
          "deletes and second IKE SAs",
          "[engine][unique]") {
  constexpr int kIdentities = 40;
  auto r = psk_peer("gw", "10.0.0.2", "10.0.0.1");
  r.remote_id.reset(); // any identity the PSK proves
  Config lc;
  for (int k = 0; k < kIdentities; ++k) {
    auto l = psk_peer("c" + std::to_string(k), "10.0.0.1", "10.0.0.2");
    l.local_id = *Identity::parse("c" + std::to_string(k) + ".test");
    l.send_initial_contact = false;
    lc.peers.push_back(std::move(l));
  }
  Pair p(lc, config_with(r));
  // One after the other: the responder admits 5 half-open IKE SAs per address.
  auto connect_all = [&] {
    for (int k = 0; k < kIdentities; ++k) {
      REQUIRE(p.left->engine->initiate("c" + std::to_string(k), p.net.now));
      REQUIRE(p.net.run_until([&] { return p.left->count<ChildSaUp>() == size_t(k + 1); }));
    }
  };
  connect_all();
  std::vector<SaId> left_live, right_live; // each identity's newest IKE SA
  for (const IkeSaUp& u : p.left->all<IkeSaUp>())
    left_live.push_back(u.sa);
  for (const IkeSaUp& u : p.right->all<IkeSaUp>())
    right_live.push_back(u.sa);
  for (int k = 0; k < kIdentities; k += 3) { // a second IKE SA, then the first deleted
    const SaId old = left_live[size_t(k)];
    REQUIRE(p.left->engine->initiate("c" + std::to_string(k), p.net.now));
    const size_t ups = p.left->count<IkeSaUp>() + 1;
    REQUIRE(p.net.run_until([&] { return p.left->count<IkeSaUp>() == ups; }));
    left_live[size_t(k)] = p.left->all<IkeSaUp>().back().sa;
    right_live[size_t(k)] = p.right->all<IkeSaUp>().back().sa;
    REQUIRE(p.left->engine->terminate(old, p.net.now));
  }
  p.net.run_for(10s);
  for (int k = 1; k < kIdentities; k += 2) // the responder rekeys, or the initiator
    REQUIRE((k % 4 == 1 ? p.right->engine->rekey_ike(right_live[size_t(k)], p.net.now)
                        : p.left->engine->rekey_ike(left_live[size_t(k)], p.net.now)));
  p.net.run_for(60s);
  REQUIRE(p.right->count<IkeSaRekeyed>() == size_t(kIdentities / 2));
  REQUIRE(p.right->count<IkeSaDown>() == size_t((kIdentities + 2) / 3));
  std::map<std::string, std::vector<SaId>> live; // the responder's IKE SAs by identity
  for (const IkeSaInfo& i : p.right->engine->list_sas())
    live[i.remote_id->to_string()].push_back(i.sa);
  REQUIRE(live.size() == size_t(kIdentities));

  // The peer restarts: all its state is lost, INITIAL_CONTACT on every connection.
  for (PeerConfig& l : lc.peers)
    l.send_initial_contact = true;
  p.left->engine = std::make_unique<Engine>(lc, *p.left->rng, p.net.now);
  p.left->events.clear();
  p.right->events.clear();
  connect_all();
  for (const IkeSaUp& up : p.right->all<IkeSaUp>()) {
    INFO(up.remote_id.to_string());
    std::vector<SaId> want = live.at(up.remote_id.to_string());
    std::sort(want.begin(), want.end());
    CHECK(up.replaces == want);
  }
  CHECK(p.right->count<IkeSaDown>() == size_t(kIdentities));
  CHECK(p.right->engine->list_sas().size() == size_t(kIdentities));
}
