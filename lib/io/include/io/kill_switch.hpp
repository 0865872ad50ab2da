// The VPN client's kill switch (ike-up --kill-switch, ike-up(8) KILL SWITCH): nftables
// rules, in a table of their own, that drop every packet in and out except loopback,
// IKE and ESP to and from the servers, the tunnel device, traffic that XFRM protects,
// what a link needs to stay up (IPv6 neighbour discovery, MLD: our reports and the
// router's queries, DHCP) and, optionally, the local networks. Installed before the
// first IKE packet goes out; kept while the tunnel is down (fail closed); removed on a
// clean exit or on request (ikectl kill-switch off).
// A crash, or an exit on a failed data plane (leave), leaves the table in place; the
// next install replaces it in the same batch.
#pragma once

#include "base/ip_address.hpp"
#include "base/result.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace ikekit::io {

inline constexpr const char* kKillSwitchTable = "ikekit_kill_switch"; // family inet

struct KillSwitchConfig {
  std::vector<IpAddress> servers;  // IKE peers: IKE and ESP to and from them pass
  std::vector<uint16_t> ike_ports; // their UDP ports (500, 4500, a custom --natt-port)
  std::string tunnel_device;       // TUN device (empty with XFRM or no data plane)
  bool allow_lan = false;          // RFC 1918, link-local, ULA and multicast pass too
};

// The nftables script that replaces the table with the kill switch (one transaction:
// add, delete, define), so there is no instant without rules. Pure: tested as text.
std::string kill_switch_ruleset(const KillSwitchConfig& c);

class KillSwitch {
public:
  // Installs the rules through libnftables. Errors: Errc::environment when nftables
  // refuses (no CAP_NET_ADMIN, no nf_tables in the kernel), naming nft's message.
  static Result<KillSwitch> install(const KillSwitchConfig& c);
  // Removes the table now (ikectl kill-switch off); idempotent.
  Result<void> remove();
  // Leaves the table in place when this goes (fail closed: ike-up exits because its data
  // plane failed, and the next start replaces the table without a gap).
  void leave() { active_ = false; }
  bool active() const { return active_; }
  // Whether the install replaced a table left behind (a crash of an earlier run).
  bool replaced_stale() const { return replaced_stale_; }
  const KillSwitchConfig& config() const { return config_; }

  KillSwitch(KillSwitch&& o) noexcept;
  KillSwitch& operator=(KillSwitch&& o) noexcept;
  KillSwitch(const KillSwitch&) = delete;
  KillSwitch& operator=(const KillSwitch&) = delete;
  ~KillSwitch(); // removes the table: a clean exit ends the kill switch

private:
  explicit KillSwitch(KillSwitchConfig c) : config_(std::move(c)) {}
  KillSwitchConfig config_;
  bool active_ = false;
  bool replaced_stale_ = false;
};

// Runs an nftables script through libnftables; the error carries nft's own message.
Result<std::string> run_nft(const std::string& script, bool dry_run = false);

} // namespace ikekit::io
