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
//
// Rekeying (RFC 7296 2.8) never leaves traffic without a policy, as strongSwan's
// kernel-netlink does it: the new pair (ChildSaSpec::replaces_spi_in) gets the reqid
// of the pair it replaces, its states are added first (inbound, outbound; the kernel
// then prefers the newer outbound state of that reqid), and the policies it shares
// with the old pair are updated in place (XFRM_MSG_UPDPOLICY), never added twice
// (EEXIST) nor deleted. Each policy is counted by the installed pairs that use it:
// removing a pair deletes only the policies no other pair uses, then its states.
// Selectors of another IKE SA's pair never overlap (Errc::bad_value, sa_refused).
//
// A move of the IKE SA (RFC 4555 3.5 MOBIKE, RFC 7296 2.23 NAT mapping change) moves
// its pairs the same way (move_ike_sa), with the encapsulation of the new path (on or
// off: XFRMA_ENCAP follows): the kernel keys a state by (dst, SPI), so a state whose
// destination changes is added anew before the old one goes; one whose destination
// stays (our inbound state when only the peer moved, the outbound one when only we
// moved, or only a port or the encapsulation changed) is deleted and added again, as
// strongSwan's kernel-netlink does. The policies are never removed meanwhile: UPDPOLICY points
// them at the new tunnel endpoints, so the traffic is at worst dropped for the
// moment a state is missing, never sent in clear. XFRM_MSG_MIGRATE would do the same
// in one message but needs CONFIG_XFRM_MIGRATE (not in every kernel) and states the
// kernel already holds.
#pragma once

#include "base/result.hpp"
#include "esp/selector_table.hpp"
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
  // The same over `nl` (tests: XfrmNetlink::with_transport sees every request).
  static Result<XfrmDataplane> open(const XfrmDataplaneOptions& options, XfrmNetlink nl);
  XfrmDataplane(XfrmDataplane&&) noexcept = default;
  XfrmDataplane& operator=(XfrmDataplane&&) noexcept = default;
  ~XfrmDataplane(); // removes every state and policy still installed

  // Inbound state, outbound state, then the policies: out (local_ts -> remote_ts),
  // in and fwd (remote_ts -> local_ts), with protocol and ports. A policy another
  // installed pair already uses (a rekey) is updated, not added. On failure what was
  // added is removed again. Selectors overlapping another IKE SA's pair:
  // Errc::bad_value "remote_ts", nothing sent to the kernel.
  Result<void> install_child_sa(const ChildSaSpec& spec);
  // Deletes the policies no other pair uses (those it shares are pointed at a pair
  // that stays, if its reqid differs), then the outbound and inbound states.
  Result<void> remove_child_sa(uint32_t spi_in);
  // Removes everything (idempotent); the first error, if any.
  Result<void> remove_all();

  // The new outer endpoints of an IKE SA that moved, and whether its ESP is in UDP there
  // (RFC 4555 3.5: NAT detection on the new path decides, not IKE's port: IKE stays on
  // 4500 while ESP out of a NAT goes plain; ike_sa_moved / ike_sa_encap_changed).
  struct OuterEndpoints {
    IpAddress local, remote;
    uint16_t local_port = 4500, remote_port = 4500; // with udp_encap
    bool udp_encap = true;
  };
  // Moves every pair of `ike_sa` to `to` (see the file comment for the order). A state
  // the kernel refuses (no ESP: Errc::environment naming CONFIG_INET_ESP) stops the
  // move with the pair still on its old endpoints where no state was replaced yet.
  // Errc::not_found when the IKE SA has no pair.
  Result<void> move_ike_sa(uint64_t ike_sa, const OuterEndpoints& to);

  // Kernel counters summed over the installed SAs (packets/bytes and the drops the
  // kernel keeps: replay, replay-window, integrity).
  Result<DataplaneStats> stats();
  // The kernel's counters of the pair installed with `spi_in` (last_used_ns 0: the
  // kernel does not keep a last-use time). Errc::not_found when none is.
  Result<ChildSaCounters> child_sa_counters(uint32_t spi_in);

  // The states and policies one spec becomes with `reqid` (pure; tested without a
  // kernel). A port range the kernel cannot take as one value/mask becomes several
  // policies; ICMP Type/Code go into sport/dport. Errc::unsupported "remote_ts" when
  // the selectors need more than kMaxPolicies policies.
  struct Plan {
    XfrmSa sa_in;
    XfrmSa sa_out;
    std::vector<XfrmPolicy> policies;
  };
  static constexpr size_t kMaxPolicies = 256;
  static Result<Plan> plan(const ChildSaSpec& spec, uint32_t reqid,
                           const std::optional<XfrmMark>& mark,
                           const std::optional<uint32_t>& if_id = std::nullopt);
  // The selectors the kernel enforces for `spec`: its own, an empty side standing for
  // the outer address.
  static esp::SaSelectors selectors(const ChildSaSpec& spec);

private:
  struct Installed {
    uint32_t spi_in = 0;
    uint64_t ike_sa = 0;
    uint32_t reqid = 0;
    XfrmSaId in;
    XfrmSaId out;
    std::vector<XfrmPolicy> policies; // in the kernel, possibly shared with other pairs
    bool in_added = false, out_added = false;
    ChildSaSpec spec; // its keys and endpoints, to add its states again on a move
  };
  XfrmDataplane(XfrmNetlink nl, XfrmDataplaneOptions o) : nl_(std::move(nl)), options_(o) {}
  Result<void> remove(Installed& inst);
  Result<void> install_policies(Installed& inst, const std::vector<XfrmPolicy>& policies);
  // Another installed pair's policy with the same selectors and direction, if any.
  const XfrmPolicy* policy_in_use(const XfrmPolicy& p, const Installed* except) const;
  uint32_t choose_reqid(const ChildSaSpec& spec) const;
  Result<void> move(Installed& inst, const OuterEndpoints& to);
  Result<void> move_policies(Installed& inst, const std::vector<XfrmPolicy>& policies);

  std::optional<XfrmNetlink> nl_;
  XfrmDataplaneOptions options_;
  Fd encap_fd_;
  std::vector<Installed> installed_;
  esp::SelectorTable spd_; // by inbound SPI: conflicts between IKE SAs, rekeys
  DataplaneStats retired_;
};

} // namespace ikekit::io::dataplane
