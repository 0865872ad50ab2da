// The ike-bench tunnel topology: two tunnel-endpoint namespaces joined by a veth pair
// (the outer network). Traffic runs endpoint to endpoint between inner addresses that
// only the tunnel carries (no inner host namespaces: each endpoint is its own host):
//
//   ikb-<pid>-l                                   ikb-<pid>-r
//   inner 10.253.S.1  --tunnel--------------------  inner 10.253.S.2
//   outer 10.252.S.1  ==veth ikb<pid>l/ikb<pid>r==  outer 10.252.S.2
//
// S = pid % 256, so concurrent runs (distinct PIDs) use distinct names; the addresses
// live only inside the run's own namespaces. Built fresh for every peer and round and
// deleted by the destructor (deleting a namespace removes its veth, TUN devices,
// routes and sockets).
#pragma once

#include "base/result.hpp"

#include <string>
#include <vector>

namespace ikekit::bench {

struct Side {
  std::string ns;    // namespace name
  std::string veth;  // its end of the veth pair
  std::string outer; // outer address (the veth), no prefix
  std::string inner; // inner address (what the tunnel carries), no prefix
};

class Topology {
public:
  Topology() = default;
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;
  Topology(Topology&& o) noexcept;
  Topology& operator=(Topology&&) = delete;
  ~Topology() { destroy(); }

  // Creates both namespaces (lo up, IPv6 off), the veth and the outer addresses, and
  // waits until the veth passes a ping. Errc::environment when namespaces cannot be
  // created (not root), Errc::io for the rest; nothing is left behind on failure.
  static Result<Topology> create(int pid);

  const Side& left() const { return left_; }
  const Side& right() const { return right_; }
  // {"ip","netns","exec",ns}: the prefix that runs a command inside a namespace.
  static std::vector<std::string> in_ns(const std::string& ns, std::vector<std::string> cmd);
  // Deletes the namespaces (idempotent).
  void destroy();

private:
  Side left_, right_;
  bool created_ = false;
};

// The namespace names a run with this PID uses, to check none is left behind.
std::vector<std::string> topology_namespaces(int pid);

} // namespace ikekit::bench
