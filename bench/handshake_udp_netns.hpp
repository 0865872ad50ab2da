// Two network namespaces joined by a veth pair, for `ike-bench handshake --mode udp`:
//
//   ikb-<pid>-i  (initiator: ike-bench's sockets)   10.251.X.Y+1/30 on ikb<pid>i
//        ||  veth
//   ikb-<pid>-r  (responder: ike-up or charon)      10.251.X.Y+2/30 on ikb<pid>r
//
// The Child SAs' traffic selectors are 10.252.X.Y+1 and +2, on lo of each side: not
// the IKE addresses, because strongSwan's kernel-libipsec routes a Child SA's remote
// selector into its TUN device (IKE would follow), and it wants the local selector to
// be a local address for that route's source.
//
// X.Y derive from ike-bench's PID so that parallel runs use distinct names and
// addresses. Nothing is configured in the root namespace. Both namespaces (and with
// them the veth) are deleted when the object goes away.
#pragma once

#include "base/ip_address.hpp"
#include "base/result.hpp"

#include <memory>
#include <string>

namespace ikekit::bench {

class NetnsPair {
public:
  // Errc::environment when not root or `ip` fails (its message included).
  static Result<std::unique_ptr<NetnsPair>> create();
  ~NetnsPair();
  NetnsPair(const NetnsPair&) = delete;
  NetnsPair& operator=(const NetnsPair&) = delete;

  const std::string& initiator_ns() const { return ns_i_; }
  const std::string& responder_ns() const { return ns_r_; }
  const IpAddress& initiator_address() const { return addr_i_; }
  const IpAddress& responder_address() const { return addr_r_; }
  const IpAddress& initiator_inner() const { return inner_i_; }
  const IpAddress& responder_inner() const { return inner_r_; }

private:
  NetnsPair() = default;
  std::string ns_i_, ns_r_;
  IpAddress addr_i_, addr_r_, inner_i_, inner_r_;
  bool created_i_ = false, created_r_ = false;
};

// Moves the calling thread into a named network namespace and back again when it goes
// away. Sockets opened meanwhile stay in that namespace (a socket keeps the namespace it
// was created in), so ike-bench opens its initiator sockets inside and returns at once.
class NetnsEnter {
public:
  static Result<std::unique_ptr<NetnsEnter>> enter(const std::string& name);
  ~NetnsEnter();
  NetnsEnter(const NetnsEnter&) = delete;
  NetnsEnter& operator=(const NetnsEnter&) = delete;

private:
  NetnsEnter() = default;
  int home_fd_ = -1;
};

} // namespace ikekit::bench
