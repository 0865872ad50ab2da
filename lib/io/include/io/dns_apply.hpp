// DNS servers from the configuration payload (RFC 7296 2.19, INTERNAL_IP4_DNS and
// INTERNAL_IP6_DNS) put into the client's resolver while the tunnel is up, and the
// resolver put back exactly as it was afterwards (ike-up --dns-apply, ike-up(8) DNS).
//
// Three methods, in the order `auto` tries them:
//   file        /etc/resolv.conf rewritten IN PLACE (never renamed over: under
//               `ip netns exec NS` it is a bind mount of /etc/netns/NS/resolv.conf, and
//               a rename would replace the mount point's target in the wrong place or
//               fail with EBUSY). Picked first when resolv.conf is a mount point, since
//               the host-wide resolved or resolvconf cannot reach a namespace's file.
//   resolved    systemd-resolved, per link: resolvectl dns/domain ~./default-route on
//               the tunnel device, resolvectl revert to undo.
//   resolvconf  a record of its own (resolvconf -a tun.<device>), resolvconf -d to undo.
//
// Before it changes anything, the applier saves what it needs to undo the change in a
// state file (0600, /run/ikekit/dns-<method>-<key>.state, with the original bytes for
// the file method). A state file whose run is gone (SIGKILL, a crash) is found and
// repaired at the next start.
#pragma once

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "ike/config.hpp"
#include "io/dns_method.hpp"

#include "json/output.hpp"
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ikekit::io {

// Where the resolver configuration lives; unit tests point these into a temp dir.
struct DnsPaths {
  std::string resolv_conf = "/etc/resolv.conf";
  std::string state_dir = "/run/ikekit";
  std::string resolved_dir = "/run/systemd/resolve"; // exists while systemd-resolved runs
  std::string mountinfo = "/proc/self/mountinfo";
};

// One change made or undone: the dns_applied and dns_restored events (ikekit-json(7)).
struct DnsChange {
  DnsMethod method = DnsMethod::file;
  std::vector<IpAddress> servers;
  std::string file; // file method: the resolv.conf rewritten
  std::string link; // resolved: the link; resolvconf: the record name
  // dns_restored only: child_sa_down, exit or stale_state (a run that did not end cleanly)
  std::string reason;
  long stale_pid = 0;        // stale_state: the process that left the state behind
  bool file_changed = false; // stale_state: the file no longer held what that run wrote,
                             // so it was left as it is (only the state was dropped)
};
json::Json dns_change_json(const DnsChange& c, bool applied, const std::string& time);

// The servers a Child SA's remote traffic selectors do not cover for DNS (UDP port 53):
// queries to them would not go through the tunnel (dns_applied's outside_tunnel).
std::vector<IpAddress> dns_outside_tunnel(const std::vector<IpAddress>& servers,
                                          const std::vector<ike::TsSpec>& remote_ts);

// The method to use for `requested`: Errc::environment, field --dns-apply, when the
// method asked for is not available.
Result<DnsMethod> choose_dns_method(const DnsRequest& requested, const DnsPaths& paths = {});

class DnsApplier {
public:
  explicit DnsApplier(DnsMethod method, DnsPaths paths = {});
  DnsApplier(const DnsApplier&) = delete;
  DnsApplier& operator=(const DnsApplier&) = delete;
  ~DnsApplier(); // restores a change still applied (best effort; see restore)

  // State files of this method left by runs that are gone: each change put back.
  Result<std::vector<DnsChange>> repair_stale();
  // Puts `servers` in place (the first three for the file method: glibc reads no more).
  // `link`: the tunnel device (resolved needs one; resolvconf names its record after it).
  Result<DnsChange> apply(const std::vector<IpAddress>& servers, const std::string& link);
  // Undoes the change, if one is applied; nullopt otherwise.
  Result<std::optional<DnsChange>> restore(const std::string& reason);
  bool applied() const { return applied_.has_value(); }
  DnsMethod method() const { return method_; }

private:
  std::string state_path(const std::string& key) const;
  DnsMethod method_;
  DnsPaths paths_;
  std::optional<DnsChange> applied_;
  std::string state_file_; // while applied
};

} // namespace ikekit::io
