// IKE in a TCP stream (RFC 9329) as the engine models it: Transmit::stream marks what the
// I/O layer frames into the connection; the initiator's source port is the kernel's
// (the simulated network gives it one, as a connect() would). UDP is blocked by a tap
// where a test needs it.
//
//   left 10.0.0.1 --UDP IKE_SA_INIT (dropped) ... tcp_fallback_after ... -->
//   left 10.0.0.1:40000 --TCP--> right 10.0.0.2:4500   IKE_SA_INIT, IKE_AUTH
#include "sim.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::ike;
using namespace ikekit::ike::test;

namespace {

struct Sent {
  TimePoint at;
  bool stream;
  bool from_left;
  bool tcp_originator;
  SaId sa;
  SaId connection; // RFC 9329 6.1: the IKE SA whose connection it goes on
  IpAddress local; // the sender's address
};

struct TcpPair {
  Pair p;
  std::vector<Sent> sent;
  bool block_udp = false;
  uint16_t ephemeral = 40000; // the initiator's TCP source port (a new one per connection)

  explicit TcpPair(IkeTransport t, Duration fallback = 2s)
      : p(config(psk_peer("home", "10.0.0.1", "10.0.0.2"), t, fallback),
          config(psk_peer("gw", "10.0.0.2", "10.0.0.1"), IkeTransport::udp, fallback)) {
    p.net.tap = [this](Bytes&, const Transmit& tr) {
      sent.push_back({p.net.now, tr.stream, !(tr.local.address == ip("10.0.0.2")),
                      tr.tcp_originator, tr.sa, tr.connection != 0 ? tr.connection : tr.sa,
                      tr.local.address});
      return tr.stream || !block_udp;
    };
    // The connection's far end as the responder sees it, and back (left's address may
    // change: MOBIKE).
    p.net.route = [this](Datagram& d) {
      if (!d.stream) return;
      if (d.remote.address == p.left->address) d.remote.port = ephemeral;
      if (d.local.address == p.left->address && d.local.port != ephemeral)
        d.local.address = ip("203.0.113.99"); // an old connection: gone
    };
  }
  static Config config(PeerConfig peer, IkeTransport t, Duration fallback) {
    peer.transport = t;
    peer.tcp_fallback_after = fallback;
    return config_with(std::move(peer));
  }
  size_t count(bool stream, bool from_left) const {
    return size_t(std::count_if(sent.begin(), sent.end(), [&](const Sent& s) {
      return s.stream == stream && s.from_left == from_left;
    }));
  }
  const IkeSaInfo& right_sa() {
    infos = p.right->engine->list_sas();
    REQUIRE(infos.size() == 1);
    return infos[0];
  }
  std::vector<IkeSaInfo> infos;
};

} // namespace

TEST_CASE("transport tcp: IKE_SA_INIT and IKE_AUTH go in the stream, both sides report it",
          "[engine][tcp]") {
  TcpPair t(IkeTransport::tcp);
  t.block_udp = true;
  t.p.initiate();
  REQUIRE(t.p.net.run_until([&] { return t.p.both_up(); }));
  auto lu = t.p.left->all<IkeSaUp>().at(0), ru = t.p.right->all<IkeSaUp>().at(0);
  CHECK(lu.stream);
  CHECK(ru.stream);
  CHECK(lu.remote.port == 4500);
  CHECK(ru.remote.port == 40000); // the connection's far end
  CHECK_FALSE(lu.nat_t);
  CHECK(lu.encap == Encap::none); // ESP goes in the stream, never in UDP
  CHECK_FALSE(ru.nat_remote);     // the initiator's source port is not in its NAT_D
  CHECK_FALSE(lu.nat_local);
  CHECK_FALSE(t.p.right->all<ChildSaUp>().at(0).udp_encap);
  CHECK(t.count(false, true) == 0);
  CHECK(t.count(false, false) == 0);
  CHECK(t.count(true, true) == 2); // IKE_SA_INIT, IKE_AUTH
  CHECK(std::all_of(t.sent.begin(), t.sent.end(),
                    [](const Sent& s) { return s.tcp_originator == s.from_left; }));
}

