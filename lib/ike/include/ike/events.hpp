// What an Engine reports through poll_event(). Plain values. Keys: a ChildSaUp carries
// its Child SA's keys (the data plane needs them; JSON never renders them); the IKE SA's
// keys come only in SaKeys, emitted only when Config::emit_keys asks for it.
#pragma once

#include "base/result.hpp"
#include "base/secret_bytes.hpp"
#include "ike/config.hpp"
#include "ike/stats.hpp"
#include "wire/ids.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace ikekit::ike {

// An engine-local handle for one IKE SA (stable across an IKE SA rekey).
using SaId = uint64_t;

// Why an IKE SA or Child SA went down. lib/json renders each as the string in the
// comment (ikekit-json(7)).
enum class DownReason : uint8_t {
  deleted_by_peer, // "deleted by peer": the peer sent a Delete
  deleted_locally, // "deleted locally": we deleted it (also after its hard lifetime)
  dpd,             // "dpd": DPD got no answer
  retransmit,      // "retransmit": another exchange got no answer
  failure,         // "failure": a Failure event came first
  initial_contact, // "initial_contact": the peer reconnected (RFC 7296 2.4)
  expired,         // "expired": its hard lifetime passed and no Delete could be (or was) answered
  rekeyed,         // "rekeyed": a Child SA replaced by a CREATE_CHILD_SA rekey
  ike_sa_down,     // "ike_sa_down": a Child SA whose IKE SA failed or went away otherwise
  // "half-open timeout": a responder's IKE SA that got no IKE_AUTH in time (never
  // reported: it was not up)
  half_open_timeout,
  replaced, // "replaced": a newer IKE SA with the same identities replaced it (unique=replace)
};

// The step of an exchange that failed; rendered as the enumerator's name ("proposal").
enum class FailureStep : uint8_t {
  proposal,   // no proposal in common, or an answer we did not offer
  ke,         // key exchange (KE payload, group, public value)
  keys,       // key derivation
  auth,       // AUTH payload
  cert,       // certificate missing, unparsable or not trusted
  id,         // identities that do not match the configuration
  ts,         // traffic selectors
  retransmit, // no response after every retransmission
  notify,     // an error Notify from the peer that no other step covers
  cookie,     // the responder keeps asking for a COOKIE
  config,     // our configuration cannot be used
  eap,        // the EAP method inside IKE_AUTH (RFC 7296 2.16) failed
  unique,     // the uniqueness policy (unique=keep) refused a duplicate IKE SA
  cp,         // configuration payload: no internal address could be assigned (RFC 7296 3.15)
  connect,    // RFC 9329: the TCP connection to the responder could not be opened
};

// How the Child SAs' ESP travels (RFC 3948), rendered as the enumerator's name: in UDP
// because NAT detection found a NAT on either side ("nat"), in UDP only because we
// forced it with a fake NAT_DETECTION_SOURCE_IP ("forced", strongSwan's encap = yes),
// or plain ESP ("none").
enum class Encap : uint8_t { none, nat, forced };
std::string_view encap_name(Encap e);

struct IkeSaUp {
  SaId sa = 0;
  std::string peer; // PeerConfig::name
  bool initiator = false;
  uint64_t spi_i = 0, spi_r = 0;
  Endpoint local, remote; // after any float to 4500
  bool nat_t = false;     // IKE now runs on the NAT-T port with the non-ESP marker
  bool stream = false;    // RFC 9329: IKE runs in a TCP stream (transport "tcp")
  bool nat_local = false, nat_remote = false; // RFC 7296 2.23 NAT detection result
  Encap encap = Encap::none;                  // why ESP is (not) in UDP
  std::string encr, integ, prf, ke;           // strongSwan keywords; integ "" with AEAD
  Identity local_id, remote_id;
  std::string local_auth, remote_auth; // "psk", or the signature scheme ("ecdsa-sha256", ...)
  // EAP (RFC 7296 2.16): the method ("eap-mschapv2") and the client's EAP identity; empty
  // when the IKE SA was authenticated without EAP.
  std::string eap_method, eap_identity;
  // The IKE SAs this one replaces: removed on the peer's INITIAL_CONTACT (they go down
  // with reason initial_contact), or being deleted by the uniqueness policy (replaced).
  std::vector<SaId> replaces;
};

