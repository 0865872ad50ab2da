#include "cli/ike_up_options.hpp"

#include "base/secret_file.hpp"
#include "cli/app.hpp"
#include "cli/dns_options.hpp"
#include "cli/eap_options.hpp"
#include "cli/radius_options.hpp"
#include "cli/tcp_options.hpp"
#include "crypto/sign.hpp"
#include "crypto/x509.hpp"
#include "ike/address_pool.hpp"
#include "io/route_watch.hpp"
#include "usage_error.hpp"

namespace ikekit::cli {

namespace {

// "--local" for the flag form, "connections[1].local" for a config file.
struct Namer {
  std::string prefix; // "" (flags) or "connections[i]."
  std::string operator()(const char* flag) const {
    if (prefix.empty()) return std::string("--") + flag;
    std::string f = flag;
    for (auto& c : f)
      if (c == '-') c = '_';
    return prefix + f;
  }
};

// A PEM private key is a few KB (RSA-4096: about 3.3 KB).
constexpr size_t kMaxKeyFileBytes = 64 * 1024;

Result<std::shared_ptr<const crypto::CertStore>> load_cas(const std::vector<std::string>& files,
                                                          const std::string& field) {
  auto store = std::make_shared<crypto::CertStore>();
  for (const auto& ca : files)
    if (auto r = store->add_file(ca); !r)
      return make_error(Errc::usage, field, ca + ": " + r.error().message);
  return std::shared_ptr<const crypto::CertStore>(std::move(store));
}

} // namespace

Result<SecretBytes> read_psk_file(const std::string& path, const std::string& field) {
  auto text = read_secret_file(path, field, kMaxPskBytes);
  if (!text) return text.error();
  // One trailing line end (or several) is not part of the key: `echo KEY > file`.
  ByteView b = text->reveal();
  size_t len = b.size();
  while (len > 0 && (b[len - 1] == '\n' || b[len - 1] == '\r'))
    --len;
  // RFC 7296 2.15: the PSK must be as unpredictable as the keys it protects; a short
  // one falls to an offline dictionary attack on a captured IKE_AUTH.
  if (len < kMinPskBytes)
    return make_error(Errc::usage, field,
                      "\"" + path + "\": the key has " + std::to_string(len) + " bytes; at least " +
                          std::to_string(kMinPskBytes) +
                          " are required (e.g. head -c 32 /dev/urandom | base64 > FILE)");
  return text->slice(0, len);
}

namespace {

// EAP client (RFC 7296 2.16): no certificate of ours; the gateway's is checked.
Result<void> apply_eap_client(const ConnectionOptions& c, const Namer& n, ike::PeerConfig& p) {
  if (!c.psk_file.empty() || !c.cert.empty())
    return make_error(Errc::usage, n("local-auth"),
                      "an EAP client has no --psk-file or --cert of its own");
  if (c.eap_identity.empty())
    return make_error(Errc::usage, n("eap-identity"), "--local-auth eap-mschapv2 needs it");
  if (c.eap_password_file.empty())
    return make_error(Errc::usage, n("eap-password-file"), "--local-auth eap-mschapv2 needs it");
  if (c.ca.empty())
    return make_error(Errc::usage, n("ca"),
                      "an EAP client needs the CA of the gateway's certificate");
  if (!ike::Identity::parse(c.eap_identity))
    return bad(n("eap-identity"), c.eap_identity, "expected a user name");
  auto pw = read_eap_password_file(c.eap_password_file, n("eap-password-file"));
  if (!pw) return pw.error();
  auto store = load_cas(c.ca, n("ca"));
  if (!store) return store.error();
  p.eap_identity = c.eap_identity;
  p.eap_password = std::move(*pw);
  p.cas = std::move(*store);
  p.local_auth = ike::AuthMethodKind::eap_mschapv2;
  p.remote_auth = ike::AuthMethodKind::pubkey;
  return {};
}

// EAP server: we prove ourselves with --cert; clients by EAP against --eap-users, or
// by the RADIUS servers EAP is relayed to (eap-radius: radius_relay_config).
Result<void> apply_eap_server(const ConnectionOptions& c, const Namer& n, ike::PeerConfig& p) {
  if (p.local_auth != ike::AuthMethodKind::pubkey)
    return make_error(Errc::usage, n("cert"),
                      "--remote-auth " + c.remote_auth +
                          " needs our --cert and --key (RFC 7296 2.16)");
  p.remote_auth = ike::AuthMethodKind::eap_mschapv2; // EAP, whichever method the server runs
  if (c.remote_auth == "eap-radius") {
    if (!c.eap_users.empty())
      return make_error(Errc::usage, n("eap-users"),
                        "not with --remote-auth eap-radius (the RADIUS server has the users)");
    p.eap_backend = ike::relay_backend();
    return {};
  }
  if (c.eap_users.empty())
    return make_error(Errc::usage, n("eap-users"), "--remote-auth eap-mschapv2 needs it");
  auto users = read_eap_users(c.eap_users, n("eap-users"));
  if (!users) return users.error();
  p.eap_backend = eap_users_backend(std::move(*users));
  p.remote_auth = ike::AuthMethodKind::eap_mschapv2;
  return {};
}

// --pool / --dns (responder) and --request-vip / --request-vip6 (initiator).
Result<void> apply_config_payload(const ConnectionOptions& c, const Namer& n, ike::PeerConfig& p) {
  bool responder = c.role == "responder";
  for (const auto& text : c.pool) {
    auto pool = ike::AddressPool::parse(text);
    if (!pool) return make_error(Errc::usage, n("pool"), pool.error().message);
    if (!responder) return bad(n("pool"), text, "only a responder leases addresses");
    for (const auto& other : p.pools)
      if (other.overlaps(pool->prefix()))
        return bad(n("pool"), text, "overlaps the pool " + other.to_string());
    p.pools.push_back(pool->prefix());
  }
  for (const auto& text : c.dns) {
    auto a = IpAddress::parse(text);
    if (!a) return bad(n("dns"), text, "expected an IPv4 or IPv6 address");
    if (!responder) return bad(n("dns"), text, "only a responder sends DNS servers");
    p.dns.push_back(*a);
  }
  if ((c.request_vip || c.request_vip6) && responder)
    return make_error(Errc::usage, n(c.request_vip ? "request-vip" : "request-vip6"),
                      "only an initiator asks for a virtual IP (a responder uses --pool)");
  if (c.request_vip) p.request_vips.push_back(*IpAddress::parse("0.0.0.0"));
  if (c.request_vip6) p.request_vips.push_back(*IpAddress::parse("::"));
  return {};
}

// --local, or for an initiator without it the source of the kernel's route to --remote.
Result<IpAddress> local_address(const ConnectionOptions& c, const Namer& n) {
  if (c.local.empty() && c.role == "initiator") {
    if (c.remote.empty() || c.remote == "%any")
      return make_error(Errc::usage, n("remote"), "an initiator needs the peer's address");
    auto remote = IpAddress::parse(c.remote);
    if (!remote) return bad(n("remote"), c.remote, "expected an IPv4 or IPv6 address");
    auto source = io::route_source(*remote);
    if (!source || !*source)
      return make_error(Errc::environment, n("local"),
                        "no route to " + remote->to_string() +
                            (source ? "" : " (" + source.error().message + ")") +
                            ": give the address to send from");
    return **source;
  }
  if (c.local.empty())
    return make_error(Errc::usage, n("local"), "a responder needs the address to listen on");
  auto local = IpAddress::parse(c.local);
  if (!local) return bad(n("local"), c.local, "expected an IPv4 or IPv6 address");
  return *local;
}

// --role, --local (or the route's source), --remote, --port.
Result<void> apply_endpoints(const ConnectionOptions& c, const Namer& n, ike::PeerConfig& p) {
  if (c.role != "initiator" && c.role != "responder")
    return bad(n("role"), c.role, "expected initiator or responder");
  auto local = local_address(c, n);
  if (!local) return local.error();
  p.local = ike::Endpoint{*local, c.port};
  p.remote_port = c.port;
  if (!c.remote.empty() && c.remote != "%any") {
    auto remote = IpAddress::parse(c.remote);
    if (!remote) return bad(n("remote"), c.remote, "expected an IPv4 or IPv6 address or %any");
    if (remote->family() != local->family())
      return bad(n("remote"), c.remote, "must be the same address family as " + n("local"));
    p.remote_address = *remote;
  } else if (c.role == "initiator") {
    return make_error(Errc::usage, n("remote"), "an initiator needs the peer's address");
  }
  return {};
}

// --ike-proposal, --esp-proposal (strongSwan's syntax).
Result<void> apply_proposals(const ConnectionOptions& c, const Namer& n, ike::PeerConfig& p) {
  auto ike = ike::parse_ike_proposals(c.ike_proposal);
  if (!ike) return make_error(Errc::usage, n("ike-proposal"), ike.error().message);
  p.ike_proposals = std::move(*ike);
  auto esp = ike::parse_esp_proposals(c.esp_proposal);
  if (!esp) return make_error(Errc::usage, n("esp-proposal"), esp.error().message);
  p.child.esp_proposals = std::move(*esp);
  return {};
}

// --cert with its --key, checked against each other, and the --ca to trust (none needed
// by an EAP server, whose clients prove themselves with EAP).
Result<void> apply_cert(const ConnectionOptions& c, const Namer& n, bool eap_server,
                        ike::PeerConfig& p) {
  if (c.key.empty()) return make_error(Errc::usage, n("key"), "--cert needs its private key");
  if (c.ca.empty() && !eap_server)
    return make_error(Errc::usage, n("ca"), "--cert needs at least one CA to verify the peer");
  auto certs = crypto::Certificate::load_file(c.cert);
  if (!certs) return make_error(Errc::usage, n("cert"), c.cert + ": " + certs.error().message);
  auto key_text = read_secret_file(c.key, n("key"), kMaxKeyFileBytes);
  if (!key_text) return key_text.error();
  ByteView kb = key_text->reveal();
  auto key = crypto::PrivateKey::load_pem(
      std::string_view(reinterpret_cast<const char*>(kb.data()), kb.size()));
  if (!key) return make_error(Errc::usage, n("key"), c.key + ": " + key.error().message);
  auto pub = certs->front().public_key();
  if (!pub || !key->matches(*pub))
    return make_error(Errc::usage, n("key"), c.key + ": does not match the certificate " + c.cert);
  auto store = load_cas(c.ca, n("ca"));
  if (!store) return store.error();
  p.local_certs = std::move(*certs);
  p.private_key = std::make_shared<crypto::PrivateKey>(std::move(*key));
  p.cas = std::move(*store);
  p.local_auth = p.remote_auth = ike::AuthMethodKind::pubkey;
  return {};
}

// Authentication: --local-auth / --remote-auth (EAP, one way), then a PSK file, or a
// certificate with its key and the CAs to trust; the RADIUS flags only with eap-radius.
Result<void> apply_auth(const ConnectionOptions& c, const Namer& n, ike::PeerConfig& p) {
  if (!c.local_auth.empty() && c.local_auth != "eap-mschapv2")
    return bad(n("local-auth"), c.local_auth, "expected eap-mschapv2 (or leave it out)");
  if (!c.remote_auth.empty() && c.remote_auth != "eap-mschapv2" && c.remote_auth != "eap-radius")
    return bad(n("remote-auth"), c.remote_auth,
               "expected eap-mschapv2 or eap-radius (or leave it out)");
  const bool eap_client = c.local_auth == "eap-mschapv2";
  const bool eap_server = !c.remote_auth.empty();
  if (eap_client && eap_server)
    return make_error(Errc::usage, n("remote-auth"),
                      "EAP runs one way: the client --local-auth, the server --remote-auth");
  if (!c.psk_file.empty() && !c.cert.empty())
    return make_error(Errc::usage, n("psk-file"), "give either a PSK or a certificate, not both");
  if (eap_client) {
    if (auto r = apply_eap_client(c, n, p); !r) return r.error();
  } else if (!c.psk_file.empty()) {
    auto psk = read_psk_file(c.psk_file, n("psk-file"));
    if (!psk) return psk.error();
    p.psk = std::move(*psk);
    p.local_auth = p.remote_auth = ike::AuthMethodKind::psk;
  } else if (!c.cert.empty()) {
    if (auto r = apply_cert(c, n, eap_server, p); !r) return r.error();
  } else {
    return make_error(Errc::usage, n("psk-file"),
                      "no authentication: give --psk-file, or --cert with --key and --ca");
  }
  if (eap_server) {
    if (auto r = apply_eap_server(c, n, p); !r) return r.error();
  } else if (!c.eap_users.empty()) {
    return make_error(Errc::usage, n("eap-users"), "needs --remote-auth eap-mschapv2");
  }
  if (c.remote_auth != "eap-radius" && (!c.radius_server.empty() || !c.radius_secret_file.empty()))
    return make_error(Errc::usage,
                      n(c.radius_server.empty() ? "radius-secret-file" : "radius-server"),
                      "needs --remote-auth eap-radius");
  return {};
}

// IDs: the local address by default (strongSwan does the same), or the cert's subject.
Result<void> apply_identities(const ConnectionOptions& c, const Namer& n, ike::PeerConfig& p) {
  if (!c.local_id.empty()) {
    auto id = ike::Identity::parse(c.local_id);
    if (!id) return bad(n("local-id"), c.local_id, id.error().message);
    p.local_id = std::move(*id);
  } else if (!p.local_certs.empty()) {
    p.local_id = ike::Identity::from_dn(p.local_certs.front().subject_der());
  } else if (c.local_auth == "eap-mschapv2") {
    p.local_id = *ike::Identity::parse(p.eap_identity); // the server's default eap_id
  } else {
    p.local_id = *ike::Identity::parse(p.local.address.to_string());
  }
  if (!c.remote_id.empty() && c.remote_id != "%any") {
    auto id = ike::Identity::parse(c.remote_id);
    if (!id) return bad(n("remote-id"), c.remote_id, id.error().message);
    p.remote_id = std::move(*id);
  } else if (c.remote_id.empty() && p.remote_auth == ike::AuthMethodKind::pubkey &&
             p.remote_address && c.role == "initiator") {
    // strongSwan's default remote identity: the gateway's certificate must name the
    // address we connect to (--remote-id %any waives it).
    p.remote_cert_identity = *ike::Identity::parse(p.remote_address->to_string());
  }
  p.require_server_eku = c.server_eku;
  return {};
}

// --local-ts, --remote-ts, the configuration payload's flags, --mode.
Result<void> apply_child(const ConnectionOptions& c, const Namer& n, ike::PeerConfig& p) {
  for (const auto& t : c.local_ts) {
    auto ts = ike::TsSpec::parse(t);
    if (!ts) return bad(n("local-ts"), t, ts.error().message);
    p.child.local_ts.push_back(*ts);
  }
  for (const auto& t : c.remote_ts) {
    auto ts = ike::TsSpec::parse(t);
    if (!ts) return bad(n("remote-ts"), t, ts.error().message);
    p.child.remote_ts.push_back(*ts);
  }
  if (auto r = apply_config_payload(c, n, p); !r) return r.error();
  if (c.mode == "tunnel")
    p.child.mode = ike::ChildMode::tunnel;
  else if (c.mode == "transport")
    p.child.mode = ike::ChildMode::transport;
  else
    return bad(n("mode"), c.mode, "expected tunnel or transport");
  return {};
}

// --rekey-time, --ike-rekey-time, --dpd-delay, --dpd-action, --unique.
Result<void> apply_timers(const ConnectionOptions& c, const Namer& n, ike::PeerConfig& p) {
  auto rekey = parse_duration(c.rekey_time, n("rekey-time"));
  if (!rekey) return rekey.error();
  // Like strongSwan: rekey at rekey_time minus up to 10% jitter, give up 10% later.
  p.child.lifetimes = {*rekey, *rekey + *rekey / 10, *rekey / 10};
  auto ike_rekey = parse_duration(c.ike_rekey_time, n("ike-rekey-time"));
  if (!ike_rekey) return ike_rekey.error();
  p.ike_lifetimes = {*ike_rekey, *ike_rekey + *ike_rekey / 10, *ike_rekey / 10};
  auto dpd = parse_duration(c.dpd_delay, n("dpd-delay"));
  if (!dpd) return dpd.error();
  p.dpd_delay = *dpd;
  if (c.dpd_action == "clear")
    p.dpd_action = ike::DpdAction::clear;
  else if (c.dpd_action == "restart")
    p.dpd_action = ike::DpdAction::restart;
  else
    return bad(n("dpd-action"), c.dpd_action, "expected clear or restart");
  if (auto u = ike::parse_unique_policy(c.unique))
    p.unique = *u;
  else
    return bad(n("unique"), c.unique, "expected no, never, keep or replace");
  return {};
}

// One connection's flags (or config-file entry) into a peer, group by group in the order
// the checks have always run, so the first bad field is still the one reported.
Result<ike::PeerConfig> build_peer(const ConnectionOptions& c, const Namer& n) {
  ike::PeerConfig p;
  p.name = c.name;
  if (auto r = apply_endpoints(c, n, p); !r) return r.error();
  if (auto r = apply_proposals(c, n, p); !r) return r.error();
  if (auto r = apply_auth(c, n, p); !r) return r.error();
  if (auto r = apply_identities(c, n, p); !r) return r.error();
  if (auto r = apply_child(c, n, p); !r) return r.error();
  if (auto r = apply_timers(c, n, p); !r) return r.error();
  p.force_encap = c.force_encap;
  p.mobike = c.mobike;
  if (auto r = apply_transport(c, n, p); !r) return r.error();
  p.fragmentation = c.fragmentation;
  p.prefer_rsa_pss = c.rsa_pss;
  return p;
}

// What an unauthenticated peer can make us hold (ike-up(8) "LIMITS"). A message or a
// reassembly below RFC 7296 2's 1280 octets would refuse ordinary exchanges.
Result<void> apply_limits(const IkeUpOptions& o, ike::Config& c) {
  for (auto [flag, value] : {std::pair{"--max-message-size", o.max_message_size},
                             std::pair{"--max-reassembly-bytes", o.max_reassembly_bytes}})
    if (value != 0 && value < 1280)
      return bad(flag, std::to_string(value),
                 "expected 0 (no limit) or at least 1280 bytes (RFC 7296 2)");
  c.half_open_limit = o.half_open_limit;
  c.half_open_limit_per_ip = o.half_open_limit_per_ip;
  c.max_message_size = o.max_message_size;
  c.max_fragments = o.max_fragments;
  c.max_reassembly_bytes = o.max_reassembly_bytes;
  c.allow_sha1_signatures = o.allow_sha1_signatures;
  return {};
}

} // namespace
// --kill-switch lets IKE and ESP through to the servers only: every connection needs
// a fixed peer address (a responder that accepts any address cannot have one).
static Result<std::optional<io::KillSwitchConfig>> kill_switch_config(const IkeUpOptions& opts,
                                                                      const ike::Config& config) {
  if (!opts.kill_switch) {
    if (opts.allow_lan)
      return make_error(Errc::usage, "--allow-lan", "only means something with --kill-switch");
    return std::optional<io::KillSwitchConfig>();
  }
  io::KillSwitchConfig k;
  k.allow_lan = opts.allow_lan;
  k.ike_ports = {4500, opts.natt_port};
  for (const auto& p : config.peers) {
    if (!p.remote_address)
      return make_error(Errc::usage, "--kill-switch",
                        "connection \"" + p.name +
                            "\" has no --remote address to let IKE and ESP through to");
    k.servers.push_back(*p.remote_address);
    k.ike_ports.push_back(p.remote_port);
  }
  return std::optional<io::KillSwitchConfig>(std::move(k));
}

Result<IkeUpSetup> build_ike_up_setup(const IkeUpOptions& opts) {
  IkeUpSetup s;
  bool from_file = opts.connections.size() > 1 ||
                   (!opts.connections.empty() && opts.connections[0].name != "ike-up");
  for (size_t i = 0; i < opts.connections.size(); ++i) {
    const auto& c = opts.connections[i];
    Namer n{from_file ? "connections[" + std::to_string(i) + "]." : ""};
    for (const auto& other : s.config.peers)
      if (other.name == c.name)
        return make_error(Errc::usage, n("name"), "\"" + c.name + "\" is used twice");
    auto p = build_peer(c, n);
    if (!p) return p.error();
    if (c.role == "initiator") s.initiate.push_back(c.name);
    if (c.remote_auth == "eap-radius") {
      auto radius = radius_relay_config(c, n);
      if (!radius) return radius.error();
      s.radius.emplace(c.name, std::move(*radius));
    }
    s.config.peers.push_back(std::move(*p));
  }
  s.config.nat_t_port = opts.natt_port;
  if (auto r = apply_tcp_options(opts, s.config, s.tcp); !r) return r.error();
  auto rt = parse_duration(opts.retransmit_timeout, "--retransmit-timeout");
  if (!rt) return rt.error();
  s.config.retransmit_timeout = *rt;
  s.config.retransmit_tries = opts.retransmit_tries;
  auto keepalive = parse_duration(opts.nat_keepalive, "--nat-keepalive");
  if (!keepalive) return keepalive.error();
  s.config.nat_keepalive = *keepalive;
  s.config.cookie_threshold = opts.cookie_threshold;
  if (auto r = apply_limits(opts, s.config); !r) return r.error();
  s.config.emit_keys = !opts.keylog.empty();
  auto ks = kill_switch_config(opts, s.config);
  if (!ks) return ks.error();
  s.kill_switch = std::move(*ks);
  auto dns = dns_apply_request(opts);
  if (!dns) return dns.error();
  s.dns_apply = *dns;
  return s;
}

} // namespace ikekit::cli
