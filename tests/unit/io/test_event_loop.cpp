// The event loop: readiness callbacks, the caller's deadline, signals via signalfd.
#include "io/event_loop.hpp"

#include <catch2/catch.hpp>
#include <signal.h>
#include <unistd.h>

using namespace ikekit;
using namespace ikekit::io;
using namespace std::chrono_literals;

TEST_CASE("a readable fd calls its callback with the loop's time", "[loop]") {
  auto loop = EventLoop::create();
  REQUIRE(loop);
  int p[2];
  REQUIRE(::pipe(p) == 0);
  int calls = 0;
  TimePoint seen{};
  REQUIRE(loop->add_reader(p[0], [&](TimePoint now) {
    char c;
    REQUIRE(::read(p[0], &c, 1) == 1);
    ++calls;
    seen = now;
  }));
  TimePoint before = EventLoop::now();
  REQUIRE(::write(p[1], "x", 1) == 1);
  REQUIRE(loop->run_once(1s));
  CHECK(calls == 1);
  CHECK(seen >= before);
  // Nothing readable: run_once returns after max_wait without calling back.
  REQUIRE(loop->run_once(10ms));
  CHECK(calls == 1);
  REQUIRE(loop->remove(p[0]));
  CHECK_FALSE(loop->remove(p[0]));
  ::close(p[0]);
  ::close(p[1]);
}

TEST_CASE("the deadline fires once its time has come, and run() ends on stop()", "[loop]") {
  auto loop = EventLoop::create();
  REQUIRE(loop);
  // An engine-like deadline: 20 ms from now, then one more, then none.
  TimePoint start = EventLoop::now();
  std::optional<TimePoint> next = start + 20ms;
  int fired = 0;
  loop->set_deadline([&] { return next; },
                     [&](TimePoint now) {
                       CHECK(now >= *next);
                       ++fired;
                       if (fired == 1)
                         next = now + 10ms;
                       else
                         loop->stop();
                     });
  REQUIRE(loop->run());
  CHECK(fired == 2);
  CHECK(EventLoop::now() - start >= 30ms);
  CHECK(loop->stopped());
  auto again = loop->run_once();
  REQUIRE(again);
  CHECK_FALSE(*again);
}

TEST_CASE("signals arrive through signalfd", "[loop]") {
  sigset_t before;
  pthread_sigmask(SIG_SETMASK, nullptr, &before);
  {
    auto loop = EventLoop::create();
    REQUIRE(loop);
    int got = 0;
    REQUIRE(loop->on_signals({SIGUSR1, SIGHUP}, [&](int signo, TimePoint) {
      got = signo;
      loop->stop();
    }));
    REQUIRE(::raise(SIGUSR1) == 0); // blocked: stays pending for the signalfd
    REQUIRE(loop->run());
    CHECK(got == SIGUSR1);
  }
  sigset_t after;
  pthread_sigmask(SIG_SETMASK, nullptr, &after);
  CHECK(sigismember(&after, SIGUSR1) == sigismember(&before, SIGUSR1)); // mask restored
}

TEST_CASE("a callback may remove its own fd", "[loop]") {
  auto loop = EventLoop::create();
  REQUIRE(loop);
  int p[2];
  REQUIRE(::pipe(p) == 0);
  int calls = 0;
  REQUIRE(loop->add_reader(p[0], [&](TimePoint) {
    ++calls;
    REQUIRE(loop->remove(p[0]));
  }));
  REQUIRE(::write(p[1], "x", 1) == 1);
  REQUIRE(loop->run_once(1s));
  REQUIRE(loop->run_once(10ms));
  CHECK(calls == 1);
  ::close(p[0]);
  ::close(p[1]);
}
