// The EAP-MSCHAPv2 server and peer machines against each other (draft-kamath-pppext-eap-
// mschapv2 2, RFC 3748), with seeded randomness:
//
//   Server                                      Peer
//   Request/Identity                     ->
//                                        <-     Response/Identity
//   Request/MSCHAPv2 Challenge           ->
//                                        <-     Response/MSCHAPv2 Response
//   Request/MSCHAPv2 Success (S=...)     ->     (Failure E=691 on a wrong password)
//                                        <-     Response/MSCHAPv2 Success
//   EAP-Success                          ->
#include "eap/mschapv2_crypto.hpp"
#include "eap/packet.hpp"
#include "eap/peer.hpp"
#include "eap/server.hpp"
#include "test_helpers.hpp"

#include <catch2/catch.hpp>
#include <map>

using namespace ikekit;
using namespace ikekit::eap;
using ikekit::test::hex;

namespace {

SecretBytes secret(std::string_view s) { return SecretBytes(as_bytes(s)); }

PasswordLookup users() {
  return [](std::string_view id) -> std::optional<SecretBytes> {
    static const std::map<std::string, std::string, std::less<>> db = {{"alice", "s3cret-pw"},
                                                                       {"bob", "b0b"}};
    auto it = db.find(id);
    if (it == db.end()) return std::nullopt;
    return secret(it->second);
  };
}

struct Pair {
  SeededRng rng_s{1}, rng_p{2};
  Server server;
  Peer peer;
  Bytes to_peer, to_server;
  Pair(std::string identity, std::string password)
      : server(ServerConfig{}, rng_s, users()),
        peer(PeerConfig{std::move(identity), {}, secret(password)}, rng_p) {}

  // Runs the exchange to its end; `tamper` may change each server packet in flight.
  void run(const std::function<void(Bytes&)>& tamper = {}) {
    uint8_t buf[1024];
    auto n = server.start(buf);
    REQUIRE(n);
    to_peer.assign(buf, buf + *n);
    for (int round = 0; round < 8 && peer.status() == Status::running; ++round) {
      if (tamper) tamper(to_peer);
      Step s = peer.receive(to_peer, buf);
      REQUIRE_FALSE(s.dropped);
      if (s.written == 0) break;
      to_server.assign(buf, buf + s.written);
      Step t = server.receive(to_server, buf);
      REQUIRE_FALSE(t.dropped);
      to_peer.assign(buf, buf + t.written);
    }
  }
};

} // namespace

TEST_CASE("EAP-MSCHAPv2: server and peer agree, both get the same 64-byte MSK") {
  Pair p("alice", "s3cret-pw");
  p.run();
  CHECK(p.server.status() == Status::success);
  CHECK(p.peer.status() == Status::success);
  CHECK(p.server.identity() == "alice");
  REQUIRE(p.server.msk().size() == kMskSize);
  CHECK(equal_bytes(p.server.msk().reveal(), p.peer.msk().reveal()));
  // The last 32 bytes are the padding.
  for (size_t i = 32; i < 64; ++i)
    CHECK(p.peer.msk().reveal()[i] == 0);
}

TEST_CASE("EAP-MSCHAPv2: a wrong password gets E=691 and ends in failure on both sides") {
  Pair p("alice", "wrong");
  p.run();
  CHECK(p.server.status() == Status::failure);
  CHECK(p.server.failure() == FailureReason::authentication_failure);
  CHECK(p.peer.status() == Status::failure);
  CHECK(p.peer.failure() == FailureReason::authentication_failure);
  CHECK(p.peer.server_error() == 691u);
  CHECK(p.server.msk().empty());
  CHECK(p.peer.msk().empty());
  // The peer answered with a Failure Response, the server with EAP-Failure.
  REQUIRE(p.to_server.size() == 6);
  CHECK(p.to_server[5] == uint8_t(OpCode::failure));
  CHECK(p.to_peer == Bytes{4, p.to_server[1], 0, 4});
}

TEST_CASE("EAP-MSCHAPv2: an unknown user looks like a wrong password on the wire") {
  Pair p("mallory", "s3cret-pw");
  p.run();
  CHECK(p.server.failure() == FailureReason::unknown_user);
  CHECK(p.peer.failure() == FailureReason::authentication_failure);
}

TEST_CASE("EAP-MSCHAPv2: the peer refuses a wrong authenticator response") {
  Pair p("alice", "s3cret-pw");
  p.run([](Bytes& pkt) {
    // Flip one hex digit of S=... in the Success Request (OpCode 3 at offset 5).
    if (pkt.size() > 12 && pkt[0] == 1 && pkt[4] == 26 && pkt[5] == 3)
      pkt[11] = pkt[11] == 'A' ? 'B' : 'A';
  });
  CHECK(p.peer.status() == Status::failure);
  CHECK(p.peer.failure() == FailureReason::authenticator_mismatch);
  CHECK(p.peer.msk().empty());
  CHECK(p.server.status() == Status::running); // it never got the Success Response
}

