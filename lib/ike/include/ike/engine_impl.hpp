// Internal: the engine's shared context. Not part of the public API.
//
// The shape of the engine (DESIGN 2, issue 12), as strongSwan's tasks and quinn's
// connection modules:
// - Engine::Impl, named EngineContext where exchanges use it, holds what every exchange
//   shares: the configuration, the SA table, the Rng and the engine's clock (`now`), the
//   event and datagram queues, the counters, address pools and the admission state
//   (half-open counts, COOKIE secret); and the services over them: emit/drop/fail,
//   seal/open (SK, SKF), send_request/send_response (message IDs, retransmission),
//   set_state/queue_task (sa_state.cpp).
//   It holds no exchange's protocol logic.
// - Each exchange is a unit: namespace ike::<exchange> in lib/ike/exchange/<exchange>.cpp
//   with a small header beside it (not in the include root: private to the layer) that
//   declares only its entry points, free functions over (EngineContext& cx, IkeSa& sa,
//   ...): start (build and send the request of a Task), process_request (build the
//   response), process_response; the header says what of the IkeSa it reads and writes.
// - receive.cpp checks a message (header, SA lookup, message-ID window, SK, payload
//   rules; an IKE_SA_INIT request, for no SA yet, goes straight to ike_sa_init);
//   sa_state.cpp is the IKE SA's state machine: its states and every change of state,
//   which exchange and role is handled in which state by which unit (kArrivals),
//   the task queue (which request runs next, by which unit) and the per-SA timers.
// Units: ike_sa_init, ike_auth, ike_auth_eap, config_payload, create_child_sa, ike_rekey,
// informational, mobike.
#pragma once

#include "crypto/prf.hpp"
#include "ike/address_pool.hpp"
#include "ike/admission_state.hpp"
#include "ike/engine.hpp"
#include "ike/payload_scratch.hpp"
#include "ike/sa.hpp"
#include "ike/sa_table.hpp"
#include "wire/any_payload.hpp"
#include "wire/message.hpp"

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

namespace ikekit::ike {

using EngineContext = Engine::Impl;

// One received message after decryption (or reassembly): views into Impl scratch buffers.
struct Inbound {
  wire::IkeHeader hdr;
  const Datagram* dg = nullptr;
  ByteView message; // the whole first datagram's message (IKE_SA_INIT: for AUTH)
  std::vector<wire::RawPayload> outer;
  std::vector<wire::RawPayload> inner; // the decrypted chain (encrypted exchanges)
  std::vector<wire::NotifyPayload> notifies;

  const std::vector<wire::RawPayload>& chain() const { return inner.empty() ? outer : inner; }
  const wire::RawPayload* find(wire::PayloadType t) const {
    for (const auto& p : chain())
      if (p.type == uint8_t(t)) return &p;
    return nullptr;
  }
  const wire::NotifyPayload* notify(wire::NotifyType t) const {
    for (const auto& n : notifies)
      if (n.type == t) return &n;
    return nullptr;
  }
  // The first error notify, if any.
  const wire::NotifyPayload* error_notify() const {
    for (const auto& n : notifies)
      if (n.is_error()) return &n;
    return nullptr;
  }
};

struct Engine::Impl {
  Impl(Config c, Rng& r, TimePoint t);
  // Its half-open SAs leave a shared AdmissionState's counts with it.
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  Config config;
  std::vector<std::shared_ptr<const PeerConfig>> peers;
  Rng& rng;
  TimePoint now;
  Stats stats;
  std::deque<Event> events;
  struct OutDatagram {
    Endpoint local, remote;
    bool nat_t = false;
    Bytes data;
    bool keepalive = false; // RFC 3948 2.3: `data` is the 0xFF byte, sent without marker
    SaId sa = 0;
    bool stream = false, tcp_originator = false; // RFC 9329 (Transmit)
    SaId connection = 0;
  };
  std::deque<OutDatagram> tx;
  SaTable table; // the IKE SAs, their indexes, SPI allocation
  // The half-open counts and the COOKIE secret (RFC 7296 2.6): Config::admission when
  // engines share them, else the engine's own (admission.cpp).
  std::shared_ptr<AdmissionState> admission;
  // Responder address pools (exchange/config_payload.cpp), one per prefix, made when a
  // connection first leases from it.
  std::vector<AddressPool> pools;
  // The datagram being received: responses go back to where it came from (RFC 7296 2.11).
  const Datagram* reply_to = nullptr;
  // The digest of the request being received (RFC 7296 2.1; set by protect.cpp,
  // fragments.cpp, ike_sa_init.cpp): send_response records it as the request answered.
  // Here, not in every IKE SA (issue 17); a request parked for an EAP backend keeps it.
  crypto::Sha256 request_digest{};
  // EAP packets for servers elsewhere, waiting for poll_backend_request (ike/eap_relay.hpp).
  std::deque<EapBackendRequest> backend_requests;
  BackendToken next_backend_token = 1;
  Bytes rx;     // the received message, decrypted in place
  Bytes joined; // reassembled fragments
  // IKE_AUTH's inner payloads before sealing (ike/payload_scratch.hpp).
  PayloadScratch auth_scratch;
  // --- spare_key.cpp: the next IKE_SA_INIT's key pair, made by idle_work()
  std::optional<crypto::KeyExchange> spare_kex;
  const crypto::TransformInfo* spare_group = nullptr; // the last IKE_SA_INIT's group
  // A group a spare pair could not be made in: not tried again at every wait, only once
  // an IKE_SA_INIT has made a pair of it.
  const crypto::TransformInfo* spare_failed = nullptr;
  // The group idle_work() makes a pair of: the last IKE_SA_INIT's, at first the first
  // connection's first proposal's; null when that is spare_failed.
  const crypto::TransformInfo* spare_group_wanted() const;
  // Our KE for an IKE_SA_INIT in `group` (either role): the spare if it is of that group
  // (used once: moved out), else a fresh one.
  Result<crypto::KeyExchange> init_key_exchange(const crypto::TransformInfo& group);
  bool has_idle_work() const;
  bool idle_work();
  bool add_spare(crypto::KeyExchange k); // kept if a pair of its group is wanted
  void spare_failed_in(const crypto::TransformInfo& group);

