// The RADIUS client machine on virtual time: identifiers, retransmission of the same
// datagram, fail-over to the next server (and staying there), State pinning a request to
// its server, and responses that are dropped and counted. The "servers" are this test
// answering with sign_response, as FreeRADIUS does (tests/interop has the real one).
#include "radius/client.hpp"
#include "radius/mppe.hpp"
#include "test_helpers.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <set>

using namespace ikekit;
using namespace ikekit::radius;
using namespace std::chrono_literals;
using ikekit::test::hex;

namespace {

SecretBytes secret(std::string_view s) { return SecretBytes(as_bytes(s)); }

ClientConfig two_servers() {
  ClientConfig c;
  c.secrets.push_back(secret("secret-a"));
  c.secrets.push_back(secret("secret-b"));
  c.timeout = 1s;
  c.transmissions = 3;
  return c;
}

AccessRequest request(ByteView eap, ByteView state = {}) {
  return AccessRequest{"alice", eap, state, "ikekit-test", std::nullopt, "", 1400};
}

// An Access-Challenge/Accept answering `req` (the datagram) under `secret`, with an
// EAP-Message, State and, for Accept, MPPE keys.
Bytes answer(ByteView req, std::string_view secret_text, Code code) {
  auto rp = parse_packet(req);
  REQUIRE(rp);
  const ByteView secret = as_bytes(secret_text);
  Bytes pkt(kHeaderSize);
  pkt[0] = uint8_t(code);
  pkt[1] = rp->identifier;
  auto add = [&](uint8_t type, ByteView v) {
    pkt.push_back(type);
    pkt.push_back(uint8_t(v.size() + 2));
    pkt.insert(pkt.end(), v.begin(), v.end());
  };
  add(attr::eap_message, hex(code == Code::access_accept ? "03050004" : "0105000501"));
  add(attr::state, as_bytes("st-1"));
  if (code == Code::access_accept) {
    for (auto [type, key] : {std::pair{kMsMppeRecvKey, "d5f0e9521e3ea9589645e86051c82226"},
                             std::pair{kMsMppeSendKey, "8b7cdc149b993a1ba118cb153f56dccb"}}) {
      uint8_t enc[64];
      auto n = encrypt_mppe_key(hex(key), 7, secret, rp->authenticator, enc);
      REQUIRE(n);
      Bytes vsa = {0, 0, 0x01, 0x37, type, uint8_t(*n + 2)};
      vsa.insert(vsa.end(), enc, enc + *n);
      add(attr::vendor_specific, vsa);
    }
  }
  add(attr::message_authenticator, Bytes(16, 0));
  store_be16(pkt.data() + 2, uint16_t(pkt.size()));
  REQUIRE(sign_response(pkt, rp->authenticator, secret, pkt.size() - 16));
  return pkt;
}

} // namespace

TEST_CASE("RADIUS client: request, challenge with State, accept with the MPPE keys") {
  SeededRng rng(1);
  Client client(two_servers(), rng);
  TimePoint now{};
  const Bytes eap = hex("0201000a01616c696365");
  auto h = client.send(request(eap), now);
  REQUIRE(h);
  CHECK(client.outstanding(*h));
  uint8_t buf[4096];
  auto tx = client.poll_transmit(buf);
  REQUIRE(tx);
  CHECK(tx->server == 0);
  CHECK_FALSE(client.poll_transmit(buf));
  Bytes sent(buf, buf + tx->size);
  client.receive(0, answer(sent, "secret-a", Code::access_challenge), now);
  auto r = client.poll_response();
  REQUIRE(r);
  CHECK(r->handle == *h);
  CHECK_FALSE(client.outstanding(*h));
  CHECK(r->outcome == Outcome::challenge);
  CHECK(r->eap_message == hex("0105000501"));
  CHECK(r->state == Bytes{'s', 't', '-', '1'});
  // The next request echoes State; the Accept carries the keys.
  auto h2 = client.send(request(eap, r->state), now);
  REQUIRE(h2);
  tx = client.poll_transmit(buf);
  REQUIRE(tx);
  sent.assign(buf, buf + tx->size);
  auto sp = parse_packet(sent);
  REQUIRE(sp);
  REQUIRE(sp->find(attr::state));
  client.receive(0, answer(sent, "secret-a", Code::access_accept), now);
  r = client.poll_response();
  REQUIRE(r);
  CHECK(r->outcome == Outcome::accept);
  CHECK(Bytes(r->mppe_recv_key.reveal().begin(), r->mppe_recv_key.reveal().end()) ==
        hex("d5f0e9521e3ea9589645e86051c82226"));
  CHECK(Bytes(r->mppe_send_key.reveal().begin(), r->mppe_send_key.reveal().end()) ==
        hex("8b7cdc149b993a1ba118cb153f56dccb"));
  CHECK(client.outstanding() == 0);
}

