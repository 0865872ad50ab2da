// NAT traversal through a simulated NAT (RFC 7296 2.23, RFC 3948): left (10.0.0.1) sits
// behind a NAPT that shows it as 192.0.2.1 with a port of its own choosing; right
// (10.0.0.2) is not behind one.
//
//   left 10.0.0.1:500  --NAT--> 192.0.2.1:20500  -->  right 10.0.0.2:500
//   HDR, SAi1, KEi, Ni, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP) -->
//                      <-- HDR, SAr1, KEr, Nr, N(NAT_DETECTION_*)
//   (both float to 4500; left is behind the NAT and sends the keepalives)
#include "sim.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>

using namespace ikekit;
using namespace ikekit::ike;
using namespace ikekit::ike::test;

namespace {

// A NAPT: inside -> outside with a fresh port per inside port; rebind() forgets every
// mapping (a NAT reboot or a timed-out mapping) and hands out new ports.
struct Napt {
  IpAddress inside = ip("10.0.0.1"), outside = ip("192.0.2.1");
  uint16_t next_port = 20000;
  std::map<uint16_t, uint16_t> out; // inside port -> outside port

  void operator()(Datagram& d) {
    if (d.remote.address == inside) { // leaving: rewrite the source
      auto [it, fresh] = out.try_emplace(d.remote.port, next_port);
      if (fresh) next_port = uint16_t(next_port + 1);
      d.remote = Endpoint{outside, it->second};
    } else if (d.local.address == outside) { // coming back: the mapping, or nowhere
      for (auto& [in, o] : out)
        if (o == d.local.port) {
          d.local = Endpoint{inside, in};
          return;
        }
      d.local = Endpoint{ip("203.0.113.99"), d.local.port}; // no mapping: dropped
    }
  }
  void rebind() {
    out.clear();
    next_port = uint16_t(next_port + 1000);
  }
};

struct NatPair {
  Napt nat;
  Pair p;
  // mobike: off by default, the RFC 7296 2.23 NAT mapping updates are for SAs without it.
  explicit NatPair(Duration keepalive = 20s, bool right_forces_encap = false, bool mobike = false)
      : p(config(psk_peer("home", "10.0.0.1", "10.0.0.2"), keepalive, false, mobike),
          config(psk_peer("gw", "10.0.0.2", "192.0.2.1"), keepalive, right_forces_encap, mobike)) {
    p.net.route = [this](Datagram& d) { nat(d); };
  }
  static Config config(PeerConfig peer, Duration keepalive, bool force_encap = false,
                       bool mobike = false) {
    peer.force_encap = force_encap;
    peer.mobike = mobike;
    peer.remote_id = *Identity::parse(peer.name == "gw" ? "10.0.0.1" : "10.0.0.2");
    Config c = config_with(std::move(peer));
    c.nat_keepalive = keepalive;
    return c;
  }
  void up() {
    p.initiate();
    REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  }
};

} // namespace

TEST_CASE("NAT detected on the initiator's side: nat_local there, nat_remote at the peer, "
          "encap nat on both (RFC 7296 2.23)",
          "[engine][nat]") {
  NatPair n;
  n.up();
  auto lu = n.p.left->all<IkeSaUp>().at(0), ru = n.p.right->all<IkeSaUp>().at(0);
  CHECK(lu.nat_local);
  CHECK_FALSE(lu.nat_remote);
  CHECK(lu.encap == Encap::nat);
  CHECK_FALSE(ru.nat_local);
  CHECK(ru.nat_remote);
  CHECK(ru.encap == Encap::nat);
  CHECK(ru.remote == Endpoint{ip("192.0.2.1"), 20001}); // the mapping of left's 4500
  CHECK(n.p.right->all<ChildSaUp>().at(0).encap == Encap::nat);
  CHECK(n.p.right->all<ChildSaUp>().at(0).udp_encap);
  CHECK(n.p.right->engine->list_sas().at(0).encap == Encap::nat);
}

TEST_CASE("A responder that forces encapsulation sends its true NAT_DETECTION_SOURCE_IP "
          "when the request already shows a NAT",
          "[engine][nat]") {
  NatPair n(20s, true);
  n.up();
  auto lu = n.p.left->all<IkeSaUp>().at(0), ru = n.p.right->all<IkeSaUp>().at(0);
  CHECK(lu.nat_local);
  CHECK_FALSE(lu.nat_remote); // no fake hash from right: it is not behind a NAT
  CHECK(ru.encap == Encap::nat);
  CHECK(ru.nat_remote);
}

TEST_CASE("No NAT and nothing forced: encap none, no keepalives", "[engine][nat]") {
  Pair p = Pair::psk();
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  CHECK(p.left->all<IkeSaUp>()[0].encap == Encap::none);
  CHECK(p.right->all<IkeSaUp>()[0].encap == Encap::none);
  CHECK_FALSE(p.left->all<ChildSaUp>()[0].udp_encap);
  p.net.run_for(120s);
  CHECK(p.left->engine->stats().nat_keepalives_sent == 0);
}

