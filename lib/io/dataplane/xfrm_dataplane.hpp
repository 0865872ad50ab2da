// The kernel ESP data plane: each Child SA becomes two XFRM states (RFC 4301 SAD)
// and the policies (SPD) that steer its traffic selectors into them, installed over
// NETLINK_XFRM; everything installed is removed again by remove_child_sa or the
// destructor. Same shape as TunDataplane so ike-up drives either.
//
// With UDP encapsulation (RFC 3948) the kernel only decapsulates ESP that arrives on a
// UDP socket marked UDP_ENCAP_ESPINUDP: the data plane opens one on the local port
// unless the caller (ike-up, whose IKE socket is on 4500) marks its own and says so.
//
// A kernel without ESP refuses the first state with Errc::environment naming
// CONFIG_INET_ESP (or the missing algorithm's option): nothing is left installed.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/result.hpp"
#include "io/dataplane/child_sa.hpp"
#include "io/dataplane/esp_socket.hpp"
#include "io/dataplane/stats.hpp"
#include "io/xfrm.hpp"

namespace ikekit::io::dataplane {

struct XfrmDataplaneOptions {
  IpAddress local;
  bool udp_encap = true;
  uint16_t port = 4500;
  bool own_encap_socket = true;  // false: the caller's 4500 socket has UDP_ENCAP set
  std::optional<XfrmMark> mark;
};

class XfrmDataplane {
 public:
  static Result<XfrmDataplane> open(const XfrmDataplaneOptions& options);
  XfrmDataplane(XfrmDataplane&&) noexcept = default;
  XfrmDataplane& operator=(XfrmDataplane&&) noexcept = default;
  ~XfrmDataplane();  // removes every state and policy still installed

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
  static Plan plan(const ChildSaSpec& spec, const std::optional<XfrmMark>& mark);

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

}  // namespace ikekit::io::dataplane