TEST_CASE("RADIUS client: retransmits the same datagram, then fails over and stays there") {
  SeededRng rng(2);
  Client client(two_servers(), rng);
  TimePoint now{};
  auto h = client.send(request(hex("0201000a01616c696365")), now);
  REQUIRE(h);
  uint8_t buf[4096];
  auto tx = client.poll_transmit(buf);
  REQUIRE(tx);
  const Bytes first(buf, buf + tx->size);
  for (int k = 1; k < 3; ++k) { // transmissions 2 and 3 to server 0, identical
    REQUIRE(client.next_timeout() == now + 1s);
    now += 1s;
    client.on_timeout(now);
    tx = client.poll_transmit(buf);
    REQUIRE(tx);
    CHECK(tx->server == 0);
    CHECK(Bytes(buf, buf + tx->size) == first);
  }
  now += 1s;
  client.on_timeout(now);
  tx = client.poll_transmit(buf);
  REQUIRE(tx);
  CHECK(tx->server == 1);
  const Bytes failed_over(buf, buf + tx->size);
  CHECK(failed_over != first); // a new Request Authenticator and Message-Authenticator
  CHECK(client.stats().failovers == 1);
  CHECK(client.stats().retransmissions == 2);
  // A late answer from server 0 is no longer wanted.
  client.receive(0, answer(first, "secret-a", Code::access_challenge), now);
  CHECK(client.stats().dropped[size_t(DropReason::unknown_identifier)] == 1);
  client.receive(1, answer(failed_over, "secret-b", Code::access_reject), now);
  auto r = client.poll_response();
  REQUIRE(r);
  CHECK(r->outcome == Outcome::reject);
  CHECK(r->server == 1);
  // The next request goes to server 1 first.
  REQUIRE(client.send(request(hex("0202000a01616c696365")), now));
  tx = client.poll_transmit(buf);
  REQUIRE(tx);
  CHECK(tx->server == 1);
}

TEST_CASE("RADIUS client: all servers silent ends in a timeout, and State is not failed over") {
  SeededRng rng(3);
  Client client(two_servers(), rng);
  TimePoint now{};
  uint8_t buf[4096];
  REQUIRE(client.send(request(hex("0201000a01616c696365")), now));
  int sends = 0;
  for (int i = 0; i < 20 && client.outstanding() > 0; ++i) {
    while (client.poll_transmit(buf))
      ++sends;
    if (auto t = client.next_timeout()) now = *t;
    client.on_timeout(now);
  }
  CHECK(sends == 6); // 3 per server
  auto r = client.poll_response();
  REQUIRE(r);
  CHECK(r->outcome == Outcome::timeout);
  // With State: 3 transmissions to the issuing server only.
  sends = 0;
  REQUIRE(client.send(request(hex("0201000a01616c696365"), as_bytes("st")), now));
  for (int i = 0; i < 20 && client.outstanding() > 0; ++i) {
    while (client.poll_transmit(buf))
      ++sends;
    if (auto t = client.next_timeout()) now = *t;
    client.on_timeout(now);
  }
  CHECK(sends == 3);
  REQUIRE(client.poll_response());
  CHECK(client.stats().timeouts == 2);
}

TEST_CASE("RADIUS client: forged, truncated and unsolicited responses are dropped") {
  SeededRng rng(4);
  Client client(two_servers(), rng);
  TimePoint now{};
  uint8_t buf[4096];
  REQUIRE(client.send(request(hex("0201000a01616c696365")), now));
  auto tx = client.poll_transmit(buf);
  REQUIRE(tx);
  const Bytes sent(buf, buf + tx->size);
  const Bytes good = answer(sent, "secret-a", Code::access_challenge);
  client.receive(0, answer(sent, "wrong-secret", Code::access_challenge), now);
  CHECK(client.stats().dropped[size_t(DropReason::bad_authenticator)] == 1);
  for (size_t cut = 0; cut < good.size(); ++cut)
    client.receive(0, ByteView(good).first(cut), now);
  CHECK(client.stats().dropped[size_t(DropReason::malformed)] == good.size());
  client.receive(1, good, now); // right bytes, wrong server
  CHECK(client.stats().dropped[size_t(DropReason::unknown_identifier)] == 1);
  CHECK_FALSE(client.poll_response());
  client.receive(0, good, now);
  REQUIRE(client.poll_response());
}

TEST_CASE("RADIUS client: 256 identifiers per server, then a clear error") {
  SeededRng rng(5);
  ClientConfig one;
  one.secrets.push_back(secret("s"));
  Client client(std::move(one), rng);
  TimePoint now{};
  std::set<uint8_t> ids;
  uint8_t buf[4096];
  for (int i = 0; i < 256; ++i) {
    REQUIRE(client.send(request(hex("0201000a01616c696365")), now));
    auto tx = client.poll_transmit(buf);
    REQUIRE(tx);
    ids.insert(buf[1]);
  }
  CHECK(ids.size() == 256);
  auto full = client.send(request(hex("0201000a01616c696365")), now);
  REQUIRE_FALSE(full);
  CHECK(full.error().field == "radius.identifier");
}