  // --- receive.cpp: header checks, SA lookup, message-ID window, decrypt, payload rules
  void receive(const Datagram& in);
  // --- sa_state.cpp: states, which exchange arrives in which state, tasks, timers
  // Every state change goes through here (it keeps the half-open counts).
  void set_state(IkeSa& sa, IkeSaState s);
  void dispatch(IkeSa& sa, Inbound& in);
  void queue_task(IkeSa& sa, Task t);
  void run_tasks(IkeSa& sa);
  void timeout();
  void sa_timeout(IkeSa& sa); // its due deadlines; may erase it
  std::optional<TimePoint> next_deadline();
  // --- engine.cpp: SAs, events, drops and failures (the SAs themselves: SaTable)
  IkeSa& new_sa(std::shared_ptr<const PeerConfig> peer, bool initiator);
  void drop(DropReason r, std::string detail = {});
  void emit(Event e) { events.push_back(std::move(e)); }
  // SaKeys for the key log (config.emit_keys): the IKE SA's SK_* as derived.
  void emit_ike_keys(const IkeSa& sa, const IkeKeys& keys);
  // Failure event, then the IKE SA goes down (children first).
  void fail(IkeSa& sa, Failure f);
  Failure failure(const IkeSa& sa, wire::ExchangeType exchange, FailureStep step,
                  std::string reason);
  // Emits ChildSaDown for each child and IkeSaDown; the SA lingers as dead briefly.
  void remove_sa(IkeSa& sa, DownReason reason);
  // --- sa_state.cpp: the IKE SA's DPD and lifetime deadlines, once established
  void schedule_timers(IkeSa& sa);
  // rekey_at / expire_at of an SA established now with lifetimes `lt` (unset when the
  // lifetime is 0); the rekey is drawn up to lt.jitter early, as strongSwan does.
  void lifetime_deadlines(const Lifetimes& lt, OptTime& rekey_at, OptTime& expire_at);
  Bytes random_bytes(size_t n);
  uint64_t new_ike_spi() { return table.new_ike_spi(rng); }
  uint32_t new_child_spi(const IkeSa& sa) { return table.new_child_spi(rng, sa); }
  std::shared_ptr<const PeerConfig> find_peer(std::string_view name) const;
  // Adds or replaces (by name) a connection in `peers` and `config.peers`.
  std::shared_ptr<const PeerConfig> put_peer(const PeerConfig& peer);

