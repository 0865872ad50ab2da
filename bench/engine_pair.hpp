// An initiator Engine and a responder Engine in one process, exchanging datagrams
// directly through buffers (no sockets), driven by one thread with real steady_clock
// time as `now`. The harness of `ike-bench handshake --mode inproc` and `ike-bench scale`.
//
// Why not tests/engine/sim.hpp: the simulator copies every datagram into a fresh vector,
// keeps every event, and scans every node's next_timeout() per step (O(SAs) each), which
// is right for virtual-time protocol tests and wrong for a benchmark. Here:
//  * datagram buffers are reused (each slot keeps its capacity), events are reduced to
//    what the benchmark needs (initiator ChildSaUp / Failure / IkeSaDown, by SaId);
//  * each engine call (receive, and the poll_transmit / poll_event drain after it) is
//    timed with CLOCK_THREAD_CPUTIME_ID, so the CPU cost splits into initiator and
//    responder; the driver's own work is what the process CPU time has on top;
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

  ike::Engine& initiator() { return *initiator_; }
  ike::Engine& responder() { return *responder_; }
  // Destroys one side (scale: RSS attribution per side). Do not pump afterwards.
  void destroy_initiator() { initiator_.reset(); }
  void destroy_responder() { responder_.reset(); }

  const PairCounters& counters() const { return counters_; }

  // A datagram in flight, its buffer reused from pass to pass.
  struct Packet {
    ike::Endpoint from, to;
    bool nat_t = false;
    Bytes data;
  };

private:
  // Moves everything `from` has queued into `out[0..n)`; returns n.
  size_t drain(ike::Engine& from, std::vector<Packet>& out);
  void deliver(ike::Engine& to, std::vector<Packet>& q, size_t n, TimePoint now);
  void drain_initiator_events();
  void drain_responder_events();
  // on_timeout() when next_timeout() is due; returns whether it was.
  bool fire_timers(ike::Engine& e, TimePoint now);

  const PairConfig* cfg_;
  Rng* rng_;
  std::unique_ptr<ike::Engine> initiator_, responder_;
  std::vector<Packet> to_responder_, to_initiator_;
  Bytes scratch_; // poll_transmit target (65535 bytes always suffice)
  std::vector<PairEvent> events_;
  PairCounters counters_;
};

} // namespace ikekit::bench
