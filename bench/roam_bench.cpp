#include "bench/roam_bench.hpp"

#include "base/hex.hpp"
#include "bench/files.hpp"
#include "bench/roam_netns.hpp"
#include "bench/roam_pinger.hpp"
#include "bench/rounds.hpp"
#include "bench/stats.hpp"

#include "json/payload_json.hpp"
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <unistd.h>

namespace ikekit::bench {

namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// The IKE SA's SPIs as the peer's own tool shows them on one end (0: left, 1: right);
// nullopt when it shows none. WireGuard has none to ask for.
std::optional<IkeSpis> read_spis(Peer peer, RunningTunnel& t, size_t end) {
  if (peer == Peer::strongswan && end < t.charons.size()) {
    auto o = t.charons[end].swanctl({"--list-sas", "--ike", "ikb"}, "strongswan");
    return o ? parse_swanctl_spis(o->out) : std::nullopt;
  }
  if (peer == Peer::ikekit && end < t.control_sockets.size()) {
    auto ikectl = find_tool_beside("ikectl", "--compare");
    if (!ikectl) return std::nullopt;
    auto o = run_command({*ikectl, "--socket", t.control_sockets[end], "list-sas"});
    return o && o->exit_code == 0 ? parse_ikectl_spis(o->out) : std::nullopt;
  }
  return std::nullopt;
}

// Waits for the first reply to a request sent at or after `since`, until `deadline`.
Result<std::optional<SteadyTime>> wait_reply(Pinger& ping, SteadyTime since, SteadyTime deadline) {
  for (;;) {
    if (auto r = ping.first_reply_since(since)) return r;
    if (Clock::now() >= deadline) return std::optional<SteadyTime>();
    if (!sleep_unless_stopped(milliseconds(2))) return interrupted_error();
  }
}

// The probe across the move: the recovery and the losses (see the header).
Result<RoamRound> ping_across_move(const RoamTopology& topo, const RunningTunnel& t,
                                   const RoamOptions& o,
                                   const std::function<void(const std::string&)>& step) {
  auto ping = Pinger::start(topo.client().ns, *IpAddress::parse(t.src), *IpAddress::parse(t.dst),
                            o.interval);
  if (!ping) return ping.error();
  auto first = wait_reply(**ping, Clock::now(), Clock::now() + milliseconds(3000));
  if (!first) return first.error();
  if (!*first) return make_error(Errc::io, "ping", "no reply through the tunnel before the move");
  if (!sleep_unless_stopped(o.settle)) return interrupted_error();
  step("moving to access network b");
  // No probe goes out while `ip` runs: one sent before the change took effect would
  // come back on the old path and pass for a recovery. The clock starts once the change
  // is made (ip has exited), when the probe resumes.
  (*ping)->hold(true);
  const SteadyTime move_start = Clock::now();
  auto moved = topo.move_to_b();
  const SteadyTime moved_at = Clock::now();
  (*ping)->hold(false);
  if (!moved) return moved.error();
  auto back = wait_reply(**ping, moved_at, moved_at + o.max_wait);
  if (!back) return back.error();
  if (*back && !sleep_unless_stopped(o.settle)) return interrupted_error();
  RoamObservation seen = observe_roam((*ping)->finish(o.settle), moved_at);
  RoamRound round;
  round.recovery_ms = seen.recovery_ms;
  round.move_ms = std::chrono::duration<double, std::milli>(moved_at - move_start).count();
  // A reply after max_wait (while draining) is still a timeout.
  if (round.recovery_ms && *round.recovery_ms > double(o.max_wait.count()))
    round.recovery_ms.reset();
  round.pings_sent = seen.sent;
  round.pings_lost = seen.lost;
  return round;
}

Result<RoamRound> measure_round(Peer peer, const RoamOptions& o,
                                const std::function<void(const std::string&)>& step) {
  auto dir = PrivateDir::create("ike-bench-roam-" + std::string(peer_name(peer)), "roam");
  if (!dir) return dir.error();
  step("namespaces");
  auto topo = RoamTopology::create();
  if (!topo) return topo.error();
  PeerOptions po;
  po.cipher = o.cipher;
  po.work_dir = dir->path();
  po.pid = int(getpid());
  po.roaming = true;
  step("starting the tunnel");
  auto tunnel = start_peer(peer, topo->client(), topo->server(), po);
  if (!tunnel) return tunnel.error();
  if (auto path = wait_for_path(topo->client().ns, *tunnel); !path) return path.error();
  const auto before = read_spis(peer, *tunnel, 0);
  if (peer != Peer::wireguard_go && !before)
    return make_error(Errc::io, "roam", "the client shows no IKE SA before the move");
  step("ping every " + std::to_string(o.interval.count()) + " ms");
  auto round = ping_across_move(*topo, *tunnel, o, step);
  if (!round) return round.error();
  if (peer != Peer::wireguard_go) {
    const auto client = read_spis(peer, *tunnel, 0), server = read_spis(peer, *tunnel, 1);
    round->ike_sa_kept = client && server && *client == *before && *server == *before;
  }
  step("stopping");
  return round; // tunnel and topology stop here, in that order
}

std::string ratio_key(Peer p) {
  std::string name(peer_name(p));
  std::replace(name.begin(), name.end(), '-', '_');
  return "recovery_vs_" + name;
}

void add_ratios(std::vector<RoamResult>& all) {
  for (auto& r : all) {
    if (r.error) continue;
    for (const auto& other : all) {
      if (&other == &r || other.error) continue;
      auto ours = recovery_percentile(r, 50), theirs = recovery_percentile(other, 50);
      r.ratios.emplace_back(ratio_key(other.peer),
                            ours && theirs ? ratio(*theirs, *ours) : std::nullopt);
    }
  }
}

} // namespace

