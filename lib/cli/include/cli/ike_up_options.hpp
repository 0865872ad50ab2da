// ike-up's options, from flags or a JSON config file (ike-up(8)), turned into the
// engine's Config. One connection from flags, or many from --config; the JSON field
// names are the flag names with '_' for '-'. Every error names the flag or field and
// echoes the value.
#pragma once

#include "base/result.hpp"
#include "base/secret_bytes.hpp"
#include "ike/config.hpp"
#include "io/dataplane/tun_dataplane.hpp"
#include "io/dns_method.hpp"
#include "io/eap_radius_relay.hpp"
#include "io/kill_switch.hpp"
#include "io/tcp_streams.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ikekit::cli {

// One connection as the user wrote it (text, before parsing).
struct ConnectionOptions {
  std::string name = "ike-up";
  std::string role; // "initiator" | "responder"
  std::string local;
  std::string remote;
  uint16_t port = 500;
  std::string psk_file;
  std::string cert, key;
  std::vector<std::string> ca;
  // EAP (RFC 7296 2.16): "" or "eap-mschapv2". Server: --remote-auth with --eap-users and
  // --cert/--key; client: --local-auth with --eap-identity, --eap-password-file and --ca.
  std::string local_auth, remote_auth;
  std::string eap_users, eap_identity, eap_password_file;
  // --remote-auth eap-radius: EAP relayed to RADIUS (RFC 3579; cli/radius_options.hpp).
  std::vector<std::string> radius_server;
  std::string radius_secret_file;
  std::string radius_timeout = "2s";
  unsigned radius_retries = 2;
  std::string local_id, remote_id;
  std::string ike_proposal = "aes256gcm16-prfsha256-x25519";
  std::string esp_proposal = "aes256gcm16";
  std::vector<std::string> local_ts, remote_ts;
  std::string mode = "tunnel";
  std::string rekey_time = "1h";     // Child SA
  std::string ike_rekey_time = "8h"; // IKE SA
  std::string dpd_delay = "30s";
  std::string dpd_action = "clear";
  std::string unique = "no"; // no | never | keep | replace (strongSwan's uniqueness policy)
  bool force_encap = false;
  bool mobike = true; // RFC 4555: announce MOBIKE_SUPPORTED (--no-mobike)
  // RFC 9329: udp | tcp | auto (UDP, TCP when IKE_SA_INIT is unanswered for
  // tcp_fallback_after). tcp or auto also accept IKE in TCP streams (listen on tcp_port).
  std::string transport = "udp";
  std::string tcp_fallback_after = "2s";
  bool fragmentation = true;
  bool rsa_pss = false;   // sign with RSASSA-PSS (RFC 7427) instead of PKCS#1 v1.5
  bool server_eku = true; // initiator: the gateway's certificate must be a server's
  // Configuration payload (RFC 7296 2.19): a responder's address pools and DNS servers;
  // an initiator asks for an IPv4 and/or IPv6 virtual IP and DNS servers.
  std::vector<std::string> pool, dns;
  bool request_vip = false, request_vip6 = false;
};

struct IkeUpOptions {
  std::vector<ConnectionOptions> connections;
  uint16_t natt_port = 4500;
  uint16_t tcp_port = 4500;               // RFC 9329: the TCP port connected to and listened on
  size_t tcp_max_connections = 100;       // TCP connections open at once (DoS limit)
  std::string tcp_idle_timeout = "10s";   // a TCP connection no IKE SA answered on is closed
  std::string tcp_connect_timeout = "5s"; // an initiator's TCP connect not up by then fails
  std::string keylog;
  std::string dataplane = "auto"; // auto | none | tun | xfrm
  bool offload = true;            // TUN data plane: TSO/GRO on the device, UDP GSO
  // TUN data plane: polling after traffic before sleeping (TunDataplaneOptions::busy_poll)
  uint32_t busy_poll_us = uint32_t(io::dataplane::kDefaultBusyPoll.count());
  std::string retransmit_timeout = "4s";
  uint32_t retransmit_tries = 5;
  std::string nat_keepalive = "20s"; // RFC 3948 4 keepalive interval behind a NAT; 0: none
  size_t cookie_threshold = 10;      // half-open IKE SAs before COOKIEs (strongSwan's default)
  // Limits on what an unauthenticated peer can make us hold (ike::Config); 0: none.
  size_t half_open_limit = 1000;
  size_t half_open_limit_per_ip = 5;
  size_t max_message_size = 10000;
  size_t max_fragments = 64;
  size_t max_reassembly_bytes = 10000;
  bool allow_sha1_signatures = false;
  bool kill_switch = false; // io/kill_switch.hpp: drop everything but IKE, ESP and the tunnel
  bool allow_lan = false;   // with kill_switch: the local networks pass too
  // io/dns_apply.hpp: auto | resolved | resolvconf | file | none, for --request-vip
  std::string dns_apply = "auto";
  // Engines (io::IkeRunner threads): "auto" (online cores when the configuration can be
  // split, else 1; cli::resolve_threads) or 1..64.
  std::string threads = "auto";
};

struct IkeUpSetup {
  ike::Config config;
  std::vector<std::string> initiate; // connection names with role initiator
  // With --kill-switch: the servers and ports (the tunnel device is known later).
  std::optional<io::KillSwitchConfig> kill_switch;
  // --remote-auth eap-radius: the RADIUS servers, by connection name.
  std::map<std::string, io::RadiusRelayConfig> radius;
  // --dns-apply: nullopt for none, or when no connection asks for DNS servers.
  std::optional<io::DnsRequest> dns_apply;
  // RFC 9329: the limits on TCP streams (the runner listens when a transport asks).
  io::TcpStreamsOptions tcp;
};

// Reads a JSON config ({"connections":[{...}], "natt_port":..., "keylog":..., ...}) into
// `opts` (flags given on the command line are applied before, the file overrides them).
// Defined in ike_up_config_file.cpp.
Result<void> load_ike_up_config(const std::string& path, IkeUpOptions& opts);

Result<IkeUpSetup> build_ike_up_setup(const IkeUpOptions& opts);

// PSK files (--psk-file, ike-bench --psk-file): read with read_secret_file (mode 0600 or
// 0400, ours or root's, no symlink), trailing line ends dropped, kMinPskBytes..kMaxPskBytes.
inline constexpr size_t kMinPskBytes = 16;
inline constexpr size_t kMaxPskBytes = 4096;
Result<SecretBytes> read_psk_file(const std::string& path, const std::string& field);

} // namespace ikekit::cli