  // --- transport.cpp: message IDs, the request in flight, the response cache
  void send_request(IkeSa& sa, RequestKind kind, wire::ExchangeType ex, std::vector<Bytes> dgrams,
                    uint32_t child_spi = 0);
  void send_response(IkeSa& sa, std::vector<Bytes> dgrams);
  // The response to request `msg_id` of exchange `ex`: the payloads `w` wrote into
  // `inner`, sealed (SK or SKF) and sent with send_response. An error when not sent.
  Result<void> answer(IkeSa& sa, wire::ExchangeType ex, uint32_t msg_id, wire::PayloadWriter& w,
                      ByteView inner);
  void transmit(IkeSa& sa, const Bytes& dgram);
  // A response: to the address and port the request came from, from where it arrived
  // (RFC 7296 2.11; with MOBIKE the two may differ from the IKE SA's).
  void transmit_response(IkeSa& sa, const Bytes& dgram);
  void retransmit_due(IkeSa& sa);
  void request_done(IkeSa& sa);
  // How long a peer may keep retransmitting one request (all back-off intervals).
  Duration retransmit_span() const;
  // true: handle it; false: dropped or answered from the cache. `datagram`: as received.
  bool accept_request(IkeSa& sa, const wire::IkeHeader& h, bool first_fragment, ByteView datagram);
  // RFC 7296 2.1: sends the cached response again if `datagram` is exactly the request it
  // answered and the SA's answer budget allows; else drops and counts it.
  void answer_retransmission(IkeSa& sa, ByteView datagram);
  bool accept_response(IkeSa& sa, const wire::IkeHeader& h);

  // --- protect.cpp / fragments.cpp: SK and SKF
  Result<std::vector<Bytes>> seal(IkeSa& sa, wire::ExchangeType ex, bool response, uint32_t msg_id,
                                  ByteView inner, wire::PayloadType first_inner);
  // The same for the inner payloads `w` wrote into `inner`, finished here.
  Result<std::vector<Bytes>> seal(IkeSa& sa, wire::ExchangeType ex, bool response, uint32_t msg_id,
                                  wire::PayloadWriter& w, ByteView inner);
  enum class Opened : uint8_t { ok, pending, dropped };
  Opened open(IkeSa& sa, Inbound& in, MutBytes message, const wire::Message& msg);
  Opened add_fragment(IkeSa& sa, Inbound& in, MutBytes message, const wire::RawPayload& skf);
  Result<std::vector<Bytes>> fragment(IkeSa& sa, const wire::IkeHeader& h, ByteView inner,
                                      wire::PayloadType first_inner);
  wire::IkeHeader header_for(const IkeSa& sa, wire::ExchangeType ex, bool response,
                             uint32_t msg_id) const;

  // --- admission.cpp: what a peer that has not authenticated can make us hold
  // RFC 7296 2.6: the COOKIE to send when one is required and the request lacks a valid
  // one; nullopt when the request may go on.
  std::optional<Bytes> cookie_demanded(const Datagram& dg, uint64_t spi_i, ByteView ni,
                                       const std::vector<wire::NotifyPayload>& notifies);
  // strongSwan's block_threshold and init_limit_half_open: false (dropped, counted)
  // when a new half-open SA from `from` would exceed them.
  bool half_open_admits(const IpAddress& from);
  void count_half_open(IkeSa& sa);
  void uncount_half_open(IkeSa& sa);

  // --- nat_traversal.cpp: after IKE_SA_INIT (RFC 7296 2.23, RFC 3948)
  // When the SA's next NAT keepalive is due (nullopt: none, we are not behind a NAT).
  std::optional<TimePoint> keepalive_at(const IkeSa& sa) const;
  void send_keepalive(IkeSa& sa);
  // A NAT keepalive handed to receive(): counted, true; anything else false.
  bool take_keepalive(const Datagram& in);
  // An authenticated message of `sa` arrived on `in`: float to the NAT-T port, follow a
  // changed NAT mapping of the peer (IkeSaMoved).
  void follow_peer(IkeSa& sa, const Datagram& in);
  // RFC 7296 2.23: after IKE_SA_INIT found a NAT (or encapsulation is forced), all
  // further traffic goes to port 4500; a MOBIKE initiator goes there anyway when the
  // peer supports NAT traversal (RFC 4555 3.3).
  void float_to_nat_t(IkeSa& sa);