// Everything a data plane needs to install the Child SA (RFC 4301 SAD and SPD entries).
struct ChildSaUp {
  SaId sa = 0;                      // the IKE SA
  std::string peer;                 // PeerConfig::name (the connection)
  std::string name;                 // ChildConfig::name
  uint32_t spi_in = 0, spi_out = 0; // ESP SPIs: we receive with spi_in, send with spi_out
  ChildMode mode = ChildMode::tunnel;
  bool udp_encap = false;    // ESP in UDP/4500 (RFC 3948): NAT detected or forced
  bool stream = false;       // RFC 9329: ESP belongs in the IKE SA's TCP stream
  Encap encap = Encap::none; // why (nat, forced) or none
  Endpoint local, remote;    // outer addresses (ports matter with udp_encap)
  std::string encr, integ;   // strongSwan keywords; integ "" with AEAD
  bool esn = false;
  std::vector<TsSpec> local_ts, remote_ts; // negotiated (narrowed)
  Lifetimes lifetimes;
  std::optional<uint32_t> rekeyed_spi_in; // set when this SA replaces one (CREATE_CHILD_SA rekey)
  // Configuration payload (RFC 7296 2.19), initiator only: the internal addresses the
  // responder assigned to us (our side of the tunnel) and the DNS servers it sent, and
  // the networks it announced behind it (INTERNAL_IP4_SUBNET / INTERNAL_IP6_SUBNET).
  std::vector<IpAddress> virtual_ips, dns;
  std::vector<Prefix> subnets;
  // RFC 7296 2.17 KEYMAT, per direction (AEAD: key || salt; integ empty with AEAD).
  SecretBytes encr_in, integ_in;   // for spi_in
  SecretBytes encr_out, integ_out; // for spi_out
};

struct ChildSaDown {
  SaId sa = 0;
  std::string peer; // PeerConfig::name
  std::string name;
  uint32_t spi_in = 0, spi_out = 0;
  // deleted_by_peer, deleted_locally, rekeyed (the replaced SA), ike_sa_down, or replaced
  // (its IKE SA was replaced under the uniqueness policy)
  DownReason reason = DownReason::ike_sa_down;
};

struct IkeSaDown {
  SaId sa = 0;
  std::string peer;
  uint64_t spi_i = 0, spi_r = 0;
  // deleted_by_peer, deleted_locally, dpd, retransmit, failure, initial_contact, expired,
  // replaced
  DownReason reason = DownReason::failure;
  SaId replaced_by = 0; // the IKE SA that replaced it (reasons initial_contact, replaced)
};

// Why an IKE SA's endpoints changed; rendered as the enumerator's name.
enum class MoveReason : uint8_t {
  nat_mapping, // RFC 7296 2.23: an authenticated message came from the peer's new NAT mapping
  mobike,      // RFC 4555 3.5: UPDATE_SA_ADDRESSES (sent by us as initiator, or received)
};
std::string_view move_reason_name(MoveReason r);

// The IKE SA and its Child SAs now use other endpoints (ESP goes where IKE goes: a data
// plane moves the outbound SAs of every Child SA of `sa` to `remote`).
struct IkeSaMoved {
  SaId sa = 0;
  std::string peer; // PeerConfig::name
  Endpoint old_local, old_remote;
  Endpoint local, remote;
  MoveReason reason = MoveReason::nat_mapping;
  // ESP in UDP on the new path (RFC 4555 3.5: NAT detection there decides). The
  // initiator moves before the peer's NAT_DETECTION for the new path is known: its
  // value is the old path's, and IkeSaEncapChanged follows if the response changes it.
  bool udp_encap = false;
  // Why (encap) and what NAT detection found, as udp_encap: the responder's from the
  // update's own NAT detection, the initiator's still the old path's.
  Encap encap = Encap::none;
  bool nat_local = false, nat_remote = false;
};

