// bench/roam_bench and roam_pinger: what a round's probes mean (recovery, losses), the
// SPIs read from swanctl and ikectl, the percentiles with timeouts, the document.
#include "bench/roam_bench.hpp"
#include "bench/roam_pinger.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::bench;
using std::chrono::milliseconds;

namespace {

// Probes every 10 ms from t0; replies 1 ms after each, except those in [lost_from, lost_to).
std::vector<Probe> probes(SteadyTime t0, int n, int lost_from, int lost_to) {
  std::vector<Probe> v;
  for (int i = 0; i < n; ++i) {
    Probe p{t0 + milliseconds(10 * i), std::nullopt};
    if (i < lost_from || i >= lost_to) p.reply = p.sent + milliseconds(1);
    v.push_back(p);
  }
  return v;
}

RoamResult result(Peer peer, std::vector<std::optional<double>> recoveries) {
  RoamResult r;
  r.peer = peer;
  for (auto x : recoveries)
    r.rounds.push_back(RoamRound{x, 2.5, 100, 10, std::optional<bool>(true)});
  return r;
}

} // namespace

TEST_CASE("roam: recovery runs from the move to the first reply to a probe sent after it") {
  const SteadyTime t0{};
  // Moved at 100 ms; probes 10..21 (100..210 ms) unanswered; probe 22 sent at 220 ms,
  // answered at 221 ms.
  auto o = observe_roam(probes(t0, 40, 10, 22), t0 + milliseconds(100));
  REQUIRE(o.recovery_ms);
  CHECK(*o.recovery_ms == Approx(121.0));
  CHECK(o.sent == 40);
  CHECK(o.lost == 12);
}

TEST_CASE("roam: a late reply to a probe sent before the move proves nothing") {
  const SteadyTime t0{};
  auto v = probes(t0, 30, 10, 30);
  v[9].reply = t0 + milliseconds(150); // sent at 90 ms, answered after the move
  auto o = observe_roam(v, t0 + milliseconds(95));
  CHECK_FALSE(o.recovery_ms);
  CHECK(o.lost == 20);
}

TEST_CASE("roam: SPIs from swanctl --list-sas (strongSwan 5.9) and ikectl list-sas") {
  const std::string swan = "ikb: #1, ESTABLISHED, IKEv2, 8e5d0e6d7f0a9c3b_i* 1c2d3e4f5a6b7c8d_r\n"
                           "  local  'left@ikb.test' @ 10.253.0.5[4500]\n"
                           "  ikb: #2, reqid 1, INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-256\n";
  auto s = parse_swanctl_spis(swan);
  REQUIRE(s);
  CHECK(s->spi_i == 0x8e5d0e6d7f0a9c3bULL);
  CHECK(s->spi_r == 0x1c2d3e4f5a6b7c8dULL);
  // The responder's view marks the other SPI as its own.
  auto r =
      parse_swanctl_spis("ikb: #1, ESTABLISHED, IKEv2, 8e5d0e6d7f0a9c3b_i 1c2d3e4f5a6b7c8d_r*\n");
  REQUIRE(r);
  CHECK(*r == *s);
  CHECK_FALSE(
      parse_swanctl_spis("ikb: #1, CONNECTING, IKEv2, 8e5d0e6d7f0a9c3b_i* 0000000000000000_r\n"));
  CHECK_FALSE(parse_swanctl_spis(""));

  auto k = parse_ikectl_spis(
      R"({"result":{"ike_sas":[{"name":"ikb","spi_i":"8e5d0e6d7f0a9c3b","spi_r":"1c2d3e4f5a6b7c8d"}]}})");
  REQUIRE(k);
  CHECK(*k == *s);
  CHECK_FALSE(parse_ikectl_spis(R"({"result":{"ike_sas":[]}})"));
  CHECK_FALSE(parse_ikectl_spis(R"({"result":{"ike_sas":[{"spi_i":"xyz","spi_r":"00"}]}})"));
  CHECK_FALSE(parse_ikectl_spis("not json"));
}

TEST_CASE("roam: a timeout counts as infinitely slow in the percentiles") {
  auto r = result(Peer::strongswan, {120.0, std::nullopt, 110.0});
  CHECK(*recovery_percentile(r, 50) == Approx(120.0));
  CHECK(*recovery_percentile(r, 0) == Approx(110.0));
  CHECK_FALSE(recovery_percentile(r, 99)); // falls on the timeout
  CHECK_FALSE(recovery_percentile(result(Peer::ikekit, {std::nullopt}), 50));
}

TEST_CASE("roam: the document has every field, null where unknown") {
  RoamOptions o;
  auto r = result(Peer::strongswan, {120.0, std::nullopt, 110.0});
  r.ratios = {{"recovery_vs_wireguard_go", 125.0}, {"recovery_vs_ikekit", std::nullopt}};
  auto j = roam_result_to_json(r, o);
  CHECK(j["name"] == "roam");
  CHECK(j["params"]["peer"] == "strongswan");
  CHECK(j["params"]["interval_ms"] == 10);
  CHECK(j["recovery_ms"]["p50"].get<double>() == Approx(120.0));
  CHECK(j["recovery_ms"]["p99"].is_null());
  CHECK(j["recovery_ms_per_round"].size() == 3);
  CHECK(j["recovery_ms_per_round"][1].is_null());
  CHECK(j["timeouts"] == 1);
  CHECK(j["move_ms_max"].get<double>() == Approx(2.5));
  CHECK(j["pings_sent"] == 300);
  CHECK(j["pings_lost"] == 30);
  CHECK(j["ike_sa_kept"] == true);
  CHECK(j["rounds"] == 3);
  CHECK(j["ratio"]["recovery_vs_wireguard_go"].get<double>() == Approx(125.0));
  CHECK(j["ratio"]["recovery_vs_ikekit"].is_null());
  CHECK(j["error"].is_null());

  // The IKE SA counts as kept only in rounds that recovered.
  auto t = result(Peer::ikekit, {std::nullopt});
  CHECK(roam_result_to_json(t, o)["ike_sa_kept"].is_null());
  t.rounds.push_back(RoamRound{50.0, 1.0, 100, 5, false});
  CHECK(roam_result_to_json(t, o)["ike_sa_kept"] == false);
}

TEST_CASE("roam: options are checked with the flag named") {
  RoamOptions o;
  o.peers = {Peer::ikekit, Peer::strongswan};
  CHECK(check_roam_options(o));
  o.peers = {Peer::none};
  CHECK(check_roam_options(o).error().field == "--compare");
  o.peers = {Peer::ikekit, Peer::ikekit};
  CHECK(check_roam_options(o).error().field == "--compare");
  o.peers = {Peer::ikekit};
  o.rounds = 0;
  CHECK(check_roam_options(o).error().field == "--rounds");
  o.rounds = 1;
  o.max_wait = milliseconds(10);
  CHECK(check_roam_options(o).error().field == "--max-wait");
}