TEST_CASE("NAT keepalives: every interval from the side behind the NAT, only while nothing "
          "else went out (RFC 3948 4)",
          "[engine][nat][keepalive]") {
  NatPair n(20s);
  std::vector<std::pair<TimePoint, bool>> sent; // left's datagrams: when, keepalive
  std::vector<Transmit> keepalives;
  n.p.net.tap = [&](Bytes& data, const Transmit& t) {
    if (t.local.address == ip("10.0.0.1")) sent.emplace_back(n.p.net.now, t.keepalive);
    if (t.keepalive) {
      keepalives.push_back(t);
      CHECK(data == Bytes{0xff}); // RFC 3948 2.3: one octet 0xFF
    }
    return true;
  };
  n.up();
  SaId sa = n.p.left->all<IkeSaUp>().at(0).sa;
  TimePoint last_ike = sent.back().first;
  n.p.net.run_for(65s);
  // Three keepalives, 20 s apart, the first 20 s after the last IKE message.
  REQUIRE(keepalives.size() == 3);
  CHECK(sent[sent.size() - 3].first == last_ike + 20s);
  CHECK(sent[sent.size() - 2].first == last_ike + 40s);
  CHECK(sent[sent.size() - 1].first == last_ike + 60s);
  for (const auto& k : keepalives) {
    CHECK(k.nat_t);
    CHECK(k.sa == sa);
    CHECK(k.remote == Endpoint{ip("10.0.0.2"), 4500});
  }
  // The receiver counts them and drops nothing; right (not behind a NAT) sends none.
  CHECK(n.p.right->engine->stats().nat_keepalives_received == 3);
  CHECK(n.p.right->engine->stats().dropped_total() == 0);
  CHECK(n.p.right->engine->stats().nat_keepalives_sent == 0);

  // ESP sent by the data plane counts as traffic: the next keepalive waits for it.
  TimePoint k3 = last_ike + 60s;
  n.p.left->engine->esp_sent(sa, k3 + 15s);
  n.p.net.run_for(k3 + 34s - n.p.net.now);
  CHECK(keepalives.size() == 3);
  n.p.net.run_for(2s);
  REQUIRE(keepalives.size() == 4);
  CHECK(sent.back().first == k3 + 35s);
  // A keepalive the I/O layer skipped (ESP went out) is not counted as sent.
  const uint64_t counted = n.p.left->engine->stats().nat_keepalives_sent;
  n.p.left->engine->keepalive_skipped(sa, n.p.net.now);
  CHECK(n.p.left->engine->stats().nat_keepalives_sent == counted - 1);

  // An IKE message defers it too: a DPD restarts the interval.
  n.p.net.run_for(5s);
  TimePoint dpd_at = n.p.net.now;
  REQUIRE(n.p.left->engine->send_dpd(sa, dpd_at));
  n.p.net.run_for(19s);
  CHECK(keepalives.size() == 4);
  n.p.net.run_for(2s);
  CHECK(keepalives.size() == 5);
  CHECK(sent.back().first == dpd_at + 20s);
}

TEST_CASE("NAT keepalives: 0 disables them", "[engine][nat][keepalive]") {
  NatPair n(0s);
  n.up();
  n.p.net.run_for(120s);
  CHECK(n.p.left->engine->stats().nat_keepalives_sent == 0);
  CHECK_FALSE(n.p.left->engine->next_timeout()); // no timer at all (no DPD, no lifetimes)
}

TEST_CASE("A NAT keepalive is counted, not dropped as malformed, on either port",
          "[engine][nat][keepalive]") {
  Pair p = Pair::psk();
  const uint8_t ka = 0xff;
  p.right->engine->receive(
      Datagram{{ip("10.0.0.2"), 4500}, {ip("10.0.0.1"), 4500}, true, ByteView(&ka, 1)}, p.net.now);
  CHECK(p.right->engine->stats().nat_keepalives_received == 1);
  CHECK(p.right->engine->stats().dropped_total() == 0);
  // On port 500 a lone 0xFF is no keepalive (RFC 3948 2.3 is about the NAT-T port).
  p.right->engine->receive(
      Datagram{{ip("10.0.0.2"), 500}, {ip("10.0.0.1"), 500}, false, ByteView(&ka, 1)}, p.net.now);
  CHECK(p.right->engine->stats().nat_keepalives_received == 1);
  CHECK(p.right->engine->stats().dropped_for(DropReason::malformed) == 1);
}