Result<void> check_roam_options(const RoamOptions& o) {
  if (o.peers.empty()) return make_error(Errc::usage, "--compare", "no peer given");
  for (size_t i = 0; i < o.peers.size(); ++i) {
    if (o.peers[i] == Peer::none)
      return make_error(Errc::usage, "--compare",
                        "\"none\": roaming needs a tunnel (ikekit, strongswan, wireguard-go)");
    for (size_t j = i + 1; j < o.peers.size(); ++j)
      if (o.peers[i] == o.peers[j])
        return make_error(Errc::usage, "--compare",
                          std::string(peer_name(o.peers[i])) + " is listed twice");
  }
  if (o.rounds < 1 || o.rounds > 100)
    return make_error(Errc::usage, "--rounds", std::to_string(o.rounds) + ": expected 1..100");
  if (o.interval < milliseconds(1) || o.interval > milliseconds(1000))
    return make_error(Errc::usage, "--interval",
                      std::to_string(o.interval.count()) + " ms: expected 1ms..1s");
  if (o.max_wait < milliseconds(100) || o.max_wait > milliseconds(120000))
    return make_error(Errc::usage, "--max-wait",
                      std::to_string(o.max_wait.count()) + " ms: expected 100ms..120s");
  return {};
}

Result<void> check_roam_environment() {
  return check_netns_environment(
      "roam", "needs root (CAP_NET_ADMIN, CAP_NET_RAW) for namespaces, NAT and ICMP",
      {{"ip", "iproute2"}, {"ping", "iputils-ping"}, {"nft", "nftables"}, {"sysctl", "procps"}});
}

std::optional<IkeSpis> parse_swanctl_spis(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("ESTABLISHED") == std::string::npos) continue;
    std::istringstream words(line);
    std::string w;
    std::optional<uint64_t> i, r;
    while (words >> w) {
      if (!w.empty() && w.back() == '*') w.pop_back();
      if (w.size() > 2 && w.compare(w.size() - 2, 2, "_i") == 0)
        i = parse_hex_u64(std::string_view(w).substr(0, w.size() - 2));
      if (w.size() > 2 && w.compare(w.size() - 2, 2, "_r") == 0)
        r = parse_hex_u64(std::string_view(w).substr(0, w.size() - 2));
    }
    if (i && r) return IkeSpis{*i, *r};
  }
  return std::nullopt;
}