TEST_CASE("transport auto: UDP blocked, IKE_SA_INIT goes over to TCP after tcp_fallback_after",
          "[engine][tcp]") {
  TcpPair t(IkeTransport::auto_fallback, 2s);
  t.block_udp = true;
  TimePoint start = t.p.net.now;
  t.p.initiate();
  REQUIRE(t.p.net.run_until([&] { return t.p.both_up(); }));
  CHECK(t.p.left->all<IkeSaUp>().at(0).stream);
  CHECK(t.p.right->all<IkeSaUp>().at(0).stream);
  REQUIRE(t.count(false, true) == 1); // one IKE_SA_INIT on UDP, no retransmission
  CHECK(t.sent.at(0).at == start);
  auto first_tcp =
      std::find_if(t.sent.begin(), t.sent.end(), [](const Sent& s) { return s.stream; });
  REQUIRE(first_tcp != t.sent.end());
  CHECK(first_tcp->at - start == 2s);
  CHECK(t.p.left->engine->stats().retransmissions == 0);
}

TEST_CASE("transport auto: a fallback after the UDP timeout waits for the retransmission first",
          "[engine][tcp]") {
  // tcp_fallback_after 6 s > retransmit_timeout 4 s: one UDP retransmission at 4 s, TCP at 6 s.
  TcpPair t(IkeTransport::auto_fallback, 6s);
  t.block_udp = true;
  TimePoint start = t.p.net.now;
  t.p.initiate();
  REQUIRE(t.p.net.run_until([&] { return t.p.both_up(); }));
  CHECK(t.count(false, true) == 2);
  auto first_tcp =
      std::find_if(t.sent.begin(), t.sent.end(), [](const Sent& s) { return s.stream; });
  REQUIRE(first_tcp != t.sent.end());
  CHECK(first_tcp->at - start >= 6s);
  CHECK(first_tcp->at - start < 6s + 4s * 1.8);
}

TEST_CASE("transport auto: UDP passes, the IKE SA stays on UDP and nothing goes in a stream",
          "[engine][tcp]") {
  TcpPair t(IkeTransport::auto_fallback);
  t.p.initiate();
  REQUIRE(t.p.net.run_until([&] { return t.p.both_up(); }));
  CHECK_FALSE(t.p.left->all<IkeSaUp>().at(0).stream);
  CHECK_FALSE(t.p.right->all<IkeSaUp>().at(0).stream);
  CHECK(t.count(true, true) + t.count(true, false) == 0);
  t.p.net.run_for(10s); // no late fallback of an established SA
  CHECK(t.count(true, true) == 0);
}

TEST_CASE("over TCP no retransmission: one request, then the overall timeout fails it "
          "(RFC 9329 6.2)",
          "[engine][tcp]") {
  TcpPair t(IkeTransport::tcp);
  t.p.right->silent = true;
  TimePoint start = t.p.net.now;
  t.p.initiate();
  t.p.net.run_until([&] { return t.p.left->count<Failure>() > 0; });
  REQUIRE(t.p.left->count<Failure>() == 1);
  auto f = t.p.left->all<Failure>().at(0);
  CHECK(f.step == FailureStep::retransmit);
  CHECK(f.reason.find("TCP") != std::string::npos);
  CHECK(t.count(true, true) == 1);
  CHECK(t.p.left->engine->stats().retransmissions == 0);
  // the whole span UDP back-off would take: 4 s * (1 + 1.8 + ... + 1.8^5)
  CHECK(t.p.net.now - start > 100s);
}