TEST_CASE("NAT mapping change: an authenticated message from the new mapping moves the IKE "
          "SA (RFC 7296 2.23)",
          "[engine][nat][mapping]") {
  NatPair n;
  n.up();
  SaId lsa = n.p.left->all<IkeSaUp>().at(0).sa;
  Endpoint before = n.p.right->all<IkeSaUp>().at(0).remote;
  n.nat.rebind(); // the NAT forgot left's mapping
  REQUIRE(n.p.left->engine->send_dpd(lsa, n.p.net.now));
  n.p.net.run_for(2s);
  // Right followed to the new port and answered there: left got the answer at once.
  REQUIRE(n.p.right->count<IkeSaMoved>() == 1);
  auto m = n.p.right->all<IkeSaMoved>()[0];
  CHECK(m.old_remote == before);
  CHECK(m.remote.address == ip("192.0.2.1"));
  CHECK(m.remote.port != before.port);
  CHECK(m.local == m.old_local);
  CHECK(m.reason == MoveReason::nat_mapping);
  CHECK(n.p.right->engine->list_sas().at(0).remote == m.remote);
  CHECK(n.p.right->engine->stats().peer_moves == 1);
  CHECK(n.p.left->engine->stats().retransmissions == 0);
  // Left, behind the NAT, sees no change of right's address and reports no move.
  CHECK(n.p.left->count<IkeSaMoved>() == 0);
  // Child SAs created later use the new endpoint.
  auto lsas = n.p.left->engine->list_sas();
  REQUIRE(n.p.left->engine->rekey_child(lsa, lsas.at(0).children.at(0).spi_in, n.p.net.now));
  REQUIRE(n.p.net.run_until([&] { return n.p.right->count<ChildSaUp>() == 2; }));
  CHECK(n.p.right->all<ChildSaUp>()[1].remote == m.remote);
}

TEST_CASE("NAT mapping change: a forged or replayed message from a new address moves nothing",
          "[engine][nat][mapping]") {
  NatPair n;
  std::vector<Bytes> from_left; // IKE messages left sent (after the NAT)
  n.p.net.tap = [&](Bytes& data, const Transmit& t) {
    if (t.local.address == ip("10.0.0.1") && !t.keepalive) from_left.push_back(data);
    return true;
  };
  n.up();
  SaId lsa = n.p.left->all<IkeSaUp>().at(0).sa;
  REQUIRE(n.p.left->engine->send_dpd(lsa, n.p.net.now));
  n.p.net.run_for(2s);
  Bytes dpd = from_left.back();
  Endpoint where = n.p.right->engine->list_sas().at(0).remote;
  const Endpoint attacker{ip("198.51.100.7"), 4500}, right_nat_t{ip("10.0.0.2"), 4500};
  auto stats_before = n.p.right->engine->stats();

  auto& st = n.p.right->engine->stats();
  // 1. A new message ID (the header is covered by the ICV, which no longer verifies).
  Bytes next = dpd;
  store_be32(next.data() + 20, load_be32(next.data() + 20) + 1);
  n.p.right->engine->receive(Datagram{right_nat_t, attacker, true, next}, n.p.net.now);
  CHECK(st.dropped_for(DropReason::integrity) ==
        stats_before.dropped_for(DropReason::integrity) + 1);
  // 2. The answered message ID with one ciphertext bit flipped: not the request answered.
  Bytes forged = dpd;
  forged[forged.size() - 20] ^= 0x01;
  n.p.right->engine->receive(Datagram{right_nat_t, attacker, true, forged}, n.p.net.now);
  CHECK(st.dropped_for(DropReason::retransmit_mismatch) ==
        stats_before.dropped_for(DropReason::retransmit_mismatch) + 1);
  // 3. The real DPD replayed from elsewhere: answered from the cache (RFC 7296 2.1), never
  //    decrypted, so no proof it came from the peer.
  n.p.right->engine->receive(Datagram{right_nat_t, attacker, true, dpd}, n.p.net.now);
  CHECK(st.retransmits_answered == stats_before.retransmits_answered + 1);

  CHECK(n.p.right->count<IkeSaMoved>() == 0);
  CHECK(n.p.right->engine->list_sas().at(0).remote == where);
  CHECK(n.p.right->engine->stats().peer_moves == 0);
  n.p.right->engine->on_timeout(n.p.net.now); // nothing due; the SA still answers left
  REQUIRE(n.p.left->engine->send_dpd(lsa, n.p.net.now));
  n.p.net.run_for(2s);
  CHECK(n.p.left->engine->stats().retransmissions == 0);
}

TEST_CASE("NAT mapping change: the side behind the NAT does not follow the peer "
          "(RFC 7296 2.23 SHOULD NOT)",
          "[engine][nat][mapping]") {
  NatPair n;
  n.up();
  SaId rsa = n.p.right->all<IkeSaUp>().at(0).sa;
  // Right's messages suddenly arrive from another address: left is behind a NAT and
  // keeps its configured peer.
  n.p.net.route = [&](Datagram& d) {
    n.nat(d);
    if (d.remote.address == ip("10.0.0.2")) d.remote = Endpoint{ip("10.0.0.9"), 4500};
  };
  REQUIRE(n.p.right->engine->send_dpd(rsa, n.p.net.now));
  n.p.net.run_for(2s);
  CHECK(n.p.left->count<IkeSaMoved>() == 0);
  CHECK(n.p.left->engine->list_sas().at(0).remote == Endpoint{ip("10.0.0.2"), 4500});
  CHECK(n.p.right->engine->stats().retransmissions == 0); // the DPD was answered
}

