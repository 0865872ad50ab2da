// Internal: the engine's IKE SAs (storage, SaId allocation), the indexes that find one
// in O(1) per datagram (by our SPI, a responder's by the peer's SPIi, by an inbound
// Child SPI), SPI allocation, and the SAs' deadlines (a TimerQueue
// holding each SA's earliest deadline, sa_deadline()). Not part of the public API.
#pragma once

#include "base/ip_address.hpp"
#include "base/rng.hpp"
#include "ike/sa.hpp"
#include "ike/shard.hpp"
#include "ike/timer_queue.hpp"

#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

namespace ikekit::ike {

// Tests: each SaTable::flush_timers() compares every SA's entry in the TimerQueue with
// sa_deadline() computed afresh, and aborts on a difference (a place that changes a
// deadline without touch()). O(SAs) per flush: never on outside tests.
inline bool timer_self_check = false;

// We were the peer's EAP server (RFC 7296 2.16) and sa.eap_identity() is the client's. By
// the connection, not by sa.initiator: an IKE SA rekey the responder starts flips that
// (RFC 7296 2.18), not who authenticated whom.
bool peer_is_eap_client(const IkeSa& sa);
// What the uniqueness check compares as the peer (uniqueness.cpp same_peer), hashed: the
// client's EAP identity when we were its EAP server, else its IKE identity.
uint64_t peer_identity_key(const IkeSa& sa);

class SaTable {
public:
  std::map<SaId, std::unique_ptr<IkeSa>> sas;
  // Config::shard: our SPIs and SaIds name this engine among its siblings (ike/shard.hpp).
  Shard shard;
  SaId next_sa_id = 1;
  SaId allocate_sa_id() {
    SaId id = next_sa_id;
    next_sa_id += shard.count;
    return id;
  }
  void set_shard(Shard s) {
    shard = s;
    next_sa_id = first_sa_id(s);
  }

  // By our SPI; nullptr when none (a stale hint is dropped).
  IkeSa* find_sa(uint64_t local_spi);
  // A responder SA by the peer's SPIi and address (RFC 7296 2.1: a retransmitted
  // IKE_SA_INIT request).
  IkeSa* find_half_open(uint64_t spi_i, const Endpoint& remote);
  // Must be called wherever an SA's local SPI or role is set: find_sa() does not scan
  // on a miss.
  // Touches the SA too (new SAs come through here).
  void index_sa(IkeSa& sa);
  uint64_t new_ike_spi(Rng& rng);

  // Every SA's earliest deadline (sa_deadline()), keyed by SaId: next_timeout() is
  // timers.next(), on_timeout() acts on timers.due(now) only.
  TimerQueue timers;
  Duration nat_keepalive{0}; // Config::nat_keepalive, for sa_deadline()
  // Marks `sa` for flush_timers(): wherever the engine handles an SA (a datagram reached
  // it, a task or an API call queued on it, its state changed, it was created or its
  // timers fired) its deadlines may have moved. Code that sets a deadline of an SA it
  // reached another way calls this.
  void touch(IkeSa& sa);
  // Sets the TimerQueue entry of every touched SA from sa_deadline(); O(log n) each.
  // Called before timers is read.
  void flush_timers();
  uint32_t new_child_spi(Rng& rng, const IkeSa& owner);

  // The IKE SAs by their peer's authenticated identity (peer_identity_key), for the
  // uniqueness check (uniqueness.cpp): finding the duplicates of a new IKE SA costs the
  // SAs with that identity, not a walk over every SA. Indexed once its identity is final;
  // the SaId survives an IKE SA rekey (split_rekeyed_ike_sa), so no re-indexing then.
  void index_peer_identity(IkeSa& sa);
  // The live SAs indexed under `sa`'s identity key, `sa` itself left out (hash
  // collisions included: the caller compares identities). Drops the stale hints it meets.
  std::vector<IkeSa*> same_peer_identity(const IkeSa& sa);

private:
  void sweep_indexes();
  void check_timers() const; // timer_self_check

  std::vector<SaId> touched_; // for flush_timers(); IkeSa::timer_touched marks members

  // Each entry is a hint checked against the SA on use, so a stale one (the SA is gone
  // or its SPIs moved on in a rekey) is harmless.
  std::unordered_map<uint64_t, SaId> sa_by_local_spi;
  std::unordered_map<uint64_t, SaId> half_open_by_spi_i;       // responder SAs by the peer's SPIi
  std::unordered_map<uint32_t, SaId> sa_by_child_spi;          // inbound Child SPIs handed out
  std::unordered_multimap<uint64_t, SaId> sa_by_peer_identity; // index_peer_identity()
  size_t index_sweep_at = 1024; // sweep_indexes() drops stale hints past twice this
};

} // namespace ikekit::ike
