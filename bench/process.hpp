// The one process layer of ike-bench's namespace benches (handshake --mode udp, tunnel,
// flood). Every external program (ip, sysctl, iperf3, esp-tunnel, ike-up, charon,
// swanctl, wireguard-go, wg) starts from an argv vector, never through a shell, so no
// value is ever re-parsed. One spawner (fork + execve) gives every child:
//  * its own process group: a ^C on the terminal reaches ike-bench alone, and ike-bench
//    stops each child by PID, in order, and removes what it created;
//  * PR_SET_PDEATHSIG SIGKILL: nothing outlives an ike-bench killed with SIGKILL;
//  * the network namespace of Command::netns (setns before exec; the PID is the
//    program's own);
//  * an empty signal mask and default dispositions.
// Stop signals (install_stop_signals) only set a flag that every wait here polls (at
// most 50 ms late), so an interrupted run unwinds through its normal cleanup and still
// prints its document.
#pragma once

#include "base/result.hpp"

#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace ikekit::bench {

// Installs SIGINT/SIGTERM/SIGHUP handlers that only set the flag below (no SA_RESTART),
// and ignores SIGPIPE (a vanished reader must not skip the cleanup).
void install_stop_signals();
// Whether a stop signal arrived since install_stop_signals() (or note_stop_signal()).
bool stop_requested();
// For an event loop that reads the stop signals through its own signalfd.
void note_stop_signal(int sig);
// Errc::io, field "signal": "interrupted by SIGINT" (or SIGTERM, SIGHUP).
Error interrupted_error();

// The absolute path of `name` in $PATH, /usr/sbin or /sbin; nullopt when absent. A name
// with a '/' is returned as it is when executable.
std::optional<std::string> find_program(const std::string& name);

using Env = std::vector<std::pair<std::string, std::string>>; // added to the environment

// What to run: argv[0] is a path or a name find_program() finds.
struct Command {
  std::vector<std::string> argv;
  Env env;           // added to ours, replacing the same names
  std::string netns; // run inside /run/netns/<netns>; "" stays in ours
  Command(std::initializer_list<std::string> a) : argv(a) {}
  Command(std::vector<std::string> a, Env e = {}, std::string ns = {})
      : argv(std::move(a)), env(std::move(e)), netns(std::move(ns)) {}
};
// `cmd` run inside the network namespace `ns`.
Command in_netns(const std::string& ns, Command cmd);

struct CommandOutput {
  int exit_code = -1; // 128 + signal when killed
  std::string out;
  std::string err;
};

// Runs `cmd` to completion with `input` on stdin, capturing stdout and stderr (each
// capped at 4 MiB). Killed (SIGKILL) after `timeout`: Errc::timeout naming argv[0].
// Errc::io when it cannot be started; interrupted_error() on a stop signal. A non-zero
// exit is not an error here.
Result<CommandOutput> run_command(const Command& cmd,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                  const std::string& input = {});

// run_command for cleanup (ip netns del, ...): runs to completion even after a stop
// signal (bounded by `timeout`).
Result<CommandOutput> run_cleanup(const Command& cmd, std::chrono::milliseconds timeout);

// run_command, and an error unless it exited 0: Errc::io, field `what`, with the
// command's stderr (first line) in the message.
Result<CommandOutput> run_checked(const Command& cmd, const std::string& what,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                  const std::string& input = {});

// A long-running child with stdin /dev/null and stdout/stderr in files (created 0600,
// truncated). Stopped (SIGTERM, then SIGKILL after the grace time) and reaped by stop()
// or the destructor; only ever its own PID.
class Child {
public:
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  Child(Child&& o) noexcept
      : pid_(std::exchange(o.pid_, -1)), name_(std::move(o.name_)), exit_code_(o.exit_code_) {}
  Child& operator=(Child&& o) noexcept;
  ~Child() { stop(); }

  static Result<Child> spawn(const Command& cmd, const std::string& out_path,
                             const std::string& err_path);

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; } // argv[0]'s base name
  // True while the process runs (reaps it once it has exited).
  bool running();
  // The exit status once it ended: 128 + signal when killed.
  std::optional<int> exit_code() const { return exit_code_; }
  // "exited with status 1", "killed by SIGKILL", "running".
  std::string exit_status() const;
  // SIGTERM, then SIGKILL after `grace` (at once for 0); reaps. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));

private:
  pid_t pid_ = -1;
  std::string name_;
  std::optional<int> exit_code_;
};

// Sleeps `d`, in steps, returning false early on a stop signal.
bool sleep_unless_stopped(std::chrono::milliseconds d);

// Waits until `ready()` holds: the error of `alive()` when it fails first (the child
// died), Errc::timeout naming `what` after `timeout`, interrupted_error() on a stop
// signal. Polls every `step`.
template <class Ready, class Alive>
Result<void> wait_until(Ready ready, Alive alive, std::chrono::milliseconds timeout,
                        const std::string& what,
                        std::chrono::milliseconds step = std::chrono::milliseconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!ready()) {
    if (Result<void> a = alive(); !a) return a;
    if (std::chrono::steady_clock::now() >= deadline)
      return make_error(Errc::timeout, what,
                        what + " not ready within " + std::to_string(timeout.count()) + " ms");
    if (!sleep_unless_stopped(step)) return interrupted_error();
  }
  return {};
}

// Errc::io, field `what`: "<name> exited <how> while starting: <first line of the
// logs>", or {} while `child` runs.
Result<void> check_running(Child& child, const std::string& what,
                           const std::vector<std::string>& logs);

// Waits until the file `path` contains `needle` (check_running on `child` meanwhile).
Result<void> wait_for_text(const std::string& path, const std::string& needle, Child& child,
                           std::chrono::milliseconds timeout, const std::string& what,
                           const std::string& err_path);

} // namespace ikekit::bench