TEST_CASE("NAT mapping change: ESP the data plane authenticated from a new source moves the "
          "IKE SA as an IKE message would (RFC 3948, RFC 7296 2.23)",
          "[engine][nat][mapping]") {
  NatPair n;
  std::vector<Endpoint> right_sent_to;
  n.p.net.tap = [&](Bytes&, const Transmit& t) {
    if (t.local.address == ip("10.0.0.2")) right_sent_to.push_back(t.remote);
    return true;
  };
  n.up();
  SaId lsa = n.p.left->all<IkeSaUp>().at(0).sa;
  SaId rsa = n.p.right->all<IkeSaUp>().at(0).sa;
  Endpoint before = n.p.right->engine->list_sas().at(0).remote;
  const Endpoint mapping{ip("192.0.2.1"), uint16_t(before.port + 7)};
  n.p.right->engine->esp_arrived_from(9999, mapping, n.p.net.now); // no such SA: ignored
  n.p.net.run_for(10ms);                                           // the events are collected
  CHECK(n.p.right->count<IkeSaMoved>() == 0);
  n.p.right->engine->esp_arrived_from(rsa, mapping, n.p.net.now);
  n.p.net.run_for(10ms);
  REQUIRE(n.p.right->count<IkeSaMoved>() == 1);
  auto m = n.p.right->all<IkeSaMoved>()[0];
  CHECK(m.old_remote == before);
  CHECK(m.remote == mapping);
  CHECK(m.reason == MoveReason::nat_mapping);
  CHECK(n.p.right->engine->stats().peer_moves == 1);
  // IKE follows too: right's next request goes to the new mapping.
  right_sent_to.clear();
  REQUIRE(n.p.right->engine->send_dpd(rsa, n.p.net.now));
  n.p.net.run_for(100ms);
  REQUIRE_FALSE(right_sent_to.empty());
  CHECK(right_sent_to.front() == mapping);
  // Left is behind the NAT: ESP from elsewhere never moves it (RFC 7296 2.23 SHOULD NOT).
  n.p.left->engine->esp_arrived_from(lsa, Endpoint{ip("10.0.0.9"), 4500}, n.p.net.now);
  n.p.net.run_for(10ms);
  CHECK(n.p.left->count<IkeSaMoved>() == 0);
  CHECK(n.p.left->engine->list_sas().at(0).remote == Endpoint{ip("10.0.0.2"), 4500});
}

TEST_CASE("NAT mapping change: with MOBIKE, ESP from a new source moves nothing (the initiator "
          "moves explicitly, RFC 4555)",
          "[engine][nat][mapping][mobike]") {
  NatPair n(20s, false, true);
  n.up();
  auto info = n.p.right->engine->list_sas().at(0);
  REQUIRE(info.mobike);
  REQUIRE(info.nat_t);
  n.p.right->engine->esp_arrived_from(info.sa, Endpoint{ip("192.0.2.1"), 61007}, n.p.net.now);
  n.p.net.run_for(10ms);
  CHECK(n.p.right->count<IkeSaMoved>() == 0);
  CHECK(n.p.right->engine->list_sas().at(0).remote == info.remote);
}

TEST_CASE("MOBIKE out of the NAT: IKE stays on port 4500 but ESP is no longer UDP-encapsulated "
          "(RFC 4555 3.5: NAT detection on the new path decides, not the port)",
          "[engine][nat][mobike]") {
  NatPair n(20s, false, true);
  n.up();
  SaId lsa = n.p.left->all<IkeSaUp>().at(0).sa;
  REQUIRE(n.p.right->all<ChildSaUp>().at(0).udp_encap);
  // Left moves to an address the NAT does not translate.
  const IpAddress outside_nat = ip("10.0.1.1");
  n.p.left->address = outside_nat;
  REQUIRE(n.p.left->engine->move_local(lsa, outside_nat, n.p.net.now));
  REQUIRE(n.p.net.run_until([&] { return n.p.right->count<IkeSaMoved>() == 1; }, 10s));
  n.p.net.run_for(1s);
  auto m = n.p.right->all<IkeSaMoved>()[0];
  CHECK(m.remote == Endpoint{outside_nat, 4500});
  CHECK_FALSE(m.udp_encap);
  for (Node* node : {n.p.left, n.p.right}) {
    auto info = node->engine->list_sas().at(0);
    CHECK(info.nat_t); // IKE keeps the NAT-T port (RFC 4555 3.5)
    CHECK(info.encap == Encap::none);
    REQUIRE(info.children.size() == 1);
    CHECK_FALSE(info.children[0].udp_encap);
  }
}

