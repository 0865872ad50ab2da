// The sans-I/O IKEv2 engine (DESIGN 1): a value that consumes datagrams and time and
// produces datagrams, events and a deadline. It never blocks, reads no clock, draws
// randomness only from the Rng it was handed, touches no file descriptor, prints nothing.
//
//   Engine engine(config, rng, now);
//   auto sa = engine.initiate("home", now);            // or wait for a peer
//   loop:
//     engine.receive(Datagram{local, remote, nat_t, bytes}, now);   // from a socket
//     if (now >= engine.next_timeout()) engine.on_timeout(now);
//     while (auto t = engine.poll_transmit(buf)) send(buf[0 .. t->size) to t->remote from
//     t->local); while (auto e = engine.poll_event()) handle(*e);  // IkeSaUp, ChildSaUp, Failure,
//     ...
//
// NAT traversal (RFC 7296 2.23, RFC 3948 2.2): the I/O LAYER adds and strips the 4-byte
// non-ESP marker. Datagram::data and the bytes poll_transmit writes are always the bare
// IKE message; `nat_t` says the UDP payload is (or must be sent) on the NAT-T port with
// the marker in front. The engine moves an IKE SA to port 4500 after IKE_SA_INIT when a
// NAT is detected (or forced), or when it offers MOBIKE to a peer that supports NAT
// traversal (RFC 4555 3.3), and follows a peer that floats to 4500.
//
// One Engine serves every configured connection and any number of IKE SAs in both roles.
// A responder picks the PeerConfig by the peer's address at IKE_SA_INIT and re-checks it
// with IDi (and IDr, if sent) at IKE_AUTH.
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/rng.hpp"
#include "base/time.hpp"
#include "ike/config.hpp"
#include "ike/events.hpp"
#include "ike/stats.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ikekit::crypto {
class KeyExchange;
} // namespace ikekit::crypto

namespace ikekit::ike {

// A received UDP datagram. `data` is the IKE message (non-ESP marker already stripped);
// it is only read during receive(). A NAT keepalive (RFC 3948 2.3: the one byte 0xFF on
// the NAT-T port, nat_t set) may be handed over as it is: it is counted
// (Stats::nat_keepalives_received), never a drop.
struct Datagram {
  Endpoint local;     // where it arrived (our address and port)
  Endpoint remote;    // where it came from
  bool nat_t = false; // arrived on the NAT-T port with a non-ESP marker (stripped)
  ByteView data;
  // RFC 9329: arrived in a TCP stream (framing and marker stripped); `remote` is the
  // connection's far end. An authenticated message on a new connection moves the IKE SA
  // to it (the initiator re-established a broken one).
  bool stream = false;
};

// A datagram to send: `size` bytes of IKE message were written to the poll_transmit buffer.
struct Transmit {
  Endpoint local;
  Endpoint remote;
  bool nat_t = false; // send on the NAT-T port: the I/O layer prefixes the non-ESP marker
  size_t size = 0;
  // RFC 3948 2.3 NAT keepalive (the one byte 0xFF, sent as is: no non-ESP marker) for
  // the IKE SA `sa`. The I/O layer may skip it when its data plane sent ESP to the peer
  // since; it then tells the engine with keepalive_skipped().
  bool keepalive = false;
  SaId sa = 0;
  // RFC 9329: send in the TCP stream to `remote` (length and non-ESP marker in front).
  // tcp_originator: we are the IKE SA's TCP originator (its original initiator): when no
  // connection to `remote` is open, open one (beginning with "IKETCP"); otherwise a
  // responder drops the message (the originator reconnects, RFC 9329 6.1).
  bool stream = false;
  bool tcp_originator = false;
  // RFC 9329 6.1: the IKE SA whose TCP connection this goes on (0: `sa`'s own). Each IKE
  // SA has its own connection; the old IKE SA of a rekey, kept under another SaId until
  // it is deleted, shares its successor's, so this names the successor.
  SaId connection = 0;
};

enum class IkeSaState : uint8_t {
  connecting,     // initiator: IKE_SA_INIT sent
  half_open,      // responder: IKE_SA_INIT answered, IKE_AUTH not yet
  authenticating, // initiator: IKE_AUTH sent
  established,
  rekeying, // an IKE SA rekey is in progress (still usable)
  deleting, // our Delete is outstanding
  dead,     // kept briefly to answer retransmissions, then removed
};
std::string_view ike_sa_state_name(IkeSaState s);

// For ikectl: a snapshot of one Child SA / IKE SA as plain values.
struct ChildSaInfo {
  std::string name;
  uint32_t spi_in = 0, spi_out = 0;
  ChildMode mode = ChildMode::tunnel;
  bool udp_encap = false;
  std::string encr, integ;
  bool esn = false;
  std::vector<TsSpec> local_ts, remote_ts;
  TimePoint established_at{};
  std::optional<TimePoint> rekey_at, expire_at;
};

struct IkeSaInfo {
  SaId sa = 0;
  std::string peer;
  bool initiator = false;
  IkeSaState state = IkeSaState::connecting;
  uint64_t spi_i = 0, spi_r = 0;
  Endpoint local, remote;
  bool nat_t = false;
  bool stream = false;                        // RFC 9329: IKE runs in a TCP stream
  bool nat_local = false, nat_remote = false; // RFC 7296 2.23 NAT detection results
  Encap encap = Encap::none;                  // nat, forced (fake NATD by us) or none
  bool mobike = false;                        // RFC 4555: both ends announced MOBIKE_SUPPORTED
  uint32_t moves = 0;                         // times it moved (ike_sa_moved events)
  std::vector<IpAddress> peer_addresses;      // the peer's ADDITIONAL_IP4/6_ADDRESS (RFC 4555 3.6)
  std::string encr, integ, prf, ke;
  Identity local_id;
  std::optional<Identity> remote_id; // once authenticated
  // "psk" or the signature scheme ("ecdsa-sha256", ...), as in IkeSaUp; "" until known.
  std::string local_auth, remote_auth;
  // EAP (RFC 7296 2.16), as in IkeSaUp: the method and the client's EAP identity; empty
  // when the IKE SA was authenticated without EAP.
  std::string eap_method, eap_identity;
  TimePoint established_at{};
  std::optional<TimePoint> rekey_at, expire_at;
  // The engine rekeys IKE SAs (RFC 7296 2.8) and never reauthenticates: always unset.
  std::optional<TimePoint> reauth_at;
  uint32_t next_message_id_out = 0; // our next request's Message ID
  uint32_t next_message_id_in = 0;  // the peer request Message ID we expect
  std::vector<ChildSaInfo> children;
  // Configuration payload (RFC 7296 2.19): the initiator's internal addresses, ours when
  // we initiated (with the DNS servers and protected subnets we were sent), the peer's
  // when we leased them.
  std::vector<IpAddress> virtual_ips, dns;
  std::vector<Prefix> subnets;
};

// For ikectl list-leases: one address pool of the responder and its leases.
struct PoolInfo {
  Prefix pool;
  uint64_t size = 0, online = 0, offline = 0, never_used = 0;
  struct LeaseInfo {
    IpAddress address;
    std::string identity;
    bool online = false; // false: released, remembered for the identity
  };
  std::vector<LeaseInfo> leases; // in address order
};

class Engine {
public:
  // `rng` must outlive the engine (all nonces, SPIs, KE private keys, IVs come from it).
  Engine(Config config, Rng& rng, TimePoint now);
  ~Engine();
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Bad input is dropped and counted in stats(), never an error.
  void receive(const Datagram& in, TimePoint now);
  // Retransmissions, DPD, rekey and expiry timers; call when now >= next_timeout().
  void on_timeout(TimePoint now);
  std::optional<TimePoint> next_timeout() const;

