// `ike-bench flood`: how a responder holds up under a flood of IKE_SA_INIT requests from
// spoofed addresses while a legitimate client keeps connecting (RFC 7296 2.6, cookies).
//
// Method, in one NetnsPair (netns.hpp): the responder -- ike-up, started as `handshake
// --mode udp` starts it but with its own DoS defaults and a control socket, or
// strongSwan's charon with its defaults -- in the right namespace; a route sends its
// answers to the spoofed prefix back over the veth, where the left namespace drops them.
//  1. warm-up: one handshake of ike-bench's initiator engine (the legitimate client);
//  2. idle: kIdleHandshakes handshakes without the flood, for the latency it starts from;
//  3. flood: FloodSender (flood_sender.hpp) sends from the left namespace for --duration
//     while the legitimate client runs handshakes (--concurrency in flight, each
//     retransmitted by its engine as usual); the responder's RSS (/proc VmRSS) is read
//     every 100 ms, and its CPU time, its namespace's UDP counters and (ike-up) its
//     control-socket counters before and after.
// The legitimate client never gives up on the run: being locked out is a result.
#pragma once

#include "base/result.hpp"
#include "base/time.hpp"

#include "json/output.hpp"
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ikekit::bench {

inline constexpr size_t kIdleHandshakes = 20;

struct FloodOptions {
  std::string peer = "ikekit"; // the responder: ikekit | strongswan
  Duration duration{std::chrono::seconds(10)};
  double rate_pps = 0; // the flood's cap; 0: as fast as one core sends
  std::string source_prefix = "10.200.0.0/16";
  size_t concurrency = 4; // legitimate handshakes in flight
  // The legitimate client's first retransmission timeout (then RFC 7296 2.1 back-off).
  Duration legit_retransmit{std::chrono::seconds(4)};
  std::string ike_proposal = "aes256gcm16-prfsha256-x25519";
  std::string esp_proposal = "aes256gcm16";
  std::vector<std::string> ike_up_args; // more ike-up flags (e.g. DoS limits)
  std::string ike_up_binary;            // "" -> ike-up next to this executable
};

// Errc::usage naming the flag: peer, duration 1 s..1 h, rate >= 0, an IPv4 prefix /8../32
// outside 10.251.0.0/16 and 10.252.0.0/16 (the namespaces' own addresses) and not
// loopback, multicast or 0/8, concurrency 1..10000, the proposals; --ike-up-arg only
// with peer ikekit.
Result<void> check_flood_options(const FloodOptions& opts);

// sent: flood datagrams so far; completed/failed: legitimate handshakes.
using FloodProgressFn = std::function<void(uint64_t sent, size_t completed, size_t failed)>;

struct FloodResult {
  json::Json doc; // the result object (ikekit-json(7) "flood")
  std::optional<Error> error;
};

// Needs root (Errc::environment otherwise). A stop signal ends the run with
// interrupted_error() after its cleanup.
FloodResult run_flood(const FloodOptions& opts, const FloodProgressFn& progress);

} // namespace ikekit::bench
