#include "bench/process.hpp"

#include "base/fd.hpp"
#include "bench/files.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace ikekit::bench {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

volatile sig_atomic_t g_stop = 0;
thread_local bool t_ignore_stop = false; // run_cleanup()
bool stop_now() { return g_stop != 0 && !t_ignore_stop; }
void on_stop_signal(int sig) { g_stop = sig; }

constexpr size_t kMaxCapture = 4 << 20;

int status_to_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string base_name(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Our environment with `env` added (an entry of the same name replaced).
std::vector<std::string> merged_env(const Env& env) {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) {
    bool overridden = false;
    for (const auto& [k, v] : env)
      if (std::strncmp(*e, k.c_str(), k.size()) == 0 && (*e)[k.size()] == '=') overridden = true;
    if (!overridden) out.emplace_back(*e);
  }
  for (const auto& [k, v] : env)
    out.push_back(k + "=" + v);
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// The file descriptors a child gets as stdin, stdout and stderr.
struct Stdio {
  int in = -1, out = -1, err = -1;
};

// Between fork and exec the child only makes system calls (async-signal-safe); an exec
// failure goes back to the parent through `report` (close-on-exec: EOF means exec'd).
[[noreturn]] void exec_child(const char* path, char* const* argv, char* const* envp, int ns_fd,
                             Stdio io, pid_t parent, int report) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127); // ike-bench died before prctl took effect
  int err = 0;
  if (ns_fd >= 0 && setns(ns_fd, CLONE_NEWNET) != 0) err = errno;
  if (!err && (dup2(io.in, 0) < 0 || dup2(io.out, 1) < 0 || dup2(io.err, 2) < 0)) err = errno;
  if (!err) {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE})
      sigaction(s, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(path, argv, envp);
    err = errno;
  }
  ssize_t w = write(report, &err, sizeof err);
  (void)w;
  _exit(127);
}

// Starts `cmd` with `io` as its stdio. Errc::io naming argv[0] when it cannot start.
Result<pid_t> spawn_process(const Command& cmd, Stdio io) {
  const std::string& name = cmd.argv.at(0);
  auto path = find_program(name);
  if (!path) return make_error(Errc::io, name, "cannot start " + name + ": not found");
  std::vector<std::string> args = cmd.argv, envs = merged_env(cmd.env);
  auto cargs = c_strings(args);
  auto cenv = c_strings(envs);
  int ns_fd = -1;
  if (!cmd.netns.empty()) {
    std::string ns_path = "/run/netns/" + cmd.netns;
    ns_fd = open(ns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns_fd < 0) return make_error(Errc::io, name, ns_path + ": " + std::strerror(errno));
  }
  auto report = cloexec_pipe(name); // the child's exec error, if any (EOF: it ran)
  if (!report) {
    if (ns_fd >= 0) close(ns_fd);
    return report.error();
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0)
    exec_child(path->c_str(), cargs.data(), cenv.data(), ns_fd, io, parent, report->write.get());
  int fork_errno = errno;
  report->write.reset();
  if (ns_fd >= 0) close(ns_fd);
  if (pid < 0) return make_error(Errc::io, name, std::string("fork: ") + std::strerror(fork_errno));
  int child_errno = 0;
  ssize_t n;
  while ((n = read(report->read.get(), &child_errno, sizeof child_errno)) < 0 && errno == EINTR) {
  }
  if (n == ssize_t(sizeof child_errno)) {
    int status = 0;
    waitpid(pid, &status, 0);
    return make_error(Errc::io, name, "cannot start " + *path + ": " + std::strerror(child_errno));
  }
  return pid;
}

