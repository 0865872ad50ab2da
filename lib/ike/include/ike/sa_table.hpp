// Internal: the engine's IKE SAs (storage, SaId allocation), the indexes that find one
// in O(1) per datagram (by our SPI, a responder's by the peer's SPIi, by an inbound
// Child SPI), SPI allocation, and the half-open counts. Not part of the public API.
#pragma once

#include "base/ip_address.hpp"
#include "base/rng.hpp"
#include "ike/sa.hpp"

#include <map>
#include <memory>
#include <unordered_map>

namespace ikekit::ike {

class SaTable {
public:
  std::map<SaId, std::unique_ptr<IkeSa>> sas;
  SaId next_sa_id = 1;
  // Responder IKE SAs between IKE_SA_INIT and IKE_AUTH, in total and per source address,
  // kept by Engine::Impl::set_state() (never counted by a walk over the SAs).
  size_t half_open_total = 0;
  std::map<IpAddress, size_t> half_open_by_address;

  // By our SPI; nullptr when none (a stale hint is dropped).
  IkeSa* find_sa(uint64_t local_spi);
  // A responder SA by the peer's SPIi and address (RFC 7296 2.1: a retransmitted
  // IKE_SA_INIT request).
  IkeSa* find_half_open(uint64_t spi_i, const Endpoint& remote);
  // Must be called wherever an SA's local SPI or role is set: find_sa() does not scan
  // on a miss.
  void index_sa(const IkeSa& sa);
  uint64_t new_ike_spi(Rng& rng);
  uint32_t new_child_spi(Rng& rng, const IkeSa& owner);

private:
  void sweep_indexes();

  // Each entry is a hint checked against the SA on use, so a stale one (the SA is gone
  // or its SPIs moved on in a rekey) is harmless.
  std::unordered_map<uint64_t, SaId> sa_by_local_spi;
  std::unordered_map<uint64_t, SaId> half_open_by_spi_i; // responder SAs by the peer's SPIi
  std::unordered_map<uint32_t, SaId> sa_by_child_spi;    // inbound Child SPIs handed out
  size_t index_sweep_at = 1024; // sweep_indexes() drops stale hints past twice this
};

} // namespace ikekit::ike
