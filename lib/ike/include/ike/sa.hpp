// Internal: the state of one IKE SA and its Child SAs (not part of the public API).
#pragma once

#include "base/bytes.hpp"
#include "base/secret_bytes.hpp"
#include "base/time.hpp"
#include "crypto/digest.hpp"
#include "crypto/kex.hpp"
#include "crypto/sk.hpp"
#include "ike/boxed.hpp"
#include "ike/config.hpp"
#include "ike/engine.hpp"
#include "ike/keymat.hpp"
#include "ike/opt_time.hpp"
#include "ike/proposal.hpp"
#include "ike/timer_queue.hpp"

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ikekit::ike {

// The nonces of a CREATE_CHILD_SA that rekeyed a Child SA, kept on the old SA to settle
// a simultaneous rekey (RFC 7296 2.8.1).
struct RekeyRecord {
  Bytes ni, nr;
  uint32_t new_spi_in = 0;
};

// The IKE SA the peer created by rekeying this one while our own rekey of it was in
// flight (RFC 7296 2.8.1, 2.8.2): kept, not yet used, until our exchange completes and
// the four nonces settle which new IKE SA survives.
struct IkeRekeyRecord {
  Bytes ni, nr;
  uint64_t spi_i = 0, spi_r = 0;
  Chosen alg;
  IkeKeys keys;
};

// Fields ordered so that no padding is left (pahole): a million of them (issue 17).
struct ChildSa {
  // Shared with the connection (PeerConfig::child) or, for one narrowed to virtual IPs or
  // created by ikectl, with the Child SAs that rekey it: not a copy per Child SA.
  std::shared_ptr<const ChildConfig> cfg;
  const std::string& name() const { return cfg->name; }
  uint32_t spi_in = 0, spi_out = 0;
  Chosen alg;
  std::vector<TsSpec> local_ts, remote_ts;
  TimePoint established_at{};
  OptTime rekey_at, expire_at;
  Boxed<RekeyRecord> peer_rekey; // the peer rekeyed it while our rekey was in flight
  ChildMode mode = ChildMode::tunnel;
  bool rekeyed = false;  // replaced by a newer SA; deleted once the new one is up
  bool deleting = false; // our Delete is outstanding
};

// What one outstanding request of ours is for.
enum class RequestKind : uint8_t {
  ike_sa_init,
  ike_auth,
  delete_ike,
  delete_child,
  dpd,
  create_child,
  rekey_child,
  rekey_ike,
  update_sa_addresses // RFC 4555 3.5 (exchange/mobike.cpp)
};

struct OutRequest {
  RequestKind kind = RequestKind::ike_sa_init;
  wire::ExchangeType exchange = wire::ExchangeType::ike_sa_init;
  uint32_t message_id = 0;
  std::vector<Bytes> datagrams; // the message, or its fragments
  uint32_t retransmits = 0;
  TimePoint deadline{};
  uint32_t child_spi = 0; // delete_child / rekey_child: our inbound SPI of the old SA
};

// A local task waiting for the message ID window (window size 1, RFC 7296 2.3).
struct Task {
  RequestKind kind = RequestKind::dpd;
  uint32_t child_spi = 0;
  std::optional<ChildConfig> child;          // create_child
  const crypto::TransformInfo* ke = nullptr; // PFS group asked for by INVALID_KE_PAYLOAD
  uint32_t ke_retries = 0;
  // delete_child for an SA the responder created but we refused (never installed here):
  // D(ESP, child_spi) is sent without a local Child SA (RFC 7296 1.2 / 2.9).
  bool orphan = false;
};

// The local tasks of an IKE SA in order, waiting for the message ID window. Holds no
// memory while empty, as nearly every SA's is (a std::deque allocates about 600 bytes
// per SA when constructed): the memory goes back when the last task leaves.
class TaskQueue {
public:
  bool empty() const { return v_.empty(); }
  size_t size() const { return v_.size(); }
  Task& front() { return v_.front(); }
  void push_back(Task t) { v_.push_back(std::move(t)); }
  void push_front(Task t) { v_.insert(v_.begin(), std::move(t)); }
  void pop_front() {
    v_.erase(v_.begin());
    if (v_.empty()) clear();
  }
  void clear() { std::vector<Task>().swap(v_); }
  void swap(TaskQueue& o) noexcept { v_.swap(o.v_); }
  auto begin() { return v_.begin(); }
  auto end() { return v_.end(); }
  auto begin() const { return v_.begin(); }
  auto end() const { return v_.end(); }

private:
  std::vector<Task> v_;
};

// A CREATE_CHILD_SA we started (RFC 7296 1.3).
struct PendingCreate {
  RequestKind kind = RequestKind::create_child;
  Bytes nonce;
  std::optional<crypto::KeyExchange> kex;
  std::shared_ptr<const ChildConfig> cfg;
  uint32_t spi_in = 0;     // new Child SA
  uint64_t new_spi = 0;    // new IKE SA (our SPI)
  uint32_t old_spi_in = 0; // rekey_child
  std::vector<TsSpec> ts_i, ts_r;
  uint32_t ke_retries = 0;
};

// RFC 7383 2.6: collecting the SKF fragments of one message (decrypted pieces).
struct Reassembly {
  uint32_t message_id = 0;
  bool response = false;
  uint16_t total = 0;
  uint8_t first_inner = 0;
  std::vector<std::optional<Bytes>> pieces;
  size_t received = 0;
  size_t bytes = 0;              // decrypted data held (Config::max_reassembly_bytes)
  crypto::Sha256 first_digest{}; // of the datagram with fragment 1 (a request's fingerprint)
};

// RFC 7296 2.1: the responder answers retransmissions of the request it answered last,
// the exact bytes only (compared by digest, so no keys are needed) and at a bounded rate
// (a token bucket per IKE SA), so replayed datagrams cannot make it a traffic amplifier.
struct AnsweredRequest {
  crypto::Sha256 digest{}; // the request datagram (its fragment 1 when fragmented)
  uint32_t tokens = 0;     // answers that may go out now
  TimePoint refilled_at{}; // tokens were last topped up
};

// What only the handshake uses (IKE_SA_INIT and IKE_AUTH, RFC 7296 1.2, 2.15): one
// allocation per IKE SA, freed once IKE_AUTH completes, so an established SA (a million
// of them, issue 17) does not carry nonces, messages or key-exchange state.
struct Handshake {
  Bytes ni, nr;
  std::optional<crypto::KeyExchange> kex;
  const crypto::TransformInfo* ke_group = nullptr; // initiator: group of our KE
  Bytes init_request, init_response;               // the IKE_SA_INIT messages as sent (for AUTH)
  Bytes cookie;
  uint32_t ke_retries = 0, cookie_retries = 0;
  SecretBytes sk_pi, sk_pr; // RFC 7296 2.15: the AUTH payloads only
  std::optional<std::vector<uint16_t>> peer_sig_hashes;
  std::vector<Bytes> peer_certreqs;           // CA SPKI SHA-1 hashes the peer asked for
  std::vector<TsSpec> first_ts_i, first_ts_r; // what the initiator proposed (first Child SA)
};

struct EapExchange; // ike/eap_exchange.hpp
// Configuration payload state of an IKE SA (RFC 7296 2.19; exchange/config_payload.cpp).
struct CpState {
  // Responder: the peer's CFG_REQUEST (first IKE_AUTH request), noted until the final
  // IKE_AUTH response answers it with a CFG_REPLY.
  bool requested = false;
  bool want_v4 = false, want_v6 = false; // INTERNAL_IP4_ADDRESS / INTERNAL_IP6_ADDRESS asked for
  bool ours = false;                     // initiator: we asked; vips and dns are ours
  // The initiator's internal addresses (ours, or the peer's that we leased).
  std::vector<IpAddress> vips;
  std::vector<IpAddress> dns; // initiator: from the CFG_REPLY
  // Initiator: the networks the responder protects (INTERNAL_IP4_SUBNET /
  // INTERNAL_IP6_SUBNET in the CFG_REPLY, RFC 7296 3.15.2).
  std::vector<Prefix> subnets;
  std::vector<Prefix> leased; // responder: the pools we hold a lease of for remote_id
  std::string lease_identity; // responder: the identity the leases are keyed by
};

// What EAP inside IKE_AUTH ran (RFC 7296 2.16).
struct EapResult {
  std::string method, identity; // identity: the client's
};

struct IkeSa {
  static inline const std::string kNoString;
  static inline const CpState kNoCp;
  SaId id = 0;
  std::shared_ptr<const PeerConfig> peer;
  std::string peer_name() const { return peer ? peer->name : std::string(); }
  bool initiator = false;
  IkeSaState state = IkeSaState::connecting;
  // Small fields of the groups below, kept here where they fill the padding (pahole).
  bool peer_fragmentation = false;
  bool have_last_response = false; // last_response answers request msg_id_in - 1
  bool authenticated = false;
  bool silent = false;           // an old, rekeyed IKE SA: finishes its Delete without events
  bool identity_indexed = false; // in SaTable's index by peer identity (uniqueness.cpp)
  bool timer_touched = false;    // listed for SaTable::flush_timers()
  uint64_t spi_i = 0, spi_r = 0;
  uint64_t local_spi() const { return initiator ? spi_i : spi_r; }

  Endpoint local, remote;
  bool nat_t = false;
  // RFC 9329 (tcp_transport.cpp): IKE runs in a TCP stream; we opened it (the original
  // initiator, who alone re-establishes it); the last re-establishment.
  bool stream = false, tcp_originator = false;
  TimePoint reconnected_at{};
  // RFC 9329 6.1: one IKE SA per connection, "unless one is a rekey of an existing IKE
  // SA": the old IKE SA of a rekey (kept under a new id, tcp_transport.cpp) names the
  // successor's connection here (Transmit::connection); 0: its own.
  SaId connection = 0;
  bool nat_local = false, nat_remote = false; // what NAT detection found (RFC 7296 2.23)
  // We faked our NAT_DETECTION_SOURCE_IP (PeerConfig::force_encap) so that ESP runs in
  // UDP: we behave as if behind a NAT, but nat_local stays what detection found.
  bool encap_forced = false;
  // Set while the SA counts as half-open from this address (Engine::Impl::set_state).
  std::optional<IpAddress> half_open_from;

  Chosen alg;
  SecretBytes sk_d; // RFC 7296 2.17, 2.18: Child SA and rekeyed IKE SA keys come from it
  std::optional<crypto::SkCrypter> crypt_out, crypt_in;
  // IKE_SA_INIT and IKE_AUTH only; freed when IKE_AUTH completes (release_after_auth).
  Boxed<Handshake> hs;

  uint32_t msg_id_out = 0; // our next request
  uint32_t msg_id_in = 0;  // the peer's next request
  Boxed<OutRequest> out;   // our request in flight (nearly always none)
  TaskQueue tasks;
  std::vector<Bytes> last_response; // the answer to request msg_id_in - 1
  AnsweredRequest answered;         // which request last_response answers
  // Boxed: on the heap while engaged, one pointer in the record otherwise.
  Boxed<Reassembly> reassembly[2]; // [0] requests, [1] responses
  Boxed<PendingCreate> pending;
  Boxed<IkeRekeyRecord> peer_ike_rekey; // the peer rekeyed it while our rekey was in flight

  TimePoint created_at{}, established_at{}, last_received{};
  TimePoint last_sent{}; // anything to the peer (IKE, keepalive, ESP as told): RFC 3948 4
  OptTime rekey_at, expire_at, dpd_at, half_open_deadline, dead_until;
  TimerSlot timer; // its entry in SaTable::timers: sa_deadline()

  Identity remote_id;
  // The uniqueness policy (uniqueness.cpp): the IKE SAs this one replaced, and the one
  // that replaced this one.
  std::vector<SaId> replaces;
  SaId replaced_by = 0;
  std::string local_auth_desc, remote_auth_desc;
  // The EAP method and the client's EAP identity (RFC 7296 2.16), if EAP ran: on the heap
  // then, as few IKE SAs run EAP.
  Boxed<EapResult> eap_result;
  const std::string& eap_method() const { return eap_result ? eap_result->method : kNoString; }
  const std::string& eap_identity() const { return eap_result ? eap_result->identity : kNoString; }

  // The first Child SA (IKE_AUTH; its traffic selectors are in hs).
  uint32_t first_child_spi = 0;
  // EAP inside IKE_AUTH (RFC 7296 2.16), while it runs; shared_ptr: the type is
  // incomplete here.
  std::shared_ptr<EapExchange> eap;
  // Configuration payloads (RFC 7296 2.19), on the heap once used: cp() reads an empty
  // state when none ran, edit_cp() creates it.
  Boxed<CpState> cp_state;
  const CpState& cp() const { return cp_state ? *cp_state : kNoCp; }
  CpState& edit_cp() { return cp_state ? *cp_state : cp_state.emplace(); }
  // MOBIKE (RFC 4555; exchange/mobike.cpp).
  bool mobike = false; // both ends sent MOBIKE_SUPPORTED in IKE_AUTH
  // Initiator: the path changed again while our UPDATE_SA_ADDRESSES was in flight; one
  // more goes when it is answered (its NAT detection data named the older path).
  bool mobike_again = false;
  uint32_t moves = 0;                    // IkeSaMoved events of this IKE SA (both reasons)
  Bytes cookie2;                         // the COOKIE2 of our update in flight (3.8)
  std::vector<IpAddress> peer_addresses; // the peer's ADDITIONAL_IP4/6_ADDRESS list (3.6)

  std::vector<ChildSa> children;
  ChildSa* find_child(uint32_t spi_in) {
    for (auto& c : children)
      if (c.spi_in == spi_in) return &c;
    return nullptr;
  }
  ChildSa* find_child_out(uint32_t spi_out) {
    for (auto& c : children)
      if (c.spi_out == spi_out) return &c;
    return nullptr;
  }
};

// RFC 9329 6.1: `x`, the old IKE SA of a rekey (or a redundant new one, 2.8.1), goes in
// the TCP connection `sa` uses, if `sa` runs in one; no connection of its own.
inline void share_stream(IkeSa& x, const IkeSa& sa) {
  x.stream = sa.stream;
  x.tcp_originator = sa.tcp_originator;
  x.connection = sa.connection != 0 ? sa.connection : sa.id;
}

// The connection's Child SA configuration, shared with it (no copy per SA).
inline std::shared_ptr<const ChildConfig> connection_child(const IkeSa& sa) {
  return std::shared_ptr<const ChildConfig>(sa.peer, &sa.peer->child);
}

// What ESP encapsulation the IKE SA's Child SAs use and why (events.hpp Encap): a
// detected NAT wins over our forcing it.
inline Encap encap_of(const IkeSa& sa) {
  if (sa.stream) return Encap::none; // RFC 9329: ESP goes in the TCP stream, never in UDP
  if (sa.nat_local || sa.nat_remote) return Encap::nat;
  return sa.encap_forced ? Encap::forced : Encap::none;
}

// What NAT detection found on the IKE SA's path and what the Child SAs' ESP does about
// it: compared before and after a MOBIKE update's NAT detection (exchange/mobike.cpp).
struct NatState {
  Encap encap = Encap::none;
  bool nat_local = false, nat_remote = false;
  bool operator==(const NatState&) const = default;
};
inline NatState nat_state_of(const IkeSa& sa) {
  return NatState{encap_of(sa), sa.nat_local, sa.nat_remote};
}

// An established IKE SA (also while it is being rekeyed): local requests may run on it.
inline bool usable(const IkeSa& sa) {
  return sa.state == IkeSaState::established || sa.state == IkeSaState::rekeying;
}
// The IKE SA was reported up (ike_sa_up) and not yet down: a move is news for the data
// plane.
inline bool reported_up(const IkeSa& sa) { return usable(sa) || sa.state == IkeSaState::deleting; }

// The keys of a new IKE SA (IKE_SA_INIT, RFC 7296 2.14, or a rekey, 2.18), for sa.alg:
// SK_ei/SK_ai protect what the initiator sends, SK_er/SK_ar what the responder sends, so
// crypt_out (sealing only) and crypt_in (opening only) are keyed for the SA's role
// (sa.initiator); SK_d is kept, SK_pi/SK_pr go to sa.hs when the handshake runs. The
// rest is zeroed with `keys`. false when a crypter cannot be keyed.
bool install_ike_keys(IkeSa& sa, IkeKeys keys);

// The earliest deadline of `sa` (sa_state.cpp): what Engine::Impl::sa_timeout() acts on.
// Adding a kind of per-SA deadline: one take() line there, its action in sa_timeout().
// `nat_keepalive`: Config::nat_keepalive (SaTable::nat_keepalive).
std::optional<TimePoint> sa_deadline(const IkeSa& sa, Duration nat_keepalive);

// RFC 3948 4: when the side behind a NAT sends its next keepalive (nat_traversal.cpp);
// nullopt when it sends none.
std::optional<TimePoint> nat_keepalive_at(const IkeSa& sa, Duration interval);

// A dead IKE SA lingers only to answer a retransmission of the last request it answered
// (RFC 7296 2.1): everything else goes at once (keys, crypto contexts, key exchange,
// IKE_SA_INIT messages, fragments, tasks, Child SAs); last_response and answered stay
// while have_last_response.
void release_after_death(IkeSa& sa);
// Once IKE_AUTH is done: the handshake state (the IKE_SA_INIT messages, the key
// exchange, SK_pi/SK_pr: RFC 7296 2.15) and the EAP run go.
void release_after_auth(IkeSa& sa);

} // namespace ikekit::ike