TEST_CASE("a connection that never comes up fails IKE_SA_INIT at once (step connect), "
          "not after the overall timeout; an established IKE SA ignores it",
          "[engine][tcp]") {
  TcpPair t(IkeTransport::tcp);
  t.p.right->silent = true; // nothing answers: as if the connect never completed
  TimePoint start = t.p.net.now;
  SaId id = t.p.initiate();
  t.p.net.run_for(5s);
  REQUIRE(t.p.left->count<Failure>() == 0);
  t.p.left->engine->stream_unreachable(id, "tcp connect to 10.0.0.2:4500: timed out after 5000 ms",
                                       t.p.net.now);
  t.p.net.collect_all();
  REQUIRE(t.p.left->count<Failure>() == 1);
  auto f = t.p.left->all<Failure>().at(0);
  CHECK(f.step == FailureStep::connect);
  CHECK(f.reason.find("timed out after 5000 ms") != std::string::npos);
  CHECK(t.p.left->engine->list_sas().empty()); // never up: no ike_sa_down, just gone
  CHECK(t.p.net.now - start < 10s);
  t.p.net.run_for(120s); // the IKE SA is gone: no second failure at the overall timeout
  CHECK(t.p.left->count<Failure>() == 1);

  TcpPair u(IkeTransport::tcp);
  SaId up = u.p.initiate();
  REQUIRE(u.p.net.run_until([&] { return u.p.both_up(); }));
  u.p.left->engine->stream_unreachable(up, "tcp connect: refused", u.p.net.now);
  u.p.net.collect_all();
  CHECK(u.p.left->count<Failure>() == 0);
  CHECK(u.p.left->count<IkeSaDown>() == 0);
}

TEST_CASE("over TCP no NAT keepalives", "[engine][tcp]") {
  TcpPair t(IkeTransport::tcp);
  t.p.initiate();
  REQUIRE(t.p.net.run_until([&] { return t.p.both_up(); }));
  size_t before = t.sent.size();
  t.p.net.run_for(120s);
  CHECK(t.sent.size() == before);
  CHECK(t.p.left->engine->stats().nat_keepalives_sent == 0);
}

TEST_CASE("a broken connection: the originator re-establishes it with an INFORMATIONAL, the "
          "responder follows by SPIs, the IKE SA survives",
          "[engine][tcp]") {
  TcpPair t(IkeTransport::tcp);
  SaId id = t.p.initiate();
  REQUIRE(t.p.net.run_until([&] { return t.p.both_up(); }));
  uint64_t spi_i = t.right_sa().spi_i, spi_r = t.right_sa().spi_r;

  // The responder cannot reconnect: it sends nothing.
  size_t before = t.sent.size();
  t.p.right->engine->stream_broken(t.right_sa().sa, t.p.net.now);
  t.p.net.collect_all();
  CHECK(t.sent.size() == before);

  t.ephemeral = 40001; // the new connection
  t.p.left->engine->stream_broken(id, t.p.net.now);
  // At most once a second: a connection that keeps breaking is not a busy loop.
  t.p.left->engine->stream_broken(id, t.p.net.now);
  t.p.net.run_for(1s);
  REQUIRE(t.sent.size() == before + 2); // the INFORMATIONAL and its answer
  CHECK(t.sent[before].from_left);
  CHECK(t.sent[before].stream);
  CHECK(t.right_sa().remote.port == 40001);
  CHECK(t.right_sa().spi_i == spi_i);
  CHECK(t.right_sa().spi_r == spi_r);
  CHECK(t.right_sa().state == IkeSaState::established);
  CHECK(t.p.left->count<IkeSaDown>() == 0);
}

TEST_CASE("a UDP message for an IKE SA in a TCP stream is dropped (wrong_transport)",
          "[engine][tcp]") {
  TcpPair t(IkeTransport::tcp);
  Bytes copy;
  auto tap = t.p.net.tap;
  t.p.net.tap = [&](Bytes& b, const Transmit& tr) {
    if (tr.stream && tr.local.address == ip("10.0.0.2")) copy = b;
    return tap(b, tr);
  };
  t.p.initiate();
  REQUIRE(t.p.net.run_until([&] { return t.p.both_up(); }));
  REQUIRE_FALSE(copy.empty());
  Datagram d{Endpoint{ip("10.0.0.1"), 500}, Endpoint{ip("10.0.0.2"), 500}, false, copy};
  t.p.left->engine->receive(d, t.p.net.now);
  CHECK(t.p.left->engine->stats().dropped[size_t(DropReason::wrong_transport)] == 1);
}

