#include "bench/tunnel_netns.hpp"

#include "bench/tunnel_proc.hpp"

#include <chrono>

namespace ikekit::bench {

namespace {
using std::chrono::milliseconds;
}

std::vector<std::string> topology_namespaces(int pid) {
  std::string p = "ikb-" + std::to_string(pid);
  return {p + "-l", p + "-r"};
}

Topology::Topology(Topology&& o) noexcept
    : left_(std::move(o.left_)), right_(std::move(o.right_)), created_(o.created_) {
  o.created_ = false;
}

std::vector<std::string> Topology::in_ns(const std::string& ns, std::vector<std::string> cmd) {
  std::vector<std::string> v = {"ip", "netns", "exec", ns};
  v.insert(v.end(), cmd.begin(), cmd.end());
  return v;
}

Result<Topology> Topology::create(int pid) {
  Topology t;
  auto names = topology_namespaces(pid);
  std::string s = std::to_string(pid % 256);
  t.left_ = {names[0], "ikb" + std::to_string(pid) + "l", "10.252." + s + ".1",
             "10.253." + s + ".1"};
  t.right_ = {names[1], "ikb" + std::to_string(pid) + "r", "10.252." + s + ".2",
              "10.253." + s + ".2"};

  // A namespace of a previous run with the same PID (killed with SIGKILL) is stale.
  for (const auto& side : {t.left_, t.right_})
    (void)run_cleanup({"ip", "netns", "del", side.ns}, milliseconds(5000));
  auto add = run_checked({"ip", "netns", "add", t.left_.ns}, "netns");
  if (!add) {
    Error e = add.error();
    e.code = Errc::environment;
    return e;
  }
  t.created_ = true; // from here on the destructor removes what exists
  auto r = run_checked({"ip", "netns", "add", t.right_.ns}, "netns");
  if (!r) return r.error();
  const std::vector<std::vector<std::string>> steps = {
      {"ip", "link", "add", t.left_.veth, "netns", t.left_.ns, "type", "veth", "peer", "name",
       t.right_.veth, "netns", t.right_.ns},
      {"ip", "-n", t.left_.ns, "link", "set", "lo", "up"},
      {"ip", "-n", t.right_.ns, "link", "set", "lo", "up"},
      in_ns(t.left_.ns, {"sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"}),
      in_ns(t.right_.ns, {"sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"}),
      {"ip", "-n", t.left_.ns, "addr", "add", t.left_.outer + "/24", "dev", t.left_.veth},
      {"ip", "-n", t.right_.ns, "addr", "add", t.right_.outer + "/24", "dev", t.right_.veth},
      {"ip", "-n", t.left_.ns, "link", "set", t.left_.veth, "up"},
      {"ip", "-n", t.right_.ns, "link", "set", t.right_.veth, "up"},
  };
  for (const auto& cmd : steps) {
    auto c = run_checked(cmd, "netns");
    if (!c) return c.error();
  }
  // The veth may need a moment before it passes traffic.
  for (int i = 0; i < 20; ++i) {
    auto p =
        run_command(in_ns(t.left_.ns, {"ping", "-n", "-q", "-c", "1", "-W", "1", t.right_.outer}),
                    milliseconds(3000));
    if (!p) return p.error();
    if (p->exit_code == 0) return t;
    if (!sleep_unless_stopped(milliseconds(100))) return interrupted_error();
  }
  return make_error(Errc::io, "netns",
                    "the veth " + t.left_.outer + " -> " + t.right_.outer +
                        " does not pass a ping");
}

void Topology::destroy() {
  if (!created_) return;
  created_ = false;
  for (const auto& side : {left_, right_})
    (void)run_cleanup({"ip", "netns", "del", side.ns}, milliseconds(10000));
}

} // namespace ikekit::bench
