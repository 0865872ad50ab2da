// RFC 7296 1.2, 2.6, 2.7: IKE_SA_INIT outcomes other than the straight answer.
//
//   INVALID_KE_PAYLOAD (1.2):
//   HDR, SAi1, KEi(x25519), Ni  -->
//                          <--  HDR, N(INVALID_KE_PAYLOAD, ecp256)
//   HDR, SAi1, KEi(ecp256), Ni  -->
//                          <--  HDR, SAr1, KEr, Nr
//
//   COOKIE (2.6):
//   HDR, SAi1, KEi, Ni  -->
//                          <--  HDR, N(COOKIE)
//   HDR, N(COOKIE), SAi1, KEi, Ni  -->
//                          <--  HDR, SAr1, KEr, Nr
//
//   NO_PROPOSAL_CHOSEN (2.7):
//   HDR, SAi1, KEi, Ni  -->
//                          <--  HDR, N(NO_PROPOSAL_CHOSEN)
#include "craft.hpp"
#include "ike/init_screen.hpp"
#include "sim.hpp"
#include "wire/message.hpp"
#include "wire/payload_notify.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::ike;
using namespace ikekit::ike::test;

namespace {
// Notify types in an unencrypted IKE_SA_INIT message.
std::vector<wire::NotifyType> notifies_of(const Bytes& d) {
  std::vector<wire::NotifyType> v;
  auto m = wire::parse_message(d);
  if (!m) return v;
  for (auto& p : m->payloads)
    if (p.type == uint8_t(wire::PayloadType::n))
      if (auto n = wire::parse_notify(p.body)) v.push_back(n->type);
  return v;
}
} // namespace

TEST_CASE("IKE_SA_INIT carries NAT_D, fragmentation and signature hash notifies",
          "[engine][ike_sa_init]") {
  Pair p = Pair::psk();
  std::vector<Bytes> sent;
  p.net.tap = [&](Bytes& d, const Transmit&) {
    sent.push_back(d);
    return true;
  };
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  REQUIRE(sent.size() == 4);
  using wire::NotifyType;
  for (int i : {0, 1}) {
    auto n = notifies_of(sent[size_t(i)]);
    CHECK(std::count(n.begin(), n.end(), NotifyType::nat_detection_source_ip) == 1);
    CHECK(std::count(n.begin(), n.end(), NotifyType::nat_detection_destination_ip) == 1);
    CHECK(std::count(n.begin(), n.end(), NotifyType::ikev2_fragmentation_supported) == 1);
    CHECK(std::count(n.begin(), n.end(), NotifyType::signature_hash_algorithms) == 1);
  }
}

TEST_CASE("INVALID_KE_PAYLOAD: the initiator retries with the group the responder asks for",
          "[engine][ike_sa_init]") {
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2", "aes256gcm16-prfsha256-x25519-ecp256");
  auto r = psk_peer("gw", "10.0.0.2", "10.0.0.1", "aes256gcm16-prfsha256-ecp256");
  Pair p(config_with(l), config_with(r));
  int init_requests = 0;
  p.net.tap = [&](Bytes& d, const Transmit&) {
    auto m = wire::parse_message(d);
    if (m && m->header.exchange_type == wire::ExchangeType::ike_sa_init && !m->header.response())
      ++init_requests;
    return true;
  };
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  CHECK(init_requests == 2);
  CHECK(p.left->all<IkeSaUp>()[0].ke == "ecp256");
  CHECK(p.left->count<Failure>() == 0);
}

TEST_CASE("INVALID_KE_PAYLOAD for a group we do not propose is a Failure",
          "[engine][ike_sa_init]") {
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2", "aes256gcm16-prfsha256-x25519");
  // Responder accepts both but prefers ecp256 only if offered: offer x25519 only -> it
  // selects x25519. Make it insist on ecp256 by configuring two proposals.
  auto r = psk_peer("gw", "10.0.0.2", "10.0.0.1", "aes256gcm16-prfsha256-ecp256");
  Pair p(config_with(l), config_with(r));
  p.initiate();
  p.net.run_for(30s);
  auto lf = p.left->all<Failure>();
  REQUIRE(lf.size() == 1);
  // The responder found no proposal with a common group at all.
  CHECK(lf[0].step == FailureStep::proposal);
  CHECK(lf[0].from_peer);
  CHECK(lf[0].notify == wire::NotifyType::no_proposal_chosen);
}

