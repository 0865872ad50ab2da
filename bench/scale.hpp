// `ike-bench scale --sas N`: N IKE SAs, each with its first Child SA, established
// in-process between one initiator and one responder Engine (EnginePair), and what they
// cost: memory per SA pair and the cost of finding an SA for an incoming message.
//
// Method:
//  * Warm-up: 16 handshakes, then both engines are rebuilt empty, so one-time costs
//    (OpenSSL algorithm fetches, the allocator's first arenas) are not counted per SA.
//  * RSS from /proc/self/statm after malloc_trim(0), before and after establishing N
//    SAs with B handshakes in flight (--batch); memory_per_sa_pair_bytes = delta / N
//    (both engines together: one IKE SA + one Child SA on each side). Next to it the
//    allocator's own count (glibc mallinfo2: bytes handed out, without the holes RSS
//    also holds), before and after, and the split between the engines: the drop of
//    that count when the initiator engine is destroyed, then the responder.
//  * setup_per_s: N / the wall time of establishing them (includes every lookup and
//    timer poll the engines do while they hold up to N SAs); setup_per_cpu_s: N / the
//    thread's CPU time, and setup_per_cpu_s_by_tenth the same per tenth of the N.
//  * lookup_ns: the responder's receive() of a valid empty INFORMATIONAL request (a DPD
//    the initiator built with send_dpd) addressed to an SA drawn at random among the N:
//    header parse, SA lookup by SPI, decryption, and the encrypted empty response.
//    lookup_retransmit_ns: the same request delivered once more, answered from the
//    responder's cached response (RFC 7296 2.1): parse + lookup + window check, no
//    cryptography, so its growth with N is the lookup itself.
#pragma once

#include "base/result.hpp"

#include "json/output.hpp"
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace ikekit::bench {

inline constexpr size_t kMaxScaleSas = 10'000'000;

struct ScaleOptions {
  size_t sas = 10000;
  size_t batch = 64;
  // Engine pairs the SAs are spread over (N / shards each, one after the other).
  // Memory per SA is unaffected (the empty engines
  // exist before the first reading); the lookups run against the first pair only
  // ("lookup_sas" says how many SAs it holds).
  size_t shards = 1;      // handshakes in flight while establishing
  size_t lookups = 10000; // timed receives (at most one per SA per kind)
  std::string ike_proposal = "aes256gcm16-prfsha256-x25519";
  std::string esp_proposal = "aes256gcm16";
};

// Errc::usage naming --sas / --batch / --shards / --lookups / --ike-proposal /
// --esp-proposal.
Result<void> check_scale_options(const ScaleOptions& opts);

// phase: "setup" or "lookup"; done of total.
using ScaleProgressFn = std::function<void(const char* phase, size_t done, size_t total)>;

// One result, "scale": {"name","params":{"sas","batch","shards","ike_proposal",
//  "esp_proposal"},"established","failed","setup_per_s","setup_per_cpu_s",
//  "setup_per_cpu_s_by_tenth","memory_per_sa_pair_bytes",
//  "lookup_ns","lookup_retransmit_ns","lookups","lookup_sas","retransmits_answered",
//  "memory":{"heap_per_sa_pair_bytes","initiator_heap_per_sa_bytes",
//  "responder_heap_per_sa_bytes","rss_before_bytes","rss_established_bytes"},
//  "ratio":{"vs_target_4kib"},"error"}
struct ScaleResult {
  json::Json doc;
  std::optional<Error> error;
};
ScaleResult run_scale(const ScaleOptions& opts, const ScaleProgressFn& progress);

} // namespace ikekit::bench
