// The engine's timers (SaTable's TimerQueue, sa_deadline() in sa_state.cpp): with many
// IKE SAs whose deadlines differ, each fires at its own time and in deadline order.
// (Every engine test also runs with timer_self_check, sim.hpp: the queue's entry of
// every SA is compared with its deadlines after each engine call.)
#include "sim.hpp"

#include <catch2/catch.hpp>
#include <map>

using namespace ikekit;
using namespace ikekit::ike;
using namespace ikekit::ike::test;

TEST_CASE("timers: 40 IKE SAs with different rekey deadlines rekey in deadline order",
          "[engine][timers]") {
  constexpr int kSas = 40;
  Config l, r;
  r.peers.push_back(psk_peer("gw", "10.0.0.2", "10.0.0.1"));
  r.half_open_limit_per_ip = 0; // all 40 handshakes at once from one address
  r.cookie_threshold = 1000;
  // Connection k rekeys after 60 s + perm(k) * 7 s, its IKE SA (even k) or its Child SA
  // (odd k): the order of the deadlines is not the order of the SAs.
  std::map<std::string, Duration> rekey_after;
  for (int k = 0; k < kSas; ++k) {
    PeerConfig p = psk_peer("c" + std::to_string(k), "10.0.0.1", "10.0.0.2");
    p.send_initial_contact = false; // or each IKE SA would replace the one before
    const Duration after = 60s + (k * 17 % kSas) * 7s;
    (k % 2 ? p.child.lifetimes : p.ike_lifetimes).rekey_time = after;
    rekey_after[p.name] = after;
    l.peers.push_back(std::move(p));
  }
  Pair pair(l, r);
  for (int k = 0; k < kSas; ++k)
    REQUIRE(pair.left->engine->initiate("c" + std::to_string(k), pair.net.now));
  REQUIRE(pair.net.run_until([&] { return pair.left->count<ChildSaUp>() == kSas; }, 5s));
  const TimePoint up = pair.net.now; // every SA came up within the 5 s before this

  // Step through virtual time, noting when each connection's first rekey completed (the
  // new SAs rekey again after the same time).
  std::vector<std::pair<std::string, TimePoint>> rekeyed;
  std::map<std::string, bool> done;
  auto note = [&](const std::string& peer) {
    if (!done[peer]) rekeyed.emplace_back(peer, pair.net.now);
    done[peer] = true;
  };
  size_t seen = pair.left->events.size();
  const TimePoint limit = up + 60s + kSas * 7s;
  while (rekeyed.size() < size_t(kSas) && pair.net.step(limit)) {
    for (; seen < pair.left->events.size(); ++seen) {
      const Event& e = pair.left->events[seen];
      if (auto* i = std::get_if<IkeSaRekeyed>(&e)) note(i->peer);
      if (auto* c = std::get_if<ChildSaRekeyed>(&e)) note(c->peer);
    }
  }
  REQUIRE(rekeyed.size() == size_t(kSas));
  for (size_t k = 0; k < rekeyed.size(); ++k) {
    INFO(rekeyed[k].first);
    const Duration after = rekey_after.at(rekeyed[k].first);
    CHECK(rekeyed[k].second >= up - 5s + after); // not before its deadline
    CHECK(rekeyed[k].second <= up + after + 1s); // at it (one round trip)
    if (k > 0) CHECK(rekey_after.at(rekeyed[k - 1].first) < after);
  }
  CHECK(pair.left->count<Failure>() == 0);
  CHECK(pair.right->count<Failure>() == 0);
}
