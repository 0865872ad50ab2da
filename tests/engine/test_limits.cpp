// What a peer that has not authenticated can make a responder hold (RFC 7296 2.6,
// strongSwan's init_limit_half_open, block_threshold and max_packet; RFC 7383 fragments):
//
//   HDR, SAi1, KEi, Ni  -->  x6 from one address
//                       <--  5 answers (half_open_limit_per_ip 5), the 6th dropped
//
//   HDR, SAi1, KEi, Ni  -->
//                       <--  HDR, SAr1, KEr, Nr
//   HDR, SKF{1/65} ...  -->  dropped (max_fragments 64), no fragment kept
//   HDR, SKF{k/20} ...  -->  dropped once more than max_reassembly_bytes would be held
//
// Half-open SAs are counted on state changes: a finished IKE_AUTH or a half-open
// timeout gives the place back.
#include "craft.hpp"
#include "ike/engine_impl.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::ike;
using namespace ikekit::ike::test;

namespace {

bool is_answer(const Bytes& d) {
  auto m = wire::parse_message(d);
  return m && m->header.response() && m->find(wire::PayloadType::sa);
}

size_t answers(const std::vector<Bytes>& v) {
  return size_t(std::count_if(v.begin(), v.end(), is_answer));
}

// A responder that accepts any address, and a net with only it.
Config any_peer_responder() {
  auto r = psk_peer("gw", "10.0.0.2", "10.0.0.1");
  r.remote_address.reset();
  r.remote_id.reset();
  return config_with(r);
}

InitRequest init(uint64_t spi) {
  InitRequest r;
  r.spi_i = spi;
  return r;
}

} // namespace

TEST_CASE("half-open IKE SAs from one address are limited (strongSwan's block_threshold)",
          "[engine][limits][half_open]") {
  Net net;
  Node& right = net.add("right", "10.0.0.2", any_peer_responder(), 2); // defaults: 5 per address
  SeededRng rng(9);
  size_t answered = 0;
  for (uint64_t spi = 1; spi <= 6; ++spi)
    answered += answers(exchange(net, right, "10.0.0.1", craft_init_request(init(spi), rng)));
  CHECK(answered == 5);
  CHECK(right.engine->stats().dropped_for(DropReason::half_open_per_ip) == 1);
  // Another address is not affected.
  CHECK(answers(exchange(net, right, "10.0.0.3", craft_init_request(init(7), rng))) == 1);
  // The half-open timeout gives the places back, and the dead SAs go at once: a cached
  // IKE_SA_INIT response is never sent again.
  net.run_for(31s);
  CHECK_FALSE(right.engine->next_timeout());
  CHECK(answers(exchange(net, right, "10.0.0.1", craft_init_request(init(8), rng))) == 1);
}

TEST_CASE("half-open IKE SAs in total are limited (strongSwan's init_limit_half_open)",
          "[engine][limits][half_open]") {
  Config rc = any_peer_responder();
  rc.half_open_limit = 3;
  Net net;
  Node& right = net.add("right", "10.0.0.2", rc, 2);
  Node& left =
      net.add("left", "10.0.0.1", config_with(psk_peer("home", "10.0.0.1", "10.0.0.2")), 3);
  SeededRng rng(9);
  CHECK(answers(exchange(net, right, "10.9.0.1", craft_init_request(init(1), rng))) == 1);
  CHECK(answers(exchange(net, right, "10.9.0.2", craft_init_request(init(2), rng))) == 1);
  // A real peer takes the third place, and gives it back when IKE_AUTH is done.
  REQUIRE(left.engine->initiate("home", net.now));
  REQUIRE(net.run_until([&] { return left.count<ChildSaUp>() == 1; }));
  CHECK(answers(exchange(net, right, "10.9.0.3", craft_init_request(init(3), rng))) == 1);
  CHECK(answers(exchange(net, right, "10.9.0.4", craft_init_request(init(4), rng))) == 0);
  CHECK(right.engine->stats().dropped_for(DropReason::half_open_limit) == 1);
}