  // Starts IKE_SA_INIT for a configured connection (by PeerConfig::name). Errors:
  // Errc::not_found (no such connection), Errc::usage (no remote address / proposals).
  Result<SaId> initiate(std::string_view peer_name, TimePoint now);
  // Adds `peer` to the configuration (replacing one with the same name) and initiates it.
  Result<SaId> initiate(const PeerConfig& peer, TimePoint now);
  // Adds `peer` to the configuration, replacing one with the same name, without
  // initiating: a responder accepts it from the next IKE_SA_INIT on. Live IKE SAs of a
  // replaced connection keep the settings they were made with. Errc::usage "name" when
  // the name is empty.
  Result<void> add_peer(const PeerConfig& peer, TimePoint now);
  // Removes the connection: its established IKE SAs are deleted (INFORMATIONAL with
  // D(IKE), as terminate), the others dropped, and a responder no longer accepts it.
  // Errc::not_found "peer" when no connection has this name.
  Result<void> remove_peer(std::string_view peer_name, TimePoint now);

  // Deletes the IKE SA and its Child SAs (RFC 7296 1.4.1 INFORMATIONAL with D(IKE)).
  Result<void> terminate(SaId sa, TimePoint now);
  // Deletes one Child SA, named by its inbound SPI.
  Result<void> terminate_child(SaId sa, uint32_t spi_in, TimePoint now);
  // CREATE_CHILD_SA (RFC 7296 1.3.3): rekeys the Child SA with inbound SPI `spi_in`.
  Result<void> rekey_child(SaId sa, uint32_t spi_in, TimePoint now);
  // CREATE_CHILD_SA (RFC 7296 1.3.2): rekeys the IKE SA (its SaId stays the same).
  Result<void> rekey_ike(SaId sa, TimePoint now);
  // CREATE_CHILD_SA (RFC 7296 1.3.1): one more Child SA from `child` under the IKE SA.
  Result<void> create_child(SaId sa, const ChildConfig& child, TimePoint now);
  // Sends an empty INFORMATIONAL (liveness check, RFC 7296 1.4) now.
  Result<void> send_dpd(SaId sa, TimePoint now);
  // MOBIKE (RFC 4555 3.5), for the I/O layer of the initiator: our address changed or the
  // path to the peer broke, and the route to the peer now leaves from `local`. The IKE
  // SA moves there at once (its port stays; IkeSaMoved with reason mobike: the data plane
  // moves the Child SAs), a request in flight is retransmitted from there, and the peer
  // is told with UPDATE_SA_ADDRESSES carrying fresh NAT detection and a COOKIE2 (3.8).
  // Errors: Errc::not_found (no such SA), Errc::bad_value (not established), Errc::
  // unsupported "mobike" (not negotiated, or we are the responder: 3.3, the initiator
  // decides), Errc::bad_value "local" (another address family).
  Result<void> move_local(SaId sa, const IpAddress& local, TimePoint now);

