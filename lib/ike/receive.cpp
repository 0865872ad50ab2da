// The receive path: parse the header, find the IKE SA by our SPI (RFC 7296 2.6: "the
// recipient's SPI" identifies the SA), check the message ID window (RFC 7296 2.3), open
// SK/SKF, check the payload rules, then hand the message to the SA's state machine
// (sa_state.cpp).
#include "exchange/ike_sa_init.hpp"
#include "exchange/mobike.hpp"
#include "ike/engine_impl.hpp"
#include "wire/rules.hpp"

namespace ikekit::ike {

using wire::ExchangeType;
using wire::PayloadType;

std::vector<wire::NotifyPayload> parse_notifies(const std::vector<wire::RawPayload>& chain) {
  std::vector<wire::NotifyPayload> v;
  for (const auto& p : chain)
    if (p.type == uint8_t(PayloadType::n))
      if (auto n = wire::parse_notify(p.body)) v.push_back(*n);
  return v;
}

namespace {

// An IKE_SA_INIT request is for no SA of ours yet (RFC 7296 1.2); a retransmission of one
// we answered gets the same response (2.1).
void receive_init_request(EngineContext& cx, const Datagram& in, const wire::Message& msg) {
  const wire::IkeHeader& h = msg.header;
  if (!h.initiator() || h.message_id != 0)
    return cx.drop(DropReason::bad_flags, "IKE_SA_INIT request");
  if (h.spi_r != 0) {
    if (cx.table.find_sa(h.spi_r))
      return cx.drop(DropReason::duplicate, "IKE_SA_INIT request for an SA we have");
    return cx.drop(DropReason::unknown_sa, "IKE_SA_INIT request with a responder SPI");
  }
  if (IkeSa* gone = cx.table.find_half_open(h.spi_i, in.remote);
      gone && gone->state == IkeSaState::dead)
    cx.table.sas.erase(gone->id); // e.g. a half-open SA that timed out: start afresh
  if (IkeSa* sa = cx.table.find_half_open(h.spi_i, in.remote)) {
    // RFC 7296 2.1: a retransmitted request is answered with the same response; so is
    // its COOKIE retry (2.6) when the response was lost and a COOKIE was asked for since.
    if (sa->have_last_response && sa->msg_id_in == 1) {
      (void)ike_sa_init::adopt_cookie_retry(cx, *sa, in, msg);
      return cx.answer_retransmission(*sa, in.data);
    }
    return cx.drop(DropReason::duplicate, "IKE_SA_INIT request");
  }
  ike_sa_init::process_request(cx, in, msg);
}

// The IKE SA of any other message: found by our SPI (RFC 7296 2.6); the peer's SPI and
// the Initiator flag must fit it, and it must come over the SA's transport. Null when
// dropped.
IkeSa* find_sa(EngineContext& cx, const Datagram& in, const wire::IkeHeader& h) {
  const bool from_initiator = h.initiator();
  IkeSa* sa = cx.table.find_sa(from_initiator ? h.spi_r : h.spi_i);
  if (!sa) return cx.drop(DropReason::unknown_sa, "no IKE SA for the SPIs"), nullptr;
  if (sa->initiator == from_initiator)
    return cx.drop(DropReason::bad_flags, "Initiator flag"), nullptr;
  uint64_t their_spi = from_initiator ? h.spi_i : h.spi_r;
  uint64_t known = sa->initiator ? sa->spi_r : sa->spi_i;
  if (known != 0 && known != their_spi)
    return cx.drop(DropReason::unknown_sa, "peer SPI mismatch"), nullptr;
  // e.g. the UDP answer to an IKE_SA_INIT that has gone over to TCP since (auto)
  if (in.stream != sa->stream)
    return cx.drop(DropReason::wrong_transport,
                   in.stream ? "TCP for a UDP IKE SA" : "UDP for a TCP IKE SA"),
           nullptr;
  return sa;
}

// An encrypted message (RFC 7296 3.14, fragments RFC 7383): the message-ID window
// (2.3), then SK/SKF opened, then the payload rules and critical payloads (2.5). True
// when `ib` holds the decrypted message for the state machine.
bool open_encrypted(EngineContext& cx, IkeSa& sa, const Datagram& in, const wire::Message& msg,
                    Inbound& ib) {
  const wire::IkeHeader& h = msg.header;
  const wire::RawPayload* enc = msg.encrypted();
  if (!enc) return cx.drop(DropReason::payload_rules, "no SK payload"), false;
  bool first_fragment = true;
  if (enc->type == uint8_t(PayloadType::skf)) {
    auto skf = wire::parse_skf(*enc);
    if (!skf) return cx.drop(DropReason::fragment, skf.error().field), false;
    first_fragment = skf->fragment_number == 1;
  }
  // The message ID window first: a dead SA (no keys left) still answers a retransmission.
  if (h.response()) {
    if (!cx.accept_response(sa, h)) return false;
  } else {
    if (!cx.accept_request(sa, h, first_fragment, in.data)) return false;
    if (sa.state == IkeSaState::dead)
      return cx.drop(DropReason::unknown_sa, "IKE SA is gone"), false;
  }
  if (!sa.crypt_in)
    return cx.drop(DropReason::unexpected_exchange, "encrypted exchange before keys"), false;
  if (cx.open(sa, ib, cx.rx, msg) != EngineContext::Opened::ok) return false;
  ib.notifies = parse_notifies(ib.inner);

  auto outer_types = wire::payload_types(ib.outer);
  auto inner_types = wire::payload_types(ib.inner);
  if (auto ok = wire::check_payload_rules(h.exchange_type, h.response(), outer_types, inner_types);
      !ok)
    return cx.drop(DropReason::payload_rules, ok.error().field + ": " + ok.error().message), false;
  if (auto crit = wire::first_unsupported_critical(ib.inner)) {
    cx.drop(DropReason::unsupported_critical, "payload type " + std::to_string(*crit));
    if (!h.response()) { // RFC 7296 3.10.1: the data is the one-octet payload type
      uint8_t type = *crit;
      cx.send_error_notify_response(sa, h, wire::NotifyType::unsupported_critical_payload,
                                    ByteView(&type, 1));
    }
    return false;
  }
  return true;
}

} // namespace

void Engine::Impl::receive(const Datagram& in) {
  ++stats.datagrams_received;
  request_digest = {};
  if (take_keepalive(in)) return;
  if (config.max_message_size != 0 && in.data.size() > config.max_message_size)
    return drop(DropReason::too_large, std::to_string(in.data.size()) + " bytes");
  rx.assign(in.data.begin(), in.data.end());
  auto msg = wire::parse_message(rx, wire::ChainOptions{false});
  if (!msg) return drop(DropReason::malformed, msg.error().field + ": " + msg.error().message);
  const wire::IkeHeader& h = msg->header;
  if (h.exchange_type == ExchangeType::ike_sa_init && !h.response())
    return receive_init_request(*this, in, *msg);

  IkeSa* sa = find_sa(*this, in, h);
  if (!sa) return;
  table.touch(*sa); // its deadlines may move (SaTable::flush_timers())

  Inbound ib;
  ib.hdr = h;
  ib.dg = &in;
  ib.message = msg->bytes;
  ib.outer = msg->payloads;

  // An IKE_SA_INIT response is in the clear: nothing to open, and its message ID is
  // checked once the SA's state has let it in (ike_sa_init::process_response).
  if (h.exchange_type == ExchangeType::ike_sa_init) return dispatch(*sa, ib);
  if (!open_encrypted(*this, *sa, in, *msg, ib)) return;

  sa->last_received = now;
  // Only now: the message is authenticated and in the window. A MOBIKE address update
  // moves the SA itself (exchange/mobike.cpp; over TCP too, RFC 9329 7.1: it came on the
  // originator's new connection); otherwise a stream SA follows its connection.
  if (!mobike::is_address_update(*sa, ib)) {
    if (sa->stream)
      follow_stream(*sa, in);
    else
      follow_peer(*sa, in);
  }
  if (sa->peer && sa->peer->dpd_delay.count() > 0) sa->dpd_at = now + sa->peer->dpd_delay;
  dispatch(*sa, ib);
}

} // namespace ikekit::ike
