// io::set_engine_idle_work (io/engine_idle_work.hpp) on an EventLoop: an engine's spare
// key pair (ike/spare_key.cpp) is made when the loop would wait with nothing to read,
// once per pair used, and not while something is ready to be read.
#include "crypto/system_rng.hpp"
#include "io/engine_idle_work.hpp"
#include "psk_peer.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <mutex>
#include <unistd.h>

using namespace ikekit;
using namespace std::chrono_literals;

TEST_CASE("engine idle work: a pair made while the loop idles, none while a read is ready",
          "[loop][spare_key]") {
  auto loop = io::EventLoop::create();
  REQUIRE(loop);
  crypto::SystemRng rng;
  ike::Config c;
  c.peers.push_back(test::psk_peer("home", "10.0.0.1", "10.0.0.2", "idle-work-test-psk-0123"));
  ike::Engine engine(c, rng, io::EventLoop::now());
  std::mutex mu;
  io::set_engine_idle_work(
      *loop, [&]() -> ike::Engine& { return engine; }, &mu);

  int p[2];
  REQUIRE(::pipe(p) == 0);
  int reads = 0;
  REQUIRE(loop->add_reader(p[0], [&](TimePoint) {
    char ch;
    REQUIRE(::read(p[0], &ch, 1) == 1);
    ++reads;
  }));
  REQUIRE(::write(p[1], "x", 1) == 1);
  REQUIRE(loop->run_once(1s)); // something to read: read first, no pair made
  CHECK(reads == 1);
  CHECK(engine.stats().spare_key_exchanges_made == 0);

  REQUIRE(loop->run_once(1ms)); // nothing to read: the pair, then the wait
  CHECK(engine.stats().spare_key_exchanges_made == 1);
  REQUIRE(loop->run_once(1ms)); // one pair at most
  CHECK(engine.stats().spare_key_exchanges_made == 1);

  REQUIRE(engine.initiate("home", io::EventLoop::now())); // KEi: the pair made ahead
  CHECK(engine.stats().spare_key_exchanges_used == 1);
  REQUIRE(loop->run_once(1ms));
  CHECK(engine.stats().spare_key_exchanges_made == 2); // the next, at the next idle wait
  CHECK(mu.try_lock());                                // every call let the mutex go
  mu.unlock();
  ::close(p[0]);
  ::close(p[1]);
}

namespace {
// Zero bytes only, counting those asked for: no ECP scalar can be drawn from it.
struct ZeroFillRng final : Rng {
  size_t drawn = 0;
  void fill(MutBytes out) override {
    std::fill(out.begin(), out.end(), uint8_t(0));
    drawn += out.size();
  }
};
} // namespace

// The worker's form (a mutex and the engine's Rng: the pair is made without the lock):
// a pair that cannot be made is reported to the engine, which stops asking for its group,
// instead of being tried again at every wait.
TEST_CASE("engine idle work: a pair that cannot be made is not tried at every wait",
          "[loop][spare_key]") {
  auto loop = io::EventLoop::create();
  REQUIRE(loop);
  ZeroFillRng rng;
  ike::Config c;
  c.peers.push_back(test::psk_peer("home", "10.0.0.1", "10.0.0.2", "idle-work-test-psk-0123"));
  c.peers.back().ike_proposals = *ike::parse_ike_proposals("aes128gcm16-prfsha256-ecp256");
  ike::Engine engine(c, rng, io::EventLoop::now());
  std::mutex mu;
  io::set_engine_idle_work(
      *loop, [&]() -> ike::Engine& { return engine; }, &mu, &rng);

  const size_t before = rng.drawn;
  REQUIRE(loop->run_once(1ms)); // nothing to read: one try, which fails
  CHECK(rng.drawn > before);
  CHECK(engine.stats().spare_key_exchanges_failed == 1);
  const size_t after = rng.drawn;
  for (int i = 0; i < 3; ++i)
    REQUIRE(loop->run_once(1ms));
  CHECK(rng.drawn == after); // not tried again
  CHECK(engine.stats().spare_key_exchanges_failed == 1);
  CHECK(engine.stats().spare_key_exchanges_made == 0);
  CHECK(mu.try_lock());
  mu.unlock();
}
