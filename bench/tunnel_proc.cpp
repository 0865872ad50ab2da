#include "bench/tunnel_proc.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace ikekit::bench {

namespace {

volatile sig_atomic_t g_stop = 0;
thread_local bool t_ignore_stop = false; // run_cleanup()
bool stop_now() { return g_stop != 0 && !t_ignore_stop; }

void on_stop_signal(int sig) { g_stop = sig; }

constexpr size_t kMaxCapture = 4 << 20;

using Clock = std::chrono::steady_clock;

int status_to_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// argv and envp as the char* arrays posix_spawn takes; the strings live in the caller.
struct SpawnArgs {
  std::vector<char*> argv;
  std::vector<std::string> env_storage;
  std::vector<char*> envp;
};

SpawnArgs make_spawn_args(const std::vector<std::string>& argv, const Env& env) {
  SpawnArgs a;
  for (const auto& s : argv)
    a.argv.push_back(const_cast<char*>(s.c_str()));
  a.argv.push_back(nullptr);
  for (const auto& [k, v] : env)
    a.env_storage.push_back(k + "=" + v);
  for (char** e = environ; e && *e; ++e) {
    bool overridden = false;
    for (const auto& [k, v] : env)
      if (std::strncmp(*e, k.c_str(), k.size()) == 0 && (*e)[k.size()] == '=') overridden = true;
    if (!overridden) a.envp.push_back(*e);
  }
  for (auto& s : a.env_storage)
    a.envp.push_back(s.data());
  a.envp.push_back(nullptr);
  return a;
}

// Own process group (so the terminal's ^C does not reach the child: ike-bench stops it),
// default dispositions and an empty signal mask.
struct SpawnAttr {
  posix_spawnattr_t attr;
  SpawnAttr() {
    posix_spawnattr_init(&attr);
    sigset_t none, def;
    sigemptyset(&none);
    sigemptyset(&def);
    sigaddset(&def, SIGINT);
    sigaddset(&def, SIGTERM);
    sigaddset(&def, SIGPIPE);
    sigaddset(&def, SIGHUP);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &def);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
  }
  ~SpawnAttr() { posix_spawnattr_destroy(&attr); }
};

std::string resolve(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  return find_program(name).value_or(name);
}

// Starts argv (argv[0] looked up on PATH) with the caller's file actions, which it then
// destroys; the child's signal mask and dispositions come from SpawnAttr.
Result<pid_t> spawn_with(posix_spawn_file_actions_t& fa, const std::vector<std::string>& argv,
                         const Env& env) {
  SpawnAttr attr;
  std::vector<std::string> args = argv;
  args[0] = resolve(args[0]);
  SpawnArgs sa = make_spawn_args(args, env);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, sa.argv[0], &fa, &attr.attr, sa.argv.data(), sa.envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    return make_error(Errc::io, argv[0], "cannot start " + args[0] + ": " + std::strerror(rc));
  return pid;
}

void kill_and_reap(pid_t pid, std::chrono::milliseconds grace, std::optional<int>& code) {
  if (pid <= 0) return;
  int status = 0;
  if (waitpid(pid, &status, WNOHANG) == pid) {
    code = status_to_code(status);
    return;
  }
  kill(pid, SIGTERM);
  auto deadline = Clock::now() + grace;
  while (Clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      code = status_to_code(status);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  if (waitpid(pid, &status, 0) == pid) code = status_to_code(status);
}

} // namespace

void install_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  // A reader of stdout/stderr that went away (a CI runner killed, `| head`) must not
  // kill ike-bench before it has stopped its children and removed its namespaces.
  signal(SIGPIPE, SIG_IGN);
}

bool stop_requested() { return g_stop != 0; }

Error interrupted_error() {
  return make_error(Errc::io, "signal",
                    std::string("interrupted by ") + (g_stop == SIGINT   ? "SIGINT"
                                                      : g_stop == SIGHUP ? "SIGHUP"
                                                                         : "SIGTERM"));
}

