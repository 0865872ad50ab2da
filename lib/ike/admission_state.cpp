// The half-open counts and the COOKIE secret one responder's engines share
// (ike/admission_state.hpp).
#include "ike/admission_state.hpp"

#include "base/secret_bytes.hpp"
#include "crypto/digest.hpp"

#include <array>

namespace ikekit::ike {

namespace {
constexpr size_t kSecretSize = 32;
} // namespace

AdmissionState::AdmissionState(Rng& rng, TimePoint now) : changed_at_(now) {
  current_ = keyed(rng);
}

void AdmissionState::enter_half_open(const IpAddress& from) {
  std::lock_guard<std::mutex> lock(count_mu_);
  ++by_address_[from];
  total_.fetch_add(1, std::memory_order_relaxed);
}

void AdmissionState::leave_half_open(const IpAddress& from) {
  std::lock_guard<std::mutex> lock(count_mu_);
  auto it = by_address_.find(from);
  if (it == by_address_.end()) return; // never entered: nothing to undo
  if (--it->second == 0) by_address_.erase(it);
  total_.fetch_sub(1, std::memory_order_relaxed);
}

size_t AdmissionState::half_open_from(const IpAddress& from) const {
  std::lock_guard<std::mutex> lock(count_mu_);
  auto it = by_address_.find(from);
  return it == by_address_.end() ? 0 : it->second;
}

std::optional<crypto::Prf> AdmissionState::keyed(Rng& rng) {
  static const crypto::TransformInfo* prf =
      crypto::find_keyword(crypto::TransformKind::prf, "prfsha256");
  SecretBytes secret(kSecretSize); // wiped here; the Prf keeps its own keyed copy
  rng.fill(secret.reveal_mut());
  auto p = crypto::Prf::create(*prf, secret.reveal());
  if (!p) return std::nullopt;
  return std::move(*p);
}

bool AdmissionState::hash(crypto::Prf& prf, uint8_t version, ByteView ni, const IpAddress& ipi,
                          uint64_t spi_i, MutBytes out) {
  uint8_t spi[8];
  store_be64(spi, spi_i);
  out[0] = version;
  return bool(prf.compute({ni, ipi.bytes(), ByteView(spi, 8)}, out.subspan(1)));
}

// A secret changes kSecretLifetime after the last change; a whole lifetime without any
// COOKIE traffic makes the previous one stale as well.
void AdmissionState::rotate_if_due(TimePoint now, Rng& rng) {
  TimePoint due = changed_at_ + kSecretLifetime;
  if (now < due) return;
  bool idle = now >= due + kSecretLifetime;
  previous_.reset();
  if (!idle) previous_ = std::move(current_);
  current_ = keyed(rng);
  ++version_;
  changed_at_ = idle ? now : due;
}

size_t AdmissionState::make_cookie(ByteView ni, const IpAddress& ipi, uint64_t spi_i, TimePoint now,
                                   Rng& rng, MutBytes out) {
  if (out.size() < kCookieSize) return 0;
  std::lock_guard<std::mutex> lock(secret_mu_);
  rotate_if_due(now, rng);
  if (!current_ || !hash(*current_, version_, ni, ipi, spi_i, out.first(kCookieSize))) return 0;
  return kCookieSize;
}

bool AdmissionState::cookie_valid(ByteView cookie, ByteView ni, const IpAddress& ipi,
                                  uint64_t spi_i, TimePoint now, Rng& rng) {
  if (cookie.size() != kCookieSize) return false;
  std::array<uint8_t, kCookieSize> expected{};
  {
    std::lock_guard<std::mutex> lock(secret_mu_);
    rotate_if_due(now, rng);
    if (!current_) return false;
    const uint8_t version = cookie[0];
    crypto::Prf* prf = version == version_ ? &*current_ : nullptr;
    if (version == uint8_t(version_ - 1) && previous_ && now < changed_at_ + kGrace)
      prf = &*previous_;
    if (!prf || !hash(*prf, version, ni, ipi, spi_i, expected)) return false;
  }
  return crypto::constant_time_equal(cookie, expected);
}

} // namespace ikekit::ike