// RFC 4555 3.5: NAT detection on the IKE SA's current path (the response to our
// UPDATE_SA_ADDRESSES, or a peer's update that did not move the SA) changed how its
// Child SAs' ESP travels, or only which side the NAT is on (nat_local, nat_remote: the
// keepalives follow). The endpoints stay; when udp_encap changed a data plane
// re-installs the Child SAs of `sa` on them with it. Not a move: IkeSaMoved and the
// move counters stay.
struct IkeSaEncapChanged {
  SaId sa = 0;
  std::string peer;       // PeerConfig::name
  Endpoint local, remote; // the IKE SA's path (unchanged)
  Encap old_encap = Encap::none, encap = Encap::none;
  bool nat_local = false, nat_remote = false; // as detected on this path
  bool udp_encap = false;                     // encap != none: ESP in UDP (RFC 3948)
};

struct IkeSaRekeyed {
  SaId sa = 0;
  std::string peer; // PeerConfig::name
  uint64_t old_spi_i = 0, old_spi_r = 0;
  uint64_t new_spi_i = 0, new_spi_r = 0;
};

struct ChildSaRekeyed {
  SaId sa = 0;
  std::string peer; // PeerConfig::name
  std::string name;
  uint32_t old_spi_in = 0, old_spi_out = 0;
  uint32_t new_spi_in = 0, new_spi_out = 0;
};

// A handshake or exchange that failed, with its evidence (DESIGN 4).
struct Failure {
  SaId sa = 0;
  std::string peer;              // PeerConfig::name ("" when none matched)
  wire::ExchangeType exchange{}; // IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL
  FailureStep step = FailureStep::proposal;
  std::string reason;     // human text, e.g. "AUTH payload did not verify with the configured PSK"
  bool from_peer = false; // true: the peer reported it with an error Notify
  std::optional<wire::NotifyType> notify; // the error Notify sent or received
  // Evidence: proposals as strongSwan strings or traffic selectors as text.
  std::vector<std::string> offered;    // what the initiator offered
  std::vector<std::string> configured; // what we have configured (or the peer returned)
  uint32_t retransmits = 0;            // step retransmit: how many were sent
};

// A responder's address pool lease (RFC 7296 2.19): assigned to the peer's identity in
// IKE_AUTH, released when its IKE SA goes (the pool remembers it for that identity).
enum class LeaseAction : uint8_t { assigned, released };
struct Lease {
  SaId sa = 0;
  std::string peer; // PeerConfig::name
  LeaseAction action = LeaseAction::assigned;
  Prefix pool;
  IpAddress address;
  std::string identity; // the peer's IKE identity (Identity::to_string)
  bool reused = false;  // assigned: the identity held this address before
};

struct IkeSaKeys {
  uint64_t spi_i = 0, spi_r = 0;
  std::string encr, integ, prf, ke; // keywords
  SecretBytes sk_d, sk_ai, sk_ar, sk_ei, sk_er, sk_pi, sk_pr;
};

// The IKE SA's key material, only when Config::emit_keys (a key log). Child SA keys
// are in ChildSaUp.
struct SaKeys {
  SaId sa = 0;
  IkeSaKeys keys;
};

// A datagram that was dropped (only with Config::debug_events; Stats counts all).
struct InputDropped {
  DropReason reason = DropReason::malformed;
  std::string detail;
};

using Event = std::variant<IkeSaUp, ChildSaUp, ChildSaDown, IkeSaDown, IkeSaRekeyed, ChildSaRekeyed,
                           Failure, SaKeys, InputDropped, IkeSaMoved, IkeSaEncapChanged, Lease>;

} // namespace ikekit::ike
