// Engine::idle_work (ike/spare_key.cpp): the next IKE_SA_INIT's key pair, made while
// the engine is idle. The KE payloads sent must carry exactly the public values of the
// pairs made ahead (the private keys are the bytes idle_work drew), each pair serves one
// IKE_SA_INIT and no more, a pair of the wrong group is freed unused, and an engine
// nobody calls idle_work on draws nothing for it.
#include "crypto/kex.hpp"
#include "crypto/suite.hpp"
#include "two_engines.hpp"
#include "wire/message.hpp"
#include "wire/payload_ke.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::ike;

namespace {

// SeededRng that also keeps what it handed out while `recording`.
struct RecordingRng final : Rng {
  SeededRng inner;
  bool recording = false;
  Bytes drawn;
  explicit RecordingRng(uint64_t seed) : inner(seed) {}
  void fill(MutBytes out) override {
    inner.fill(out);
    if (recording) drawn.insert(drawn.end(), out.begin(), out.end());
  }
};

// Zero bytes only, counting those asked for: no ECP scalar can be drawn from it
// (KeyExchange::generate gives up after 256 tries).
struct ZeroRng final : Rng {
  size_t drawn = 0;
  void fill(MutBytes out) override {
    std::fill(out.begin(), out.end(), uint8_t(0));
    drawn += out.size();
  }
};

// The public value of the pair idle_work() makes in `group` on `e` (private key: the
// bytes it drew).
Bytes made_ahead(Engine& e, RecordingRng& rng, TimePoint now, const char* group) {
  rng.drawn.clear();
  rng.recording = true;
  bool did = e.idle_work(now);
  rng.recording = false;
  REQUIRE(did);
  const crypto::TransformInfo* g = crypto::find_keyword(crypto::TransformKind::ke, group);
  REQUIRE(g);
  auto k = crypto::KeyExchange::from_private(*g, rng.drawn);
  REQUIRE(k);
  return Bytes(k->public_value().begin(), k->public_value().end());
}

// The KE data of the IKE_SA_INIT message `e` sends next, handed on to `to`.
Bytes next_ke(ike::test::TwoEngines& two, Engine& from, Engine& to) {
  auto t = from.poll_transmit(two.buf);
  REQUIRE(t);
  ByteView d = ByteView(two.buf).first(t->size);
  auto msg = wire::parse_message(d);
  REQUIRE(msg);
  REQUIRE(msg->header.exchange_type == wire::ExchangeType::ike_sa_init);
  const wire::RawPayload* ke = msg->find(wire::PayloadType::ke);
  REQUIRE(ke);
  auto p = wire::parse_ke(ke->body);
  REQUIRE(p);
  Bytes data(p->data.begin(), p->data.end());
  to.receive(Datagram{t->remote, t->local, t->nat_t, d}, two.now);
  return data;
}

} // namespace

TEST_CASE("idle_work: KEi and KEr are the pairs made ahead, each used once", "[ike][spare_key]") {
  RecordingRng l(21), r(22);
  ike::test::TwoEngines two(l, r);
  CHECK(two.left.has_idle_work()); // the first proposal's group, x25519
  Bytes kei = made_ahead(two.left, l, two.now, "x25519");
  Bytes ker = made_ahead(two.right, r, two.now, "x25519");
  CHECK(!two.left.has_idle_work()); // one spare at most
  CHECK(!two.left.idle_work(two.now));

  REQUIRE(two.left.initiate("home", two.now));
  CHECK(next_ke(two, two.left, two.right) == kei);
  CHECK(next_ke(two, two.right, two.left) == ker);
  two.settle();
  CHECK(ike::test::TwoEngines::children_up(two.left) == 1);
  CHECK(ike::test::TwoEngines::children_up(two.right) == 1);
  CHECK(two.left.stats().spare_key_exchanges_used == 1);
  CHECK(two.right.stats().spare_key_exchanges_used == 1);
  // Used up: the next handshake needs another.
  CHECK(two.left.has_idle_work());
  CHECK(two.right.has_idle_work());

  // Without idle_work the next IKE_SA_INIT makes its own pair: never the one used before.
  REQUIRE(two.left.initiate("home", two.now));
  Bytes kei2 = next_ke(two, two.left, two.right);
  CHECK(kei2 != kei);
  CHECK(next_ke(two, two.right, two.left) != ker);
  two.settle();
  CHECK(two.left.stats().spare_key_exchanges_used == 1);
  CHECK(two.left.stats().spare_key_exchanges_made == 1);
}

TEST_CASE("idle_work: a spare of another group is freed unused, the next is of the new group",
          "[ike][spare_key]") {
  RecordingRng l(31), r(32);
  ike::test::TwoEngines two(l, r);
  // The responder also accepts ecp256; the initiator offers only that.
  Config rc = ike::test::config_of(
      ike::test::psk_peer("gw", "10.0.0.2", "10.0.0.1", "aes256gcm16-prfsha256-x25519-ecp256"));
  Engine right(rc, r, two.now);
  Engine left(ike::test::config_of(ike::test::psk_peer("home", "10.0.0.1", "10.0.0.2",
                                                       "aes256gcm16-prfsha256-ecp256")),
              l, two.now);
  (void)made_ahead(right, r, two.now, "x25519");
  REQUIRE(left.initiate("home", two.now));
  Bytes buf(65535);
  for (bool any = true; any;) {
    any = false;
    for (auto [from, to] : {std::pair{&left, &right}, std::pair{&right, &left}})
      while (auto t = from->poll_transmit(buf)) {
        to->receive(Datagram{t->remote, t->local, t->nat_t, ByteView(buf).first(t->size)}, two.now);
        any = true;
      }
  }
  CHECK(ike::test::TwoEngines::children_up(left) == 1);
  CHECK(ike::test::TwoEngines::children_up(right) == 1);
  CHECK(right.stats().spare_key_exchanges_made == 1);
  CHECK(right.stats().spare_key_exchanges_used == 0);
  // The next spare is of the group the last IKE_SA_INIT used.
  REQUIRE(right.has_idle_work());
  Bytes ecp = made_ahead(right, r, two.now, "ecp256");
  CHECK(ecp.size() == 64);
}

