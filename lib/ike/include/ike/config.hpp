// What an Engine is configured with: connections (PeerConfig, each with a name and one
// Child SA template) and engine-wide knobs (retransmission, cookies, key export).
// Everything is a plain value; parsing of user text lives here too so the tool and the
// tests build configs the same way (Identity::parse, TsSpec::parse, parse_proposals).
#pragma once

#include "base/bytes.hpp"
#include "base/endpoint.hpp"
#include "base/ip_address.hpp"
#include "base/prefix.hpp"
#include "base/result.hpp"
#include "base/secret_bytes.hpp"
#include "base/time.hpp"
#include "crypto/proposal_string.hpp"
#include "crypto/sign.hpp"
#include "crypto/x509.hpp"
#include "ike/eap_backend.hpp"
#include "ike/shard.hpp"
#include "wire/ids.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ikekit::ike {

using namespace std::chrono_literals;

using ikekit::Endpoint; // an IP address and UDP port (base/endpoint.hpp)

class AdmissionState; // ike/admission_state.hpp

// An IKE identity (RFC 7296 3.5): the ID payload's type and data.
struct Identity {
  wire::IdType type = wire::IdType::id_fqdn;
  Bytes data;

  // strongSwan-style text:
  //   "192.0.2.1" / "2001:db8::1"  -> ID_IPV4_ADDR / ID_IPV6_ADDR
  //   "left@ia.test"               -> ID_RFC822_ADDR (contains '@')
  //   "@left.ia.test"              -> ID_FQDN without the leading '@' (strongSwan's form)
  //   "left.ia.test"               -> ID_FQDN
  //   "dn:<hex DER>"               -> ID_DER_ASN1_DN from DER bytes in hex
  //   "keyid:<hex>"                -> ID_KEY_ID
  //   "%null"                      -> ID_NULL (RFC 7619)
  // Errors: Errc::usage, field "id".
  static Result<Identity> parse(std::string_view text);
  static Identity from_dn(ByteView der) {
    return {wire::IdType::id_der_asn1_dn, Bytes(der.begin(), der.end())};
  }
  std::string
  to_string() const; // addresses and names as text, DN/KEY_ID as "dn:<hex>"/"keyid:<hex>"
  void append_to(std::string& out) const; // to_string()'s text, appended

  friend bool operator==(const Identity& a, const Identity& b) {
    return a.type == b.type && a.data == b.data;
  }
};

// One traffic selector range (RFC 7296 3.13.1).
struct TsSpec {
  IpAddress start, end;
  uint8_t ip_protocol = 0; // 0 = any
  uint16_t start_port = 0, end_port = 65535;

  // "10.1.0.0/24", "10.1.0.5", "10.1.0.1-10.1.0.9", "2001:db8::/64", optionally followed by
  // "[proto/port]" strongSwan-style: "10.1.0.0/24[udp/500]", "[17/1000-2000]".
  // Errors: Errc::usage, field "ts".
  static Result<TsSpec> parse(std::string_view text);
  static TsSpec host(const IpAddress& a) { return TsSpec{a, a}; }
  std::string to_string() const;          // "10.1.0.0/24", "10.1.0.1-10.1.0.9", "...[17/500]"
  void append_to(std::string& out) const; // to_string()'s text, appended
  // The address range as one prefix, if it is one (protocol and ports aside).
  std::optional<Prefix> prefix() const;

  friend bool operator==(const TsSpec& a, const TsSpec& b) {
    return a.start == b.start && a.end == b.end && a.ip_protocol == b.ip_protocol &&
           a.start_port == b.start_port && a.end_port == b.end_port;
  }
};

// eap_mschapv2 (RFC 7296 2.16): as local_auth, we are an EAP client (no AUTH in our
// first IKE_AUTH request, the MSK keys the final AUTH); as remote_auth, the peer is one and
// PeerConfig::eap_backend checks it, while we authenticate with our certificate first.
enum class AuthMethodKind : uint8_t { psk, pubkey, eap_mschapv2 };
std::string_view auth_method_kind_name(AuthMethodKind k); // "psk", "pubkey", "eap-mschapv2"

enum class ChildMode : uint8_t { tunnel, transport };
std::string_view child_mode_name(ChildMode m); // "tunnel", "transport"

// RFC 9329: the transport a connection uses (PeerConfig::transport).
enum class IkeTransport : uint8_t { udp, tcp, auto_fallback };
std::string_view ike_transport_name(IkeTransport t); // "udp", "tcp", "auto"

// What to do when DPD finds the peer dead (strongSwan's dpd_action).
enum class DpdAction : uint8_t { clear, restart };

