// `ike-bench tunnel`: TCP throughput (single stream and N streams, iperf3) and ping RTT
// through a tunnel between two network namespaces (netns.hpp), for ikekit's
// esp-tunnel and for the peers it is compared with (tunnel_peers.hpp).
//
// Method, per peer and round: a fresh topology, the tunnel brought up, a ping through it
// until one passes (WireGuard's handshake, the IKE SA of strongSwan), then with an iperf3
// server in the right namespace (bound to the inner address): `pings` pings at
// `ping_interval` (idle RTT; every reply's time is a sample), one iperf3 TCP stream for
// `duration`, then `streams` parallel streams for `duration`; the rate is iperf3's
// end.sum_received (what crossed the tunnel). Then everything is stopped by PID and the
// namespaces are deleted. With several peers (--compare) the rounds alternate the
// peers, forward in even rounds and backward in odd ones, so machine noise hits all
// alike; per peer the reported rate is the median of its rounds and the RTT statistics
// cover every sample of every round. Ratios are those of the first peer to each other
// one, the median of the per-round ratios.
#pragma once

#include "base/result.hpp"
#include "bench/tunnel_peers.hpp"

#include "json/output.hpp"
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ikekit::bench {

struct TunnelOptions {
  std::vector<Peer> peers = {Peer::ikekit}; // --peer, or the --compare list
  std::string cipher = "aes256gcm16";
  std::string backend = "tun";
  int duration_s = 5; // per iperf3 test; iperf3 -t takes whole seconds
  int streams = 4;    // the multi-stream test
  int rounds = 1;
  int pings = 20;
  double ping_interval_s = 0.05;
  std::string esp_tunnel; // the esp-tunnel binary (ikekit)
  std::string ike_up;     // the ike-up binary (ikekit-tcp)
};

// Errc::usage naming the flag: known cipher, backend tun, duration >= 1 s, streams
// 2..128, rounds 1..100, peers not empty and without duplicates.
Result<void> check_tunnel_options(const TunnelOptions& opts);

// Errc::environment: not root, no /dev/net/tun, or ip, ping or iperf3 missing (naming
// the Debian package).
Result<void> check_tunnel_environment();

struct TunnelRound {
  double single_bits_per_s = 0;
  double multi_bits_per_s = 0;
  std::optional<uint64_t> single_retransmits;
  // CPU seconds (user + system, all threads) the tunnel's own processes spent per Gbit
  // the single stream carried; nullopt for the bare veth (no such process).
  std::optional<double> single_cpu_s_per_gbit;
  std::vector<double> rtt_ms; // every reply
  double rtt_avg_ms = 0;
  int ping_transmitted = 0;
  int ping_received = 0;
};

struct TunnelResult {
  Peer peer = Peer::none;
  std::optional<std::string> cipher; // what protected the traffic
  std::optional<std::string> backend;
  std::vector<TunnelRound> rounds; // the rounds that completed
  // "vs_<peer>" (single stream), "tcp_multi_vs_<peer>", "rtt_vs_<peer>" (their RTT / ours)
  std::vector<std::pair<std::string, double>> ratios;
  std::optional<Error> error; // the first failure; then the numbers are null
};

struct TunnelProgress {
  int round = 0; // 1-based
  int rounds = 0;
  Peer peer = Peer::none;
  std::string step;
};
using TunnelProgressFn = std::function<void(const TunnelProgress&)>;

// Runs the method above, each round with its own private directory for keys, configs
// and logs (/tmp/ike-bench-tunnel-<peer>-XXXXXX, removed with the round). A peer whose tools are
// missing reports Errc::environment without running; a stop signal (install_stop_signals) ends the
// run with interrupted_error() in the results not yet complete.
std::vector<TunnelResult> run_tunnel_bench(const TunnelOptions& opts,
                                           const TunnelProgressFn& progress);

// {"name":"tunnel","params":{"peer","cipher","backend","transport","streams","duration_s"},
//  "tcp_single_bits_per_s","tcp_single_bytes_per_s","tcp_multi_bits_per_s",
//  "tcp_multi_bytes_per_s","tcp_single_retransmits","ping_rtt_avg_ms",
//  "ping_rtt_ms":{"p50","p99","avg","min","max"},"ping_sent","ping_received","rounds",
//  ["ratio":{...}],"error"}. With an error the numbers are null and "error" is
// {"code","field","message"}.
json::Json tunnel_result_to_json(const TunnelResult& r, const TunnelOptions& opts);

// The medians over rounds (0 when there are none).
double median_single_bits_per_s(const TunnelResult& r);

} // namespace ikekit::bench
