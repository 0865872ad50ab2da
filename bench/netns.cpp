#include "bench/netns.hpp"

#include "bench/process.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

namespace ikekit::bench {

namespace {

using std::chrono::milliseconds;

// The names and addresses of a run with this PID (see the header).
void plan(NetnsSide& left, NetnsSide& right) {
  pid_t pid = getpid();
  std::string id = std::to_string(pid);
  unsigned idx = unsigned(pid) % 16384; // one /30 of 10.251.0.0/16 per PID
  std::string x = std::to_string(idx >> 6) + ".";
  unsigned base = (idx & 63) * 4;
  left = {"ikb-" + id + "-l", "ikb" + id + "l",
          *IpAddress::parse("10.251." + x + std::to_string(base + 1)),
          *IpAddress::parse("10.252." + x + std::to_string(base + 1))};
  right = {"ikb-" + id + "-r", "ikb" + id + "r",
           *IpAddress::parse("10.251." + x + std::to_string(base + 2)),
           *IpAddress::parse("10.252." + x + std::to_string(base + 2))};
}

std::vector<Command> setup_steps(const NetnsSide& l, const NetnsSide& r, bool inner_on_lo) {
  std::vector<Command> steps = {{"ip", "link", "add", l.veth, "netns", l.ns, "type", "veth", "peer",
                                 "name", r.veth, "netns", r.ns}};
  for (const NetnsSide* s : {&l, &r}) {
    steps.push_back(
        {"ip", "-n", s->ns, "addr", "add", s->outer.to_string() + "/30", "dev", s->veth});
    if (inner_on_lo)
      steps.push_back(
          {"ip", "-n", s->ns, "addr", "add", s->inner.to_string() + "/32", "dev", "lo"});
    steps.push_back({"ip", "-n", s->ns, "link", "set", s->veth, "up"});
  }
  return steps;
}

} // namespace

NetnsPair::NetnsPair(NetnsPair&& o) noexcept
    : left_(std::move(o.left_)), right_(std::move(o.right_)), created_(o.created_) {
  o.created_ = false;
}

Result<NetnsPair> NetnsPair::create(bool inner_on_lo) {
  if (geteuid() != 0)
    return make_error(Errc::environment, "netns",
                      "needs root (CAP_NET_ADMIN) to create network namespaces");
  NetnsPair p;
  plan(p.left_, p.right_);
  if (auto r = add_namespace(p.left_.ns); !r) return r.error();
  p.created_ = true; // from here on the destructor removes what exists
  if (auto r = add_namespace(p.right_.ns); !r) return r.error();
  for (const auto& step : setup_steps(p.left_, p.right_, inner_on_lo))
    if (auto r = run_checked(step, "netns"); !r) return r.error();
  if (auto w = wait_links_up({{p.left_.ns, p.left_.veth}, {p.right_.ns, p.right_.veth}}); !w)
    return w.error();
  return p;
}

void NetnsPair::destroy() {
  if (!created_) return;
  created_ = false;
  delete_namespaces(names());
}

Result<void>
check_netns_environment(const std::string& field, const std::string& root_why,
                        std::initializer_list<std::pair<const char*, const char*>> programs) {
  if (geteuid() != 0) return make_error(Errc::environment, field, root_why);
  if (access("/dev/net/tun", R_OK | W_OK) != 0)
    return make_error(Errc::environment, field, "no /dev/net/tun (the tun kernel module)");
  for (const auto& [prog, pkg] : programs)
    if (!find_program(prog))
      return make_error(Errc::environment, field,
                        std::string(prog) + " is not installed (Debian package " + pkg + ")");
  return {};
}

Result<void> add_namespace(const std::string& name) {
  delete_namespaces({name});
  auto add = run_checked({"ip", "netns", "add", name}, "netns");
  if (!add) {
    Error e = add.error();
    if (e.code == Errc::io) e.code = Errc::environment;
    return e;
  }
  // "default" as well as "all": the veths are created after this and take the default.
  for (const Command& step : {Command{"ip", "-n", name, "link", "set", "lo", "up"},
                              in_netns(name, {"sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                                              "net.ipv6.conf.default.disable_ipv6=1"})})
    if (auto r = run_checked(step, "netns"); !r) return r.error();
  return {};
}

void delete_namespaces(const std::vector<std::string>& names) {
  for (const auto& ns : names)
    if (access(("/run/netns/" + ns).c_str(), F_OK) == 0)
      (void)run_cleanup({"ip", "netns", "del", ns}, milliseconds(10000));
}

Result<void> wait_links_up(const std::vector<std::pair<std::string, std::string>>& links) {
  auto up = [](const std::string& ns, const std::string& dev) {
    auto o = run_command({"ip", "-n", ns, "-o", "link", "show", "dev", dev}, milliseconds(3000));
    return o && o->exit_code == 0 && o->out.find("state UP") != std::string::npos;
  };
  return wait_until(
      [&] {
        for (const auto& [ns, dev] : links)
          if (!up(ns, dev)) return false;
        return true;
      },
      [] { return Result<void>(); }, milliseconds(5000), "netns");
}

Result<std::unique_ptr<NetnsEnter>> NetnsEnter::enter(const std::string& name) {
  std::unique_ptr<NetnsEnter> e(new NetnsEnter());
  e->home_fd_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (e->home_fd_ < 0)
    return make_error(Errc::environment, "netns",
                      std::string("/proc/self/ns/net: ") + strerror(errno));
  std::string path = "/run/netns/" + name;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(Errc::environment, "netns", path + ": " + strerror(errno));
  int rc = setns(fd, CLONE_NEWNET);
  int err = errno;
  close(fd);
  if (rc != 0)
    return make_error(Errc::environment, "netns", "setns " + path + ": " + strerror(err));
  return e;
}

NetnsEnter::~NetnsEnter() {
  if (home_fd_ < 0) return;
  (void)setns(home_fd_, CLONE_NEWNET);
  close(home_fd_);
}

} // namespace ikekit::bench