void kill_and_reap(pid_t pid, milliseconds grace, std::optional<int>& code) {
  int status = 0;
  if (waitpid(pid, &status, WNOHANG) == pid) {
    code = status_to_code(status);
    return;
  }
  if (grace.count() > 0) {
    kill(pid, SIGTERM);
    auto deadline = Clock::now() + grace;
    while (Clock::now() < deadline) {
      if (waitpid(pid, &status, WNOHANG) == pid) {
        code = status_to_code(status);
        return;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
  }
  kill(pid, SIGKILL);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  code = status_to_code(status);
}

enum class ReadEnd { eof, timeout, interrupted };

// Reads the child's stdout and stderr until both close, the deadline passes or a stop
// signal arrives.
ReadEnd collect_output(int out_fd, int err_fd, Clock::time_point deadline, CommandOutput& res) {
  bool out_open = true, err_open = true;
  char buf[16384];
  while (out_open || err_open) {
    if (stop_now()) return ReadEnd::interrupted;
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return ReadEnd::timeout;
    pollfd fds[2] = {{out_open ? out_fd : -1, POLLIN, 0}, {err_open ? err_fd : -1, POLLIN, 0}};
    int n = poll(fds, 2, int(std::min<long>(left.count(), 50)));
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t r = read(fds[i].fd, buf, sizeof buf);
      std::string& dst = i == 0 ? res.out : res.err;
      if (r > 0) {
        if (dst.size() < kMaxCapture) dst.append(buf, size_t(r));
      } else if (r == 0 || errno != EINTR) {
        (i == 0 ? out_open : err_open) = false;
      }
    }
  }
  return ReadEnd::eof;
}

} // namespace

void install_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  for (int s : {SIGINT, SIGTERM, SIGHUP})
    sigaction(s, &sa, nullptr);
  // A reader of stdout/stderr that went away (a CI runner killed, `| head`) must not
  // kill ike-bench before it has stopped its children and removed its namespaces.
  signal(SIGPIPE, SIG_IGN);
}

bool stop_requested() { return g_stop != 0; }

void note_stop_signal(int sig) { g_stop = sig; }

Error interrupted_error() {
  const char* name = g_stop == SIGINT ? "SIGINT" : g_stop == SIGHUP ? "SIGHUP" : "SIGTERM";
  return make_error(Errc::io, "signal", std::string("interrupted by ") + name);
}

std::optional<std::string> find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (access(name.c_str(), X_OK) == 0) return name;
    return std::nullopt;
  }
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::string p = path;
    for (size_t start = 0; start <= p.size();) {
      size_t c = p.find(':', start);
      std::string d = p.substr(start, c == std::string::npos ? std::string::npos : c - start);
      if (!d.empty()) dirs.push_back(d);
      if (c == std::string::npos) break;
      start = c + 1;
    }
  }
  dirs.push_back("/usr/sbin");
  dirs.push_back("/sbin");
  for (const auto& d : dirs) {
    std::string full = d + "/" + name;
    if (access(full.c_str(), X_OK) == 0) return full;
  }
  return std::nullopt;
}

Command in_netns(const std::string& ns, Command cmd) {
  cmd.netns = ns;
  return cmd;
}