// RFC 4555 3.5: the initiator moves before it has the peer's NAT detection for the new
// path; the UPDATE_SA_ADDRESSES response brings it, and a change of the Child SAs'
// encapsulation then comes as its own event (the endpoints stay), for its data plane.
TEST_CASE("MOBIKE: the initiator's encapsulation follows the response's NAT detection "
          "(ike_sa_encap_changed), out of the NAT and back into it",
          "[engine][nat][mobike]") {
  NatPair n(20s, false, true);
  n.up();
  SaId lsa = n.p.left->all<IkeSaUp>().at(0).sa;
  REQUIRE(n.p.left->all<ChildSaUp>().at(0).udp_encap);
  const IpAddress outside_nat = ip("10.0.1.1"), inside = ip("10.0.0.1");
  n.p.left->address = outside_nat;
  REQUIRE(n.p.left->engine->move_local(lsa, outside_nat, n.p.net.now));
  REQUIRE(n.p.net.run_until([&] { return n.p.left->count<IkeSaEncapChanged>() == 1; }, 10s));
  // The move itself still carries the old path's value (nothing known yet) ...
  REQUIRE(n.p.left->count<IkeSaMoved>() == 1);
  CHECK(n.p.left->all<IkeSaMoved>()[0].udp_encap);
  // ... the response's NAT detection found none on the new path.
  auto c = n.p.left->all<IkeSaEncapChanged>()[0];
  CHECK(c.sa == lsa);
  CHECK(c.peer == "home");
  CHECK(c.local == Endpoint{outside_nat, 4500});
  CHECK(c.remote == Endpoint{ip("10.0.0.2"), 4500});
  CHECK(c.old_encap == Encap::nat);
  CHECK(c.encap == Encap::none);
  CHECK_FALSE(c.nat_local);
  CHECK_FALSE(c.nat_remote);
  CHECK_FALSE(c.udp_encap);
  // The responder moved with the right value at once: no second event there.
  REQUIRE(n.p.right->count<IkeSaMoved>() == 1);
  CHECK_FALSE(n.p.right->all<IkeSaMoved>()[0].udp_encap);
  CHECK(n.p.right->count<IkeSaEncapChanged>() == 0);

  // Back behind the NAT: plain ESP becomes ESP in UDP again, nat_local.
  n.p.left->address = inside;
  REQUIRE(n.p.left->engine->move_local(lsa, inside, n.p.net.now));
  REQUIRE(n.p.net.run_until([&] { return n.p.left->count<IkeSaEncapChanged>() == 2; }, 10s));
  REQUIRE(n.p.left->count<IkeSaMoved>() == 2);
  CHECK_FALSE(n.p.left->all<IkeSaMoved>()[1].udp_encap);
  auto back = n.p.left->all<IkeSaEncapChanged>()[1];
  CHECK(back.local == Endpoint{inside, 4500});
  CHECK(back.old_encap == Encap::none);
  CHECK(back.encap == Encap::nat);
  CHECK(back.nat_local);
  CHECK_FALSE(back.nat_remote);
  CHECK(back.udp_encap);
  auto info = n.p.left->engine->list_sas().at(0);
  CHECK(info.encap == Encap::nat);
  CHECK(info.moves == 2); // an encapsulation change is no move
  REQUIRE(n.p.right->count<IkeSaMoved>() == 2);
  CHECK(n.p.right->all<IkeSaMoved>()[1].udp_encap);
  CHECK(n.p.right->count<IkeSaEncapChanged>() == 0);
}

// RFC 7296 2.23: only a peer behind a NAT has a mapping that can change. Left forces
// encapsulation with no NAT anywhere: right sees left "behind a NAT" (the fake hash)
// and follows ESP from left's new source; left, whose peer is behind none, does not
// follow right (a new source there is no NAT's doing), as strongSwan's kernel mapping
// job requires COND_NAT_THERE.
TEST_CASE("NAT mapping change: ESP from a new source of a peer behind no NAT moves nothing, "
          "also with our encapsulation forced",
          "[engine][nat][mapping]") {
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2");
  auto r = psk_peer("gw", "10.0.0.2", "10.0.0.1");
  l.force_encap = true;
  l.mobike = r.mobike = false; // RFC 7296 2.23 updates are for SAs without MOBIKE
  Pair p(config_with(l), config_with(r));
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  auto li = p.left->engine->list_sas().at(0);
  REQUIRE(li.encap == Encap::forced);
  REQUIRE_FALSE(li.nat_remote);
  p.left->engine->esp_arrived_from(li.sa, Endpoint{ip("10.0.0.2"), 4999}, p.net.now);
  p.net.run_for(10ms);
  CHECK(p.left->count<IkeSaMoved>() == 0);
  CHECK(p.left->engine->list_sas().at(0).remote == li.remote);
  CHECK(p.left->engine->stats().peer_moves == 0);
  auto ri = p.right->engine->list_sas().at(0);
  REQUIRE(ri.nat_remote);
  const Endpoint mapping{ip("10.0.0.1"), 4999};
  p.right->engine->esp_arrived_from(ri.sa, mapping, p.net.now);
  p.net.run_for(10ms);
  REQUIRE(p.right->count<IkeSaMoved>() == 1);
  CHECK(p.right->all<IkeSaMoved>()[0].remote == mapping);
}