// strongSwan's uniqueness policy (swanctl.conf connections.<conn>.unique): what a new IKE
// SA does to the established IKE SAs of the same connection with the same identity pair
// (lib/ike/uniqueness.cpp, ike-up(8) "UNIQUENESS").
//   no:      only a peer's INITIAL_CONTACT (RFC 7296 2.4) removes them
//   never:   nothing removes them, INITIAL_CONTACT is ignored too
//   keep:    a new IKE SA from another address is refused (AUTHENTICATION_FAILED)
//   replace: the new IKE SA replaces them (a Delete is sent for each)
enum class UniquePolicy : uint8_t { no, never, keep, replace };
std::string_view unique_policy_name(UniquePolicy u); // "no", "never", "keep", "replace"
std::optional<UniquePolicy> parse_unique_policy(std::string_view name);

// Lifetimes (RFC 7296 2.8: lifetimes are local policy, never negotiated). Rekeying starts
// at `rekey_time` minus a random part of `jitter`; the SA is deleted at `life_time`.
// Zero durations disable the timer. Byte/packet limits are the data plane's job.
struct Lifetimes {
  Duration rekey_time{0};
  Duration life_time{0};
  Duration jitter{0};
};

struct ChildConfig {
  std::string name = "child";
  std::vector<crypto::ParsedProposal> esp_proposals; // crypto::parse_proposals(.., esp)
  std::vector<TsSpec> local_ts;                      // empty: the local address
  std::vector<TsSpec> remote_ts;                     // empty: the remote address
  ChildMode mode = ChildMode::tunnel;
  Lifetimes lifetimes;
};

struct PeerConfig {
  std::string name; // the connection name (initiate by name, shown in events)

  Endpoint local{IpAddress{}, 500};        // the address/port we send from (port 500 or 4500)
  std::optional<IpAddress> remote_address; // responder: nullopt accepts any address
  uint16_t remote_port = 500;

  std::vector<crypto::ParsedProposal> ike_proposals; // crypto::parse_proposals(.., ike)

  Identity local_id;
  std::optional<Identity> remote_id; // nullopt: accept any identity the peer proves

  AuthMethodKind local_auth = AuthMethodKind::psk;
  AuthMethodKind remote_auth = AuthMethodKind::psk;
  SecretBytes psk; // used for both directions when an auth method is psk
  // Certificate authentication (RFC 7296 3.6-3.8, RFC 7427).
  std::shared_ptr<const crypto::PrivateKey> private_key;
  std::vector<crypto::Certificate> local_certs; // end entity first, then intermediates
  std::shared_ptr<const crypto::CertStore> cas; // trust anchors for the peer's chain
  bool send_certreq = true;
  bool prefer_rsa_pss = false;
  // When we initiate with certificates, the responder is a gateway: its end-entity
  // certificate must carry `remote_cert_identity` as a subjectAltName (strongSwan's
  // default remote identity is the peer's address; ike-up sets it when no remote ID is
  // given), and with require_server_eku an extendedKeyUsage that lists serverAuth or the
  // IKE intermediate (1.3.6.1.5.5.8.2.2), as Windows and macOS clients require, so that a
  // client certificate of the same CA cannot pose as the gateway (a certificate without
  // extendedKeyUsage is refused too).
  std::optional<Identity> remote_cert_identity;
  bool require_server_eku = true;
  // EAP (RFC 7296 2.16). remote_auth eap_mschapv2: the EAP server for each peer.
  // local_auth eap_mschapv2: our EAP identity (empty: local_id as text) and password.
  std::shared_ptr<const EapServerBackend> eap_backend;
  std::string eap_identity;
  SecretBytes eap_password;

  ChildConfig child;

  // Configuration payload (RFC 7296 2.19, 3.15). Initiator: a CFG_REQUEST in IKE_AUTH
  // for an internal address of each family listed (0.0.0.0 / :: for any, as strongSwan's
  // vips) and for DNS servers; our TSi then defaults to 0.0.0.0/0 (::/0), which the
  // responder narrows to the address it assigns.
  std::vector<IpAddress> request_vips;
  // Responder: a CFG_REQUEST gets an address from the first of these pools of the
  // family asked for that has one free (a lease by the peer's identity), and `dns`; the
  // Child SA's remote TS is narrowed to the leased addresses. Pools of the same prefix
  // are one pool, shared by every connection that names it.
  std::vector<Prefix> pools;
  std::vector<IpAddress> dns;

  Lifetimes ike_lifetimes;
  Duration dpd_delay{0}; // 0: no DPD; else an empty INFORMATIONAL after this much silence
  DpdAction dpd_action = DpdAction::clear;