std::optional<std::string> find_program(const std::string& name) {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::string p = path;
    size_t start = 0;
    while (start <= p.size()) {
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

Result<CommandOutput> run_command(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout, const Env& env,
                                  const std::string& input) {
  if (stop_now()) return interrupted_error();
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0) return make_error(Errc::io, argv[0], std::strerror(errno));
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    close(in_pipe[0]), close(in_pipe[1]);
    return make_error(Errc::io, argv[0], std::strerror(errno));
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(in_pipe[0]), close(in_pipe[1]), close(out_pipe[0]), close(out_pipe[1]);
    return make_error(Errc::io, argv[0], std::strerror(errno));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  auto spawned = spawn_with(fa, argv, env);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (!spawned) {
    close(in_pipe[1]), close(out_pipe[0]), close(err_pipe[0]);
    return spawned.error();
  }
  pid_t pid = *spawned;
  // Small inputs (keys) fit the pipe buffer: write them all, then EOF.
  if (!input.empty()) {
    ssize_t w = write(in_pipe[1], input.data(), input.size());
    (void)w;
  }
  close(in_pipe[1]);

  CommandOutput res;
  auto deadline = Clock::now() + timeout;
  bool out_open = true, err_open = true, timed_out = false, interrupted = false;
  char buf[16384];
  while (out_open || err_open) {
    if (stop_now()) {
      interrupted = true;
      break;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[2] = {{out_open ? out_pipe[0] : -1, POLLIN, 0},
                     {err_open ? err_pipe[0] : -1, POLLIN, 0}};
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
  close(out_pipe[0]);
  close(err_pipe[0]);
  std::optional<int> code;
  if (timed_out || interrupted) {
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    if (interrupted) return interrupted_error();
    return make_error(Errc::timeout, argv[0],
                      resolve(argv[0]) + " did not finish within " +
                          std::to_string(timeout.count()) + " ms");
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  res.exit_code = status_to_code(status);
  return res;
}

Result<CommandOutput> run_cleanup(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout) {
  t_ignore_stop = true;
  auto r = run_command(argv, timeout);
  t_ignore_stop = false;
  return r;
}

Result<CommandOutput> run_checked(const std::vector<std::string>& argv, const std::string& what,
                                  std::chrono::milliseconds timeout, const Env& env,
                                  const std::string& input) {
  auto r = run_command(argv, timeout, env, input);
  if (!r) return r;
  if (r->exit_code != 0) {
    std::string cmd;
    for (const auto& a : argv)
      cmd += (cmd.empty() ? "" : " ") + a;
    std::string why = first_line(r->err.empty() ? r->out : r->err);
    return make_error(Errc::io, what,
                      "\"" + cmd + "\" exited " + std::to_string(r->exit_code) +
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

Result<Child> Child::spawn(const std::vector<std::string>& argv, const std::string& out_path,
                           const std::string& err_path, const Env& env) {
  if (stop_requested()) return interrupted_error();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  auto spawned = spawn_with(fa, argv, env);
  if (!spawned) return spawned.error();
  Child c;
  c.pid_ = *spawned;
  c.name_ = argv.size() > 4 && argv[0] == "ip" ? argv[4] : argv[0]; // ip netns exec NS CMD
  return c;
}

bool Child::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = status_to_code(status);
    pid_ = -1;
    return false;
  }
  return r == 0;
}

void Child::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return;
  kill_and_reap(pid_, grace, exit_code_);
  pid_ = -1;
}

std::string read_text_file(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string s;
  char buf[8192];
  ssize_t r;
  while ((r = read(fd, buf, sizeof buf)) > 0 && s.size() < kMaxCapture)
    s.append(buf, size_t(r));
  close(fd);
  return s;
}

Result<void> write_private_file(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return make_error(Errc::io, path, std::string("cannot create: ") + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t w = write(fd, text.data() + done, text.size() - done);
    if (w <= 0) {
      close(fd);
      return make_error(Errc::io, path, std::string("cannot write: ") + std::strerror(errno));
    }
    done += size_t(w);
  }
  close(fd);
  return {};
}

bool sleep_unless_stopped(std::chrono::milliseconds d) {
  auto end = Clock::now() + d;
  while (Clock::now() < end) {
    if (stop_requested()) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(20)));
  }
  return !stop_requested();
}

// Waits until `path` contains `needle`, failing when `child` exits first.
Result<void> wait_for_text(const std::string& path, const std::string& needle, Child& child,
                           std::chrono::milliseconds timeout, const std::string& what,
                           const std::string& err_path) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (read_text_file(path).find(needle) != std::string::npos) return {};
    if (!child.running()) {
      std::string why = first_line(read_text_file(err_path));
      if (why.empty()) why = first_line(read_text_file(path));
      return make_error(Errc::io, what,
                        child.name() + " exited " + std::to_string(child.exit_code().value_or(-1)) +
                            " while starting" + (why.empty() ? "" : ": " + why));
    }
    if (!sleep_unless_stopped(std::chrono::milliseconds(20))) return interrupted_error();
  }
  return make_error(Errc::timeout, what,
                    child.name() + " did not come up within " + std::to_string(timeout.count()) +
                        " ms");
}

std::string first_line(const std::string& text) {
  size_t s = text.find_first_not_of(" \n\r\t");
  if (s == std::string::npos) return {};
  size_t e = text.find('\n', s);
  std::string line = text.substr(s, e == std::string::npos ? std::string::npos : e - s);
  if (line.size() > 200) line.resize(200);
  return line;
}

} // namespace ikekit::bench
