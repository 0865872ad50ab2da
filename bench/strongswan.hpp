// The one strongSwan configuration writer of the project: ike-bench's responder
// (handshake --mode udp --peer strongswan, flood --peer strongswan) and tunnel peer use
// it directly, the interop tests' shell harness (tests/interop/lib/swan.sh) through the
// hidden `ike-bench strongswan-conf`, so the plugin list and the settings have one
// source. Facts behind them (tests/interop/README.md):
//  * this kernel has XFRM without ESP: Child SAs go to the userspace ESP backend
//    kernel-libipsec, which must load before kernel-netlink (the first kernel-ipsec
//    backend wins; kernel-netlink still does addresses and routes); kernel-libipsec (5.9)
//    always UDP-encapsulates ESP on 4500, through its TUN device ipsec0;
//  * without "kdf" key derivation fails ("KDF_PRF ... not supported");
//  * nothing global: no /etc/swanctl, /run/charon.*, journal or syslog. One charon per
//    directory: its own strongswan.conf, vici socket and logs, so instances run side by
//    side (one per namespace, as both bind UDP 500/4500). charon-systemd reads
//    charon-systemd.* and falls back to charon.*.
#pragma once

#include "base/result.hpp"
#include "bench/process.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace ikekit::bench {

inline constexpr const char* kCharonPath = "/usr/sbin/charon-systemd";
inline constexpr const char* kSwanctlPath = "/usr/sbin/swanctl";

struct CharonSettings {
  std::string dir;   // absolute: strongswan.conf, charon.vici, charon.log live here
  int log_level = 1; // default level of charon.log; -1: off (a benchmark measures the daemon)
  bool key_log =
      false; // charon-keys.log: ike=4 chd=4 cfg=1 enc=1, ALL SECRETS (SKEYSEED, SK_*, ESP keys)
  bool routes = true; // install_routes (false also: install_virtual_ip = no)
  // A benchmark's load from one address: never throttle, block or demand cookies, more
  // threads and a larger IKE SA table. Off: strongSwan's own DoS defaults.
  bool unthrottled = false;
};

// The plugins charon loads, in order.
std::string_view charon_plugins();
// The "key = value" settings under charon { } besides plugins and logging: what a
// result's "settings" lists as configured beyond strongSwan's defaults.
std::vector<std::string> charon_settings(const CharonSettings& s);
// The whole strongswan.conf.
std::string strongswan_conf(const CharonSettings& s);

// One PSK connection for swanctl.conf (the connection and its Child SA share the name).
struct SwanConnection {
  std::string name;
  std::string local_addrs, remote_addrs = "%any";
  std::string proposals, esp_proposals;
  std::string local_id, remote_id; // "" : the default (the IKE address / any)
  std::string local_ts, remote_ts;
  std::string psk; // printable; written quoted
  // Many IKE SAs from one address and identity (a benchmark): keep them all
  // (unique = never), no DPD.
  bool keep_duplicates = false;
  // MOBIKE (RFC 4555): off for a fixed pair, on for a client that roams.
  bool mobike = false;
};
std::string swanctl_conf(const SwanConnection& c);

// One isolated charon-systemd in a network namespace.
class Charon {
public:
  // Writes <dir>/strongswan.conf and <dir>/swanctl/swanctl.conf (0600: the PSK), starts
  // charon in `netns`, waits for its vici socket to answer and loads the connections.
  // Errc::environment when charon or swanctl is missing, Errc::io / timeout otherwise
  // (with the first line of its logs).
  static Result<Charon> start(const std::string& netns, const CharonSettings& s,
                              const std::string& swanctl_conf_text);
  // swanctl COMMAND --uri <this instance> ARGS... (swanctl's --uri follows the command).
  Result<CommandOutput> swanctl(const std::vector<std::string>& args, const std::string& what,
                                std::chrono::milliseconds timeout = std::chrono::seconds(10));
  Child& process() { return process_; }
  const std::string& log_path() const { return log_path_; }

private:
  Child process_;
  std::string dir_, log_path_;
};

// Errc::environment naming the Debian packages when charon-systemd or swanctl is absent.
Result<void> check_strongswan_installed(const std::string& field);

} // namespace ikekit::bench
