#include "bench/handshake_udp_netns.hpp"

#include "bench/handshake_udp_process.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

namespace ikekit::bench {

Result<std::unique_ptr<NetnsPair>> NetnsPair::create() {
  if (geteuid() != 0)
    return make_error(Errc::environment, "--mode",
                      "udp mode creates network namespaces for its responder and needs root "
                      "(or give --target ADDR of a running responder)");
  std::unique_ptr<NetnsPair> p(new NetnsPair());
  pid_t pid = getpid();
  std::string id = std::to_string(pid);
  p->ns_i_ = "ikb-" + id + "-i";
  p->ns_r_ = "ikb-" + id + "-r";
  std::string if_i = "ikb" + id + "i", if_r = "ikb" + id + "r"; // <= 15 bytes for any PID
  // One /30 of 10.251.0.0/16 per PID (modulo 16384).
  unsigned idx = unsigned(pid) % 16384;
  std::string net = "10.251." + std::to_string(idx >> 6) + ".";
  unsigned base = (idx & 63) * 4;
  std::string a_i = net + std::to_string(base + 1), a_r = net + std::to_string(base + 2);
  p->addr_i_ = *IpAddress::parse(a_i);
  p->addr_r_ = *IpAddress::parse(a_r);
  std::string inner = "10.252." + std::to_string(idx >> 6) + ".";
  std::string t_i = inner + std::to_string(base + 1), t_r = inner + std::to_string(base + 2);
  p->inner_i_ = *IpAddress::parse(t_i);
  p->inner_r_ = *IpAddress::parse(t_r);

  if (auto r = run_command({"ip", "netns", "add", p->ns_i_}); !r) return r.error();
  p->created_i_ = true;
  if (auto r = run_command({"ip", "netns", "add", p->ns_r_}); !r) return r.error();
  p->created_r_ = true;
  const std::vector<std::vector<std::string>> steps = {
      {"ip", "link", "add", if_i, "netns", p->ns_i_, "type", "veth", "peer", "name", if_r, "netns",
       p->ns_r_},
      {"ip", "-n", p->ns_i_, "addr", "add", a_i + "/30", "dev", if_i},
      {"ip", "-n", p->ns_r_, "addr", "add", a_r + "/30", "dev", if_r},
      {"ip", "-n", p->ns_i_, "addr", "add", t_i + "/32", "dev", "lo"},
      {"ip", "-n", p->ns_r_, "addr", "add", t_r + "/32", "dev", "lo"},
      {"ip", "-n", p->ns_i_, "link", "set", "lo", "up"},
      {"ip", "-n", p->ns_r_, "link", "set", "lo", "up"},
      {"ip", "-n", p->ns_i_, "link", "set", if_i, "up"},
      {"ip", "-n", p->ns_r_, "link", "set", if_r, "up"},
  };
  for (const auto& argv : steps)
    if (auto r = run_command(argv); !r) return r.error(); // ~NetnsPair deletes what exists
  return p;
}

NetnsPair::~NetnsPair() {
  // Deleting a namespace also removes its end of the veth, and with it the peer end.
  if (created_i_) (void)run_command({"ip", "netns", "del", ns_i_});
  if (created_r_) (void)run_command({"ip", "netns", "del", ns_r_});
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