TEST_CASE("COOKIE: a responder under load asks for a cookie, the initiator repeats with it",
          "[engine][ike_sa_init][cookie]") {
  auto r = config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1"));
  r.force_cookies = true;
  Pair p(config_with(psk_peer("home", "10.0.0.1", "10.0.0.2")), r);
  std::vector<std::vector<wire::NotifyType>> init_msgs;
  p.net.tap = [&](Bytes& d, const Transmit&) {
    auto m = wire::parse_message(d);
    if (m && m->header.exchange_type == wire::ExchangeType::ike_sa_init)
      init_msgs.push_back(notifies_of(d));
    return true;
  };
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  REQUIRE(init_msgs.size() == 4);
  CHECK(init_msgs[1] == std::vector<wire::NotifyType>{wire::NotifyType::cookie});
  REQUIRE_FALSE(init_msgs[2].empty());
  CHECK(init_msgs[2][0] == wire::NotifyType::cookie); // first payload (2.6)
  CHECK(p.right->engine->stats().cookies_sent == 1);
}

// RFC 7296 2.6 with 2.1, as a multi-core responder meets it (io::EngineDispatcher: the
// socket thread's InitScreen answers COOKIEs before the engine sees a request):
//   HDR, SAi1, KEi, Ni            -->  engine: half-open SA (now at the COOKIE threshold)
//                                 <--  HDR, SAr1, KEr, Nr   (lost)
//   HDR, SAi1, KEi, Ni  (again)   -->  screen
//                                 <--  HDR, N(COOKIE)       (screen)
//   HDR, N(COOKIE), SAi1, KEi, Ni -->  engine: the same request, now with the COOKIE
//                                 <--  HDR, SAr1, KEr, Nr   (the cached response)
// The retry must not be taken for a forged retransmission (retransmit_mismatch) until
// the half-open SA expires; and AUTH then covers the request with the COOKIE (2.15).
TEST_CASE("COOKIE retry after a lost IKE_SA_INIT response is answered from the cache",
          "[engine][ike_sa_init][cookie]") {
  Net net;
  SeededRng secret_rng(4), screen_rng(5);
  auto shared = std::make_shared<AdmissionState>(secret_rng, net.now);
  auto rc = config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1"));
  rc.admission = shared;
  rc.cookie_threshold = 1; // the first request's own half-open SA reaches it
  Node& right = net.add("right", "10.0.0.2", rc, 7);
  Node& left =
      net.add("left", "10.0.0.1", config_with(psk_peer("home", "10.0.0.1", "10.0.0.2")), 8);
  InitScreen screen(rc, shared, screen_rng);
  bool response_lost = false;
  std::vector<Bytes> screen_answers;
  net.tap = [&](Bytes& d, const Transmit& t) {
    auto h = wire::parse_header(d);
    if (!h || h->exchange_type != wire::ExchangeType::ike_sa_init) return true;
    if (h->response()) {
      if (response_lost) return true;
      return response_lost = true, false;
    }
    Bytes answer(InitScreen::kMaxAnswer);
    auto o = screen.screen(d, t.local.address, net.now, answer);
    if (o.verdict != InitScreen::Verdict::answer) return true; // handed to the engine
    answer.resize(o.answer_size);
    screen_answers.push_back(std::move(answer));
    return false;
  };
  REQUIRE(left.engine->initiate("home", net.now));
  REQUIRE(net.run_until([&] { return !screen_answers.empty(); }, 10s));
  CHECK(response_lost);
  CHECK(shared->half_open_total() == 1);
  // The screen's N(COOKIE) reaches the initiator, which retries with it.
  left.engine->receive(datagram_to(left, "10.0.0.2", screen_answers.front()), net.now);
  net.collect(left);
  CHECK(net.run_until([&] { return left.count<ChildSaUp>() == 1 && right.count<ChildSaUp>() == 1; },
                      10s));
  CHECK(screen_answers.size() == 1);
  CHECK(right.engine->stats().dropped_for(DropReason::retransmit_mismatch) == 0);
  CHECK(right.engine->stats().retransmits_answered == 1);
  CHECK(left.count<Failure>() == 0);
  CHECK(right.count<Failure>() == 0);
}