TEST_CASE("half-open limits apply after the COOKIE check: spoofed sources only get COOKIEs",
          "[engine][limits][cookie]") {
  Config rc = any_peer_responder();
  rc.force_cookies = true;
  rc.half_open_limit_per_ip = 1;
  Net net;
  Node& right = net.add("right", "10.0.0.2", rc, 2);
  SeededRng rng(9);
  for (uint64_t spi = 1; spi <= 10; ++spi) {
    auto out = exchange(net, right, "10.0.0.1", craft_init_request(init(spi), rng));
    REQUIRE(out.size() == 1);
    CHECK_FALSE(notify_data(out[0], wire::NotifyType::cookie).empty());
  }
  CHECK(right.engine->stats().cookies_sent == 10);
  CHECK(right.engine->stats().dropped_for(DropReason::half_open_per_ip) == 0);
}

TEST_CASE("engines sharing an AdmissionState count half-open SAs together (ike-up --threads)",
          "[engine][limits][half_open][cookie]") {
  // Two engines of one responder (shards 0 and 1 of 2), as io::IkeRunner runs them: the
  // per-address limit, the total and the COOKIE threshold hold for both together, and a
  // COOKIE from one opens the door at the other.
  Net net;
  SeededRng secret_rng(4);
  auto shared = std::make_shared<AdmissionState>(secret_rng, net.now);
  Config rc = any_peer_responder();
  rc.admission = shared;
  rc.half_open_limit_per_ip = 3;
  rc.cookie_threshold = 5;
  rc.shard = Shard{0, 2};
  Node& a = net.add("a", "10.0.0.2", rc, 2);
  rc.shard = Shard{1, 2};
  Node& b = net.add("b", "10.0.0.2", rc, 3);
  SeededRng rng(9);
  CHECK(answers(exchange(net, a, "10.0.0.1", craft_init_request(init(1), rng))) == 1);
  CHECK(answers(exchange(net, a, "10.0.0.1", craft_init_request(init(2), rng))) == 1);
  CHECK(answers(exchange(net, b, "10.0.0.1", craft_init_request(init(3), rng))) == 1);
  CHECK(shared->half_open_from(ip("10.0.0.1")) == 3);
  // The fourth from 10.0.0.1 is over the per-address limit at either engine.
  CHECK(answers(exchange(net, b, "10.0.0.1", craft_init_request(init(4), rng))) == 0);
  CHECK(b.engine->stats().dropped_for(DropReason::half_open_per_ip) == 1);
  CHECK(answers(exchange(net, b, "10.0.0.3", craft_init_request(init(5), rng))) == 1);
  CHECK(answers(exchange(net, a, "10.0.0.4", craft_init_request(init(6), rng))) == 1);
  CHECK(shared->half_open_total() == 5); // 3 at a, 2 at b: the threshold, together
  // Now COOKIEs: b asks, a accepts b's COOKIE.
  InitRequest q = init(7);
  q.nonce = Bytes(32, 7);
  auto asked = exchange(net, b, "10.0.0.5", craft_init_request(q, rng));
  REQUIRE(asked.size() == 1);
  q.cookie = notify_data(asked[0], wire::NotifyType::cookie);
  REQUIRE(q.cookie.size() == AdmissionState::kCookieSize);
  CHECK(answers(exchange(net, a, "10.0.0.5", craft_init_request(q, rng))) == 1);
  CHECK(shared->half_open_total() == 6);
  // An engine that goes takes its half-open SAs out of the shared counts.
  a.engine.reset();
  CHECK(shared->half_open_total() == 2);
  CHECK(shared->half_open_from(ip("10.0.0.1")) == 1);
}

TEST_CASE("a message above max_message_size is dropped before it is parsed", "[engine][limits]") {
  Net net;
  Node& right = net.add("right", "10.0.0.2", any_peer_responder(), 2);
  SeededRng rng(9);
  InitRequest big = init(1);
  big.vendor_pad = 10000; // the 60 KB IKE_SA_INIT of the probe, at the default limit
  CHECK(exchange(net, right, "10.0.0.1", craft_init_request(big, rng)).empty());
  CHECK(right.engine->stats().dropped_for(DropReason::too_large) == 1);
  InitRequest fits = init(2);
  fits.vendor_pad = 9000;
  CHECK(answers(exchange(net, right, "10.0.0.1", craft_init_request(fits, rng))) == 1);
}