  // --- exchange/mobike.cpp (the rest of MOBIKE: ike::mobike, exchange/mobike.hpp)
  // Both: the IKE SA now runs between `local` and `remote` (IkeSaMoved unless silent).
  void move_sa(IkeSa& sa, const Endpoint& local, const Endpoint& remote, MoveReason why);
  // Both: NAT detection on the SA's path ran; IkeSaEncapChanged when what it found
  // (the Child SAs' encapsulation, nat_local, nat_remote) differs from `before`
  // (unless silent).
  void note_encap(IkeSa& sa, const NatState& before);
  // --- tcp_transport.cpp: IKE in a TCP stream (RFC 9329)
  // The SA's first transport: TCP for transport tcp (initiator), else UDP.
  void choose_transport(IkeSa& sa);
  // When a request sent now is next due: over TCP once, after the whole retransmission
  // span (RFC 9329 6.2: no retransmissions, an overall timeout); IKE_SA_INIT of an auto
  // connection on UDP after tcp_fallback_after.
  TimePoint request_deadline(const IkeSa& sa) const;
  // IKE_SA_INIT's deadline came: true when it went over to TCP (transport auto).
  bool fall_back_to_tcp(IkeSa& sa);
  // Why a request over TCP failed (its one deadline passed).
  std::string stream_timeout_reason() const;
  void stream_broken(IkeSa& sa);
  // A stream IKE SA's originator left its connection (broken, or moved): its request in
  // flight goes again, in the new one. false: none was in flight.
  bool resend_in_new_stream(IkeSa& sa);
  // An authenticated message of a stream IKE SA arrived on `in`: answer on that
  // connection from now on (the originator re-established it, RFC 9329 6.1).
  void follow_stream(IkeSa& sa, const Datagram& in);

  // --- auth/eap.cpp: AUTH keyed with the EAP MSK (RFC 7296 2.16, 2.15)
  Result<Bytes> msk_auth_data(const IkeSa& sa, bool initiator_side, ByteView id_body);

  // --- uniqueness.cpp: once the peer of a new IKE SA is authenticated (both roles),
  // the connection's UniquePolicy and RFC 7296 2.4 INITIAL_CONTACT (`initial_contact`:
  // the peer sent it) act on the other IKE SAs with the same identities. A Failure
  // (step unique): refuse the new IKE SA with AUTHENTICATION_FAILED.
  std::optional<Failure> check_uniqueness(IkeSa& sa, bool initial_contact);
  // Reports `old` down (reason replaced) with its Child SAs now, then deletes it silently.
  void replace_sa(IkeSa& old, SaId by);

  // --- auth/psk.cpp / auth/cert.cpp (RFC 7296 2.15)
  // The octets the `initiator_side` signs: its IKE_SA_INIT message | the peer's nonce |
  // prf(SK_px, ID payload body).
  Result<Bytes> signed_octets(const IkeSa& sa, bool initiator_side, ByteView id_body);
  Result<Bytes> psk_auth_data(const IkeSa& sa, bool initiator_side, ByteView id_body);
  // prf(PSK, "Key Pad for IKEv2") of the connections that last authenticated with their
  // PSK, each held as a prf keyed with it: an AUTH (ours and the peer's, each handshake)
  // then keys no HMAC for it. At most kPskPadSlots, the oldest dropped first; one of a
  // connection since replaced or removed is freed (its HMAC state wiped) at the next look-up.
  struct PskPad {
    std::weak_ptr<const PeerConfig> peer;
    const crypto::TransformInfo* prf = nullptr;
    crypto::Prf keyed;
  };
  static constexpr size_t kPskPadSlots = 4;
  std::vector<PskPad> psk_pads;
  Result<crypto::Prf*> psk_pad(const IkeSa& sa);
  // prf(prf(key, "Key Pad for IKEv2"), <signed octets>): PSK and EAP MSK alike.
  Result<Bytes> shared_key_auth_data(const IkeSa& sa, bool initiator_side, ByteView id_body,
                                     ByteView key);
  // Our AUTH (and CERT payloads, written by the caller from sa.peer->local_certs).
  Result<std::pair<wire::AuthMethod, Bytes>> make_auth(IkeSa& sa, ByteView id_body);
  // Verifies the peer's AUTH; on failure returns the Failure step/reason.
  std::optional<Failure> verify_auth(IkeSa& sa, Inbound& in, const wire::IdPayload& id,
                                     ByteView id_body, wire::ExchangeType exchange);
  // Initiator: the responder's certificate names remote_cert_identity and is a server's.
  std::optional<Failure> check_gateway_certificate(const IkeSa& sa, const crypto::Certificate& cert,
                                                   wire::ExchangeType exchange);

