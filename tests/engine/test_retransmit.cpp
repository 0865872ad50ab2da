// RFC 7296 2.1 and 2.3: retransmission with back-off, give-up, the response cache, and
// the message ID window (size 1).
//
//   HDR, SAi1, KEi, Ni  -->  (lost)
//   ... timeout ...
//   HDR, SAi1, KEi, Ni  -->  (retransmission, same bytes)
//   ...                      after `tries` retransmissions: Failure(step retransmit)
#include "sim.hpp"
#include "wire/message.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::ike;
using namespace ikekit::ike::test;

TEST_CASE("silent peer: exponential back-off, then give up with the retransmission count",
          "[engine][retransmit]") {
  auto l = config_with(psk_peer("home", "10.0.0.1", "10.0.0.2"));
  l.retransmit_timeout = 1s;
  l.retransmit_factor = 2.0;
  l.retransmit_tries = 3;
  Pair p(l, config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1")));
  p.right->silent = true;
  std::vector<TimePoint> sent_at;
  std::vector<Bytes> sent;
  p.net.tap = [&](Bytes& d, const Transmit&) {
    sent_at.push_back(p.net.now);
    sent.push_back(d);
    return true;
  };
  TimePoint start = p.net.now;
  p.initiate();
  p.net.run_for(60s);
  REQUIRE(sent.size() == 4);
  for (auto& s : sent)
    CHECK(s == sent[0]); // retransmissions are the same bytes
  CHECK(sent_at[1] - start == 1s);
  CHECK(sent_at[2] - start == 3s); // + 2s
  CHECK(sent_at[3] - start == 7s); // + 4s
  auto f = p.left->all<Failure>();
  REQUIRE(f.size() == 1);
  CHECK(f[0].exchange == "ike_sa_init");
  CHECK(f[0].step == "retransmit");
  CHECK(f[0].retransmits == 3);
  CHECK(p.left->engine->stats().retransmissions == 3);
  CHECK(p.left->engine->list_sas().empty());
}

TEST_CASE("a retransmitted request is answered from the cache; stale ones are dropped",
          "[engine][retransmit]") {
  Pair p = Pair::psk();
  // Duplicate every datagram: the responder sees each request twice.
  p.net.duplicate = 1.0;
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  p.net.run_for(1s);
  CHECK(p.left->count<IkeSaUp>() == 1);
  CHECK(p.right->count<IkeSaUp>() == 1);
  CHECK(p.right->engine->stats().retransmits_answered >= 2);
  // Duplicate responses at the initiator are dropped as duplicates.
  CHECK(p.left->engine->stats().dropped_for(DropReason::duplicate) >= 2);
}

TEST_CASE("IKE_AUTH response lost: the initiator retransmits, the responder answers from its cache",
          "[engine][retransmit]") {
  Pair p = Pair::psk();
  bool dropped = false;
  p.net.tap = [&](Bytes& d, const Transmit&) {
    auto m = wire::parse_message(d);
    if (!dropped && m && m->header.exchange_type == wire::ExchangeType::ike_auth &&
        m->header.response()) {
      dropped = true;
      return false;
    }
    return true;
  };
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  CHECK(p.left->engine->stats().retransmissions == 1);
  CHECK(p.right->engine->stats().retransmits_answered == 1);
  CHECK(p.right->count<IkeSaUp>() == 1);
}

TEST_CASE("garbage and tampered messages are dropped and counted, never fatal",
          "[engine][robustness]") {
  Pair p = Pair::psk();
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  Engine& e = *p.right->engine;
  Datagram dg{Endpoint{ip("10.0.0.2"), 500}, Endpoint{ip("10.0.0.1"), 500}, false, {}};
  Bytes junk{1, 2, 3};
  dg.data = junk;
  e.receive(dg, p.net.now);
  CHECK(e.stats().dropped_for(DropReason::malformed) == 1);
  // A message for an unknown SA.
  Bytes unknown(28, 0);
  unknown[0] = 1;
  unknown[8] = 2;
  unknown[17] = 0x20;
  unknown[18] = 37;
  unknown[19] = 0x08;
  unknown[27] = 28;
  dg.data = unknown;
  e.receive(dg, p.net.now);
  CHECK(e.stats().dropped_for(DropReason::unknown_sa) == 1);
  // A DPD request with a flipped ciphertext bit.
  auto id = p.left->all<IkeSaUp>()[0].sa;
  REQUIRE(p.left->engine->send_dpd(id, p.net.now));
  Bytes buf(65535);
  auto t = p.left->engine->poll_transmit(buf);
  REQUIRE(t);
  Bytes msg(buf.begin(), buf.begin() + long(t->size));
  msg[msg.size() - 3] ^= 1;
  dg.data = msg;
  e.receive(dg, p.net.now);
  CHECK(e.stats().dropped_for(DropReason::integrity) == 1);
  CHECK(p.right->engine->list_sas().size() == 1);
}

namespace {
// The IKE_AUTH request as the responder received it (captured on the way).
struct AuthRequestCapture {
  Pair p = Pair::psk();
  Bytes request;
  AuthRequestCapture() {
    p.net.tap = [this](Bytes& d, const Transmit& t) {
      auto m = wire::parse_message(d);
      if (m && m->header.exchange_type == wire::ExchangeType::ike_auth && !m->header.response() &&
          t.remote.address == ip("10.0.0.2"))
        request = d;
      return true;
    };
    p.initiate();
    REQUIRE(p.net.run_until([&] { return p.both_up(); }));
    REQUIRE_FALSE(request.empty());
  }
  // Hands `d` to the responder; returns how many datagrams it sent back.
  size_t deliver(const Bytes& d) {
    Engine& e = *p.right->engine;
    e.receive(Datagram{Endpoint{ip("10.0.0.2"), 500}, Endpoint{ip("10.0.0.1"), 500}, false, d},
              p.net.now);
    size_t n = 0;
    Bytes buf(65535);
    while (e.poll_transmit(buf))
      ++n;
    return n;
  }
};
} // namespace

TEST_CASE("forged requests with the answered message ID get no cached response (RFC 7296 2.1)",
          "[engine][retransmit]") {
  AuthRequestCapture c;
  // The probe's 72-byte datagrams: the SPIs and message ID of the answered IKE_AUTH, an
  // SK payload of junk. Before the fix each one made the responder send its response.
  Bytes forged(c.request.begin(), c.request.begin() + 28);
  forged.resize(72, 0xee);
  store_be32(forged.data() + 24, 72);
  forged[28] = 35; // SK: Next Payload IDi, then its generic header
  forged[29] = 0;
  store_be16(forged.data() + 30, 72 - 28);
  size_t sent = 0;
  for (int i = 0; i < 100; ++i)
    sent += c.deliver(forged);
  CHECK(sent == 0);
  // One byte changed in the real request is not the same request either.
  Bytes changed = c.request;
  changed.back() ^= 1;
  CHECK(c.deliver(changed) == 0);
  const Stats& s = c.p.right->engine->stats();
  CHECK(s.retransmits_answered == 0);
  CHECK(s.dropped_for(DropReason::retransmit_mismatch) == 101);
}

TEST_CASE("exact retransmissions are answered at a bounded rate per IKE SA",
          "[engine][retransmit]") {
  AuthRequestCapture c;
  size_t sent = 0;
  for (int i = 0; i < 10; ++i)
    sent += c.deliver(c.request);
  CHECK(sent == 3); // the burst
  CHECK(c.p.right->engine->stats().dropped_for(DropReason::retransmit_rate) == 7);
  c.p.net.now += 1s; // one more answer per second
  CHECK(c.deliver(c.request) == 1);
  CHECK(c.deliver(c.request) == 0);
  CHECK(c.p.right->engine->stats().retransmits_answered == 4);
}

TEST_CASE("a deleted IKE SA still answers the retransmitted Delete, without its keys",
          "[engine][retransmit][informational]") {
  Pair p = Pair::psk();
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  int dropped = 0;
  p.net.tap = [&](Bytes& d, const Transmit& t) {
    auto m = wire::parse_message(d);
    bool answer = m && m->header.exchange_type == wire::ExchangeType::informational &&
                  m->header.response() && t.remote.address == ip("10.0.0.1");
    return !(answer && dropped++ == 0);
  };
  REQUIRE(p.left->engine->terminate(p.left->all<IkeSaUp>()[0].sa, p.net.now));
  REQUIRE(p.net.run_until([&] { return p.left->count<IkeSaDown>() == 1; }));
  CHECK(p.left->all<IkeSaDown>()[0].reason == "deleted locally");
  CHECK(p.right->all<IkeSaDown>()[0].reason == "deleted by peer");
  CHECK(p.right->engine->stats().retransmits_answered == 1);
}