namespace {

// left and right after IKE_SA_INIT, left's IKE_AUTH lost: right holds a half-open SA
// with keys, and the test has left's keys to forge fragments with.
struct HalfOpen {
  Pair p;
  IkeSaKeys keys;
  SeededRng rng{5};
  HalfOpen() : p(make()) {
    p.net.tap = [](Bytes& d, const Transmit&) {
      auto m = wire::parse_message(d);
      return !(m && m->header.exchange_type == wire::ExchangeType::ike_auth);
    };
    p.initiate();
    p.net.run_for(1s);
    const IkeSaKeys* k = ike_keys(*p.left);
    REQUIRE(k);
    keys = *k;
  }
  HalfOpen(const HalfOpen&) = delete;
  static Pair make() {
    auto l = config_with(psk_peer("home", "10.0.0.1", "10.0.0.2"));
    l.emit_keys = true;
    return Pair(l, config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1")));
  }
  // Returns the responder's count of fragments that decrypted.
  uint64_t fragment(uint16_t number, uint16_t total, size_t size) {
    Bytes content(size, 0x42);
    auto d = craft_fragment(keys, wire::ExchangeType::ike_auth, 1, number, total, content, rng);
    exchange(p.net, *p.right, "10.0.0.1", d);
    return p.right->engine->stats().fragments_received;
  }
};

} // namespace

TEST_CASE("fragments: a Total Fragments above max_fragments is refused before decryption",
          "[engine][limits][fragments]") {
  HalfOpen h;
  CHECK(h.fragment(1, 65, 100) == 0);
  CHECK(h.p.right->engine->stats().dropped_for(DropReason::too_many_fragments) == 1);
  CHECK(h.fragment(1, 64, 100) == 1);
}

TEST_CASE("fragments: one IKE SA holds at most max_reassembly_bytes of fragment data",
          "[engine][limits][fragments]") {
  HalfOpen h;
  // 11 x 1000 bytes: 10 fit the default 10000, the 11th abandons the message, so the
  // (junk) message is never reassembled and parsed.
  for (uint16_t n = 1; n <= 11; ++n)
    h.fragment(n, 11, 1000);
  const Stats& s = h.p.right->engine->stats();
  CHECK(s.dropped_for(DropReason::reassembly_limit) == 1);
  CHECK(s.dropped_for(DropReason::malformed) == 0);
  // What was held is given back: a new message starts from nothing.
  for (uint16_t n = 1; n <= 10; ++n)
    h.fragment(n, 10, 1000);
  CHECK(s.dropped_for(DropReason::reassembly_limit) == 1);
  CHECK(s.dropped_for(DropReason::malformed) == 1); // reassembled, junk inside
}

TEST_CASE("a dead IKE SA keeps only what answering a retransmission needs", "[engine][limits]") {
  SeededRng rng(3);
  Engine::Impl impl(Config{}, rng, TimePoint{std::chrono::hours(1)});
  auto fill = [&](IkeSa& sa) {
    REQUIRE(sa.hs); // an SA starts with its handshake state
    sa.hs->init_request = Bytes(10000, 1);
    sa.hs->init_response = Bytes(500, 2);
    sa.hs->ni = sa.hs->nr = Bytes(32, 3);
    sa.sk_d = SecretBytes(Bytes(32, 4));
    sa.hs->sk_pi = SecretBytes(Bytes(32, 5));
    Reassembly r;
    r.pieces.assign(20, Bytes(1000, 6));
    sa.reassembly[0] = std::move(r);
    sa.tasks.push_back(Task{RequestKind::dpd});
  };
  IkeSa& answered = impl.new_sa(nullptr, false);
  fill(answered);
  answered.last_response = {Bytes(300, 7)};
  answered.have_last_response = true;
  impl.remove_sa(answered, DownReason::failure);
  CHECK(answered.state == IkeSaState::dead);
  CHECK_FALSE(answered.hs); // IKE_SA_INIT messages, nonces, SK_pi
  CHECK(answered.sk_d.size() == 0);
  CHECK_FALSE(answered.reassembly[0]);
  CHECK(answered.tasks.empty());
  REQUIRE(answered.last_response.size() == 1); // for a retransmitted request
  CHECK(answered.dead_until > impl.now);

  IkeSa& silent = impl.new_sa(nullptr, true);
  fill(silent);
  impl.remove_sa(silent, DownReason::failure);
  CHECK(silent.dead_until == impl.now); // nothing to answer: gone at the next timeout
  impl.timeout();
  CHECK(impl.table.sas.size() == 1);
}