// The same request with a COOKIE the secret did not make, or with another payload
// changed, is not the request answered: dropped, as any other mismatch.
TEST_CASE("a COOKIE retry that is not the answered request is still a mismatch",
          "[engine][ike_sa_init][cookie]") {
  Net net;
  SeededRng secret_rng(4);
  auto admission = std::make_shared<AdmissionState>(secret_rng, net.now);
  auto rc = config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1"));
  rc.admission = admission;
  Node& right = net.add("right", "10.0.0.2", rc, 7);
  SeededRng rng(9);
  InitRequest q;
  q.nonce = Bytes(32, 3);
  SeededRng same_ke(11), same_ke_again(11);
  Bytes first = craft_init_request(q, same_ke);
  REQUIRE(exchange(net, right, "10.0.0.1", first).size() == 1);
  // A valid COOKIE for this request, from the responder's own secret.
  Bytes cookie(AdmissionState::kCookieSize);
  cookie.resize(admission->make_cookie(q.nonce, ip("10.0.0.1"), q.spi_i, net.now, rng, cookie));
  InitRequest forged = q;
  forged.cookie = Bytes(AdmissionState::kCookieSize, 0x42);
  SeededRng ke_forged(11);
  CHECK(exchange(net, right, "10.0.0.1", craft_init_request(forged, ke_forged)).empty());
  InitRequest other = q;
  other.cookie = cookie;
  other.nonce = Bytes(32, 4); // not "all other payloads unchanged"
  SeededRng ke_other(11);
  CHECK(exchange(net, right, "10.0.0.1", craft_init_request(other, ke_other)).empty());
  CHECK(right.engine->stats().dropped_for(DropReason::retransmit_mismatch) == 2);
  InitRequest retry = q;
  retry.cookie = cookie;
  CHECK(exchange(net, right, "10.0.0.1", craft_init_request(retry, same_ke_again)).size() == 1);
  CHECK(right.engine->stats().retransmits_answered == 1);
}

TEST_CASE("COOKIE threshold: cookies once enough SAs are half-open", "[engine][cookie]") {
  auto r = config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1"));
  r.peers[0].remote_address.reset();
  r.peers[0].remote_id.reset();
  r.cookie_threshold = 1;
  Net net;
  Node& right = net.add("right", "10.0.0.2", r, 7);
  Node& a = net.add("a", "10.0.0.1", config_with(psk_peer("home", "10.0.0.1", "10.0.0.2")), 8);
  Node& b = net.add("b", "10.0.0.3", config_with(psk_peer("home", "10.0.0.3", "10.0.0.2")), 9);
  // a's IKE_AUTH never arrives: its SA stays half-open on the responder.
  net.tap = [&](Bytes& d, const Transmit& t) {
    auto m = wire::parse_message(d);
    return !(t.local.address == ip("10.0.0.1") && m &&
             m->header.exchange_type == wire::ExchangeType::ike_auth);
  };
  REQUIRE(a.engine->initiate("home", net.now));
  net.run_for(1s);
  REQUIRE(b.engine->initiate("home", net.now));
  REQUIRE(net.run_until([&] { return b.count<ChildSaUp>() == 1; }, 60s));
  CHECK(right.engine->stats().cookies_sent >= 1);
}

TEST_CASE("NO_PROPOSAL_CHOSEN: Failure with the offered and configured proposals on both sides",
          "[engine][ike_sa_init][proposal]") {
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2", "aes128-sha256-modp2048");
  auto r = psk_peer("gw", "10.0.0.2", "10.0.0.1", "aes256gcm16-prfsha256-ecp256");
  Pair p(config_with(l), config_with(r));
  p.initiate();
  p.net.run_for(30s);
  auto lf = p.left->all<Failure>(), rf = p.right->all<Failure>();
  REQUIRE(lf.size() == 1);
  REQUIRE(rf.size() == 1);
  CHECK(lf[0].exchange == wire::ExchangeType::ike_sa_init);
  CHECK(lf[0].step == FailureStep::proposal);
  CHECK(lf[0].from_peer);
  CHECK(lf[0].offered == std::vector<std::string>{"aes128-sha256-prfsha256-modp2048"});
  CHECK(rf[0].step == FailureStep::proposal);
  CHECK_FALSE(rf[0].from_peer);
  CHECK(rf[0].peer == "gw");
  CHECK(rf[0].offered == std::vector<std::string>{"aes128-sha256-prfsha256-modp2048"});
  CHECK(rf[0].configured == std::vector<std::string>{"aes256gcm16-prfsha256-ecp256"});
  CHECK(p.left->engine->list_sas().empty());
  CHECK(p.right->engine->list_sas().empty());
}

