// What the engines of one responder share about peers that have not authenticated yet
// (ike/admission.cpp): the half-open IKE SAs, in total and per source address, and the
// COOKIE secret (RFC 7296 2.6). An engine alone keeps its own. The engines of a
// multi-core responder (io::IkeRunner threads) share one (Config::admission) with the
// socket thread's InitScreen (ike/init_screen.hpp), so the COOKIE threshold and the
// half-open limits hold for the responder as a whole, not per engine, and a COOKIE
// handed out by any of them is valid at all of them. Thread-safe: the total is an
// atomic (read per request), the per-address counts and the secret are behind mutexes
// (taken when a half-open SA starts or ends, and per COOKIE made or checked).
#pragma once

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/rng.hpp"
#include "base/time.hpp"
#include "crypto/prf.hpp"

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>

namespace ikekit::ike {

class AdmissionState {
public:
  // <VersionIDofSecret> (one octet) | HMAC-SHA256 (32 octets).
  static constexpr size_t kCookieSize = 33;
  // RFC 7296 2.6 "regenerate <secret> periodically"; an initiator answers a COOKIE within
  // a round trip, so the previous secret stays valid briefly after a change.
  static constexpr Duration kSecretLifetime = std::chrono::minutes(2);
  static constexpr Duration kGrace = std::chrono::seconds(10);

  // The first secret is drawn from `rng` now.
  AdmissionState(Rng& rng, TimePoint now);
  AdmissionState(const AdmissionState&) = delete;
  AdmissionState& operator=(const AdmissionState&) = delete;

  // Responder IKE SAs between IKE_SA_INIT and IKE_AUTH (Engine::Impl::set_state).
  void enter_half_open(const IpAddress& from);
  void leave_half_open(const IpAddress& from);
  size_t half_open_total() const { return total_.load(std::memory_order_relaxed); }
  size_t half_open_from(const IpAddress& from) const;

  // RFC 7296 2.6: Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>), written
  // to out[0 .. kCookieSize) with the current secret, which is renewed first when due
  // (from `rng`: each caller hands its own). Returns kCookieSize, or 0 if the PRF failed.
  size_t make_cookie(ByteView ni, const IpAddress& ipi, uint64_t spi_i, TimePoint now, Rng& rng,
                     MutBytes out);
  // Whether `cookie` is make_cookie's for these values with the current secret, or with
  // the previous one within kGrace of the change.
  bool cookie_valid(ByteView cookie, ByteView ni, const IpAddress& ipi, uint64_t spi_i,
                    TimePoint now, Rng& rng);

private:
  void rotate_if_due(TimePoint now, Rng& rng); // with secret_mu_ held
  static std::optional<crypto::Prf> keyed(Rng& rng);
  static bool hash(crypto::Prf& prf, uint8_t version, ByteView ni, const IpAddress& ipi,
                   uint64_t spi_i, MutBytes out);

  std::atomic<size_t> total_{0};
  mutable std::mutex count_mu_;
  std::map<IpAddress, size_t> by_address_;

  std::mutex secret_mu_;
  std::optional<crypto::Prf> current_, previous_; // keyed with the secrets, never printed
  uint8_t version_ = 0;
  TimePoint changed_at_{};
};

} // namespace ikekit::ike