std::optional<IkeSpis> parse_ikectl_spis(const std::string& text) {
  json::Json doc = json::Json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  const json::Json& res = doc.contains("result") ? doc["result"] : doc;
  if (!res.is_object() || !res.contains("ike_sas") || !res["ike_sas"].is_array() ||
      res["ike_sas"].empty())
    return std::nullopt;
  const json::Json& sa = res["ike_sas"][0];
  if (!sa.is_object() || !sa.contains("spi_i") || !sa.contains("spi_r") ||
      !sa["spi_i"].is_string() || !sa["spi_r"].is_string())
    return std::nullopt;
  auto i = parse_hex_u64(sa["spi_i"].get<std::string>()),
       r = parse_hex_u64(sa["spi_r"].get<std::string>());
  if (!i || !r) return std::nullopt;
  return IkeSpis{*i, *r};
}

std::optional<double> recovery_percentile(const RoamResult& r, double p) {
  std::vector<double> v;
  for (const auto& x : r.rounds)
    v.push_back(x.recovery_ms.value_or(std::numeric_limits<double>::infinity()));
  auto q = percentile(v, p);
  if (!q || !std::isfinite(*q)) return std::nullopt;
  return q;
}

std::vector<RoamResult> run_roam_bench(const RoamOptions& o,
                                       const std::function<void(const RoamProgress&)>& progress) {
  std::vector<RoamResult> results;
  for (Peer p : o.peers) {
    RoamResult r;
    r.peer = p;
    PeerOptions po;
    if (p == Peer::ikekit) {
      for (const char* tool : {"ike-up", "ikectl"})
        if (auto f = find_tool_beside(tool, "--compare"); !f && !r.error) r.error = f.error();
    } else if (auto ok = check_peer_tools(p, po); !ok) {
      r.error = ok.error();
    }
    results.push_back(std::move(r));
  }
  run_alternating_rounds(results, o.rounds, [&](RoamResult& r, int round) {
    return measure_round(r.peer, o, [&](const std::string& s) {
      if (progress) progress({round + 1, o.rounds, r.peer, s});
    });
  });
  add_ratios(results);
  return results;
}

json::Json roam_result_to_json(const RoamResult& r, const RoamOptions& o) {
  json::Json j;
  j["name"] = "roam";
  j["params"] = {{"peer", std::string(peer_name(r.peer))},
                 {"interval_ms", o.interval.count()},
                 {"max_wait_ms", o.max_wait.count()}};
  const bool ok = !r.error && !r.rounds.empty();
  if (ok)
    j["recovery_ms"] = {{"p50", json::or_null(recovery_percentile(r, 50))},
                        {"p99", json::or_null(recovery_percentile(r, 99))},
                        {"min", json::or_null(recovery_percentile(r, 0))},
                        {"max", json::or_null(recovery_percentile(r, 100))}};
  else
    j["recovery_ms"] = nullptr;
  json::Json per_round = json::Json::array();
  int timeouts = 0, sent = 0, lost = 0;
  double move_max = 0;
  std::optional<bool> kept;
  for (const auto& x : r.rounds) {
    per_round.push_back(json::or_null(x.recovery_ms));
    timeouts += x.recovery_ms ? 0 : 1;
    move_max = std::max(move_max, x.move_ms);
    sent += x.pings_sent;
    lost += x.pings_lost;
    // Kept means: recovered on the IKE SA it had (a round that never recovered says nothing).
    if (x.ike_sa_kept && x.recovery_ms) kept = kept.value_or(true) && *x.ike_sa_kept;
  }
  j["recovery_ms_per_round"] = ok ? per_round : json::Json();
  // A peer that reacts while `ip` still runs recovers before the clock starts: the
  // longest move says how much of a recovery that can hide.
  j["move_ms_max"] = json::or_null(ok, move_max);
  j["timeouts"] = json::or_null(ok, timeouts);
  j["pings_sent"] = json::or_null(ok, sent);
  j["pings_lost"] = json::or_null(ok, lost);
  j["ike_sa_kept"] = json::or_null(ok ? kept : std::nullopt);
  j["rounds"] = r.rounds.size();
  json::Json ratio = json::Json::object();
  for (const auto& [k, v] : r.ratios)
    ratio[k] = json::or_null(v);
  j["ratio"] = std::move(ratio);
  j["error"] = r.error ? json::error_to_json(*r.error) : json::Json();
  return j;
}

} // namespace ikekit::bench
