// RFC 4303 3.4.3 receive window, kept as RFC 6479 blocks, and RFC 4303 Appendix A
// (ESN high-half inference).
#include "esp/replay_window.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::esp;

namespace {
ReplayWindow make(uint32_t size) {
  auto w = ReplayWindow::create(size);
  REQUIRE(w);
  return std::move(w).value();
}
// "check before the ICV, commit after it" in one step, as a receiver does for a
// packet whose ICV verified.
ReplayCheck receive(ReplayWindow& w, uint64_t seq) {
  auto c = w.check(seq);
  if (c == ReplayCheck::ok) w.commit(seq);
  return c;
}
} // namespace

TEST_CASE("replay window: sizes are rounded up to whole 64-bit blocks") {
  CHECK(make(1).size() == 64);
  CHECK(make(64).size() == 64);
  CHECK(make(65).size() == 128);
  CHECK(make(1000).size() == 1024);
  CHECK(make(4096).size() == 4096);
  CHECK(ReplayWindow::create().value().size() == ReplayWindow::kDefaultSize);
  CHECK_FALSE(ReplayWindow::create(0));
  CHECK_FALSE(ReplayWindow::create(ReplayWindow::kMaxSize + 1));
}

TEST_CASE("replay window: in-order packets are accepted once, duplicates are replays") {
  auto w = make(64);
  for (uint64_t s = 1; s <= 500; ++s)
    REQUIRE(receive(w, s) == ReplayCheck::ok);
  CHECK(w.highest() == 500);
  for (uint64_t s = 500 - 63; s <= 500; ++s)
    CHECK(w.check(s) == ReplayCheck::replay);
}

TEST_CASE("replay window: sequence number 0 is never valid (RFC 4303 3.3.3)") {
  auto w = make(64);
  CHECK(w.check(0) == ReplayCheck::too_old);
}

TEST_CASE("replay window: reordering within the window is accepted") {
  auto w = make(64);
  CHECK(receive(w, 10) == ReplayCheck::ok);
  CHECK(receive(w, 7) == ReplayCheck::ok);
  CHECK(receive(w, 9) == ReplayCheck::ok);
  CHECK(receive(w, 8) == ReplayCheck::ok);
  CHECK(receive(w, 1) == ReplayCheck::ok);
  CHECK(receive(w, 8) == ReplayCheck::replay);
  CHECK(receive(w, 10) == ReplayCheck::replay);
  CHECK(w.check(2) == ReplayCheck::ok);
  CHECK(w.highest() == 10);
}

TEST_CASE("replay window: check without commit does not mark") {
  auto w = make(64);
  CHECK(w.check(5) == ReplayCheck::ok);
  CHECK(w.check(5) == ReplayCheck::ok); // e.g. the first copy failed its ICV
  CHECK(w.highest() == 0);
  w.commit(5);
  CHECK(w.check(5) == ReplayCheck::replay);
}

TEST_CASE("replay window: exactly at the window edge") {
  for (uint32_t size : {64u, 1024u, 4096u}) {
    CAPTURE(size);
    auto w = make(size);
    const uint64_t top = 100000;
    w.commit(top);
    // Window is top-W+1 .. top.
    CHECK(w.check(top - size + 1) == ReplayCheck::ok);
    CHECK(w.check(top - size) == ReplayCheck::too_old);
    w.commit(top - size + 1);
    CHECK(w.check(top - size + 1) == ReplayCheck::replay);
    // Sliding by one pushes the oldest packet out of the window.
    w.commit(top + 1);
    CHECK(w.check(top - size + 1) == ReplayCheck::too_old);
    CHECK(w.check(top - size + 2) == ReplayCheck::ok);
  }
}

