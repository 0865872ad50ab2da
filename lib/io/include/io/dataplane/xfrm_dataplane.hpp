// The kernel ESP data plane: each Child SA becomes two XFRM states (RFC 4301 SAD)
// and the policies (SPD) that steer its traffic selectors into them, installed over
// NETLINK_XFRM; everything installed is removed again by remove_child_sa or the
// destructor. Same shape as TunDataplane so ike-up drives either.
//
// With UDP encapsulation (RFC 3948) the kernel only decapsulates ESP that arrives on a
// UDP socket marked UDP_ENCAP_ESPINUDP: the data plane opens one on the local port,
// or (ike-up, whose IKE socket already holds 4500) marks the caller's socket
// (shared_encap_fd). On a marked socket the kernel takes ESP (a non-zero SPI first)
// and still delivers IKE behind the non-ESP marker and keepalives to user space,
// which is how strongSwan and Libreswan share the port.
//
// A kernel without ESP refuses the first state with Errc::environment naming
// CONFIG_INET_ESP (or the missing algorithm's option): nothing is left installed.
#pragma once

#include "base/result.hpp"
#include "io/dataplane/child_sa.hpp"
#include "io/dataplane/esp_socket.hpp"
#include "io/dataplane/stats.hpp"
#include "io/xfrm.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace ikekit::io::dataplane {

struct XfrmDataplaneOptions {
  IpAddress local;
  bool udp_encap = true;
  uint16_t port = 4500;
  bool own_encap_socket = true;  // false: the caller's 4500 socket has UDP_ENCAP set
  int shared_encap_fd = -1;      // >= 0: set UDP_ENCAP on this socket instead of opening one
  std::optional<XfrmMark> mark;  // XFRMA_MARK on every state and policy
  std::optional<uint32_t> if_id; // XFRMA_IF_ID on every state and policy (xfrm interfaces)
};

// Marks a bound UDP socket UDP_ENCAP_ESPINUDP (RFC 3948): the kernel decapsulates the
// ESP arriving on it; IKE after the non-ESP marker still reaches the socket.
// Errc::environment when the kernel refuses (no ESP-in-UDP support).
Result<void> set_udp_encap(int fd);
// Per-socket XFRM bypass (IP_XFRM_POLICY / IPV6_XFRM_POLICY, allow, in and out), as
// strongSwan sets on its IKE sockets: IKE messages are never caught by a policy whose
// selectors cover the IKE endpoints (transport mode, 0.0.0.0/0 tunnels).
Result<void> bypass_socket_policy(int fd, bool v6);

class XfrmDataplane {
public:
  static Result<XfrmDataplane> open(const XfrmDataplaneOptions& options);
  XfrmDataplane(XfrmDataplane&&) noexcept = default;
  XfrmDataplane& operator=(XfrmDataplane&&) noexcept = default;
  ~XfrmDataplane(); // removes every state and policy still installed

  // Inbound state, outbound state, then the policies: out (local_ts -> remote_ts),
  // in and fwd (remote_ts -> local_ts). On failure what was added is removed again.
  Result<void> install_child_sa(const ChildSaSpec& spec);
  Result<void> remove_child_sa(uint32_t spi_in);
  // Removes everything (idempotent); the first error, if any.
  Result<void> remove_all();

  // Kernel counters summed over the installed SAs (packets/bytes and the drops the
  // kernel keeps: replay, replay-window, integrity).
  Result<DataplaneStats> stats();
  // The kernel's counters of the pair installed with `spi_in` (last_used_ns 0: the
  // kernel does not keep a last-use time). Errc::not_found when none is.
  Result<ChildSaCounters> child_sa_counters(uint32_t spi_in);

  // The states and policies one spec becomes (pure; tested without a kernel).
  struct Plan {
    XfrmSa sa_in;
    XfrmSa sa_out;
    std::vector<XfrmPolicy> policies;
  };
  static Plan plan(const ChildSaSpec& spec, const std::optional<XfrmMark>& mark,
                   const std::optional<uint32_t>& if_id = std::nullopt);

private:
  struct Installed {
    uint32_t spi_in = 0;
    XfrmSaId in;
    XfrmSaId out;
    std::vector<XfrmPolicyId> policies;
    bool in_added = false, out_added = false;
  };
  XfrmDataplane(XfrmNetlink nl, XfrmDataplaneOptions o) : nl_(std::move(nl)), options_(o) {}
  Result<void> remove(Installed& inst);

  std::optional<XfrmNetlink> nl_;
  XfrmDataplaneOptions options_;
  Fd encap_fd_;
  std::vector<Installed> installed_;
  DataplaneStats retired_;
};

} // namespace ikekit::io::dataplane
