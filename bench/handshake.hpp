// `ike-bench handshake`: IKE_SA_INIT + IKE_AUTH (with the first Child SA) handshakes,
// measured from the first IKE_SA_INIT request to the initiator's child_sa_up.
//   inproc (handshake_inproc.cpp): two engines in one process, no sockets, one thread:
//          the protocol and crypto cost alone, next to the key-exchange bound measured
//          in the same run.
//   udp    (handshake_udp.cpp): ike-bench's initiator engine against a responder over
//          real UDP (a responder process ike-bench starts in a namespace, or --target).
#pragma once

#include "base/result.hpp"
#include "base/time.hpp"

#include "json/output.hpp"
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ikekit::bench {

enum class HandshakeAuth { psk, ecdsa, rsa, ed25519 };

struct HandshakeOptions {
  std::string mode = "inproc"; // inproc | udp
  size_t count = 0;            // handshakes to complete; 0: run for `duration`
  Duration duration{std::chrono::seconds(2)};
  size_t concurrency = 0; // IKE SAs in flight at once; 0: the mode's default
  std::string ike_proposal = "aes256gcm16-prfsha256-x25519";
  std::string esp_proposal = "aes256gcm16";
  HandshakeAuth auth = HandshakeAuth::psk;
  std::string target;          // udp: "ADDR" or "ADDR:PORT" of a running responder
  std::string peer = "ikekit"; // udp without target: the responder ike-bench starts
  // udp --target: the responder's pre-shared key, read like ike-up --psk-file (the file's
  // bytes, trailing newlines dropped). CLI flag: --psk-file FILE.
  std::string psk_file;
  // udp, peer ikekit: the ike-up to start; "" = ike-up next to this executable (tests).
  std::string ike_up_binary;
  // udp, peer ikekit without --target: more ike-up flags (e.g. --threads=1).
  std::vector<std::string> ike_up_args;
};

// One result ("handshake_inproc" or "handshake_udp").
struct HandshakeResult {
  std::string name;
  json::Json params = json::Json::object();
  size_t completed = 0;
  size_t failed = 0;
  double elapsed_s = 0;
  std::vector<double> latency_ms;          // one per completed handshake
  std::optional<double> cpu_ms_initiator;  // per handshake
  std::optional<double> cpu_ms_responder;  // per handshake (null where not measurable)
  std::optional<double> cpu_ms_total;      // per handshake, the whole process (driver included)
  double messages_per_handshake = 0;       // datagrams both ways
  double bytes_per_handshake = 0;          // IKE bytes both ways
  json::Json extra = json::Json::object(); // mode-specific fields, merged into the result
  std::optional<Error> error;
};

using HandshakeProgressFn = std::function<void(size_t completed, size_t failed)>;

// "psk", "ecdsa", "rsa", "ed25519": the --auth value and the params.auth key.
std::string_view handshake_auth_name(HandshakeAuth a);

// Errc::usage naming the flag for bad values (proposal strings, counts, auth).
Result<void> check_handshake_options(const HandshakeOptions& opts);

HandshakeResult run_handshake_inproc(const HandshakeOptions& opts,
                                     const HandshakeProgressFn& progress);
HandshakeResult run_handshake_udp(const HandshakeOptions& opts,
                                  const HandshakeProgressFn& progress);

// {"name","params","handshakes_per_s","latency_ms":{"p50","p90","p99","max"},
//  "cpu_ms_per_handshake":{"initiator","responder","total"},"messages_per_handshake",
//  "bytes_per_handshake","bytes_per_s","completed","failed",...extra,"error"}
// Without a completed handshake (or with an error) the measured numbers are null.
json::Json handshake_result_to_json(const HandshakeResult& r);

} // namespace ikekit::bench
