// An initiator Engine and a responder Engine in one process, exchanging datagrams
// directly through buffers (no sockets), driven by one thread with real steady_clock
// time as `now`. The harness of `ike-bench handshake --mode inproc` and `ike-bench scale`.
//
// The network is lib/sim's, the engine tests' and the engine fuzzer's, driven by passes
// (sim::Net::pump) with no latency instead of event by event:
//  * datagram buffers are reused (a pool in the Net), events are reduced to what the
//    benchmark needs (initiator ChildSaUp / Failure / IkeSaDown, by SaId) and not kept;
//  * each engine call (receive, on_timeout, and the poll_transmit / poll_event drain
//    after it) is charged to its engine with CLOCK_THREAD_CPUTIME_ID, so the CPU cost
//    splits into initiator and responder; the driver's own work is what the process CPU
//    time has on top;
//  * each pass asks each engine for next_timeout() once and calls on_timeout() when it is
//    due, as ike-up's event loop does once per wake-up, so a timer structure that costs
//    O(SAs) per call shows in the rates; with no loss no timer is due during a
//    handshake, so a pass that moves nothing with handshakes in flight is a stall,
//    reported by the caller as a failure instead of waited out.
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/rng.hpp"
#include "base/time.hpp"
#include "bench/handshake.hpp"
#include "ike/engine.hpp"
#include "sim/net.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ikekit::bench {

// steady_clock now as the engines' TimePoint.
TimePoint steady_now();
// CPU seconds of the calling thread / the whole process.
double thread_cpu_s();
double process_cpu_s();

// The two configurations: initiator 10.0.0.1:500 ("bench") against responder
// 10.0.0.2:500 ("bench-gw"), the IKE and ESP proposals of `opts`, and its auth:
//  * psk: a fixed 32-byte bench key (no secret: both ends are this process);
//  * ecdsa / rsa / ed25519: a certificate chain built into ike-bench (bench/engine_pair.cpp:
//    copies of the public test PKI tests/data/pki, CA + end entity per key type), both
//    ends with the same end entity and trust anchor, the engines' wall clock set inside
//    the certificates' validity (Config::wall_clock_offset) so the run never depends on
//    the date.
// The initiator does not send INITIAL_CONTACT (RFC 7296 2.4), or the responder would
// delete every older IKE SA from the same identity; the responder never asks for
// cookies (cookie_threshold at its maximum) and has no half-open limits: concurrency is
// the benchmark's own knob.
// Errors: Errc::usage naming --ike-proposal / --esp-proposal / --auth.
struct PairConfig {
  ike::Config initiator;
  ike::Config responder;
  std::string connection;                    // the initiator's PeerConfig::name
  const crypto::TransformInfo* ke = nullptr; // the first IKE proposal's first KE group
  std::string auth;                          // "psk", "ecdsa-p256", "rsa-2048", "ed25519"
};
Result<PairConfig> make_pair_config(const HandshakeOptions& opts);

// What the benchmark learns from the initiator's events.
enum class PairEventKind : uint8_t { child_sa_up, failure, ike_sa_down };
struct PairEvent {
  PairEventKind kind;
  ike::SaId sa;
};

struct PairCounters {
  uint64_t datagrams_i2r = 0, datagrams_r2i = 0;
  uint64_t bytes_i2r = 0, bytes_r2i = 0;
  double cpu_s_initiator = 0, cpu_s_responder = 0; // thread CPU inside engine calls
  uint64_t responder_failures = 0;                 // Failure events of the responder
  uint64_t responder_child_sas = 0;                // ChildSaUp events of the responder
};

class EnginePair {
public:
  // Builds both engines at `now` (the Rng must outlive the pair).
  EnginePair(const PairConfig& cfg, Rng& rng, TimePoint now);

  // The initiator starts one IKE SA of cfg.connection.
  Result<ike::SaId> initiate(TimePoint now);
  // One pass: the initiator's queued datagrams to the responder, the responder's answers
  // back to the initiator, their events drained, then each engine's due timers (one
  // next_timeout() per engine per pass). Returns whether any datagram moved or a timer
  // fired.
  bool pump(TimePoint now);
  // Initiator events since the last call (cleared on each call of pump()).
  const std::vector<PairEvent>& events() const { return events_; }

  // Throws both engines away and builds fresh ones (counters are kept): how a long run
  // keeps memory bounded without measuring Delete exchanges.
  void reset(TimePoint now);

  ike::Engine& initiator() { return *initiator_->engine; }
  ike::Engine& responder() { return *responder_->engine; }
  // Destroys one side (scale: RSS attribution per side). Do not pump afterwards.
  void destroy_initiator() { initiator_->engine.reset(); }
  void destroy_responder() { responder_->engine.reset(); }

  PairCounters counters() const;

private:
  const PairConfig* cfg_;
  sim::Net net_;
  sim::Node* initiator_;
  sim::Node* responder_;
  std::vector<PairEvent> events_;
  uint64_t responder_failures_ = 0, responder_child_sas_ = 0;
};

} // namespace ikekit::bench
