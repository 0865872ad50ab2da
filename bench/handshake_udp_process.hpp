// Processes for `ike-bench handshake --mode udp`: short helper commands (ip, swanctl)
// run to completion, and the long-running responder started inside a network namespace,
// whose CPU time is read from /proc/<pid>/task/*/schedstat. No shell is involved anywhere: every
// command is an argv vector, so addresses and paths need no quoting.
#pragma once

#include "base/result.hpp"
#include "base/time.hpp"

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace ikekit::bench {

// Runs argv[0] (looked up in PATH) with `env` added to the environment, waits for it
// and returns its stdout. Errc::environment when it cannot be started or exits non-zero,
// with its stderr in the message. The child gets an empty signal mask (ike-bench blocks
// SIGINT/SIGTERM while it holds namespaces).
Result<std::string> run_command(const std::vector<std::string>& argv,
                                const std::vector<std::string>& env = {});

struct SpawnSpec {
  std::vector<std::string> argv; // argv[0]: an absolute path
  std::vector<std::string> env;  // "NAME=value" added to ours
  std::string netns;             // enter /run/netns/<netns> before exec ("" stays)
  std::string stdout_path = "/dev/null";
  std::string stderr_path; // "" -> /dev/null
};

// A child process ike-bench owns: it dies with ike-bench (PR_SET_PDEATHSIG) and is
// stopped (SIGTERM, SIGKILL after a grace period) and reaped when this object goes away.
class ChildProcess {
public:
  static Result<ChildProcess> spawn(const SpawnSpec& spec);
  ChildProcess(ChildProcess&& o) noexcept : pid_(o.pid_), name_(std::move(o.name_)) { o.pid_ = -1; }
  ChildProcess& operator=(ChildProcess&&) = delete;
  ChildProcess(const ChildProcess&) = delete;
  ~ChildProcess() { stop(); }

  pid_t pid() const { return pid_; }
  // False once it exited (reaps it); `status` then tells how, for error messages.
  bool running();
  std::string exit_status() const { return exit_status_; }
  // CPU time of all its threads in seconds (schedstat, ns resolution; else utime+stime).
  Result<double> cpu_seconds() const;
  // SIGTERM, then SIGKILL after `grace`; reaps. Idempotent.
  void stop(Duration grace = std::chrono::seconds(2));

private:
  ChildProcess(pid_t pid, std::string name) : pid_(pid), name_(std::move(name)) {}
  pid_t pid_ = -1;
  std::string name_;
  std::string exit_status_;
};

// The last `max_bytes` of a text file (a responder's log), "" when unreadable.
std::string file_tail(const std::string& path, size_t max_bytes = 2000);

// Whether the network namespace of `pid` has UDP sockets bound to every one of `ports`
// (from /proc/<pid>/net/udp and udp6, which show the namespace of that process).
bool udp_ports_bound(pid_t pid, const std::vector<uint16_t>& ports);

} // namespace ikekit::bench
