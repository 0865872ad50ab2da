// COOKIE answers before the hand-off to an engine (ike/init_screen.hpp, RFC 7296 2.6).
#include "ike/init_screen.hpp"

#include "wire/message.hpp"
#include "wire/payload.hpp"
#include "wire/payload_nonce.hpp"
#include "wire/payload_notify.hpp"

namespace ikekit::ike {

using wire::NotifyType;
using wire::PayloadType;

namespace {

// RFC 7296 1.2, 3.1: the first message of an IKE SA (or its COOKIE or group retry).
bool is_init_request(const wire::IkeHeader& h) {
  return h.major_version == 2 && h.exchange_type == wire::ExchangeType::ike_sa_init &&
         h.initiator() && !h.response() && h.spi_r == 0 && h.message_id == 0;
}

// Ni and the COOKIE (the last N(COOKIE), as the engine takes it) of the unencrypted chain.
struct InitFields {
  ByteView ni;
  ByteView cookie;
  bool has_cookie = false;
};

std::optional<InitFields> read_init_fields(ByteView message, const wire::IkeHeader& h) {
  if (message.size() != h.length) return std::nullopt;
  wire::PayloadCursor chain(message.subspan(wire::kIkeHeaderSize), h.next_payload,
                            wire::kIkeHeaderSize, wire::ChainOptions{false});
  InitFields f;
  bool nonce = false;
  wire::RawPayload p;
  for (;;) {
    auto more = chain.next(p);
    if (!more) return std::nullopt;
    if (!*more) break;
    if (p.payload_type() == PayloadType::nonce) {
      auto n = wire::parse_nonce(p.body);
      if (!n) return std::nullopt;
      f.ni = n->data;
      nonce = true;
    } else if (p.payload_type() == PayloadType::n) {
      auto n = wire::parse_notify(p.body);
      if (n && n->type == NotifyType::cookie) {
        f.cookie = n->data;
        f.has_cookie = true;
      }
    }
  }
  if (!nonce) return std::nullopt;
  return f;
}

} // namespace

InitScreen::InitScreen(const Config& config, std::shared_ptr<AdmissionState> admission, Rng& rng)
    : cookie_threshold_(config.cookie_threshold), force_cookies_(config.force_cookies),
      admission_(std::move(admission)), rng_(rng) {}

InitScreen::Outcome InitScreen::drop(DropReason r) {
  ++stats_.datagrams_received;
  ++stats_.dropped[size_t(r)];
  return {Verdict::drop, 0};
}

void InitScreen::count_handoff_full() { drop(DropReason::handoff_full); }

InitScreen::Outcome InitScreen::screen(ByteView message, const IpAddress& from, TimePoint now,
                                       MutBytes answer) {
  auto h = wire::parse_header_fields(message);
  if (!h || !is_init_request(*h)) return {};
  if (!force_cookies_ && admission_->half_open_total() < cookie_threshold_) return {};
  auto f = read_init_fields(message, *h);
  if (!f) return drop(DropReason::malformed);
  if (f->has_cookie && admission_->cookie_valid(f->cookie, f->ni, from, h->spi_i, now, rng_))
    return {};
  if (f->has_cookie) ++stats_.dropped[size_t(DropReason::invalid_cookie)];
  uint8_t cookie[AdmissionState::kCookieSize];
  if (answer.size() < kMaxAnswer ||
      admission_->make_cookie(f->ni, from, h->spi_i, now, rng_, cookie) == 0)
    return {}; // cannot answer here: the engine answers it itself
  wire::IkeHeader rh;
  rh.spi_i = h->spi_i;
  rh.exchange_type = wire::ExchangeType::ike_sa_init;
  rh.flags = wire::kFlagResponse;
  wire::MessageWriter w(answer, rh);
  w.add(PayloadType::n,
        wire::NotifyPayload{
            wire::ProtocolId(0), {}, NotifyType::cookie, ByteView(cookie, sizeof cookie)});
  auto n = w.finish();
  if (!n) return {};
  ++stats_.datagrams_received;
  ++stats_.datagrams_sent;
  ++stats_.cookies_sent;
  return {Verdict::answer, *n};
}

} // namespace ikekit::ike
