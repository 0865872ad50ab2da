// Message IDs, retransmission and the response cache, RFC 7296 2.1 and 2.3.
//
//   "a request MUST be retransmitted ... until a response is received or the IKE SA is
//    deemed to have failed"; "retransmissions of the request ... MUST be answered with
//    the same response" (the cached one) - "the responder MUST remember each response
//    until it receives a request whose sequence number is larger than or equal to the
//    sequence number in the response plus its window size" (window size 1 here).
//
// Back-off: timeout * factor^n for the n-th retransmission; after `tries` retransmissions
// the exchange (and the IKE SA) fails with the count as evidence.
//
// A retransmitted request is recognised by its bytes (a SHA-256 of the datagram, of
// fragment 1 when fragmented), not by its message ID alone, and answered at a bounded
// rate per IKE SA; everything else is dropped and counted (retransmit_mismatch,
// retransmit_rate).
#include "crypto/digest.hpp"
#include "exchange/ike_sa_init.hpp"
#include "ike/engine_impl.hpp"

#include <cmath>

namespace ikekit::ike {

namespace {
constexpr uint32_t kAnswerBurst = 3;
constexpr Duration kAnswerInterval = std::chrono::seconds(1);

// The answer budget refills by one token per kAnswerInterval up to kAnswerBurst: a
// peer retransmitting on RFC 7296 2.1 back-off (seconds apart), plus duplicates on the
// way, is always answered; replayed copies of its request are not multiplied.
bool take_answer_token(AnsweredRequest& a, TimePoint now) {
  if (now > a.refilled_at) {
    int64_t refill = (now - a.refilled_at) / kAnswerInterval;
    if (a.tokens + refill >= int64_t(kAnswerBurst)) {
      a.tokens = kAnswerBurst;
      a.refilled_at = now;
    } else {
      a.tokens += uint32_t(refill);
      a.refilled_at += refill * kAnswerInterval;
    }
  }
  if (a.tokens == 0) return false;
  --a.tokens;
  return true;
}

} // namespace

void Engine::Impl::transmit(IkeSa& sa, const Bytes& dgram) {
  OutDatagram d{sa.local, sa.remote, sa.nat_t, dgram};
  d.sa = sa.id;
  d.stream = sa.stream;
  d.tcp_originator = sa.tcp_originator;
  d.connection = sa.connection;
  tx.push_back(std::move(d));
  sa.last_sent = now;
}

void Engine::Impl::transmit_response(IkeSa& sa, const Bytes& dgram) {
  if (!reply_to) return transmit(sa, dgram);
  OutDatagram d{reply_to->local, reply_to->remote, reply_to->nat_t, dgram};
  d.sa = sa.id;
  d.stream = reply_to->stream; // RFC 9329: on the connection the request came on
  d.tcp_originator = sa.tcp_originator;
  d.connection = sa.connection;
  tx.push_back(std::move(d));
  sa.last_sent = now;
}

void Engine::Impl::send_request(IkeSa& sa, RequestKind kind, wire::ExchangeType ex,
                                std::vector<Bytes> dgrams, uint32_t child_spi) {
  OutRequest r;
  r.kind = kind;
  r.exchange = ex;
  r.message_id = sa.msg_id_out;
  r.datagrams = std::move(dgrams);
  r.child_spi = child_spi;
  r.deadline = request_deadline(sa);
  for (auto& d : r.datagrams)
    transmit(sa, d);
  sa.out = std::move(r);
}

void Engine::Impl::send_response(IkeSa& sa, std::vector<Bytes> dgrams) {
  for (auto& d : dgrams)
    transmit_response(sa, d);
  sa.last_response = std::move(dgrams);
  sa.have_last_response = true;
  sa.answered = AnsweredRequest{request_digest, kAnswerBurst, now};
  ++sa.msg_id_in;
}

Result<void> Engine::Impl::answer(IkeSa& sa, wire::ExchangeType ex, uint32_t msg_id,
                                  wire::PayloadWriter& w, ByteView inner) {
  auto d = seal(sa, ex, true, msg_id, w, inner);
  if (!d) return d.error();
  send_response(sa, std::move(*d));
  return {};
}

void Engine::Impl::retransmit_due(IkeSa& sa) {
  if (fall_back_to_tcp(sa)) return;
  OutRequest& r = *sa.out;
  if (sa.stream || r.retransmits >= config.retransmit_tries) { // RFC 9329 6.2: once over TCP
    Failure f = failure(sa, r.exchange, FailureStep::retransmit,
                        sa.stream ? stream_timeout_reason()
                                  : "no response after " + std::to_string(r.retransmits) +
                                        " retransmissions");
    f.retransmits = r.retransmits;
    bool dpd = r.kind == RequestKind::dpd;
    bool restart = dpd && sa.initiator && sa.peer && sa.peer->dpd_action == DpdAction::restart;
    auto peer = sa.peer;
    if (!sa.silent) { // an old, rekeyed IKE SA whose Delete went unanswered: no news
      ++stats.failures;
      emit(std::move(f));
    }
    remove_sa(sa, dpd ? DownReason::dpd : DownReason::retransmit);
    if (restart) (void)ike_sa_init::start(*this, peer);
    return;
  }
  ++r.retransmits;
  ++stats.retransmissions;
  double factor = std::pow(config.retransmit_factor, double(r.retransmits));
  r.deadline = now + std::chrono::duration_cast<Duration>(config.retransmit_timeout * factor);
  for (auto& d : r.datagrams)
    transmit(sa, d);
}

Duration Engine::Impl::retransmit_span() const {
  double total = 0;
  for (uint32_t k = 0; k <= config.retransmit_tries; ++k)
    total += std::pow(config.retransmit_factor, double(k));
  return std::chrono::duration_cast<Duration>(config.retransmit_timeout * total);
}

void Engine::Impl::request_done(IkeSa& sa) {
  sa.out.reset();
  ++sa.msg_id_out;
  run_tasks(sa);
}

bool Engine::Impl::accept_request(IkeSa& sa, const wire::IkeHeader& h, bool first_fragment,
                                  ByteView datagram) {
  if (h.message_id == sa.msg_id_in) return true;
  if (sa.have_last_response && h.message_id + 1 == sa.msg_id_in) {
    // RFC 7383 2.6.2: answer a fragmented retransmission only on its first fragment.
    if (first_fragment)
      answer_retransmission(sa, datagram);
    else
      drop(DropReason::duplicate, "retransmitted fragment");
    return false;
  }
  drop(DropReason::out_of_window, "request message ID " + std::to_string(h.message_id) +
                                      ", expected " + std::to_string(sa.msg_id_in));
  return false;
}

void Engine::Impl::answer_retransmission(IkeSa& sa, ByteView datagram) {
  // Only the same bytes are the same request (strongSwan compares a hash too): anything
  // else with that message ID is forged or broken, and answering it needs no keys.
  if (crypto::sha256(datagram) != sa.answered.digest)
    return drop(DropReason::retransmit_mismatch,
                "message ID " + std::to_string(sa.msg_id_in - 1) + ": not the request answered");
  if (!take_answer_token(sa.answered, now))
    return drop(DropReason::retransmit_rate,
                "message ID " + std::to_string(sa.msg_id_in - 1) + ": answered enough");
  ++stats.retransmits_answered;
  for (auto& d : sa.last_response)
    transmit_response(sa, d);
}

bool Engine::Impl::accept_response(IkeSa& sa, const wire::IkeHeader& h) {
  if (sa.out && h.message_id == sa.out->message_id && h.exchange_type == sa.out->exchange)
    return true;
  if (h.message_id < sa.msg_id_out || (sa.out && h.message_id == sa.out->message_id))
    drop(DropReason::duplicate, "response message ID " + std::to_string(h.message_id));
  else
    drop(DropReason::out_of_window, "response message ID " + std::to_string(h.message_id));
  return false;
}

// RFC 7296 2.21: the response that is one error Notify, in any exchange.
void Engine::Impl::send_error_notify_response(IkeSa& sa, const wire::IkeHeader& h,
                                              wire::NotifyType type, ByteView data,
                                              wire::ProtocolId proto, ByteView spi) {
  Bytes inner(64 + data.size() + spi.size());
  wire::PayloadWriter w(inner);
  add_notify(w, type, data, proto, spi);
  (void)answer(sa, h.exchange_type, h.message_id, w, inner);
}

// RFC 7296 1.3: INVALID_KE_PAYLOAD names the group the responder wants (two octets).
void Engine::Impl::send_invalid_ke_response(IkeSa& sa, const wire::IkeHeader& h,
                                            const crypto::TransformInfo& group) {
  uint8_t g[2];
  store_be16(g, group.id);
  send_error_notify_response(sa, h, wire::NotifyType::invalid_ke_payload, ByteView(g, 2));
}

} // namespace ikekit::ike
