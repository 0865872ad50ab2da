// The responder ike-bench starts in a namespace for `handshake --mode udp` and `flood`:
//   ikekit:     ike-up --role responder (the binary next to ike-bench), no data plane,
//               no DPD, events to /dev/null, a control socket only where asked for;
//   strongswan: charon-systemd (bench/strongswan.hpp), logging off, the connection
//               loaded with swanctl over its private vici socket.
// Both accept any initiator address with the run's PSK and the same proposals. Ready
// means: UDP 500 and 4500 are bound in its namespace (and, for charon, the connection
// is loaded). `unthrottled` (the handshake benchmark) raises the DoS limits so the
// responder never asks a load from one address for cookies; the flood keeps each
// program's own defaults.
#pragma once

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "bench/procfs.hpp"
#include "bench/strongswan.hpp"

#include <memory>
#include <string>
#include <vector>

namespace ikekit::bench {

struct ResponderSpec {
  std::string peer;  // "ikekit" | "strongswan"
  std::string netns; // where it runs
  IpAddress address; // its address there
  std::string dir;   // private (0700) directory for configs, PSK and logs
  std::string psk;   // the pre-shared key (printable text)
  std::string ike_proposal, esp_proposal;
  std::string local_ts, remote_ts; // Child SA traffic selectors (CIDR; netns.hpp says why)
  bool unthrottled = true;
  std::string control_socket;          // ikekit: ike-up --control-socket; "" none
  std::vector<std::string> extra_args; // ikekit: appended to ike-up's command line
  std::string ike_up_binary;           // ikekit: "" -> ike-up next to this executable
};

class Responder {
public:
  // Errc::environment when the program is missing, Errc::io / timeout when it does not
  // get ready within 10 s (its log included).
  static Result<std::unique_ptr<Responder>> start(const ResponderSpec& spec);
  // SIGKILL at once: a graceful stop would have it delete every IKE SA (thousands of
  // INFORMATIONAL exchanges, then a wait for answers), and nothing of it outlives its
  // namespace and our temporary directory.
  ~Responder() { process().stop(std::chrono::milliseconds(0)); }

  pid_t pid() { return process().pid(); }
  Result<double> cpu_seconds() { return process_cpu_seconds(pid()); }
  // What was configured beyond the defaults, for the result's "responder" field.
  const std::vector<std::string>& settings() const { return settings_; }
  const std::string& program() const { return program_; }
  // Errc::io with the log's tail when the process is gone.
  Result<void> check_alive();

private:
  Responder() = default;
  Child& process() { return charon_ ? charon_->process() : ike_up_; }
  Result<void> start_ike_up(const ResponderSpec& spec);
  Result<void> start_charon(const ResponderSpec& spec);
  Child ike_up_;
  std::unique_ptr<Charon> charon_;
  std::vector<std::string> settings_;
  std::string program_;
  std::string log_path_;
};

} // namespace ikekit::bench
