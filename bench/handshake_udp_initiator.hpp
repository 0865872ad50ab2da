// The load generator of `ike-bench handshake --mode udp`: ike::Engine as initiator
// on real non-blocking UDP sockets (ports 500 and 4500 of one local address, lib/io),
// driven by the one EventLoop. It keeps `concurrency` IKE SAs in flight and starts the
// next one as soon as one is up (its first Child SA) or failed, until `count` are done
// or `duration` has passed. All SAs go to the same responder from the same address, so
// INITIAL_CONTACT is off (RFC 7296 2.4: it would make the responder delete the earlier
// ones). Established SAs are kept, not deleted: a Delete exchange would add its cost to
// both sides' figures. Every 256 handshakes the initiator moves on to a fresh engine
// (see EngineGen in the .cpp), so its memory does not grow with the run's length; the
// responder keeps every SA.
//
// Latency of one handshake: from the moment initiate() queued the first IKE_SA_INIT
// (sent in the same loop iteration) to the moment the ChildSaUp event was read.
#pragma once

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "base/secret_bytes.hpp"
#include "base/time.hpp"
#include "bench/handshake.hpp"
#include "crypto/proposal_string.hpp"
#include "ike/config.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ikekit::bench {

struct UdpInitiatorOptions {
  IpAddress local; // sockets bind local:500 and local:4500
  IpAddress remote;
  uint16_t remote_port = 500;
  std::vector<crypto::ParsedProposal> ike_proposals, esp_proposals;
  std::vector<ike::TsSpec> local_ts, remote_ts; // empty: the IKE addresses
  SecretBytes psk;
  // run() fails with Errc::timeout when no handshake finished for this long; 0: never
  // (a flood may lock the client out, which is then a result, not an error).
  Duration stall_timeout{std::chrono::seconds(20)};
  // The initiator engine's first retransmission timeout (ike::Config::retransmit_timeout,
  // then back-off); 0: the engine's default (4 s, as strongSwan's).
  Duration retransmit_timeout{0};
};

struct UdpLoadStats {
  size_t completed = 0;
  size_t failed = 0;
  size_t abandoned = 0; // still in flight when a --duration run ended
  double elapsed_s = 0; // first initiate to the last completion (count) or the end (duration)
  double cpu_s = 0;     // this process, over the same interval
  std::vector<double> latency_ms;
  uint64_t datagrams_sent = 0, datagrams_received = 0;
  uint64_t bytes_sent = 0, bytes_received = 0; // IKE messages (no UDP/IP headers, no marker)
  uint64_t send_dropped = 0; // datagrams the kernel did not take (socket buffer full)
  uint64_t retransmissions = 0;
  uint64_t input_dropped = 0;   // datagrams the engine dropped (Stats::dropped_total)
  uint64_t cookie_requests = 0; // IKE_SA_INIT responses asking for a COOKIE (RFC 7296 2.6)
  uint64_t spare_keys_used = 0; // KEi pairs made ahead while idle (Engine::idle_work)
  std::string first_failure;    // the first Failure's exchange, step and reason
  bool interrupted = false;     // SIGINT/SIGTERM/SIGHUP arrived
};

// The first IKE_SA_INIT request the initiator engine sends with these options (to
// local:500 from remote:500): a template for `ike-bench flood`.
Result<Bytes> first_ike_sa_init(const UdpInitiatorOptions& options);

class UdpInitiator {
public:
  // Opens the sockets (in the calling thread's network namespace) and the engine.
  static Result<std::unique_ptr<UdpInitiator>> open(UdpInitiatorOptions options);
  ~UdpInitiator();

  // Errc::timeout when no handshake finished for options.stall_timeout (the responder is
  // not answering);
  // Errc::io for socket errors. `progress` is called at most every 100 ms, and so is
  // `check` (e.g. "is the responder still running"), whose error ends the run.
  Result<UdpLoadStats> run(size_t count, Duration duration, size_t concurrency,
                           const HandshakeProgressFn& progress,
                           const std::function<Result<void>()>& check = nullptr);

  struct Impl;

private:
  UdpInitiator() = default;
  std::unique_ptr<Impl> impl_;
};

} // namespace ikekit::bench
