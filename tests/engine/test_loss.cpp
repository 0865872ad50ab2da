// RFC 7296 2.1: the exchanges complete over a lossy network. 30% random loss, 10%
// duplication and reordering (extra random delay up to 50 ms on half the datagrams),
// 100 seeds. Retransmission timeout 1 s, 10 tries.
#include <catch2/catch.hpp>

#include "sim.hpp"

using namespace ikekit;
using namespace ikekit::ike;
using namespace ikekit::ike::test;

namespace {
Pair lossy_pair(uint64_t seed) {
  auto l = config_with(psk_peer("home", "10.0.0.1", "10.0.0.2"));
  auto r = config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1"));
  l.retransmit_timeout = r.retransmit_timeout = 1s;
  l.retransmit_tries = r.retransmit_tries = 10;
  l.emit_child_keys = r.emit_child_keys = true;
  Pair p(l, r, seed);
  p.net.loss = 0.3;
  p.net.duplicate = 0.1;
  p.net.reorder = 0.5;
  return p;
}
}  // namespace

TEST_CASE("handshake under 30% loss with duplication and reordering, 100 seeds", "[engine][loss]") {
  int retransmitted = 0;
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    INFO("seed " << seed);
    Pair p = lossy_pair(seed);
    p.initiate();
    REQUIRE(p.net.run_until([&] { return p.both_up(); }, 600s));
    auto lc = p.left->all<ChildSaUp>(), rc = p.right->all<ChildSaUp>();
    REQUIRE(lc.size() == 1);
    REQUIRE(rc.size() == 1);
    CHECK(lc[0].spi_in == rc[0].spi_out);
    CHECK(lc[0].spi_out == rc[0].spi_in);
    CHECK(p.left->count<Failure>() == 0);
    CHECK(p.right->count<Failure>() == 0);
    if (p.left->engine->stats().retransmissions > 0) ++retransmitted;
  }
  CHECK(retransmitted > 50);
}
