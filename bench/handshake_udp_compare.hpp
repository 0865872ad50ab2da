// `ike-bench handshake --mode udp --compare [--rounds N]`: ike-up and strongSwan as the
// responder in the same invocation, alternating (round 1: ikekit then strongswan,
// round 2: strongswan then ikekit, ...), so machine noise and load hit both alike and
// the ratios come from one run. Each round is a complete run_handshake_udp (fresh
// namespaces and responder) with the same options.
//
// Two results, "handshake_udp" with params.peer "ikekit" and "strongswan" (and
// params.rounds): latencies of all rounds together, counts and CPU summed over the
// rounds, extra.round_handshakes_per_s per round. The ikekit result carries
//   ratio.vs_strongswan             ikekit handshakes/s over strongSwan's
//   ratio.latency_p50_vs_strongswan strongSwan's p50 over ikekit's
//   ratio.latency_p99_vs_strongswan strongSwan's p99 over ikekit's
//   ratio.responder_cpu_vs_strongswan strongSwan's responder CPU per handshake over ikekit's
// all "higher is better" as the gate reads ratio entries; null when either side failed.
#pragma once

#include "bench/handshake.hpp"

#include <vector>

namespace ikekit::bench {

inline constexpr int kDefaultCompareRounds = 3;

// Errors stay in the results (one per peer); opts.peer and opts.target are ignored
// (--target with --compare is a usage error for the CLI to report).
std::vector<HandshakeResult> run_handshake_udp_compare(const HandshakeOptions& opts, int rounds,
                                                       const HandshakeProgressFn& progress);

} // namespace ikekit::bench
