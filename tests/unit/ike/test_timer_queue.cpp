// TimerQueue: the engine's per-SA deadlines (timer_queue.hpp), against a plain map as
// the reference under random arming, moving and cancelling.
#include "base/rng.hpp"
#include "ike/timer_queue.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <memory>

using namespace ikekit;
using namespace ikekit::ike;

namespace {
TimePoint at_ms(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }
} // namespace

TEST_CASE("TimerQueue: next() is the earliest deadline, due() every due key in key order",
          "[ike][timer]") {
  TimerQueue q;
  CHECK(!q.next());
  CHECK(q.due(at_ms(1000)).empty());
  TimerSlot a, b, c;
  q.set(a, 3, at_ms(30));
  q.set(b, 1, at_ms(10));
  q.set(c, 2, at_ms(20));
  CHECK(q.size() == 3);
  CHECK(q.next() == at_ms(10));
  CHECK(q.due(at_ms(9)).empty());
  CHECK(q.due(at_ms(20)) == std::vector<uint64_t>{1, 2});
  CHECK(q.due(at_ms(30)) == std::vector<uint64_t>{1, 2, 3});
  // Moving a deadline later and earlier.
  q.set(b, 1, at_ms(40));
  CHECK(q.next() == at_ms(20));
  q.set(a, 3, at_ms(5));
  CHECK(q.next() == at_ms(5));
  CHECK(a.at() == at_ms(5));
  // nullopt disarms.
  q.set(a, 3, std::nullopt);
  CHECK(!a.armed());
  CHECK(!a.at());
  CHECK(q.size() == 2);
  CHECK(q.next() == at_ms(20));
}

TEST_CASE("TimerQueue: equal deadlines come out in key order", "[ike][timer]") {
  TimerQueue q;
  std::vector<std::unique_ptr<TimerSlot>> slots;
  for (uint64_t k : {9, 4, 7, 1, 8}) {
    slots.push_back(std::make_unique<TimerSlot>());
    q.set(*slots.back(), k, at_ms(100));
  }
  CHECK(q.due(at_ms(99)).empty());
  CHECK(q.due(at_ms(100)) == std::vector<uint64_t>{1, 4, 7, 8, 9});
}

TEST_CASE("TimerQueue: a destroyed slot takes its entry along; a destroyed queue disarms",
          "[ike][timer]") {
  auto q = std::make_unique<TimerQueue>();
  TimerSlot kept;
  {
    TimerSlot gone;
    q->set(gone, 1, at_ms(1));
    q->set(kept, 2, at_ms(2));
    CHECK(q->next() == at_ms(1));
  }
  CHECK(q->size() == 1);
  CHECK(q->next() == at_ms(2));
  q.reset();
  CHECK(!kept.armed()); // and its destructor touches no freed queue
}

TEST_CASE("TimerQueue: random arming, moving and cancelling agree with a map", "[ike][timer]") {
  SeededRng rng(17);
  auto draw = [&](uint32_t bound) {
    uint8_t b[4];
    rng.fill(b);
    return load_be32(b) % bound;
  };
  TimerQueue q;
  constexpr size_t kSlots = 500;
  std::vector<TimerSlot> slots(kSlots);
  std::map<uint64_t, TimePoint> ref;
  for (int step = 0; step < 20000; ++step) {
    uint64_t k = draw(kSlots);
    if (draw(4) == 0) {
      q.set(slots[k], k, std::nullopt);
      ref.erase(k);
    } else {
      TimePoint t = at_ms(draw(1000));
      q.set(slots[k], k, t);
      ref[k] = t;
    }
    REQUIRE(q.size() == ref.size());
    std::optional<TimePoint> earliest;
    for (auto& [key, t] : ref)
      if (!earliest || t < *earliest) earliest = t;
    REQUIRE(q.next() == earliest);
    if (step % 97 == 0) {
      TimePoint now = at_ms(draw(1000));
      std::vector<uint64_t> want;
      for (auto& [key, t] : ref)
        if (t <= now) want.push_back(key);
      REQUIRE(q.due(now) == want);
      for (auto& [key, t] : ref)
        REQUIRE(slots[key].at() == t);
    }
  }
}
