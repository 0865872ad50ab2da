// The one namespace topology of ike-bench's benches (handshake --mode udp, tunnel,
// flood): two namespaces joined by a veth pair, nothing in the root namespace.
//
//   ikb-<pid>-l  (initiator, client, tunnel left)   outer 10.251.X.Y+1/30 on ikb<pid>l
//        ||  veth
//   ikb-<pid>-r  (responder, server, tunnel right)  outer 10.251.X.Y+2/30 on ikb<pid>r
//
// Each side also has an inner address, 10.252.X.Y+1 and +2, for what a tunnel or a
// Child SA carries: with inner_on_lo it sits on lo (a Child SA's traffic selector: not
// the IKE address, because strongSwan's kernel-libipsec routes a Child SA's remote
// selector into its TUN device, IKE would follow, and it wants the local selector to
// be a local address); without, the tunnel under test puts it on its own device.
//
// X.Y derive from ike-bench's PID, so concurrent runs use distinct names and addresses.
// IPv6 is off in both (no DAD or router solicitations). A namespace of a previous run
// with the same PID (killed with SIGKILL) is removed first. Deleting the namespaces
// (destroy(), the destructor) also removes the veth and every device, route and socket
// in them.
#pragma once

#include "base/ip_address.hpp"
#include "base/result.hpp"

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ikekit::bench {

struct NetnsSide {
  std::string ns;   // namespace name
  std::string veth; // its end of the veth pair
  IpAddress outer;  // on the veth (/30)
  IpAddress inner;  // what a tunnel or Child SA carries
};

class NetnsPair {
public:
  // Errc::environment when not root or namespaces cannot be created, Errc::io for the
  // other steps; nothing is left behind on failure. Returns once the veth passes
  // traffic (both ends operationally up).
  static Result<NetnsPair> create(bool inner_on_lo);
  NetnsPair() = default;
  NetnsPair(NetnsPair&& o) noexcept;
  NetnsPair& operator=(NetnsPair&&) = delete;
  NetnsPair(const NetnsPair&) = delete;
  ~NetnsPair() { destroy(); }

  const NetnsSide& left() const { return left_; }
  const NetnsSide& right() const { return right_; }
  std::vector<std::string> names() const { return {left_.ns, right_.ns}; }
  // Deletes both namespaces (idempotent).
  void destroy();

private:
  NetnsSide left_, right_;
  bool created_ = false;
};

// What a run in namespaces with TUN devices needs: root (`root_why` says for what),
// /dev/net/tun and each {program, Debian package}. Errc::environment naming `field`
// and the first piece missing.
Result<void>
check_netns_environment(const std::string& field, const std::string& root_why,
                        std::initializer_list<std::pair<const char*, const char*>> programs);

// Creates the namespace `name` with lo up and IPv6 off (no DAD or router solicitations);
// a namespace of that name left by a killed run is removed first. Errc::environment
// when namespaces cannot be created (not root), Errc::io for the other steps.
Result<void> add_namespace(const std::string& name);
// Deletes the namespaces (and every device, route and socket in them); ignores absent ones.
void delete_namespaces(const std::vector<std::string>& names);
// Until the kernel's link watcher has marked a veth end up (and attached its queueing
// discipline), what it is given is dropped: waits (5 s at most) for "state UP" on each
// {namespace, device}.
Result<void> wait_links_up(const std::vector<std::pair<std::string, std::string>>& links);

// Moves the calling thread into a named network namespace and back again when it goes
// away. Sockets opened meanwhile stay in that namespace (a socket keeps the namespace it
// was created in), so ike-bench opens its sockets inside and returns at once.
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
