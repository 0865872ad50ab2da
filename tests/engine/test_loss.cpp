// RFC 7296 2.1: the exchanges complete over a lossy network. 30% random loss, 10%
// duplication and reordering (extra random delay up to 50 ms on half the datagrams),
// 100 seeds. Retransmission timeout 1 s, 10 tries.
#include "sim.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::ike;
using namespace ikekit::ike::test;

namespace {
Pair lossy_pair(uint64_t seed) {
  auto l = config_with(psk_peer("home", "10.0.0.1", "10.0.0.2"));
  auto r = config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1"));
  l.retransmit_timeout = r.retransmit_timeout = 1s;
  l.retransmit_tries = r.retransmit_tries = 10;
  Pair p(l, r, seed);
  p.net.loss = 0.3;
  p.net.duplicate = 0.1;
  p.net.reorder = 0.5;
  return p;
}
} // namespace

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

TEST_CASE("Child SA and IKE SA rekey under 30% loss with duplication and reordering, 100 seeds",
          "[engine][loss][rekey]") {
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    INFO("seed " << seed);
    Pair p = lossy_pair(seed);
    p.initiate();
    REQUIRE(p.net.run_until([&] { return p.both_up(); }, 600s));
    SaId id = p.left->all<IkeSaUp>()[0].sa;
    uint32_t old_in = p.left->all<ChildSaUp>()[0].spi_in;
    REQUIRE(p.left->engine->rekey_child(id, old_in, p.net.now));
    REQUIRE(p.net.run_until(
        [&] { return p.left->count<ChildSaDown>() == 1 && p.right->count<ChildSaDown>() == 1; },
        600s));
    REQUIRE(p.left->engine->rekey_ike(id, p.net.now));
    REQUIRE(p.net.run_until(
        [&] { return p.left->count<IkeSaRekeyed>() == 1 && p.right->count<IkeSaRekeyed>() == 1; },
        600s));
    p.net.run_for(120s); // the old IKE SA's Delete completes (or it expires)
    auto ls = p.left->engine->list_sas(), rs = p.right->engine->list_sas();
    REQUIRE(ls.size() == 1);
    REQUIRE(rs.size() == 1);
    CHECK(ls[0].spi_i == rs[0].spi_i);
    REQUIRE(ls[0].children.size() == 1);
    REQUIRE(rs[0].children.size() == 1);
    CHECK(ls[0].children[0].spi_in == rs[0].children[0].spi_out);
    CHECK(p.left->count<Failure>() == 0);
    CHECK(p.right->count<Failure>() == 0);
    CHECK(p.left->count<IkeSaDown>() == 0);
    CHECK(p.right->count<IkeSaDown>() == 0);
  }
}