// A tunnel that came up with no NAT and then moves behind one (RFC 4555 3.5): left
// starts on 10.0.0.1, where nothing translates it, and moves to 10.0.1.1, which the NAPT
// shows as 192.0.2.1. Both offer MOBIKE, so IKE is on port 4500 since IKE_AUTH
// (RFC 4555 3.3); the update's NAT detection turns ESP in UDP on for the Child SAs of
// both ends, and the next update, from outside the NAT again, turns it off.
namespace {

const IpAddress kOpen = ip("10.0.0.1"), kBehindNat = ip("10.0.1.1");

struct RoamIntoNat {
  Napt nat{kBehindNat, ip("192.0.2.1")};
  Pair p;
  // left_natd / right_natd: that end sends (and reads) NAT detection in IKE_SA_INIT;
  // without it on either end, IKE stays on port 500 until a MOBIKE update finds a NAT.
  explicit RoamIntoNat(uint64_t seed = 1, bool left_natd = true, bool right_natd = true)
      : p(config(psk_peer("home", "10.0.0.1", "10.0.0.2"), left_natd),
          config(psk_peer("gw", "10.0.0.2", "10.0.0.1"), right_natd), seed) {
    p.net.route = [this](Datagram& d) { nat(d); };
  }
  static Config config(PeerConfig peer, bool natd_in_init = true) {
    peer.nat_detection_in_init = natd_in_init;
    Config c = NatPair::config(std::move(peer), 20s, false, true);
    c.retransmit_timeout = 1s; // as the MOBIKE loss test: 10 tries survive 30% loss
    c.retransmit_tries = 10;
    return c;
  }
  SaId up() {
    p.initiate();
    REQUIRE(p.net.run_until([&] { return p.both_up(); }, 600s));
    return sa_of(p.left);
  }
  void move_left(const IpAddress& to, SaId sa) {
    p.left->address = to;
    REQUIRE(p.left->engine->move_local(sa, to, p.net.now));
  }
  IkeSaInfo left() const { return p.left->engine->list_sas().at(0); }
  IkeSaInfo right() const { return p.right->engine->list_sas().at(0); }
  // Both ends agree on `encap` and their Child SAs follow it.
  bool settled(Encap e) const {
    auto l = left(), r = right();
    return l.encap == e && r.encap == e && !l.children.empty() && !r.children.empty() &&
           l.children[0].udp_encap == (e != Encap::none) &&
           r.children[0].udp_encap == (e != Encap::none);
  }
};

} // namespace

TEST_CASE("MOBIKE into a NAT: a tunnel up without NAT moves behind one; the update's NAT "
          "detection turns ESP in UDP on at both ends, and off again outside it",
          "[engine][nat][mobike]") {
  RoamIntoNat n;
  SaId lsa = n.up();
  auto lu = n.p.left->all<IkeSaUp>().at(0);
  REQUIRE(lu.nat_t); // RFC 4555 3.3: IKE on 4500 already
  REQUIRE(lu.encap == Encap::none);
  REQUIRE_FALSE(n.p.right->all<ChildSaUp>().at(0).udp_encap);
  auto before = n.right();

  n.move_left(kBehindNat, lsa);
  REQUIRE(n.p.net.run_until([&] { return n.p.left->count<IkeSaEncapChanged>() == 1; }, 10s));
  // The responder moved to the NAT's mapping of left's port 4500, with ESP in UDP.
  REQUIRE(n.p.right->count<IkeSaMoved>() == 1);
  auto rm = n.p.right->all<IkeSaMoved>()[0];
  CHECK(rm.old_remote == Endpoint{kOpen, 4500});
  CHECK(rm.remote == Endpoint{ip("192.0.2.1"), 20000});
  CHECK(rm.local == Endpoint{ip("10.0.0.2"), 4500});
  CHECK(rm.encap == Encap::nat);
  CHECK(rm.udp_encap);
  CHECK(rm.nat_remote);
  CHECK_FALSE(rm.nat_local);
  CHECK(n.p.right->count<IkeSaEncapChanged>() == 0); // the move said it
  // The initiator moved first (old path's values), the response found the NAT.
  REQUIRE(n.p.left->count<IkeSaMoved>() == 1);
  CHECK_FALSE(n.p.left->all<IkeSaMoved>()[0].udp_encap);
  auto c = n.p.left->all<IkeSaEncapChanged>()[0];
  CHECK(c.local == Endpoint{kBehindNat, 4500});
  CHECK(c.remote == Endpoint{ip("10.0.0.2"), 4500});
  CHECK(c.old_encap == Encap::none);
  CHECK(c.encap == Encap::nat);
  CHECK(c.nat_local);
  CHECK_FALSE(c.nat_remote);
  CHECK(c.udp_encap);
  CHECK(n.settled(Encap::nat));
  CHECK(n.left().nat_local);
  CHECK(n.right().nat_remote);
  auto after = n.right();
  CHECK(after.spi_i == before.spi_i);
  CHECK(after.spi_r == before.spi_r);
  // Behind the NAT now: left keeps its mapping alive (RFC 3948 4), right does not.
  n.p.net.run_for(70s);
  CHECK(n.p.left->engine->stats().nat_keepalives_sent >= 3);
  CHECK(n.p.right->engine->stats().nat_keepalives_sent == 0);
  // Right's own requests reach left through the NAT mapping.
  REQUIRE(n.p.right->engine->send_dpd(after.sa, n.p.net.now));
  n.p.net.run_for(5s);
  CHECK(n.p.right->engine->stats().retransmissions == 0);

  // Out of the NAT again: plain ESP at both ends, the keepalives stop.
  n.move_left(kOpen, lsa);
  REQUIRE(n.p.net.run_until([&] { return n.p.left->count<IkeSaEncapChanged>() == 2; }, 10s));
  REQUIRE(n.p.right->count<IkeSaMoved>() == 2);
  auto back = n.p.right->all<IkeSaMoved>()[1];
  CHECK(back.remote == Endpoint{kOpen, 4500});
  CHECK(back.encap == Encap::none);
  CHECK_FALSE(back.udp_encap);
  CHECK_FALSE(back.nat_remote);
  auto off = n.p.left->all<IkeSaEncapChanged>()[1];
  CHECK(off.old_encap == Encap::nat);
  CHECK(off.encap == Encap::none);
  CHECK_FALSE(off.nat_local);
  CHECK_FALSE(off.udp_encap);
  CHECK(n.settled(Encap::none));
  uint64_t keepalives = n.p.left->engine->stats().nat_keepalives_sent;
  n.p.net.run_for(70s);
  CHECK(n.p.left->engine->stats().nat_keepalives_sent == keepalives);
  CHECK(n.left().moves == 2);
  CHECK(n.p.left->count<Failure>() + n.p.right->count<Failure>() == 0);
}