Result<CommandOutput> run_command(const Command& cmd, milliseconds timeout,
                                  const std::string& input) {
  if (stop_now()) return interrupted_error();
  const std::string& name = cmd.argv.at(0);
  // The child's stdin, stdout and stderr, closed on every return.
  auto in = cloexec_pipe(name);
  if (!in) return in.error();
  auto out = cloexec_pipe(name);
  if (!out) return out.error();
  auto err = cloexec_pipe(name);
  if (!err) return err.error();
  auto pid = spawn_process(cmd, {in->read.get(), out->write.get(), err->write.get()});
  in->read.reset(); // the child's ends: ours reach EOF when it exits
  out->write.reset();
  err->write.reset();
  if (!pid) return pid.error();
  // Small inputs (keys) fit the pipe buffer: write them all, then EOF.
  if (!input.empty()) {
    ssize_t w = write(in->write.get(), input.data(), input.size());
    (void)w;
  }
  in->write.reset();

  CommandOutput res;
  ReadEnd end = collect_output(out->read.get(), err->read.get(), Clock::now() + timeout, res);
  std::optional<int> code;
  if (end != ReadEnd::eof) {
    kill_and_reap(*pid, milliseconds(0), code);
    if (end == ReadEnd::interrupted) return interrupted_error();
    return make_error(Errc::timeout, name,
                      name + " did not finish within " + std::to_string(timeout.count()) + " ms");
  }
  int status = 0;
  while (waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  res.exit_code = status_to_code(status);
  return res;
}

Result<CommandOutput> run_cleanup(const Command& cmd, milliseconds timeout) {
  t_ignore_stop = true;
  auto r = run_command(cmd, timeout);
  t_ignore_stop = false;
  return r;
}

Result<CommandOutput> run_checked(const Command& cmd, const std::string& what, milliseconds timeout,
                                  const std::string& input) {
  auto r = run_command(cmd, timeout, input);
  if (!r) return r;
  if (r->exit_code != 0) {
    std::string line;
    for (const auto& a : cmd.argv)
      line += (line.empty() ? "" : " ") + a;
    std::string why = first_line(r->err.empty() ? r->out : r->err);
    return make_error(Errc::io, what,
                      "\"" + line + "\"" + (cmd.netns.empty() ? "" : " in " + cmd.netns) +
                          " exited " + std::to_string(r->exit_code) +
                          (why.empty() ? "" : ": " + why));
  }
  return r;
}

Child& Child::operator=(Child&& o) noexcept {
  if (this != &o) {
    stop();
    pid_ = std::exchange(o.pid_, -1);
    name_ = std::move(o.name_);
    exit_code_ = o.exit_code_;
  }
  return *this;
}

Result<Child> Child::spawn(const Command& cmd, const std::string& out_path,
                           const std::string& err_path) {
  if (stop_requested()) return interrupted_error();
  const std::string& name = cmd.argv.at(0);
  int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int open_errno = errno;
  Result<pid_t> pid =
      make_error(Errc::io, name,
                 "cannot open " + out_path + " or " + err_path + ": " + std::strerror(open_errno));
  if (in >= 0 && out >= 0 && err >= 0) pid = spawn_process(cmd, {in, out, err});
  for (int fd : {in, out, err})
    if (fd >= 0) close(fd);
  if (!pid) return pid.error();
  Child c;
  c.pid_ = *pid;
  c.name_ = base_name(name);
  return c;
}

bool Child::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  exit_code_ = r == pid_ ? std::optional<int>(status_to_code(status)) : std::nullopt;
  pid_ = -1;
  return false;
}

std::string Child::exit_status() const {
  if (pid_ > 0) return "running";
  if (!exit_code_) return "gone";
  if (*exit_code_ > 128) return std::string("killed by signal ") + strsignal(*exit_code_ - 128);
  return "exited with status " + std::to_string(*exit_code_);
}

void Child::stop(milliseconds grace) {
  if (pid_ <= 0) return;
  kill_and_reap(pid_, grace, exit_code_);
  pid_ = -1;
}

bool sleep_unless_stopped(milliseconds d) {
  auto end = Clock::now() + d;
  while (Clock::now() < end) {
    if (stop_requested()) return false;
    auto left = std::chrono::duration_cast<milliseconds>(end - Clock::now());
    std::this_thread::sleep_for(std::min(left, milliseconds(20)));
  }
  return !stop_requested();
}

Result<void> check_running(Child& child, const std::string& what,
                           const std::vector<std::string>& logs) {
  if (child.running()) return {};
  std::string why;
  for (const auto& log : logs)
    if (why.empty()) why = first_line(read_text_file(log));
  return make_error(Errc::io, what,
                    child.name() + " " + child.exit_status() + " while starting" +
                        (why.empty() ? "" : ": " + why));
}

Result<void> wait_for_text(const std::string& path, const std::string& needle, Child& child,
                           milliseconds timeout, const std::string& what,
                           const std::string& err_path) {
  return wait_until([&] { return read_text_file(path).find(needle) != std::string::npos; },
                    [&] {
                      return check_running(child, what, {err_path, path});
                    },
                    timeout, what);
}

} // namespace ikekit::bench
