// What a peer that has not authenticated can make a responder hold: the COOKIE exchange
// (RFC 7296 2.6) and strongSwan's limits on half-open IKE SAs (its init_limit_half_open
// and block_threshold), applied to an IKE_SA_INIT request before any state is kept:
//
//   IKE_SA_INIT request
//     -> COOKIE required (cookie_threshold half-open, or force_cookies) and missing or
//        wrong: answer N(COOKIE), keep nothing
//     -> half-open SAs from this address >= half_open_limit_per_ip: drop
//     -> half-open SAs in total >= half_open_limit: drop
//     -> a new half-open SA
//
// The COOKIE check comes first, so spoofed source addresses never reach the limits.
// Half-open SAs are counted when they enter and leave the state (set_state), never by a
// walk over the SAs, in the AdmissionState (ike/admission_state.hpp) that all engines of
// a multi-core responder share: the limits hold for the responder, not per engine.
// Message size and fragment limits are checked where messages arrive (receive.cpp,
// fragments.cpp).
#include "ike/engine_impl.hpp"

namespace ikekit::ike {

using wire::NotifyType;

void Engine::Impl::count_half_open(IkeSa& sa) {
  sa.half_open_from = sa.remote.address;
  admission->enter_half_open(sa.remote.address);
}

void Engine::Impl::uncount_half_open(IkeSa& sa) {
  admission->leave_half_open(*sa.half_open_from);
  sa.half_open_from.reset();
}

bool Engine::Impl::half_open_admits(const IpAddress& from) {
  if (config.half_open_limit_per_ip != 0) {
    size_t n = admission->half_open_from(from);
    if (n >= config.half_open_limit_per_ip) {
      drop(DropReason::half_open_per_ip,
           std::to_string(n) + " half-open IKE SAs from " + from.to_string());
      return false;
    }
  }
  size_t total = admission->half_open_total();
  if (config.half_open_limit != 0 && total >= config.half_open_limit) {
    drop(DropReason::half_open_limit, std::to_string(total) + " half-open IKE SAs");
    return false;
  }
  return true;
}

std::optional<Bytes>
Engine::Impl::cookie_demanded(const Datagram& dg, uint64_t spi_i, ByteView ni,
                              const std::vector<wire::NotifyPayload>& notifies) {
  if (!config.force_cookies && admission->half_open_total() < config.cookie_threshold)
    return std::nullopt;
  const wire::NotifyPayload* got = nullptr;
  for (const auto& n : notifies)
    if (n.type == NotifyType::cookie) got = &n;
  if (got && admission->cookie_valid(got->data, ni, dg.remote.address, spi_i, now, rng))
    return std::nullopt;
  if (got) drop(DropReason::invalid_cookie, "wrong or expired COOKIE");
  Bytes c(AdmissionState::kCookieSize);
  c.resize(admission->make_cookie(ni, dg.remote.address, spi_i, now, rng, c));
  return c;
}

} // namespace ikekit::ike