// Under loss: both ends settle on the same encapsulation, on the NAT-T port, same IKE SA.
TEST_CASE("MOBIKE into a NAT and out again under 30% loss, duplication, reordering, 100 seeds",
          "[engine][nat][mobike][loss]") {
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    INFO("seed " << seed);
    RoamIntoNat n(seed);
    n.p.net.loss = 0.3;
    n.p.net.duplicate = 0.1;
    n.p.net.reorder = 0.5;
    SaId lsa = n.up();
    auto before = n.right();
    n.move_left(kBehindNat, lsa);
    REQUIRE(n.p.net.run_until([&] { return n.settled(Encap::nat); }, 600s));
    CHECK(n.right().remote.address == ip("192.0.2.1"));
    // ESP in UDP where IKE is: on the NAT-T port at both ends (RFC 3948, RFC 4555 3.3).
    CHECK(n.left().local == Endpoint{kBehindNat, 4500});
    CHECK(n.right().local == Endpoint{ip("10.0.0.2"), 4500});
    n.move_left(kOpen, lsa);
    REQUIRE(n.p.net.run_until(
        [&] { return n.settled(Encap::none) && n.right().remote.address == kOpen; }, 600s));
    auto after = n.right();
    CHECK(after.spi_i == before.spi_i);
    CHECK(after.spi_r == before.spi_r);
    CHECK_FALSE(n.left().nat_local);
    CHECK_FALSE(after.nat_remote);
    CHECK(n.left().state == IkeSaState::established);
    CHECK(n.p.left->count<Failure>() + n.p.right->count<Failure>() == 0);
  }
}

// RFC 7296 2.23 and RFC 4555 3.5 with IKE still on port 500: one end sent no NAT
// detection in IKE_SA_INIT (right, as a peer without NAT traversal at setup, or left
// itself), so the initiator did not float at IKE_AUTH and ESP is plain; the peer answers
// NAT detection in the update. When the update's response finds the NAT, the initiator
// moves IKE and the Child SAs to port 4500 with ESP in UDP (ike_sa_moved, encap nat) and
// sends one more UPDATE_SA_ADDRESSES from there: the responder then moves from the NAT's
// mapping of port 500 to that of port 4500, where ESP in UDP and IKE come from.
namespace {

struct SentFrom {
  Endpoint from, to;
  bool nat_t;
};

// Sets up `n` without NAT detection at one end, checks IKE stayed on port 500, and
// moves left behind the NAT; returns the IKE SA's id at left.
SaId up_on_port_500_and_move(RoamIntoNat& n) {
  SaId lsa = n.up();
  for (Node* node : {n.p.left, n.p.right}) {
    INFO(node->name);
    auto u = node->all<IkeSaUp>().at(0);
    CHECK_FALSE(u.nat_t);
    CHECK(u.local.port == 500);
    CHECK(u.remote.port == 500);
    CHECK(u.encap == Encap::none);
    CHECK_FALSE(node->all<ChildSaUp>().at(0).udp_encap);
  }
  REQUIRE(n.left().mobike);
  n.move_left(kBehindNat, lsa);
  return lsa;
}

} // namespace

