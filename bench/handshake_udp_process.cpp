#include "bench/handshake_udp_process.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sstream>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace ikekit::bench {

namespace {

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (auto& s : v)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Our environment plus `extra` ("NAME=value" entries replace ours of the same name).
std::vector<std::string> merged_env(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view s(*e);
    bool replaced = false;
    for (const auto& x : extra) {
      auto eq = x.find('=');
      if (s.substr(0, eq + 1) == std::string_view(x).substr(0, eq + 1)) replaced = true;
    }
    if (!replaced) env.emplace_back(s);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + strsignal(WTERMSIG(status));
  return "stopped";
}

std::string join(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv)
    s += (s.empty() ? "" : " ") + a;
  return s;
}

} // namespace

Result<std::string> run_command(const std::vector<std::string>& argv,
                                const std::vector<std::string>& env) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return make_error(Errc::io, "pipe", strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  std::vector<std::string> args = argv;
  std::vector<std::string> envs = merged_env(env);
  auto cargs = c_strings(args);
  auto cenv = c_strings(envs);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, cargs[0], &fa, &attr, cargs.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return make_error(Errc::environment, argv[0], "cannot run " + argv[0] + ": " + strerror(rc));
  }
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n > 0)
      out.append(buf, size_t(n));
    else if (n == 0 || errno != EINTR)
      break;
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
      out.pop_back();
    return make_error(Errc::environment, argv[0],
                      "\"" + join(argv) + "\" " + describe_status(status) +
                          (out.empty() ? "" : ": " + out));
  }
  return out;
}

Result<ChildProcess> ChildProcess::spawn(const SpawnSpec& spec) {
  // Everything the child needs is prepared here: between fork and exec it only makes
  // system calls (async-signal-safe).
  int ns_fd = -1;
  if (!spec.netns.empty()) {
    std::string path = "/run/netns/" + spec.netns;
    ns_fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns_fd < 0) return make_error(Errc::environment, "netns", path + ": " + strerror(errno));
  }
  int out_fd = open(spec.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  std::string err_path = spec.stderr_path.empty() ? "/dev/null" : spec.stderr_path;
  int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  auto close_all = [&] {
    for (int fd : {ns_fd, out_fd, err_fd, in_fd})
      if (fd >= 0) close(fd);
  };
  if (out_fd < 0 || err_fd < 0 || in_fd < 0) {
    close_all();
    return make_error(Errc::io, "responder",
                      "cannot open the responder's output files: " + std::string(strerror(errno)));
  }
  std::vector<std::string> args = spec.argv;
  std::vector<std::string> envs = merged_env(spec.env);
  auto cargs = c_strings(args);
  auto cenv = c_strings(envs);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close_all();
    return make_error(Errc::environment, "fork", strerror(errno));
  }
  if (pid == 0) {
    // The responder must not outlive ike-bench, even when ike-bench is SIGKILLed.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    if (ns_fd >= 0 && setns(ns_fd, CLONE_NEWNET) != 0) _exit(126);
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(cargs[0], cargs.data(), cenv.data());
    _exit(127);
  }
  close_all();
  return ChildProcess(pid, spec.argv[0]);
}

bool ChildProcess::running() {
  if (pid_ < 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  exit_status_ = r == pid_ ? describe_status(status) : "gone";
  pid_ = -1;
  return false;
}

Result<double> ChildProcess::cpu_seconds() const {
  if (pid_ < 0) return make_error(Errc::io, "responder", "the responder is not running");
  // Nanoseconds on the CPU per thread (/proc/<pid>/task/<tid>/schedstat, first field),
  // summed over the threads; /proc/<pid>/stat's utime+stime count only whole clock
  // ticks (10 ms), too coarse for a short run.
  std::string base = "/proc/" + std::to_string(pid_);
  std::error_code ec;
  double ns = 0;
  bool any = false;
  for (const auto& task : std::filesystem::directory_iterator(base + "/task", ec)) {
    std::ifstream in(task.path() / "schedstat");
    unsigned long long run_ns = 0;
    if (in >> run_ns) {
      ns += double(run_ns);
      any = true;
    }
  }
  if (any) return ns * 1e-9;
  std::ifstream in(base + "/stat");
  std::string line;
  if (!std::getline(in, line))
    return make_error(Errc::io, "responder", "cannot read " + base + "/stat");
  // proc(5): field 2 (comm) is in parentheses and may hold spaces; utime and stime
  // are fields 14 and 15.
  auto close = line.rfind(')');
  if (close == std::string::npos)
    return make_error(Errc::io, "responder", "unexpected " + base + "/stat format");
  std::istringstream fields(line.substr(close + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && (fields >> f); ++i) {
    if (i == 14) utime = std::stoull(f);
    if (i == 15) stime = std::stoull(f);
  }
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

void ChildProcess::stop(Duration grace) {
  if (pid_ < 0) return;
  kill(pid_, SIGTERM);
  auto until = std::chrono::steady_clock::now() + grace;
  while (running()) {
    if (std::chrono::steady_clock::now() >= until) {
      kill(pid_, SIGKILL);
      int status = 0;
      while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string file_tail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (s.size() > max_bytes) s = s.substr(s.size() - max_bytes);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

bool udp_ports_bound(pid_t pid, const std::vector<uint16_t>& ports) {
  std::vector<bool> seen(ports.size(), false);
  for (const char* file : {"udp", "udp6"}) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/net/" + file);
    std::string line;
    std::getline(in, line); // header
    while (std::getline(in, line)) {
      // "  sl  local_address rem_address ...": local_address is HEXADDR:HEXPORT
      std::istringstream fields(line);
      std::string sl, local;
      if (!(fields >> sl >> local)) continue;
      auto colon = local.rfind(':');
      if (colon == std::string::npos) continue;
      unsigned long port = std::strtoul(local.c_str() + colon + 1, nullptr, 16);
      for (size_t i = 0; i < ports.size(); ++i)
        if (port == ports[i]) seen[i] = true;
    }
  }
  for (bool b : seen)
    if (!b) return false;
  return true;
}

} // namespace ikekit::bench
