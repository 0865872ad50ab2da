// Processes for ike-bench tunnel: every external tool (ip, iperf3, ping, esp-tunnel,
// charon, wireguard-go, wg, swanctl) is started with posix_spawn from an argv vector,
// never through a shell, so no value is ever re-parsed. Each child gets its own process
// group, so a ^C on the terminal reaches ike-bench alone and ike-bench stops every child
// by PID, in order, and removes what it created. SIGINT/SIGTERM set a flag that every
// wait here polls (at most 50 ms late), so an interrupted run unwinds through the
// normal cleanup.
#pragma once

#include "base/result.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace ikekit::bench {

// Installs SIGINT/SIGTERM/SIGHUP handlers that only set the flag below (no
// SA_RESTART), and ignores SIGPIPE (a vanished reader must not skip the cleanup).
void install_stop_signals();
// Whether SIGINT or SIGTERM arrived since install_stop_signals().
bool stop_requested();
// Errc::io, field "signal": "interrupted by SIGINT/SIGTERM".
Error interrupted_error();

// The absolute path of `name` in $PATH, /usr/sbin or /sbin; nullopt when absent.
std::optional<std::string> find_program(const std::string& name);

using Env = std::vector<std::pair<std::string, std::string>>; // added to the environment

struct CommandOutput {
  int exit_code = -1; // 128 + signal when killed
  std::string out;
  std::string err;
};

// Runs argv[0] (a path or a name found by find_program) to completion with `input` on
// stdin, capturing stdout and stderr (each capped at 4 MiB). Killed (SIGKILL) after
// `timeout`: Errc::timeout naming argv[0]. Errc::io when it cannot be started;
// interrupted_error() on a stop signal. A non-zero exit is not an error here.
Result<CommandOutput> run_command(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout, const Env& env = {},
                                  const std::string& input = {});

// run_command for cleanup (ip netns del, ...): runs to completion even after a stop
// signal (bounded by `timeout`).
Result<CommandOutput> run_cleanup(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout);

// run_command, and an error unless it exited 0: Errc::io, field `what`, with the
// command's stderr (first line) in the message.
Result<CommandOutput> run_checked(const std::vector<std::string>& argv, const std::string& what,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                  const Env& env = {}, const std::string& input = {});

// A long-running child with stdout and stderr in files. Stopped (SIGTERM, then SIGKILL
// after the grace time) by stop() or the destructor; only ever its own PID.
class Child {
public:
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  Child(Child&& o) noexcept : pid_(std::exchange(o.pid_, -1)), name_(std::move(o.name_)) {}
  Child& operator=(Child&& o) noexcept;
  ~Child() { stop(); }

  // Starts argv with stdin /dev/null, stdout into out_path, stderr into err_path
  // (created 0600, truncated).
  static Result<Child> spawn(const std::vector<std::string>& argv, const std::string& out_path,
                             const std::string& err_path, const Env& env = {});

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  // True while the process runs (reaps it when it has exited).
  bool running();
  // The exit status once it ended: 128 + signal when killed.
  std::optional<int> exit_code() const { return exit_code_; }
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));

private:
  pid_t pid_ = -1;
  std::string name_;
  std::optional<int> exit_code_;
};

// Reads a whole (small) file; empty when it cannot be read.
std::string read_text_file(const std::string& path);
// Writes `text` to `path` created with mode 0600 (secrets: keys, PSKs).
Result<void> write_private_file(const std::string& path, const std::string& text);

// Sleeps `d`, in steps, returning false early on a stop signal.
bool sleep_unless_stopped(std::chrono::milliseconds d);

// Waits until the file `path` contains `needle`: Errc::io (with the first line of
// err_path) when `child` exits first, Errc::timeout naming `what` after `timeout`.
Result<void> wait_for_text(const std::string& path, const std::string& needle, Child& child,
                           std::chrono::milliseconds timeout, const std::string& what,
                           const std::string& err_path);

// The first line of `text`, without the newline, at most 200 characters.
std::string first_line(const std::string& text);

} // namespace ikekit::bench
