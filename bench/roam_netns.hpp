// The topology of `ike-bench roam`: a client with two access networks, each behind its
// own NAT router, and a server, as a phone with Wi-Fi and cellular sees it:
//
//   ikr-<pid>-c  client   link a  B+1/30 ---- B+2/30   ikr-<pid>-a  NAT a  B+9/30 ---- B+10/30
//                         link b  B+5/30 ---- B+6/30   ikr-<pid>-b  NAT b  B+13/30 --- B+14/30
//                                                                           ikr-<pid>-s  server
//   client inner I+1/32 (lo)                              server B+17/32 (lo), inner I+2/32 (lo)
//
// B is a /27 of 10.253.0.0/16 and I a /27 of 10.254.0.0/16, both derived from
// ike-bench's PID (concurrent runs differ). Each NAT masquerades (nftables) what leaves
// on its outside link to its own outside address (B+9 or B+13), so the server sees the
// client at a different address after the move. The client's default route goes through
// NAT a; the server reaches only the NATs' outside addresses. The inner addresses are
// what the tunnel carries (a Child SA's traffic selectors; WireGuard's device addresses).
#pragma once

#include "base/result.hpp"
#include "bench/netns.hpp"

#include <string>
#include <vector>

namespace ikekit::bench {

class RoamTopology {
public:
  // Errc::environment when not root or namespaces cannot be created, Errc::io for the
  // other steps; nothing is left behind on failure. Returns once the client reaches the
  // server through NAT a.
  static Result<RoamTopology> create();
  RoamTopology() = default;
  RoamTopology(RoamTopology&& o) noexcept;
  RoamTopology& operator=(RoamTopology&&) = delete;
  RoamTopology(const RoamTopology&) = delete;
  ~RoamTopology() { destroy(); }

  // The client: ns, its link-a device, its address on link a (where it starts), inner.
  const NetnsSide& client() const { return client_; }
  // The server: ns, its device towards NAT a, its public address (on lo), inner.
  const NetnsSide& server() const { return server_; }
  // The client's address on link b, and each NAT's outside address (what the server sees).
  const IpAddress& client_b() const { return client_b_; }
  const IpAddress& nat_a_outside() const { return nat_a_out_; }
  const IpAddress& nat_b_outside() const { return nat_b_out_; }
  std::vector<std::string> names() const { return {client_.ns, nat_a_, nat_b_, server_.ns}; }
  // The move, as a phone makes it: the address on link a is removed and the default route
  // goes through link b, in one `ip -batch` (one process, two netlink requests).
  Result<void> move_to_b() const;
  void destroy();

private:
  NetnsSide client_, server_;
  std::string nat_a_, nat_b_, link_b_;
  IpAddress client_b_, nat_a_in_, nat_b_in_, nat_a_out_, nat_b_out_;
  bool created_ = false;
};

} // namespace ikekit::bench