TEST_CASE("MOBIKE into a NAT with IKE on port 500 (no NAT detection in IKE_SA_INIT): the "
          "initiator floats to 4500 on the update's NAT detection, ESP in UDP, and updates "
          "again from there (RFC 7296 2.23, RFC 4555 3.5)",
          "[engine][nat][mobike]") {
  for (bool left_natd : {true, false}) {
    INFO((left_natd ? "the responder" : "the initiator") << " sent no NAT detection");
    RoamIntoNat n(1, left_natd, !left_natd);
    std::vector<SentFrom> sent;
    n.p.net.tap = [&sent](Bytes&, const Transmit& t) {
      sent.push_back({t.local, t.remote, t.nat_t});
      return true;
    };
    SaId lsa = up_on_port_500_and_move(n);
    auto before = n.right();
    REQUIRE(n.p.net.run_until([&] { return n.p.right->count<IkeSaMoved>() == 2; }, 10s));
    n.p.net.run_for(1s);
    const uint16_t map500 = n.nat.out.at(500), map4500 = n.nat.out.at(4500);
    // Left: the move (from port 500, nothing known), then the float with what the
    // response found; no separate encapsulation event (the move said it).
    REQUIRE(n.p.left->count<IkeSaMoved>() == 2);
    auto lm = n.p.left->all<IkeSaMoved>();
    CHECK(lm[0].local == Endpoint{kBehindNat, 500});
    CHECK(lm[0].encap == Encap::none);
    CHECK(lm[1].old_local == Endpoint{kBehindNat, 500});
    CHECK(lm[1].local == Endpoint{kBehindNat, 4500});
    CHECK(lm[1].old_remote == Endpoint{ip("10.0.0.2"), 500});
    CHECK(lm[1].remote == Endpoint{ip("10.0.0.2"), 4500});
    CHECK(lm[1].encap == Encap::nat);
    CHECK(lm[1].udp_encap);
    CHECK(lm[1].nat_local);
    CHECK_FALSE(lm[1].nat_remote);
    CHECK(n.p.left->count<IkeSaEncapChanged>() == 0);
    CHECK(n.p.left->engine->stats().mobike_updates_sent == 2);
    // Right: to the NAT's mapping of port 500 (found the NAT: ESP in UDP), then to that
    // of port 4500, on its own NAT-T port.
    auto rm = n.p.right->all<IkeSaMoved>();
    CHECK(rm[0].remote == Endpoint{ip("192.0.2.1"), map500});
    CHECK(rm[0].local == Endpoint{ip("10.0.0.2"), 500});
    CHECK(rm[0].encap == Encap::nat);
    CHECK(rm[0].nat_remote);
    CHECK(rm[1].old_remote == Endpoint{ip("192.0.2.1"), map500});
    CHECK(rm[1].remote == Endpoint{ip("192.0.2.1"), map4500});
    CHECK(rm[1].local == Endpoint{ip("10.0.0.2"), 4500});
    CHECK(rm[1].udp_encap);
    CHECK(n.p.right->engine->stats().mobike_updates_received == 2);
    CHECK(n.settled(Encap::nat));
    CHECK(n.left().nat_t);
    CHECK(n.right().nat_t);
    CHECK(n.right().spi_i == before.spi_i);
    CHECK(n.right().spi_r == before.spi_r);
    // After the float nothing of this IKE SA leaves from or to port 500 any more.
    auto first_4500 = std::find_if(sent.begin(), sent.end(), [](const SentFrom& s) {
      return s.from == Endpoint{kBehindNat, 4500};
    });
    REQUIRE(first_4500 != sent.end());
    for (auto it = first_4500; it != sent.end(); ++it) {
      INFO(it->from.to_string() << " -> " << it->to.to_string());
      CHECK(it->nat_t);
      CHECK(it->from.port != 500);
      CHECK(it->to.port != 500);
    }
    // Left is behind the NAT now: its keepalives hold the mapping, and right's own
    // requests reach it through that mapping.
    n.p.net.run_for(70s);
    CHECK(n.p.left->engine->stats().nat_keepalives_sent >= 3);
    CHECK(n.p.right->engine->stats().nat_keepalives_sent == 0);
    REQUIRE(n.p.right->engine->send_dpd(before.sa, n.p.net.now));
    n.p.net.run_for(5s);
    CHECK(n.p.right->engine->stats().retransmissions == 0);
    // Out of the NAT: plain ESP again, IKE stays on the NAT-T port (RFC 4555 3.5).
    n.move_left(kOpen, lsa);
    REQUIRE(n.p.net.run_until(
        [&] {
          return n.settled(Encap::none) && n.right().remote == Endpoint{kOpen, 4500};
        },
        10s));
    CHECK(n.left().nat_t);
    CHECK(n.left().moves == 3);
    CHECK(n.p.left->count<Failure>() + n.p.right->count<Failure>() == 0);
  }
}

TEST_CASE("MOBIKE into a NAT with IKE on port 500, under 30% loss, duplication, reordering, "
          "100 seeds",
          "[engine][nat][mobike][loss]") {
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    INFO("seed " << seed);
    RoamIntoNat n(seed, true, false);
    n.p.net.loss = 0.3;
    n.p.net.duplicate = 0.1;
    n.p.net.reorder = 0.5;
    SaId lsa = n.up();
    auto before = n.right();
    REQUIRE_FALSE(before.nat_t);
    n.move_left(kBehindNat, lsa);
    // Settled on ESP in UDP, IKE at both ends on the NAT-T port, right on the NAT's
    // mapping of left's port 4500.
    REQUIRE(n.p.net.run_until(
        [&] {
          return n.settled(Encap::nat) && n.right().local.port == 4500 && n.nat.out.count(4500) &&
                 n.right().remote == Endpoint{ip("192.0.2.1"), n.nat.out.at(4500)};
        },
        600s));
    CHECK(n.left().local == Endpoint{kBehindNat, 4500});
    CHECK(n.left().nat_t);
    CHECK(n.right().nat_t);
    n.move_left(kOpen, lsa);
    REQUIRE(n.p.net.run_until(
        [&] {
          return n.settled(Encap::none) && n.right().remote == Endpoint{kOpen, 4500};
        },
        600s));
    auto after = n.right();
    CHECK(after.spi_i == before.spi_i);
    CHECK(after.spi_r == before.spi_r);
    CHECK(n.left().state == IkeSaState::established);
    CHECK(n.p.left->count<Failure>() + n.p.right->count<Failure>() == 0);
  }
}