TEST_CASE("EAP-MSCHAPv2: the peer refuses an EAP-Success before the server's proof") {
  SeededRng rng(3);
  Peer peer(PeerConfig{"alice", {}, secret("s3cret-pw")}, rng);
  uint8_t out[256];
  REQUIRE(peer.receive(hex("0101000501"), out).written > 0); // Identity
  Step s = peer.receive(hex("03010004"), out);
  CHECK(s.written == 0);
  CHECK(peer.status() == Status::failure);
  CHECK(peer.failure() == FailureReason::premature_success);
}

TEST_CASE("EAP server: a Response with another Identifier is dropped and counted") {
  SeededRng rng(4);
  Server server(ServerConfig{"srv", 10}, rng, users());
  uint8_t out[256];
  REQUIRE(server.start(out));
  Step s = server.receive(hex("020b000a01616c696365"), out); // id 11, expected 10
  REQUIRE(s.dropped);
  CHECK(*s.dropped == DropReason::identifier_mismatch);
  CHECK(server.stats().dropped[size_t(DropReason::identifier_mismatch)] == 1);
  CHECK(server.status() == Status::running);
  s = server.receive(hex("020a000a01616c696365"), out); // the right one
  CHECK_FALSE(s.dropped);
  CHECK(s.written > 0);
  CHECK(server.identity() == "alice");
}

TEST_CASE("EAP peer: a retransmitted Request gets the same Response") {
  SeededRng rng(5);
  Peer peer(PeerConfig{"alice", {}, secret("s3cret-pw")}, rng);
  uint8_t a[256], b[256];
  const Bytes challenge = hex("0102001e1a01020019"
                              "10"
                              "00112233445566778899aabbccddeeff"
                              "73727672");
  Step s1 = peer.receive(challenge, a);
  Step s2 = peer.receive(challenge, b);
  REQUIRE(s1.written > 0);
  REQUIRE(s1.written == s2.written);
  CHECK(Bytes(a, a + s1.written) == Bytes(b, b + s2.written));
}

TEST_CASE("EAP peer: another Type gets a Legacy Nak proposing MS-CHAPv2") {
  SeededRng rng(6);
  Peer peer(PeerConfig{"alice", {}, secret("x")}, rng);
  uint8_t out[64];
  Step s = peer.receive(hex("0103000604aa"), out); // Type 4 (MD5-Challenge)
  REQUIRE(s.written == 6);
  CHECK(Bytes(out, out + 6) == hex("02030006031a"));
}

TEST_CASE("EAP server and peer: every truncation of every packet is dropped with a reason") {
  Pair p("alice", "s3cret-pw");
  std::vector<Bytes> to_peer, to_server;
  uint8_t buf[1024];
  auto n = p.server.start(buf);
  REQUIRE(n);
  Bytes pkt(buf, buf + *n);
  // Record the real exchange first.
  while (!pkt.empty()) {
    to_peer.push_back(pkt);
    Step s = p.peer.receive(pkt, buf);
    if (s.written == 0) break;
    Bytes resp(buf, buf + s.written);
    to_server.push_back(resp);
    Step t = p.server.receive(resp, buf);
    pkt.assign(buf, buf + t.written);
  }
  REQUIRE(p.server.status() == Status::success);
  REQUIRE(to_server.size() == 3);
  // Replay each truncated Response into a fresh server at the right step.
  for (size_t step = 0; step < to_server.size(); ++step) {
    for (size_t cut = 0; cut < to_server[step].size(); ++cut) {
      INFO("step " << step << " cut " << cut);
      SeededRng rng_s(1);
      Server server(ServerConfig{}, rng_s, users());
      REQUIRE(server.start(buf));
      for (size_t k = 0; k < step; ++k)
        REQUIRE_FALSE(server.receive(to_server[k], buf).dropped);
      Step s = server.receive(ByteView(to_server[step]).first(cut), buf);
      REQUIRE(s.dropped);
      CHECK(*s.dropped == DropReason::malformed);
      CHECK(s.written == 0);
      CHECK(server.status() == Status::running);
    }
  }
  // And each truncated Request into a fresh peer at the right step.
  for (size_t step = 0; step < to_peer.size(); ++step) {
    for (size_t cut = 0; cut < to_peer[step].size(); ++cut) {
      INFO("step " << step << " cut " << cut);
      SeededRng rng_p(2);
      Peer peer(PeerConfig{"alice", {}, secret("s3cret-pw")}, rng_p);
      for (size_t k = 0; k < step; ++k)
        REQUIRE(peer.receive(to_peer[k], buf).written > 0);
      Step s = peer.receive(ByteView(to_peer[step]).first(cut), buf);
      REQUIRE(s.dropped);
      CHECK(*s.dropped == DropReason::malformed);
      CHECK(peer.status() == Status::running);
    }
  }
}