  // RFC 3948, RFC 7296 2.23: the data plane opened ESP of a Child SA of `sa` (ICV
  // verified, inside the replay window) that came from `remote`, not from the SA's peer.
  // It counts as an authenticated message from there: the IKE SA follows the peer's new
  // NAT mapping under the rules IKE messages obey (UDP-encapsulated, the peer behind a
  // NAT and we are not, no MOBIKE: its initiator moves explicitly), emitting IkeSaMoved
  // (reason nat_mapping) so the data plane follows too. Unknown or unusable SAs are
  // ignored. Both data planes report here: the TUN data plane's own ESP, the kernel's
  // XFRM_MSG_MAPPING (io/xfrm_mapping.hpp).
  void esp_arrived_from(SaId sa, const Endpoint& remote, TimePoint now);

  // RFC 3948 4: ESP of the IKE SA `sa` went to the peer at `at`, which keeps the NAT
  // mapping alive as well as a keepalive would: the next keepalive is due one
  // Config::nat_keepalive after it. Unknown SAs are ignored.
  void esp_sent(SaId sa, TimePoint at);
  // The I/O layer did not send the keepalive poll_transmit gave it for `sa`, because
  // ESP went to the peer at `esp_at` (within the interval): esp_sent(sa, esp_at), and the
  // keepalive is not counted as sent (Stats::nat_keepalives_sent, datagrams_sent).
  void keepalive_skipped(SaId sa, TimePoint esp_at);
  // RFC 9329 6.1: the TCP connection of the IKE SA `sa` broke after it had been set up.
  // The TCP originator re-establishes it: it sends its request in flight again, or else
  // an empty INFORMATIONAL, so the responder learns the new connection (by SPIs, once
  // the message authenticates). At most once a second; the responder ignores it.
  void stream_broken(SaId sa, TimePoint now);
  // RFC 9329: the TCP connection the originator opened for the IKE SA `sa` never came up
  // (refused, or not within the I/O layer's connect timeout; `why` says which and to
  // where). An IKE SA still in IKE_SA_INIT fails now (Failure, step connect) rather than
  // at the end of the overall timeout; for an established one the request in flight
  // keeps its deadline (a reconnect is tried when stream_broken allows).
  void stream_unreachable(SaId sa, const std::string& why, TimePoint now);

  // Writes one datagram into `out`. A datagram larger than `out` stays queued and is
  // counted (DropReason::buffer_too_small); 65535 bytes always suffice.
  std::optional<Transmit> poll_transmit(MutBytes out);
  std::optional<Event> poll_event();
  // EAP servers elsewhere (RFC 3579, ike/eap_relay.hpp): the next EAP packet a responder
  // parked an IKE_AUTH request for, and the backend's answer to one (unknown or stale
  // tokens are ignored: the IKE SA may be gone).
  std::optional<EapBackendRequest> poll_backend_request();
  void backend_answer(const EapBackendAnswer& answer, TimePoint now);

  // For the I/O layer when it has nothing to read (its event loop is about to wait):
  // makes the key pair the next IKE_SA_INIT will use, ours or a peer's, in the group the
  // last one used (at first, the first connection's first proposal's), so that neither
  // side computes its public value while the other waits (X25519: one of a side's two
  // ladders, spare_key.cpp). At most one pair is kept; it serves exactly one IKE_SA_INIT
  // and is freed, its private key wiped, when one wants another group. An engine whose
  // I/O layer never calls it draws from its Rng exactly as before. Returns whether it
  // did anything; has_idle_work() whether it would.
  bool idle_work(TimePoint now);
  bool has_idle_work() const;
  // idle_work() in two steps, for an engine behind a lock that another thread also runs
  // it under (io::EngineWorker): the group a spare pair is wanted in now (null: none),
  // then the pair the caller made in it without holding the lock, so a message for the
  // engine is not held up for the ladder. A pair no longer wanted by then is freed.
  // When the caller could not make the pair, spare_key_failed(group) says so: as after
  // idle_work() failed, no pair of that group is asked for again (spare_key_group() null
  // for it) until an IKE_SA_INIT has made one of it; counted (spare_key_exchanges_failed).
  const crypto::TransformInfo* spare_key_group() const;
  void add_spare_key(crypto::KeyExchange kex);
  void spare_key_failed(const crypto::TransformInfo& group);

  const Stats& stats() const;
  const Config& config() const;
  std::vector<IkeSaInfo> list_sas() const;
  // Address pools in use so far (a pool appears when a connection first leases from it).
  std::vector<PoolInfo> list_pools() const;

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

} // namespace ikekit::ike
