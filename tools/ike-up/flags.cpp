// ike-up's flags (ike-up(8)); main.cpp turns them into the engine's Config.
#include "flags.hpp"

using namespace ikekit;

namespace {

// The control socket, the engines, and where the connection runs.
void add_endpoint_flags(CLI::App& app, cli::IkeUpOptions& o, cli::ConnectionOptions& c,
                        std::string& control_socket) {
  app.add_option("--control-socket", control_socket,
                 "Unix socket for ikectl (default /run/ikekit/ike-up.sock; \"none\" disables)");
  app.add_option("--threads", o.threads,
                 "IKE engines, one thread each (default auto: one per online core when "
                 "the configuration allows several, else 1)");
  app.add_option("--role", c.role, "initiator or responder");
  app.add_option("--local", c.local, "Local address to bind and send from");
  app.add_option("--remote", c.remote,
                 "Peer address (initiator); responder: accept only this peer");
  app.add_option("--port", c.port, "IKE port (default 500)");
  app.add_option("--natt-port", o.natt_port, "NAT-T port (default 4500)");
  app.add_option("--name", c.name, "Connection name shown in events");
}

// Authentication: PSK, certificates, EAP (and its RADIUS relay), identities.
void add_auth_flags(CLI::App& app, cli::ConnectionOptions& c) {
  app.add_option("--psk-file", c.psk_file, "File holding the pre-shared key");
  app.add_option("--cert", c.cert, "Our certificate (PEM; intermediates may follow)");
  app.add_option("--key", c.key, "Private key of --cert (PEM)");
  app.add_option("--ca", c.ca, "CA certificate to verify the peer (repeatable)");
  app.add_option("--local-auth", c.local_auth,
                 "eap-mschapv2: authenticate as an EAP client (RFC 7296 2.16)");
  app.add_option("--remote-auth", c.remote_auth,
                 "eap-mschapv2: authenticate clients by EAP against --eap-users; eap-radius: "
                 "relay their EAP to --radius-server (RFC 3579)");
  app.add_option("--eap-users", c.eap_users, "Server: file of identity:password lines");
  app.add_option("--radius-server", c.radius_server,
                 "Server: RADIUS server ADDR[:PORT] (default port 1812; repeatable, fail-over)");
  app.add_option("--radius-secret-file", c.radius_secret_file,
                 "Server: file holding the RADIUS shared secret");
  app.add_option("--radius-timeout", c.radius_timeout,
                 "Server: wait this long for a RADIUS answer before resending (default 2s)");
  app.add_option("--radius-retries", c.radius_retries,
                 "Server: RADIUS retransmissions per server before failing over (default 2)");
  app.add_option("--eap-identity", c.eap_identity, "Client: our EAP identity (user name)");
  app.add_option("--eap-password-file", c.eap_password_file, "Client: file holding our password");
  app.add_option("--local-id", c.local_id,
                 "Our IKE identity (default: address, or certificate subject)");
  app.add_option("--remote-id", c.remote_id,
                 "Expected peer identity (default: any the peer proves)");
}

// Proposals, traffic selectors, virtual IPs, mode, rekeying, DPD, uniqueness.
void add_child_flags(CLI::App& app, cli::ConnectionOptions& c) {
  app.add_option("--ike-proposal", c.ike_proposal, "IKE proposals, strongSwan syntax");
  app.add_option("--esp-proposal", c.esp_proposal, "ESP proposals, strongSwan syntax");
  app.add_option("--local-ts", c.local_ts, "Local traffic selector CIDR (repeatable)");
  app.add_option("--remote-ts", c.remote_ts, "Remote traffic selector CIDR (repeatable)");
  app.add_option("--pool", c.pool,
                 "Responder: lease virtual IPs from this prefix (repeatable, IPv4 and IPv6)");
  app.add_option("--dns", c.dns, "Responder: DNS server sent to clients (repeatable)");
  app.add_flag("--request-vip", c.request_vip,
               "Initiator: ask the responder for an IPv4 virtual IP and DNS servers");
  app.add_flag("--request-vip6", c.request_vip6,
               "Initiator: ask the responder for an IPv6 virtual IP and DNS servers");
  app.add_option("--mode", c.mode, "tunnel or transport");
  app.add_option("--rekey-time", c.rekey_time, "Child SA rekey time (default 1h)");
  app.add_option("--ike-rekey-time", c.ike_rekey_time, "IKE SA rekey time (default 8h)");
  app.add_option("--dpd-delay", c.dpd_delay,
                 "Liveness check after this much silence (default 30s, 0 off)");
  app.add_option("--dpd-action", c.dpd_action, "clear or restart");
  app.add_option("--unique", c.unique,
                 "Uniqueness policy for IKE SAs with the same identities: no, never, keep or "
                 "replace (default no, as strongSwan)");
}

// UDP encapsulation, MOBIKE, TCP (RFC 9329).
void add_transport_flags(CLI::App& app, cli::IkeUpOptions& o, cli::ConnectionOptions& c) {
  app.add_flag("--force-encap", c.force_encap, "Always UDP-encapsulate (float to the NAT-T port)");
  app.add_flag("!--no-mobike", c.mobike,
               "Do not announce MOBIKE (RFC 4555): the IKE SA cannot move to other addresses");
  app.add_option("--transport", c.transport,
                 "udp, tcp or auto: IKE and ESP over UDP, in a TCP stream (RFC 9329), or UDP "
                 "with a fallback to TCP; tcp/auto also accept TCP (default udp)");
  app.add_option("--tcp-port", o.tcp_port, "TCP port for RFC 9329 streams (default 4500)");
  app.add_option("--tcp-fallback-after", c.tcp_fallback_after,
                 "auto: try TCP when IKE_SA_INIT is unanswered this long (default 2s)");
  app.add_option("--tcp-max-connections", o.tcp_max_connections,
                 "TCP connections open at once (default 100)");
  app.add_option("--tcp-idle-timeout", o.tcp_idle_timeout,
                 "Close a TCP connection no IKE SA answered on after this (default 10s)");
  app.add_option("--tcp-connect-timeout", o.tcp_connect_timeout,
                 "Fail IKE_SA_INIT when its TCP connect is not up after this (default 5s)");
}

// Signatures, the key log, the config file, the data plane, the kill switch, DNS,
// retransmissions and the limits on what an unauthenticated peer can make us hold.
void add_runtime_flags(CLI::App& app, cli::IkeUpOptions& o, cli::ConnectionOptions& c,
                       std::string& config) {
  app.add_flag("--rsa-pss", c.rsa_pss,
               "Sign with RSASSA-PSS instead of PKCS#1 v1.5 (RSA certificates)");
  app.add_option("--keylog", o.keylog, "Append IKE and Child SA keys to FILE (ikekit key log)");
  app.add_option("--config", config, "JSON file with one or more connections");
  app.add_option("--dataplane", o.dataplane, "auto, none, tun or xfrm");
  app.add_flag("--offload,!--no-offload", o.offload,
               "TUN data plane: TSO/checksum offload with user-space segmentation and "
               "coalescing, UDP GSO (default on)");
  app.add_option("--busy-poll", o.busy_poll_us,
                 "TUN data plane: after traffic, poll this many microseconds before sleeping, "
                 "so a quick answer needs no wake-up (default 200; 0: off)")
      ->check(CLI::Range(0, 100000));
  app.add_flag("--kill-switch", o.kill_switch,
               "Drop every packet except IKE/ESP to the servers and the tunnel until a clean "
               "exit (nftables table inet ikekit_kill_switch)");
  app.add_flag("--allow-lan", o.allow_lan,
               "With --kill-switch: let the local networks (RFC 1918, link-local, ULA, "
               "multicast) through");
  app.add_option("--dns-apply", o.dns_apply,
                 "With --request-vip: put the DNS servers received into the resolver while the "
                 "tunnel is up: auto, resolved, resolvconf, file or none (default auto)");
  app.add_option("--retransmit-timeout", o.retransmit_timeout,
                 "First retransmission timeout (default 4s)");
  app.add_option("--retransmit-tries", o.retransmit_tries,
                 "Retransmissions before giving up (default 5)");
  app.add_option("--nat-keepalive", o.nat_keepalive,
                 "NAT keepalive interval behind a NAT (default 20s, 0 none; RFC 3948 4)");
  app.add_option(
      "--cookie-threshold", o.cookie_threshold,
      "Half-open IKE SAs before answering IKE_SA_INIT with a COOKIE (default 10, RFC 7296 2.6)");
  app.add_option("--half-open-limit", o.half_open_limit,
                 "Half-open IKE SAs in total before IKE_SA_INIT is dropped (default 1000, 0 none)");
  app.add_option("--half-open-limit-per-ip", o.half_open_limit_per_ip,
                 "Half-open IKE SAs from one address before it is dropped (default 5, 0 none)");
  app.add_option("--max-message-size", o.max_message_size,
                 "Largest IKE message accepted, bytes (default 10000, 0 none)");
  app.add_option("--max-fragments", o.max_fragments,
                 "Most IKE fragments of one message accepted (default 64, 0 none)");
  app.add_option("--max-reassembly-bytes", o.max_reassembly_bytes,
                 "Fragment data one IKE SA may hold, bytes (default 10000, 0 none)");
  app.add_flag("--allow-sha1-signatures", o.allow_sha1_signatures,
               "Accept AUTH signatures over SHA-1 (RSA method 1, sha1WithRSAEncryption)");
  app.add_flag("--server-eku,!--no-server-eku", c.server_eku,
               "Initiator: require serverAuth or the IKE intermediate EKU on the gateway's "
               "certificate (default; --no-server-eku waives it)");
}

} // namespace

void add_ike_up_flags(CLI::App& app, cli::IkeUpOptions& o, cli::ConnectionOptions& c,
                      std::string& config, std::string& control_socket) {
  // In this order in --help.
  add_endpoint_flags(app, o, c, control_socket);
  add_auth_flags(app, c);
  add_child_flags(app, c);
  add_transport_flags(app, o, c);
  add_runtime_flags(app, o, c, config);
}