TEST_CASE("RFC 9329 6.1: two IKE SAs to one peer each go on a connection of their own",
          "[engine][tcp]") {
  TcpPair t(IkeTransport::tcp);
  SaId a = t.p.initiate(), b = t.p.initiate();
  REQUIRE(a != b);
  t.p.net.run_for(1s);
  size_t of_a = 0, of_b = 0;
  for (const Sent& s : t.sent) {
    if (!s.from_left) continue;
    CHECK(s.connection == s.sa);
    of_a += s.sa == a;
    of_b += s.sa == b;
  }
  CHECK(of_a >= 2); // IKE_SA_INIT, IKE_AUTH
  CHECK(of_b >= 2);
}

// RFC 9329 6.1: the old IKE SA of a rekey shares its successor's connection (its Delete
// goes there, not on a new one); RFC 9329 6.1 (the originator re-establishes a broken
// connection) then holds for the rekeyed IKE SA: same SaId, new SPIs, Child SAs kept.
TEST_CASE("an IKE SA rekeyed over TCP: the old SA's Delete shares the connection; after a "
          "break the reconnect carries the new SPIs and the Child SAs stay",
          "[engine][tcp]") {
  TcpPair t(IkeTransport::tcp);
  SaId id = t.p.initiate();
  REQUIRE(t.p.net.run_until([&] { return t.p.both_up(); }));
  uint32_t child_in = t.p.left->all<ChildSaUp>().at(0).spi_in;
  size_t before = t.sent.size();
  REQUIRE(t.p.left->engine->rekey_ike(id, t.p.net.now).has_value());
  REQUIRE(t.p.net.run_until([&] {
    return t.p.left->count<IkeSaRekeyed>() == 1 && t.p.right->count<IkeSaRekeyed>() == 1 &&
           t.p.left->engine->list_sas().size() == 1 && t.p.right->engine->list_sas().size() == 1;
  }));
  t.p.net.run_for(1s); // the old IKE SA's Delete answered
  auto rekeyed = t.p.left->all<IkeSaRekeyed>().at(0);
  bool old_sa_sent = false;
  for (size_t i = before; i < t.sent.size(); ++i)
    if (t.sent[i].from_left) {
      CHECK(t.sent[i].connection == id);
      CHECK(t.sent[i].stream);
      old_sa_sent |= t.sent[i].sa != id; // the old IKE SA's Delete, under another SaId
    }
  CHECK(old_sa_sent);

  before = t.sent.size();
  t.ephemeral = 40001; // the new connection
  t.p.left->engine->stream_broken(id, t.p.net.now);
  t.p.net.run_for(1s);
  REQUIRE(t.sent.size() == before + 2); // the INFORMATIONAL and its answer
  CHECK(t.sent[before].connection == id);
  const IkeSaInfo& r = t.right_sa();
  CHECK(r.remote.port == 40001);
  CHECK(r.spi_i == rekeyed.new_spi_i);
  CHECK(r.spi_r == rekeyed.new_spi_r);
  CHECK(r.state == IkeSaState::established);
  auto left = t.p.left->engine->list_sas();
  REQUIRE(left.size() == 1);
  CHECK(left[0].sa == id);
  REQUIRE(left[0].children.size() == 1);
  CHECK(left[0].children[0].spi_in == child_in);
  CHECK(t.p.left->count<ChildSaDown>() == 0);
  CHECK(t.p.right->count<ChildSaDown>() == 0);
}

