// The responder `ike-bench handshake --mode udp` starts in its responder namespace:
//   ikekit:     ike-up --role responder (the binary next to ike-bench), no data plane,
//               no control socket, no DPD, events to /dev/null;
//   strongswan: charon-systemd with a private strongswan.conf and swanctl.conf in a
//               temporary directory (nothing global: no /etc/swanctl, no /run/charon.*,
//               no journal), limits raised so it never throttles or asks for cookies,
//               logging off; the connection is loaded with swanctl over the private
//               vici socket.
// Both accept any initiator address with the run's PSK and the same proposals. Ready
// means: UDP 500 and 4500 are bound in its namespace (and, for charon, the connection
// is loaded).
#pragma once

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "bench/handshake_udp_process.hpp"

#include <memory>
#include <string>
#include <vector>

namespace ikekit::bench {

inline constexpr const char* kCharonPath = "/usr/sbin/charon-systemd";
inline constexpr const char* kSwanctlPath = "/usr/sbin/swanctl";

struct ResponderSpec {
  std::string peer;  // "ikekit" | "strongswan"
  std::string netns; // where it runs
  IpAddress address; // its address there
  std::string dir;   // private (0700) directory for configs, PSK and logs
  std::string psk;   // the pre-shared key (printable text)
  std::string ike_proposal, esp_proposal;
  // Child SA traffic selectors (CIDR; see handshake_udp_netns.hpp for why not the
  // IKE addresses).
  std::string local_ts, remote_ts;
  std::string ike_up_binary; // ikekit: "" -> ike-up next to this executable
};

class Responder {
public:
  // Errc::environment when the program is missing or does not get ready (its log
  // included), Errc::timeout after 10 s.
  static Result<std::unique_ptr<Responder>> start(const ResponderSpec& spec);
  // SIGKILL at once: a graceful stop would have it delete every IKE SA (thousands of
  // INFORMATIONAL exchanges, then a wait for answers), and nothing of it outlives its
  // namespace and our temporary directory.
  ~Responder() {
    if (process_) process_->stop(Duration{0});
  }

  ChildProcess& process() { return *process_; }
  // What was configured beyond the defaults, for the result's "responder" field.
  const std::vector<std::string>& settings() const { return settings_; }
  const std::string& program() const { return program_; }
  // Errc::io with the log's tail when the process is gone.
  Result<void> check_alive();

private:
  Responder() = default;
  std::unique_ptr<ChildProcess> process_;
  std::vector<std::string> settings_;
  std::string program_;
  std::string log_path_;
};

// The directory of the running executable (from /proc/self/exe).
std::string executable_dir();

} // namespace ikekit::bench
