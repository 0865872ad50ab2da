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
// walk over the SAs. Message size and fragment limits are checked where messages arrive
// (engine.cpp, fragments.cpp).
#include "crypto/digest.hpp"
#include "crypto/prf.hpp"
#include "ike/engine_impl.hpp"

namespace ikekit::ike {

using wire::NotifyType;

namespace {
// RFC 7296 2.6 "regenerate <secret> periodically"; an initiator answers a COOKIE within
// a round trip, so the previous secret stays valid briefly after a change.
constexpr Duration kCookieSecretLifetime = std::chrono::minutes(2);
constexpr Duration kCookieGrace = std::chrono::seconds(10);
constexpr size_t kCookieSecretSize = 32;
} // namespace

void Engine::Impl::set_state(IkeSa& sa, IkeSaState s) {
  if (sa.state == s) return;
  if (s == IkeSaState::half_open && !sa.initiator)
    count_half_open(sa);
  else if (sa.half_open_from)
    uncount_half_open(sa);
  sa.state = s;
}

void Engine::Impl::count_half_open(IkeSa& sa) {
  sa.half_open_from = sa.remote.address;
  ++half_open_total;
  ++half_open_by_address[sa.remote.address];
}

void Engine::Impl::uncount_half_open(IkeSa& sa) {
  --half_open_total;
  auto it = half_open_by_address.find(*sa.half_open_from);
  if (it != half_open_by_address.end() && --it->second == 0) half_open_by_address.erase(it);
  sa.half_open_from.reset();
}

bool Engine::Impl::half_open_admits(const IpAddress& from) {
  if (config.half_open_limit_per_ip != 0) {
    auto it = half_open_by_address.find(from);
    if (it != half_open_by_address.end() && it->second >= config.half_open_limit_per_ip) {
      drop(DropReason::half_open_per_ip,
           std::to_string(it->second) + " half-open IKE SAs from " + from.to_string());
      return false;
    }
  }
  if (config.half_open_limit != 0 && half_open_total >= config.half_open_limit) {
    drop(DropReason::half_open_limit, std::to_string(half_open_total) + " half-open IKE SAs");
    return false;
  }
  return true;
}

void Engine::Impl::rotate_cookie_secret_if_due() {
  CookieSecret& c = cookie_secret;
  TimePoint due = c.changed_at + kCookieSecretLifetime;
  if (now < due) return;
  // A whole lifetime without any COOKIE traffic: the previous secret is stale as well.
  bool idle = now >= due + kCookieSecretLifetime;
  c.previous = idle ? Bytes{} : std::move(c.current);
  c.current = random_bytes(kCookieSecretSize);
  ++c.version;
  c.changed_at = idle ? now : due;
}

Bytes Engine::Impl::cookie_for(ByteView ni, const Endpoint& remote, uint64_t spi_i, uint8_t version,
                               const Bytes& secret) {
  // RFC 7296 2.6: Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>)
  static const crypto::TransformInfo* prf =
      crypto::find_keyword(crypto::TransformKind::prf, "prfsha256");
  uint8_t spi[8];
  store_be64(spi, spi_i);
  Bytes c{version};
  auto h = crypto::prf(*prf, secret, {ni, remote.address.bytes(), ByteView(spi, 8)});
  if (h) c.insert(c.end(), h->reveal().begin(), h->reveal().end());
  return c;
}

std::optional<Bytes>
Engine::Impl::cookie_demanded(const Datagram& dg, uint64_t spi_i, ByteView ni,
                              const std::vector<wire::NotifyPayload>& notifies) {
  if (!config.force_cookies && half_open_total < config.cookie_threshold) return std::nullopt;
  rotate_cookie_secret_if_due();
  const CookieSecret& c = cookie_secret;
  const wire::NotifyPayload* got = nullptr;
  for (const auto& n : notifies)
    if (n.type == NotifyType::cookie) got = &n;
  if (got && !got->data.empty()) {
    uint8_t version = got->data[0];
    const Bytes* secret = version == c.version ? &c.current : nullptr;
    if (version == uint8_t(c.version - 1) && !c.previous.empty() &&
        now < c.changed_at + kCookieGrace)
      secret = &c.previous;
    if (secret &&
        crypto::constant_time_equal(got->data, cookie_for(ni, dg.remote, spi_i, version, *secret)))
      return std::nullopt;
  }
  if (got) drop(DropReason::invalid_cookie, "wrong or expired COOKIE");
  return cookie_for(ni, dg.remote, spi_i, c.version, c.current);
}

} // namespace ikekit::ike