// RFC 9329 7.1 with RFC 4555 3.5: after a network change the initiator (the TCP
// originator) re-establishes the connection from its new address and sends
// UPDATE_SA_ADDRESSES in it; the responder moves the IKE SA (and so its Child SAs' ESP)
// to that connection. The old connection is left: nothing more goes on it.
//
//   left 10.0.1.1:40001 --TCP (new)--> right 10.0.0.2:4500
//     HDR, SK { N(UPDATE_SA_ADDRESSES), N(NAT_DETECTION_*), N(COOKIE2) }  -->
//                                 <--  HDR, SK { N(NAT_DETECTION_*), N(COOKIE2) }
TEST_CASE("MOBIKE over TCP: the initiator moves, UPDATE_SA_ADDRESSES goes in a new connection "
          "from the new address, the responder moves there (ike_sa_moved), SPIs kept",
          "[engine][tcp][mobike]") {
  TcpPair t(IkeTransport::tcp);
  SaId id = t.p.initiate();
  REQUIRE(t.p.net.run_until([&] { return t.p.both_up(); }));
  REQUIRE(t.p.left->engine->list_sas().at(0).mobike);
  const IkeSaInfo before = t.right_sa();
  const IpAddress moved_to = ip("10.0.1.1");

  size_t sent_before = t.sent.size();
  t.p.left->address = moved_to; // the old address is gone
  t.ephemeral = 40001;          // the new connection's source port
  REQUIRE(t.p.left->engine->move_local(id, moved_to, t.p.net.now));
  t.p.net.run_for(1s);
  REQUIRE(t.sent.size() == sent_before + 2); // the update and its answer, nothing else
  const Sent& update = t.sent[sent_before];
  CHECK(update.from_left);
  CHECK(update.stream);
  CHECK(update.tcp_originator); // no connection from there yet: the I/O layer opens one
  CHECK(update.connection == id);
  CHECK(update.local == moved_to);
  CHECK(t.sent[sent_before + 1].stream);

  const IkeSaInfo& after = t.right_sa();
  CHECK(after.remote == Endpoint{moved_to, 40001});
  CHECK(after.spi_i == before.spi_i);
  CHECK(after.spi_r == before.spi_r);
  CHECK(after.state == IkeSaState::established);
  CHECK(after.moves == before.moves + 1);
  REQUIRE(t.p.right->count<IkeSaMoved>() == 1);
  auto rm = t.p.right->all<IkeSaMoved>()[0];
  CHECK(rm.reason == MoveReason::mobike);
  CHECK(rm.remote == Endpoint{moved_to, 40001});
  REQUIRE(t.p.left->count<IkeSaMoved>() == 1);
  CHECK(t.p.left->all<IkeSaMoved>()[0].local.address == moved_to);
  CHECK(t.p.left->engine->stats().mobike_updates_sent == 1);
  CHECK(t.p.right->engine->stats().mobike_updates_received == 1);
  CHECK(t.p.left->engine->stats().dropped_total() == 0); // COOKIE2 echoed
  CHECK(t.p.left->count<IkeSaDown>() + t.p.right->count<IkeSaDown>() == 0);

  // The responder's own requests go on the new connection (it cannot open one).
  REQUIRE(t.p.right->engine->send_dpd(after.sa, t.p.net.now));
  t.p.net.run_for(1s);
  CHECK(t.p.right->engine->list_sas().at(0).state == IkeSaState::established);
  CHECK(t.p.right->count<IkeSaDown>() == 0);
}

// Over TCP nothing retransmits (RFC 9329 6.2): a request in flight on the connection the
// move leaves goes again at once on the new one, and the update follows its answer,
// rather than both waiting for the overall timeout.
TEST_CASE("MOBIKE over TCP: a request in flight when the initiator moves goes again on the new "
          "connection at once; the update follows",
          "[engine][tcp][mobike]") {
  TcpPair t(IkeTransport::tcp);
  SaId id = t.p.initiate();
  REQUIRE(t.p.net.run_until([&] { return t.p.both_up(); }));
  // The DPD leaves on the old connection; the path breaks before its answer arrives.
  REQUIRE(t.p.left->engine->send_dpd(id, t.p.net.now));
  t.p.net.collect_all();
  t.p.left->address = ip("10.0.1.1");
  t.ephemeral = 40001;
  REQUIRE(t.p.left->engine->move_local(id, ip("10.0.1.1"), t.p.net.now));
  REQUIRE(t.p.net.run_until([&] { return t.p.right->count<IkeSaMoved>() == 1; }, 3s));
  t.p.net.run_for(1s);
  CHECK(t.right_sa().remote == Endpoint{ip("10.0.1.1"), 40001});
  CHECK(t.p.right->engine->stats().retransmits_answered == 1); // the DPD, answered again
  CHECK(t.p.left->engine->list_sas().at(0).state == IkeSaState::established);
  CHECK(t.p.left->count<IkeSaDown>() == 0);
}