  // --- child_negotiation.cpp: negotiation pieces shared by IKE_AUTH and CREATE_CHILD_SA
  // Responder side of a Child SA request: writes SA/TS (and USE_TRANSPORT_MODE) or an
  // error notify into `w`; returns the new child or a Failure.
  struct ChildAnswer {
    std::optional<ChildSa> child;
    std::optional<Failure> failure;
    wire::NotifyType error = wire::NotifyType(0);
  };
  ChildAnswer answer_child(IkeSa& sa, Inbound& in, std::shared_ptr<const ChildConfig> cfg,
                           wire::ExchangeType exchange, bool ignore_ke,
                           const crypto::TransformInfo* ke_hint);
  std::vector<TsSpec> default_ts(const std::vector<TsSpec>& cfg, const IpAddress& a) const;
  // Derives keys, stores the child and emits ChildSaUp (+ SaKeys).
  // `exchange_initiator`: we sent the request that created it (RFC 7296 2.17 key order).
  bool install_child(IkeSa& sa, ChildSa child, bool exchange_initiator, ByteView g_ir, ByteView ni,
                     ByteView nr, std::optional<uint32_t> rekeyed_spi);
  // Initiator side of a Child SA request: [N(USE_TRANSPORT_MODE)], SA, TSi, TSr.
  // CREATE_CHILD_SA adds Ni and [KEi] after the SA payload.
  void write_child_request(wire::PayloadWriter& w, const ChildConfig& cfg, uint32_t spi_in,
                           const std::vector<TsSpec>& ts_i, const std::vector<TsSpec>& ts_r,
                           const crypto::KeyExchange* pfs, ByteView nonce,
                           std::vector<Bytes>& storage);
  // Responder side: [N(USE_TRANSPORT_MODE)], SA, TSi, TSr for an accepted child.
  void write_child_answer(wire::PayloadWriter& w, const ChildSa& c, const crypto::KeyExchange* pfs,
                          ByteView nonce, std::vector<Bytes>& storage);
  // Initiator: checks the responder's SA/TS answer; a Failure when unacceptable.
  std::variant<ChildSa, Failure>
  accept_child_answer(IkeSa& sa, Inbound& in, std::shared_ptr<const ChildConfig> cfg,
                      uint32_t spi_in, const std::vector<TsSpec>& ts_i,
                      const std::vector<TsSpec>& ts_r, wire::ExchangeType exchange, bool ignore_ke);

  // --- transport.cpp: error responses, for every exchange
  // The response to request `h` that is one error Notify (RFC 7296 2.21); `proto` and
  // `spi` when it names a Child SA (CHILD_SA_NOT_FOUND).
  void send_error_notify_response(IkeSa& sa, const wire::IkeHeader& h, wire::NotifyType type,
                                  ByteView data = {}, wire::ProtocolId proto = wire::ProtocolId(0),
                                  ByteView spi = {});
  void send_invalid_ke_response(IkeSa& sa, const wire::IkeHeader& h,
                                const crypto::TransformInfo& group);
};

// RestOfXIDPayload (RFC 7296 2.15): ID Type | RESERVED(3) | data.
Bytes id_body(wire::IdType type, ByteView data);
// Our CERT payloads for `peer` (pubkey only), honouring the peer's CERTREQ (3.7).
void write_certs(wire::PayloadWriter& w, const PeerConfig& peer, const std::vector<Bytes>& certreqs,
                 std::vector<Bytes>& storage);

// Writes one notify with no SPI and `data`.
inline void add_notify(wire::PayloadWriter& w, wire::NotifyType t, ByteView data = {},
                       wire::ProtocolId proto = wire::ProtocolId(0), ByteView spi = {}) {
  w.add(wire::PayloadType::n, wire::NotifyPayload{proto, spi, t, data});
}

// Parses every Notify of a chain (malformed ones are skipped).
std::vector<wire::NotifyPayload> parse_notifies(const std::vector<wire::RawPayload>& chain);

// NAT_DETECTION_*_IP data, RFC 7296 2.23: SHA-1(SPIi | SPIr | IP | port).
Bytes nat_detection_hash(uint64_t spi_i, uint64_t spi_r, const Endpoint& e);
// Reads the NAT_DETECTION_* notifies of `in` (IKE_SA_INIT, or INFORMATIONAL with
// MOBIKE) into sa.nat_local / sa.nat_remote (RFC 7296 2.23). true when the peer sent
// both (it supports NAT traversal); false over TCP, where nothing is detected.
bool detect_nat(IkeSa& sa, const Inbound& in, uint64_t spi_i, uint64_t spi_r);

inline constexpr size_t kNonceSize = 32;

// RFC 7296 2.8.1: is the lowest of the four nonces one of the first pair (a1, a2)?
bool first_pair_has_lowest(ByteView a1, ByteView a2, ByteView b1, ByteView b2);

} // namespace ikekit::ike