TEST_CASE("replay window: a far-new jump slides the window and forgets old bits") {
  for (uint32_t size : {64u, 1024u, 4096u}) {
    CAPTURE(size);
    auto w = make(size);
    for (uint64_t s = 1; s <= size; ++s)
      w.commit(s);
    // Jump by less than the window: the overlap keeps its marks.
    const uint64_t mid = size + size / 2;
    CHECK(receive(w, mid) == ReplayCheck::ok);
    CHECK(w.check(size) == ReplayCheck::replay);
    CHECK(w.check(size + 1) == ReplayCheck::ok);
    // Jump far past the ring: every bit of the new window is clear.
    const uint64_t far = 10 * uint64_t(size) + 37;
    CHECK(receive(w, far) == ReplayCheck::ok);
    for (uint64_t s = far - size + 1; s < far; ++s)
      REQUIRE(w.check(s) == ReplayCheck::ok);
    CHECK(w.check(far - size) == ReplayCheck::too_old);
    CHECK(w.check(mid) == ReplayCheck::too_old);
    CHECK(w.check(far) == ReplayCheck::replay);
  }
}

TEST_CASE("replay window: stale ring blocks do not leak into a slid window") {
  // A jump of exactly one block boundary reuses a ring slot; its old bits must be gone.
  auto w = make(64);
  for (uint64_t s = 1; s <= 64; ++s)
    w.commit(s);
  w.commit(64 + 64 * 2 + 5); // the 2-block ring wraps: both slots must be cleared
  for (uint64_t s = 64 * 2 + 6; s < 64 * 3 + 5; ++s)
    REQUIRE(w.check(s) == ReplayCheck::ok);
}

TEST_CASE("replay window: random reordering agrees with a reference set") {
  auto w = make(128);
  std::vector<bool> seen(5000, false);
  uint64_t top = 0;
  uint64_t x = 12345;
  for (int i = 0; i < 20000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    uint64_t seq = 1 + (x >> 33) % 4999;
    ReplayCheck expect = seq + 128 <= top ? ReplayCheck::too_old
                         : seen[seq]      ? ReplayCheck::replay
                                          : ReplayCheck::ok;
    REQUIRE(receive(w, seq) == expect);
    if (expect == ReplayCheck::ok) {
      seen[seq] = true;
      if (seq > top) top = seq;
    }
  }
}

// RFC 4303 Appendix A2.2: estimating the high 32 bits from the window.
TEST_CASE("replay window: ESN high half inference") {
  auto w = make(64);
  SECTION("before any packet, small numbers are in block 0 and wrapped ones invalid") {
    CHECK(w.infer_esn(1) == std::optional<uint64_t>(1));
    CHECK(w.infer_esn(0xffffffffu) == std::nullopt);
  }
  SECTION("case A: window inside one block") {
    w.commit((uint64_t(3) << 32) | 1000);
    CHECK(w.infer_esn(1000) == ((uint64_t(3) << 32) | 1000));
    CHECK(w.infer_esn(1000 - 63) == ((uint64_t(3) << 32) | (1000 - 63)));
    CHECK(w.infer_esn(5000) == ((uint64_t(3) << 32) | 5000));
    // Below the window: taken as the next block (Seqh = Th + 1).
    CHECK(w.infer_esn(1000 - 64) == ((uint64_t(4) << 32) | (1000 - 64)));
    CHECK(w.infer_esn(0) == (uint64_t(4) << 32));
  }
  SECTION("the low 32 bits wrap: packets just after the wrap get Th + 1") {
    w.commit(0xfffffff0u);
    auto s = w.infer_esn(2);
    REQUIRE(s);
    CHECK(*s == (uint64_t(1) << 32 | 2));
    CHECK(w.check(*s) == ReplayCheck::ok);
    w.commit(*s);
    CHECK(w.highest() == (uint64_t(1) << 32 | 2));
    // case B: late packets from before the wrap are still in the window.
    CHECK(w.infer_esn(0xfffffff5u) == std::optional<uint64_t>(0xfffffff5u));
    CHECK(w.check(0xfffffff5u) == ReplayCheck::ok);
    CHECK(w.check(0xfffffff0u) == ReplayCheck::replay);
    CHECK(w.infer_esn(3) == std::optional<uint64_t>(uint64_t(1) << 32 | 3));
  }
  SECTION("at the end of the 64-bit space") {
    w.commit(~uint64_t(0) - 10);
    CHECK(w.infer_esn(0xfffffffeu) == std::optional<uint64_t>(~uint64_t(0) - 1));
    CHECK(w.infer_esn(5) == std::nullopt); // would need Seqh = 2^32
  }
}
