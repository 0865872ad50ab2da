// TunPacing and serve_jointly (io/dataplane/tun_pacing.hpp): when the TUN data plane's
// threads poll and when one of them serves both directions, on made-up times.
#include "io/dataplane/tun_pacing.hpp"

#include <catch2/catch.hpp>

using namespace ikekit::io::dataplane;

namespace {
constexpr int64_t kPoll = 200'000; // busy_poll: 200 us
constexpr int64_t kLong = TunPacing::kSparseSleep * kPoll;
} // namespace

TEST_CASE("tun pacing: after a long sleep a thread polls for busy_poll after each batch") {
  TunPacing p(kPoll);
  p.woke(0, kLong);
  CHECK(p.sparse(kLong));
  CHECK_FALSE(p.polling());
  p.moved(kLong + 10);
  CHECK(p.polling());
  CHECK(p.poll_again(kLong + 10 + kPoll - 1));
  CHECK_FALSE(p.poll_again(kLong + 10 + kPoll));
  CHECK_FALSE(p.polling()); // the window is over: the thread sleeps
}

TEST_CASE("tun pacing: short sleeps, long bursts and busy_poll 0 never poll") {
  TunPacing short_sleep(kPoll);
  short_sleep.woke(0, kLong - 1);
  short_sleep.moved(kLong);
  CHECK_FALSE(short_sleep.sparse(kLong));
  CHECK_FALSE(short_sleep.polling());

  TunPacing burst(kPoll);
  burst.woke(0, kLong);
  const int64_t late = kLong + TunPacing::kSparseBurst * kPoll;
  CHECK(burst.sparse(late - 1));
  burst.moved(late);
  CHECK_FALSE(burst.sparse(late));
  CHECK_FALSE(burst.polling());

  TunPacing off(0);
  off.woke(0, 1'000'000'000);
  off.moved(1'000'000'001);
  CHECK_FALSE(off.sparse(1'000'000'001));
  CHECK_FALSE(off.polling());
}

TEST_CASE("tun pacing: a new sleep ends the polling window") {
  TunPacing p(kPoll);
  p.woke(0, kLong);
  p.moved(kLong);
  REQUIRE(p.polling());
  p.woke(kLong + 1, kLong + 2); // short: the next burst is bulk
  CHECK_FALSE(p.polling());
  CHECK_FALSE(p.sparse(kLong + 2));
}

TEST_CASE("serve jointly: starts only when both threads slept long, ends on bulk") {
  const int64_t now = 10 * kLong;
  // Split: the other thread must have slept kSparseSleep x busy_poll already.
  CHECK(serve_jointly(false, true, false, now, now - kLong, kPoll));
  CHECK_FALSE(serve_jointly(false, true, false, now, now - kLong + 1, kPoll));
  CHECK_FALSE(serve_jointly(false, true, false, now, 0, kPoll)); // the other is at work
  CHECK_FALSE(serve_jointly(false, false, false, now, now - kLong, kPoll));
  // Joint: stays while sparse, whatever the other thread (asleep on its eventfd) did.
  CHECK(serve_jointly(true, true, false, now, 0, kPoll));
  CHECK_FALSE(serve_jointly(true, false, false, now, now - kLong, kPoll)); // short sleep, burst
  CHECK_FALSE(serve_jointly(true, true, true, now, now - kLong, kPoll));   // a batch filled
}