  bool send_initial_contact = true;
  UniquePolicy unique = UniquePolicy::no; // strongSwan's default
  // RFC 7383: announce IKEV2_FRAGMENTATION_SUPPORTED and fragment encrypted messages
  // larger than fragment_size bytes (the IKE message, without IP/UDP headers or marker).
  bool fragmentation = true;
  size_t fragment_size = 1280 - 40 - 8 - 4;
  // strongSwan's encap=yes: send a fake NAT_DETECTION_SOURCE_IP so both sides float to
  // 4500 and UDP-encapsulate ESP (RFC 7296 2.23).
  bool force_encap = false;
  // false: no NAT_DETECTION_* in IKE_SA_INIT, and the peer's there are ignored: NAT
  // traversal unknown at setup, so IKE stays on port 500 and ESP plain (RFC 7296 2.23).
  // MOBIKE updates still carry and answer NAT detection (RFC 4555 3.5), which may find a
  // NAT later (exchange/mobike.cpp). No ike-up option sets it: engine tests play such a
  // peer (one without NAT traversal at setup, as libreswan's encapsulation=no) with it.
  bool nat_detection_in_init = true;
  // RFC 4555: announce MOBIKE_SUPPORTED in IKE_AUTH; when both ends do, the initiator
  // may move the IKE SA and its Child SAs to other addresses (UPDATE_SA_ADDRESSES).
  bool mobike = true;
  // RFC 9329: how IKE (and ESP) reach the peer. udp: RFC 7296/3948 datagrams; tcp: a TCP
  // stream to Config::tcp_port (initiator; a responder answers on whatever a request
  // came); auto: UDP first, TCP when IKE_SA_INIT gets no answer within
  // tcp_fallback_after (tcp_transport.cpp).
  IkeTransport transport = IkeTransport::udp;
  Duration tcp_fallback_after = 2s;
};

struct Config {
  std::vector<PeerConfig> peers;

  // RFC 7296 2.1 retransmission: timeout * factor^n, `tries` retransmissions, then give up.
  // (strongSwan: 4s, 1.8, 5.)
  Duration retransmit_timeout = 4s;
  double retransmit_factor = 1.8;
  uint32_t retransmit_tries = 5;

  // RFC 7296 2.6: answer IKE_SA_INIT with a COOKIE when this many responder IKE SAs are
  // half-open (IKE_SA_INIT done, IKE_AUTH not yet), or always when force_cookies.
  size_t cookie_threshold = 10;
  bool force_cookies = false;
  Duration half_open_timeout = 30s; // a responder drops a half-open SA after this

  // What a peer that has not authenticated can make us hold, limited as strongSwan does
  // (its charon.* setting in parentheses); 0 disables a limit. The half-open limits apply
  // to IKE_SA_INIT requests that passed the COOKIE check, so spoofed sources never count;
  // a request beyond them is dropped (the peer retransmits or gives up). Each drop is
  // counted by its DropReason.
  size_t half_open_limit = 1000;       // responder SAs half-open (init_limit_half_open)
  size_t half_open_limit_per_ip = 5;   // ... from one source address (block_threshold)
  size_t max_message_size = 10000;     // bytes of a received IKE message (max_packet)
  size_t max_fragments = 64;           // RFC 7383 Total Fragments of a message
  size_t max_reassembly_bytes = 10000; // decrypted fragment data one IKE SA holds

  // RFC 7427: signatures over SHA-1 (AUTH method 1, which is RSA with SHA-1, and method
  // 14 with sha1WithRSAEncryption) are refused unless allowed. Only SHA-2 and Identity
  // are announced in SIGNATURE_HASH_ALGORITHMS either way.
  bool allow_sha1_signatures = false;

  // Multi-core responders (io::IkeRunner threads, ike/shard.hpp): this engine is one of
  // `shard.count` and its IKE SPIs, Child SPIs and SaIds name it, so a dispatcher routes
  // every message to the engine that owns its SA. {0, 1}: the only engine.
  Shard shard;
  // The half-open counts and the COOKIE secret, when several engines (and the socket
  // thread's InitScreen) share them (ike/admission_state.hpp); the limits and the COOKIE
  // threshold above then hold for all of them together. Null: the engine keeps its own.
  std::shared_ptr<AdmissionState> admission;

  // Engine time -> wall clock for certificate validity (engines never read the clock):
  // wall time in seconds since the epoch = (now.time_since_epoch() + wall_clock_offset).
  Duration wall_clock_offset{0};

  // Key export: SaKeys events (the IKE SA's keys) only when emit_keys (a --keylog).
  // ChildSaUp always carries the Child SA's keys (for the data plane).
  bool emit_keys = false;
  // An InputDropped event for each dropped datagram (Stats count them regardless).
  bool debug_events = false;

  uint16_t nat_t_port = 4500;
  // RFC 9329 4: the TCP port an initiator connects to (and a responder listens on).
  uint16_t tcp_port = 4500;
  // RFC 3948 4: the side behind a NAT sends a NAT keepalive (one 0xFF byte on the NAT-T
  // port) when nothing else went to the peer for this long (strongSwan: keep_alive,
  // 20 s). 0 disables them.
  Duration nat_keepalive = 20s;
};

// Parses a config's proposal strings (strongSwan syntax) into the config's form.
// Thin wrappers over crypto::parse_proposals (field "ike_proposal" / "esp_proposal").
Result<std::vector<crypto::ParsedProposal>> parse_ike_proposals(std::string_view text);
Result<std::vector<crypto::ParsedProposal>> parse_esp_proposals(std::string_view text);
// The strongSwan string for one parsed proposal, e.g. "aes256gcm16-prfsha256-ecp256".
std::string proposal_string(const crypto::ParsedProposal& p);

} // namespace ikekit::ike