TEST_CASE("idle_work: an engine nobody calls it on draws as before", "[ike][spare_key]") {
  // Two runs from the same seeds: one engine pair never asked, one asked only whether
  // there is idle work. Their IKE_SA_INIT requests are the same bytes.
  auto first_request = [](bool ask) {
    SeededRng l(41), r(42);
    ike::test::TwoEngines two(l, r);
    if (ask) CHECK(two.left.has_idle_work());
    REQUIRE(two.left.initiate("home", two.now));
    auto t = two.left.poll_transmit(two.buf);
    REQUIRE(t);
    return Bytes(two.buf.begin(), two.buf.begin() + long(t->size));
  };
  CHECK(first_request(false) == first_request(true));
}

// The two-step form an engine behind a lock uses (io::EngineWorker makes the pair without
// holding the engine's mutex): the group is named only while a pair is wanted, a pair
// handed in is the next KEi, and one of a group not wanted is freed unused.
TEST_CASE("add_spare_key: a pair made by the caller is the next KEi; another group's is not kept",
          "[ike][spare_key]") {
  RecordingRng l(31), r(32);
  ike::test::TwoEngines two(l, r);
  const crypto::TransformInfo* x25519 = two.left.spare_key_group();
  REQUIRE(x25519);
  CHECK(x25519 == crypto::find_keyword(crypto::TransformKind::ke, "x25519"));
  const crypto::TransformInfo* ecp256 = crypto::find_keyword(crypto::TransformKind::ke, "ecp256");
  REQUIRE(ecp256);
  SeededRng mine(33);
  auto other = crypto::KeyExchange::generate(*ecp256, mine);
  REQUIRE(other);
  two.left.add_spare_key(std::move(*other)); // not the group wanted: freed
  CHECK(two.left.stats().spare_key_exchanges_made == 0);
  CHECK(two.left.spare_key_group() == x25519);

  auto pair = crypto::KeyExchange::generate(*x25519, mine);
  REQUIRE(pair);
  Bytes kei(pair->public_value().begin(), pair->public_value().end());
  two.left.add_spare_key(std::move(*pair));
  CHECK(two.left.stats().spare_key_exchanges_made == 1);
  CHECK(two.left.spare_key_group() == nullptr); // one spare at most
  auto late = crypto::KeyExchange::generate(*x25519, mine);
  REQUIRE(late);
  two.left.add_spare_key(std::move(*late)); // one is kept already: freed
  CHECK(two.left.stats().spare_key_exchanges_made == 1);

  REQUIRE(two.left.initiate("home", two.now));
  CHECK(next_ke(two, two.left, two.right) == kei);
  two.settle();
  CHECK(ike::test::TwoEngines::children_up(two.left) == 1);
  CHECK(two.left.stats().spare_key_exchanges_used == 1);
}

// A group no pair can be made in (here: an Rng that gives no valid ECP scalar) is tried
// once, counted, and not again at every wait; before, a failed pair fell back to the first
// proposal's group, the same one, and idle_work() ran the failing generation each time.
TEST_CASE("idle_work: a group no pair can be made in is not tried again at every wait",
          "[ike][spare_key]") {
  ZeroRng rng;
  const TimePoint now{std::chrono::hours(1)};
  Engine e(ike::test::config_of(
               ike::test::psk_peer("home", "10.0.0.1", "10.0.0.2", "aes256gcm16-prfsha256-ecp256")),
           rng, now);
  REQUIRE(e.has_idle_work());
  size_t before = rng.drawn;
  CHECK(!e.idle_work(now));
  CHECK(rng.drawn > before); // it tried
  CHECK(e.stats().spare_key_exchanges_failed == 1);
  CHECK(e.stats().spare_key_exchanges_made == 0);
  CHECK(!e.has_idle_work());
  CHECK(e.spare_key_group() == nullptr);
  before = rng.drawn;
  for (int i = 0; i < 3; ++i)
    CHECK(!e.idle_work(now));
  CHECK(rng.drawn == before);
  CHECK(e.stats().spare_key_exchanges_failed == 1);
}

// The two-step form: the caller reports the pair it could not make; an IKE_SA_INIT that
// then makes a pair of that group lifts the stop.
TEST_CASE("spare_key_failed: no pair asked for until an IKE_SA_INIT made one of the group",
          "[ike][spare_key]") {
  SeededRng l(51), r(52);
  ike::test::TwoEngines two(l, r);
  const crypto::TransformInfo* x25519 = two.left.spare_key_group();
  REQUIRE(x25519);
  two.left.spare_key_failed(*x25519);
  CHECK(two.left.stats().spare_key_exchanges_failed == 1);
  CHECK(two.left.spare_key_group() == nullptr);
  CHECK(!two.left.has_idle_work());
  CHECK(!two.left.idle_work(two.now));

  REQUIRE(two.left.initiate("home", two.now)); // makes its own x25519 pair: it works
  two.settle();
  CHECK(ike::test::TwoEngines::children_up(two.left) == 1);
  CHECK(two.left.spare_key_group() == x25519);
  CHECK(two.left.idle_work(two.now));
  CHECK(two.left.stats().spare_key_exchanges_made == 1);
}
