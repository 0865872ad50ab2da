// `ike-bench roam`: how fast a tunnel recovers when its client moves from one access
// network to another (Wi-Fi to cellular), for ikekit (ike-up with MOBIKE, RFC 4555),
// strongSwan (MOBIKE) and wireguard-go (endpoint roaming), in the topology of
// roam_netns.hpp: the client behind NAT a, then behind NAT b.
//
// Method, per peer and round: a fresh topology, the tunnel brought up (tunnel_peers.hpp,
// roaming), a ping through it until one passes, the IKE SA's SPIs read on both ends
// (swanctl --list-sas, ikectl list-sas). Then the probe (roam_pinger.hpp) sends an ICMP
// echo request every `interval` from the client's inner address to the server's; after
// `settle` of replies the client moves (RoamTopology::move_to_b), the probe held back
// meanwhile (a request sent before the change took effect would return on the old path).
// Recovery is the time from the completed move to the first reply to a request sent
// after it (the first goes out at once, then one per interval: that is the resolution); without one
// within `max_wait` the round is a timeout. After a recovery the probe runs `settle` more, then
// waits as long for late replies; every request without a reply counts as lost. Then the
// SPIs are read again: the IKE SA was kept when the client has the SPIs it had before
// and the server the same ones. With several peers the rounds alternate (forward in even
// rounds, backward in odd ones) as in `ike-bench tunnel`.
#pragma once

#include "base/result.hpp"
#include "bench/tunnel_peers.hpp"

#include "json/output.hpp"
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ikekit::bench {

struct RoamOptions {
  std::vector<Peer> peers = {Peer::ikekit};
  int rounds = 3;
  std::chrono::milliseconds interval{10};
  std::chrono::milliseconds max_wait{20000}; // per round, from the move
  std::chrono::milliseconds settle{300};     // of steady replies before and after
  std::string cipher = "aes256gcm16";
};

// Errc::usage naming the flag: peers known (not none), no duplicates; rounds 1..100;
// interval 1 ms..1 s; max_wait 100 ms..120 s.
Result<void> check_roam_options(const RoamOptions& o);
// Errc::environment: not root, no /dev/net/tun, or ip, ping, nft or sysctl missing.
Result<void> check_roam_environment();

struct RoamRound {
  std::optional<double> recovery_ms; // nullopt: no reply within max_wait (a timeout)
  double move_ms = 0; // how long `ip` took to make the move (before the clock starts)
  int pings_sent = 0;
  int pings_lost = 0;
  std::optional<bool> ike_sa_kept; // nullopt: the peer has no IKE SA (WireGuard)
};

struct RoamResult {
  Peer peer = Peer::none;
  std::vector<RoamRound> rounds;
  // "recovery_vs_<peer>": that peer's p50 recovery / ours (higher: we are faster);
  // nullopt when either p50 is unknown (a timeout in half the rounds or more).
  std::vector<std::pair<std::string, std::optional<double>>> ratios;
  std::optional<Error> error;
};

struct RoamProgress {
  int round = 0; // 1-based
  int rounds = 0;
  Peer peer = Peer::none;
  std::string step;
};

// Runs the method above, each round in its own private directory
// (/tmp/ike-bench-roam-<peer>-XXXXXX, removed with the round).
std::vector<RoamResult> run_roam_bench(const RoamOptions& o,
                                       const std::function<void(const RoamProgress&)>& progress);

// The IKE SA's SPIs, as read from a peer's own tool.
struct IkeSpis {
  uint64_t spi_i = 0, spi_r = 0;
  bool operator==(const IkeSpis&) const = default;
};
// From `swanctl --list-sas` text: the first established IKE SA's "<hex>_i[*] <hex>_r[*]".
std::optional<IkeSpis> parse_swanctl_spis(const std::string& text);
// From `ikectl list-sas` JSON ({"result":{"ike_sas":[{"spi_i","spi_r",...}]}}, or the
// result itself): the first IKE SA's.
std::optional<IkeSpis> parse_ikectl_spis(const std::string& text);

// The recovery percentiles over all rounds, a timeout counting as +infinity (so p99 is
// unknown after any timeout); nullopt when the percentile falls on a timeout.
std::optional<double> recovery_percentile(const RoamResult& r, double p);

// {"name":"roam","params":{"peer","interval_ms","max_wait_ms"},"recovery_ms":{"p50",
//  "p99","min","max"},"recovery_ms_per_round":[..],"timeouts","pings_sent","pings_lost",
//  "ike_sa_kept","rounds","ratio":{...},"error"}; see ikekit-json(7).
json::Json roam_result_to_json(const RoamResult& r, const RoamOptions& o);

} // namespace ikekit::bench