TEST_CASE("responder prefers its own proposal order (RFC 7296 2.7)", "[engine][proposal]") {
  auto l =
      psk_peer("home", "10.0.0.1", "10.0.0.2", "aes128-sha256-ecp256,aes256gcm16-prfsha256-ecp256");
  auto r =
      psk_peer("gw", "10.0.0.2", "10.0.0.1", "aes256gcm16-prfsha256-ecp256,aes128-sha256-ecp256");
  Pair p(config_with(l), config_with(r));
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  CHECK(p.left->all<IkeSaUp>()[0].encr == "aes256gcm16");
}

TEST_CASE("no connection for the peer's address: dropped and counted", "[engine][config]") {
  auto r = psk_peer("gw", "10.0.0.2", "10.9.9.9");
  Pair p(config_with(psk_peer("home", "10.0.0.1", "10.0.0.2")), config_with(r));
  p.initiate();
  p.net.run_for(5s);
  CHECK(p.right->engine->stats().dropped_for(DropReason::no_config) >= 1);
}

TEST_CASE("COOKIE secret rotates on engine time (RFC 7296 2.6): new version, old one briefly",
          "[engine][ike_sa_init][cookie]") {
  auto r = psk_peer("gw", "10.0.0.2", "10.0.0.1");
  auto rc = config_with(r);
  rc.force_cookies = true;
  Net net;
  Node& right = net.add("right", "10.0.0.2", rc, 2);
  SeededRng rng(9);
  auto request = [&](uint64_t spi, const Bytes& cookie = {}) {
    InitRequest q;
    q.spi_i = spi;
    q.nonce = Bytes(32, uint8_t(spi));
    q.cookie = cookie;
    auto out = exchange(net, right, "10.0.0.1", craft_init_request(q, rng));
    REQUIRE(out.size() == 1);
    return out[0];
  };
  auto cookie_of = [](const Bytes& m) { return notify_data(m, wire::NotifyType::cookie); };
  TimePoint t0 = net.now;
  Bytes c1 = cookie_of(request(1)), c3 = cookie_of(request(3));
  REQUIRE_FALSE(c1.empty());
  CHECK(cookie_of(request(1)) == c1); // stateless, and the same while the secret holds

  net.now = t0 + 125s; // the secret changed at t0 + 2 min
  Bytes c2 = cookie_of(request(2));
  REQUIRE_FALSE(c2.empty());
  CHECK(c2[0] == uint8_t(c1[0] + 1)); // <VersionIDofSecret>
  CHECK(cookie_of(request(1)) != c1);
  // Within the grace period a cookie of the previous secret still opens the door...
  CHECK(cookie_of(request(1, c1)).empty());
  // ...after it, no more.
  net.now = t0 + 131s;
  CHECK_FALSE(cookie_of(request(3, c3)).empty());
  CHECK(right.engine->stats().dropped_for(DropReason::invalid_cookie) == 1);
}

TEST_CASE("RFC 7296 2.10: a nonce shorter than half the PRF key is refused",
          "[engine][ike_sa_init][nonce]") {
  auto rc = config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1", "aes256gcm16-prfsha512-ecp256"));
  Net net;
  Node& right = net.add("right", "10.0.0.2", rc, 2);
  SeededRng rng(9);
  auto answered = [&](uint64_t spi, size_t nonce_size) {
    InitRequest q;
    q.spi_i = spi;
    q.proposal = "aes256gcm16-prfsha512-ecp256";
    q.nonce_size = nonce_size;
    auto out = exchange(net, right, "10.0.0.1", craft_init_request(q, rng));
    return out.size() == 1 && notify_data(out[0], wire::NotifyType::cookie).empty() &&
           wire::parse_message(out[0])->find(wire::PayloadType::sa);
  };
  // prfsha512 has a 64-byte key: at least 32 bytes of nonce (16 are enough for the wire).
  CHECK_FALSE(answered(1, 16));
  CHECK_FALSE(answered(2, 31));
  CHECK(answered(3, 32));
  CHECK(right.engine->stats().dropped_for(DropReason::malformed) == 2);
}
