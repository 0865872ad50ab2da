// PSK AUTH on a prf keyed once per connection (Engine::Impl::psk_pad, ike/auth/psk.cpp):
// prf(PSK, "Key Pad for IKEv2") is kept, as a keyed prf, for the connections that last
// authenticated with their PSK (RFC 7296 2.15). What is kept must never stand in for
// another key: a connection replaced with another PSK authenticates with the new one
// only, and with more connections than slots each still uses its own.
#include "two_engines.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace ikekit;
using namespace ikekit::ike;

namespace {

// A handshake of connection `name` from `left` to `right`; whether both Child SAs came up.
bool handshake(Engine& left, Engine& right, std::string_view name, TimePoint now) {
  if (!left.initiate(name, now)) return false;
  Bytes buf(65535);
  for (bool any = true; any;) {
    any = false;
    for (auto [from, to] : {std::pair{&left, &right}, std::pair{&right, &left}})
      while (auto t = from->poll_transmit(buf)) {
        to->receive(Datagram{t->remote, t->local, t->nat_t, ByteView(buf).first(t->size)}, now);
        any = true;
      }
  }
  const size_t l = ike::test::TwoEngines::children_up(left);
  const size_t r = ike::test::TwoEngines::children_up(right);
  return l == 1 && r == 1;
}

PeerConfig with_psk(PeerConfig p, std::string_view psk) {
  p.psk = SecretBytes(as_bytes(psk));
  return p;
}

// Connection `i` of `n`, one identity and PSK each: the initiator's side ("c<i>",
// IDi user<i>@example.org) or the responder's ("r<i>", which that IDi selects).
PeerConfig numbered(size_t i, bool initiator, std::string_view psk) {
  const std::string user = "user" + std::to_string(i) + "@example.org";
  PeerConfig p = initiator ? ike::test::psk_peer("c" + std::to_string(i), "10.0.0.1", "10.0.0.2")
                           : ike::test::psk_peer("r" + std::to_string(i), "10.0.0.2", "10.0.0.1");
  if (initiator)
    p.local_id = *Identity::parse(user);
  else
    p.remote_id = *Identity::parse(user);
  return with_psk(std::move(p), psk);
}

std::string psk_of(size_t i) { return "psk-pad-test-key-" + std::to_string(i) + "-0123456789"; }

} // namespace

TEST_CASE("psk pad: a connection replaced with another PSK authenticates with the new one only",
          "[ike][auth][psk]") {
  SeededRng l(61), r(62);
  ike::test::TwoEngines two(l, r);
  REQUIRE(handshake(two.left, two.right, "home", two.now));
  REQUIRE(handshake(two.left, two.right, "home", two.now)); // both sides' pads kept

  const PeerConfig gw = ike::test::psk_peer("gw", "10.0.0.2", "10.0.0.1");
  REQUIRE(two.right.add_peer(with_psk(gw, "another-psk-for-the-gateway-0123"), two.now));
  CHECK(!handshake(two.left, two.right, "home", two.now)); // the old pad would still verify

  const PeerConfig home = ike::test::psk_peer("home", "10.0.0.1", "10.0.0.2");
  REQUIRE(two.left.add_peer(with_psk(home, "another-psk-for-the-gateway-0123"), two.now));
  CHECK(handshake(two.left, two.right, "home", two.now));
  CHECK(handshake(two.left, two.right, "home", two.now));
}

TEST_CASE("psk pad: more connections than slots, each with its own PSK", "[ike][auth][psk]") {
  constexpr size_t kConns = 6; // more than Engine::Impl::kPskPadSlots (4)
  SeededRng lr(71), rr(72);
  const TimePoint now{std::chrono::hours(1)};
  Config lc, rc;
  for (size_t i = 0; i < kConns; ++i) {
    lc.peers.push_back(numbered(i, true, psk_of(i)));
    rc.peers.push_back(numbered(i, false, psk_of(i)));
  }
  Engine left(lc, lr, now), right(rc, rr, now);
  for (int round = 0; round < 2; ++round)
    for (size_t i = 0; i < kConns; ++i)
      CHECK(handshake(left, right, "c" + std::to_string(i), now));
  // Connection 2's PSK changes on the responder only: its AUTH no longer verifies, while
  // the others' still do.
  REQUIRE(right.add_peer(numbered(2, false, "changed-psk-0123456789abcdef"), now));
  CHECK(!handshake(left, right, "c2", now));
  CHECK(handshake(left, right, "c3", now));
  CHECK(handshake(left, right, "c1", now));
}
