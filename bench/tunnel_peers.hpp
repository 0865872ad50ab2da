// The tunnels ike-bench tunnel compares, each brought up on both endpoints of a
// NetnsPair (netns.hpp; inner addresses not on lo):
//  * ikekit: two esp-tunnel --backend tun processes with random static keys (a 0600
//    ikekit key log in the run's private directory, never on a command line or in
//    output), ESP in UDP 4500 (RFC 3948).
//  * ikekit-tcp: two ike-up processes (PSK, --transport tcp, --dataplane tun): IKE and
//    ESP in one TCP connection to port 4500 (RFC 9329), the inner addresses on lo as
//    the traffic selectors (ike_up_tunnel.cpp, shared with ike-bench roam).
//  * strongswan: charon-systemd on both ends with kernel-libipsec (userspace ESP over
//    its ipsec0 TUN device: this kernel has no ESP), PSK, the same ESP cipher; the
//    inner addresses sit on lo and are the traffic selectors.
//  * wireguard-go: wireguard-go on both ends, keys from `wg genkey`, set with `wg set`.
//  * none: nothing; traffic uses the outer veth addresses (the baseline).
#pragma once

#include "base/result.hpp"
#include "bench/netns.hpp"
#include "bench/process.hpp"
#include "bench/strongswan.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ikekit::bench {

enum class Peer { ikekit, ikekit_tcp, strongswan, wireguard_go, none };

// "ikekit", "ikekit-tcp", "strongswan", "wireguard-go", "none".
std::string_view peer_name(Peer p);
// Errc::usage naming `field` and the allowed names.
Result<Peer> parse_peer(std::string_view name, const std::string& field);
// "PEER,PEER,...": each parse_peer'd, in order.
Result<std::vector<Peer>> parse_peer_list(std::string_view list, const std::string& field);

struct PeerOptions {
  std::string cipher = "aes256gcm16"; // ESP suite (ikekit, strongswan)
  std::string esp_tunnel;             // path of the esp-tunnel binary
  std::string ike_up;                 // path of the ike-up binary (empty: beside ike-bench)
  std::string work_dir;               // private (0700) directory of this run
  int pid = 0;                        // names: wireguard interfaces, TUN devices
  uint16_t port = 4500;               // ikekit's UDP encapsulation port
  // The left end is a client that roams behind NATs (ike-bench roam, roam_netns.hpp):
  // ikekit is then ike-up on both ends (IKE with MOBIKE; esp-tunnel's static SAs cannot
  // move), strongSwan's client has no fixed local address and MOBIKE on, the right end
  // accepts any address, and the WireGuard server has no endpoint (it learns it).
  bool roaming = false;
};

// The tools a peer needs (besides ip, ping, iperf3), each with its Debian package.
// Errc::environment, field "--peer", naming the missing program and its package.
Result<void> check_peer_tools(Peer p, const PeerOptions& opts);

// A tunnel that is up: traffic goes from src (in the left namespace) to dst (right).
// The destructor stops its processes by PID, newest first, and removes its files.
struct RunningTunnel {
  RunningTunnel() = default;
  RunningTunnel(RunningTunnel&&) = default;
  RunningTunnel& operator=(RunningTunnel&&) = default;
  ~RunningTunnel();
  std::string src, dst;
  std::optional<std::string> cipher;  // what protects the traffic (null for none)
  std::optional<std::string> backend; // "tun", "kernel-libipsec"; null for none
  std::vector<Child> procs;
  std::vector<Charon> charons;
  std::vector<std::string> remove_paths;    // stale sockets a killed daemon may leave
  std::vector<std::string> control_sockets; // ike-up's, left then right (ikectl)
};

// A tunnel not started yet between the inner addresses of `left` and `right`, its
// traffic protected by `cipher` through `backend`.
RunningTunnel inner_tunnel(const NetnsSide& left, const NetnsSide& right, std::string cipher,
                           std::string backend);

// The transport the peer's ESP uses: "tcp" for ikekit-tcp (RFC 9329), "udp" for the
// tunnels, nullopt for none.
std::optional<std::string> peer_transport(Peer p);

// Brings the tunnel up and returns once it is configured (the caller waits until it
// passes traffic). On failure everything started so far is stopped; the error says
// which step failed, with the tool's own message.
// `left` initiates (the client), `right` responds; their namespaces exist and their
// outer addresses reach each other (the inner addresses are added here).
Result<RunningTunnel> start_peer(Peer p, const NetnsSide& left, const NetnsSide& right,
                                 const PeerOptions& opts);

// ike-up on both ends (ike_up_tunnel.cpp): PSK, TUN data plane, MOBIKE, inner addresses
// on lo as the traffic selectors, a control socket each in opts.work_dir; `transport`
// udp (roam) or tcp (ikekit-tcp, RFC 9329). Returns once the initiator reported its
// Child SA.
Result<RunningTunnel> start_ike_up_pair(const NetnsSide& left, const NetnsSide& right,
                                        const PeerOptions& opts, std::string_view transport);

// `n` random bytes in hex (keys, PSKs); the caller wipes the string when done.
std::string random_hex(size_t n);

// A ping through the tunnel from the left namespace `ns`, once a second for up to 10 s:
// until one passes the tunnel is not up (WireGuard handshakes on the first packet;
// routes may lag).
Result<void> wait_for_path(const std::string& ns, const RunningTunnel& t);

} // namespace ikekit::bench
