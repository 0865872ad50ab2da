// EAP inside IKE_AUTH, RFC 7296 2.16 (the flow: ike/eap_exchange.hpp).
//
// The responder proves itself with its certificate in the first response, then carries
// the EAP server's packets (its backend: ike/eap_backend.hpp) one IKE_AUTH pair at a
// time; the initiator answers with its eap::Peer, which checks the MS-CHAPv2
// authenticator response (RFC 2759 8.8) before it accepts EAP-Success. After EAP-Success
// both sides send AUTH keyed with the MSK (auth/eap.cpp) and the first Child SA, asked
// for in the first request, is answered in the last response.
//
// Failures: an EAP method failure makes the responder answer EAP-Failure with
// N(AUTHENTICATION_FAILED) (2.21.2) and both sides report step "eap"; a final AUTH that
// does not verify with the MSK is step "auth".
#include "ike_auth_eap.hpp"

#include "crypto/digest.hpp"
#include "eap/outcome.hpp"
#include "ike/eap_exchange.hpp"
#include "ike_auth.hpp"

namespace ikekit::ike::ike_auth_eap {

using wire::ExchangeType;
using wire::NotifyType;
using wire::PayloadType;
using Phase = EapExchange::Phase;

namespace {

constexpr size_t kEapPacketMax = 4096; // one EAP packet (MS-CHAPv2 needs < 100 bytes)

std::string_view explain(eap::FailureReason r) {
  switch (r) {
  case eap::FailureReason::unknown_user:
    return "no password for this identity (the peer was told E=691)";
  case eap::FailureReason::authentication_failure:
    return "wrong password (MS-CHAPv2 E=691)";
  case eap::FailureReason::authenticator_mismatch:
    return "the server's authenticator response did not verify (RFC 2759 8.8)";
  case eap::FailureReason::premature_success:
    return "EAP-Success before the server proved it knows the password";
  case eap::FailureReason::rejected:
    return "the other side refused the method (Nak, Failure or EAP-Failure)";
  case eap::FailureReason::server_failure:
    return "MS-CHAPv2 failure other than E=691";
  case eap::FailureReason::internal:
    return "local crypto or encoding failure";
  case eap::FailureReason::backend_reject:
    return "the RADIUS server rejected the client";
  case eap::FailureReason::backend_timeout:
    return "the RADIUS server did not answer";
  case eap::FailureReason::none:
    break;
  }
  return "failed";
}

// "<method> <reason>: <explanation>[ (<backend detail>)]" for a failure of our server.
std::string eap_failure_reason(const EapExchange& eap) {
  const eap::FailureReason r = eap.server->failure();
  std::string s =
      eap.method + " " + std::string(eap::failure_reason_name(r)) + ": " + std::string(explain(r));
  if (std::string d = eap.server->failure_detail(); !d.empty()) s += " (" + d + ")";
  return s;
}

// RestOfXIDPayload back to an Identity (ID Type | RESERVED(3) | data).
Identity identity_of(const Bytes& id_body) {
  return Identity{wire::IdType(id_body[0]), Bytes(id_body.begin() + 4, id_body.end())};
}

// RFC 7296 2.16: whether `in` carries the AUTH keyed with the MSK over `id_body`, the
// first ID of the initiator (`of_initiator`) or of the responder; compared in constant
// time.
bool msk_auth_matches(EngineContext& cx, const IkeSa& sa, const Inbound& in, bool of_initiator,
                      ByteView id_body) {
  const wire::RawPayload* raw = in.find(PayloadType::auth);
  if (!raw) return false;
  auto auth = wire::parse_auth(raw->body);
  auto expected = cx.msk_auth_data(sa, of_initiator, id_body);
  return auth && expected && auth->method == wire::AuthMethod::shared_key_message_integrity_code &&
         crypto::constant_time_equal(*expected, auth->data);
}

} // namespace

// ---------------------------------------------------------------------- responder

namespace {

// The first request's payloads, copied: its Child SA is answered in the last response.
void keep_first_request(EapExchange& eap, const Inbound& in) {
  eap.first_request_bodies.reserve(in.chain().size());
  for (const auto& p : in.chain()) {
    eap.first_request_bodies.emplace_back(p.body.begin(), p.body.end());
    wire::RawPayload copy = p;
    copy.body = eap.first_request_bodies.back();
    copy.whole = {};
    eap.first_request.push_back(copy);
  }
}

} // namespace

void begin_as_responder(EngineContext& cx, IkeSa& sa, Inbound& in, const wire::IdPayload& idi) {
  const PeerConfig& peer = *sa.peer;
  auto reject = [&](FailureStep step, std::string why) {
    ike_auth::reject_request(cx, sa, in.hdr.message_id,
                             cx.failure(sa, ExchangeType::ike_auth, step, std::move(why)),
                             NotifyType::authentication_failed);
  };
  if (!peer.eap_backend) return reject(FailureStep::config, "no EAP backend configured");
  if (peer.local_auth != AuthMethodKind::pubkey)
    return reject(FailureStep::config,
                  "EAP needs the responder to authenticate with a certificate (RFC 7296 2.16)");
  auto eap = std::make_shared<EapExchange>();
  eap->phase = Phase::running;
  eap->method = std::string(peer.eap_backend->method());
  eap->id_body_i = id_body(idi.type, idi.data);
  eap->id_body_r = id_body(peer.local_id.type, peer.local_id.data);
  eap->initial_contact = in.notify(NotifyType::initial_contact) != nullptr;
  keep_first_request(*eap, in);
  eap->server = peer.eap_backend->open(cx.rng);
  Bytes packet(kEapPacketMax);
  auto n = eap->server->start(packet);
  if (!n) return reject(FailureStep::eap, "EAP server start: " + n.error().message);

  std::vector<Bytes> storage;
  PayloadScratch::Lease scratch = cx.auth_scratch.lease();
  MutBytes inner = scratch.bytes();
  wire::PayloadWriter& w = scratch.writer();
  w.add(PayloadType::idr, wire::IdPayload{peer.local_id.type, peer.local_id.data});
  write_certs(w, peer, sa.hs->peer_certreqs, storage);
  auto auth = cx.make_auth(sa, eap->id_body_r);
  if (!auth) return reject(FailureStep::auth, auth.error().message);
  w.add(PayloadType::auth, wire::AuthPayload{auth->first, auth->second});
  w.add_raw(PayloadType::eap, ByteView(packet).first(*n));
  if (auto sent = cx.answer(sa, ExchangeType::ike_auth, in.hdr.message_id, w, inner); !sent)
    return reject(FailureStep::config, sent.error().message);
  sa.eap = std::move(eap);
}

namespace {

// The EAP server's answer to request `msg_id` is `out`: on to the peer, or the end.
void answer_step(EngineContext& cx, IkeSa& sa, uint32_t msg_id, ByteView out) {
  EapExchange& eap = *sa.eap;
  if (eap.server->status() == eap::Status::failure) {
    Failure f = cx.failure(sa, ExchangeType::ike_auth, FailureStep::eap, eap_failure_reason(eap));
    f.offered.push_back(eap.server->identity());
    return ike_auth::reject_request(cx, sa, msg_id, std::move(f), NotifyType::authentication_failed,
                                    out);
  }
  if (eap.server->status() == eap::Status::success) {
    eap.msk = eap.server->msk();
    eap.phase = Phase::final_auth;
    sa.eap_result = EapResult{eap.method, eap.server->identity()};
  }
  // Each step of the method renews the half-open deadline: the method has a fixed
  // number of steps, so the SA cannot be held longer than that many timeouts, and an
  // EAP run over a lossy path is not cut short by a deadline meant for IKE_SA_INIT.
  sa.half_open_deadline = cx.now + cx.config.half_open_timeout;
  cx.table.touch(sa);
  Bytes inner(out.size() + 64);
  wire::PayloadWriter w(inner);
  w.add_raw(PayloadType::eap, out);
  (void)cx.answer(sa, ExchangeType::ike_auth, msg_id, w, inner);
}

// RFC 3579 2: the packet goes to the EAP server elsewhere; the request `msg_id` is
// answered when it has answered (on_backend_answer). The half-open deadline bounds the
// wait when no answer ever comes.
void park_for_backend(EngineContext& cx, IkeSa& sa, uint32_t msg_id) {
  EapExchange& eap = *sa.eap;
  EapBackendRequest r;
  r.token = cx.next_backend_token++;
  r.sa = sa.id;
  r.peer = sa.peer->name;
  r.local = sa.local.address;
  r.remote = sa.remote.address;
  r.remote_port = sa.remote.port;
  eap.server->fill_request(r);
  eap.backend_token = r.token;
  eap.parked_msg_id = msg_id;
  eap.parked_digest = cx.request_digest;
  sa.half_open_deadline = cx.now + cx.config.half_open_timeout;
  cx.table.touch(sa);
  cx.backend_requests.push_back(std::move(r));
}

} // namespace

// A request while EAP runs (phase running: EAP; final_auth: AUTH keyed with the MSK).
void process_request(EngineContext& cx, IkeSa& sa, Inbound& in) {
  std::shared_ptr<EapExchange> keep = sa.eap; // ike_sa_up releases sa.eap
  EapExchange& eap = *keep;
  const uint32_t msg_id = in.hdr.message_id;
  auto reject = [&](Failure f, ByteView eap_packet = {}) {
    ike_auth::reject_request(cx, sa, msg_id, std::move(f), NotifyType::authentication_failed,
                             eap_packet);
  };

  if (eap.phase == Phase::running) {
    if (eap.backend_token != 0) // RFC 7296 2.1: answered once the backend has
      return cx.drop(DropReason::duplicate, "IKE_AUTH request " + std::to_string(msg_id) +
                                                ": the EAP server has not answered yet");
    const wire::RawPayload* p = in.find(PayloadType::eap);
    if (!p)
      return reject(cx.failure(sa, ExchangeType::ike_auth, FailureStep::eap,
                               "IKE_AUTH request without EAP while " + eap.method + " runs"));
    Bytes packet(kEapPacketMax);
    eap::Step st = eap.server->receive(p->body, packet);
    if (st.dropped)
      return cx.drop(DropReason::malformed,
                     "EAP response: " + std::string(eap::drop_reason_name(*st.dropped)));
    if (eap.server->waiting()) return park_for_backend(cx, sa, msg_id);
    return answer_step(cx, sa, msg_id, ByteView(packet).first(st.written));
  }

  // RFC 7296 2.16: the initiator's AUTH keyed with the MSK, over its first IDi.
  if (!msk_auth_matches(cx, sa, in, true, eap.id_body_i))
    return reject(cx.failure(sa, ExchangeType::ike_auth, FailureStep::auth,
                             "AUTH after " + eap.method + " did not verify with the EAP MSK"));
  sa.remote_id = identity_of(eap.id_body_i);
  if (auto f = cx.check_uniqueness(sa, eap.initial_contact)) return reject(std::move(*f));
  sa.authenticated = true;
  sa.remote_auth_desc = eap.method;

  auto mine = cx.msk_auth_data(sa, false, eap.id_body_r);
  if (!mine)
    return reject(cx.failure(sa, ExchangeType::ike_auth, FailureStep::auth, mine.error().message));
  std::vector<Bytes> storage;
  PayloadScratch::Lease scratch = cx.auth_scratch.lease();
  MutBytes inner = scratch.bytes();
  wire::PayloadWriter& w = scratch.writer();
  w.add(PayloadType::auth,
        wire::AuthPayload{wire::AuthMethod::shared_key_message_integrity_code, *mine});
  Inbound first;
  first.hdr = in.hdr;
  first.dg = in.dg;
  first.inner = eap.first_request;
  first.notifies = parse_notifies(first.inner);
  ike_auth::establish_as_responder(cx, sa, first, msg_id, w, inner, storage);
}

void on_backend_answer(EngineContext& cx, const EapBackendAnswer& a) {
  auto it = cx.table.sas.find(a.sa);
  if (it == cx.table.sas.end()) return; // gone meanwhile (half-open timeout, deleted)
  IkeSa& sa = *it->second;
  if (!sa.eap || sa.eap->backend_token != a.token || sa.state != IkeSaState::half_open) return;
  cx.table.touch(sa);
  sa.eap->backend_token = 0;
  cx.request_digest = sa.eap->parked_digest; // what the parked request's answer answers
  Bytes packet(kEapPacketMax);
  eap::Step st = sa.eap->server->resume(a, packet);
  answer_step(cx, sa, sa.eap->parked_msg_id, ByteView(packet).first(st.written));
}

bool give_up_on_backend(EngineContext& cx, IkeSa& sa) {
  if (!sa.eap || sa.eap->backend_token == 0) return false;
  EapBackendAnswer a;
  a.token = sa.eap->backend_token;
  a.sa = sa.id;
  a.verdict = EapBackendVerdict::timeout;
  a.detail = "no answer within the half-open timeout";
  on_backend_answer(cx, a);
  return true;
}

void refused_by_peer(const IkeSa& sa, Failure& f) {
  const EapExchange& eap = *sa.eap;
  if (!eap.server || eap.server->failure() == eap::FailureReason::none) return;
  f.step = FailureStep::eap;
  f.reason = eap_failure_reason(eap) + "; the client gave up (" + f.reason + ")";
  f.offered.push_back(eap.server->identity());
}

// ---------------------------------------------------------------------- initiator

void begin_as_initiator(EngineContext& cx, IkeSa& sa) {
  const PeerConfig& peer = *sa.peer;
  auto eap = std::make_shared<EapExchange>();
  eap->id_body_i = id_body(peer.local_id.type, peer.local_id.data);
  std::string identity = peer.eap_identity.empty() ? peer.local_id.to_string() : peer.eap_identity;
  eap->peer.emplace(eap::PeerConfig{identity, {}, peer.eap_password}, cx.rng);
  sa.eap_result = EapResult{eap->method, std::move(identity)};
  sa.local_auth_desc = eap->method;
  sa.eap = std::move(eap);
}

namespace {

Failure with_notify(Failure f, NotifyType t) {
  f.notify = t;
  return f;
}

} // namespace

// The responder's certificate and AUTH verified (on_auth_response): EAP begins.
void continue_as_initiator(EngineContext& cx, IkeSa& sa, Inbound& in, const wire::IdPayload& idr) {
  sa.eap->id_body_r = id_body(idr.type, idr.data);
  sa.eap->phase = Phase::running;
  process_response(cx, sa, in);
}

namespace {

Failure eap_failure(EngineContext& cx, const IkeSa& sa, const EapExchange& eap,
                    eap::FailureReason r) {
  return cx.failure(sa, ExchangeType::ike_auth, FailureStep::eap,
                    eap.method + " " + std::string(eap::failure_reason_name(r)) + ": " +
                        std::string(explain(r)));
}

// RFC 7296 2.16: the last response's AUTH is keyed with the MSK; then the IKE SA is up.
void verify_final_auth(EngineContext& cx, IkeSa& sa, Inbound& in) {
  const EapExchange& eap = *sa.eap;
  if (!msk_auth_matches(cx, sa, in, false, eap.id_body_r))
    return ike_auth::refuse_responder(cx, sa,
                                      cx.failure(sa, ExchangeType::ike_auth, FailureStep::auth,
                                                 "the responder's AUTH after " + eap.method +
                                                     " did not verify with the EAP MSK"));
  if (auto f = cx.check_uniqueness(sa, false))
    return ike_auth::refuse_responder(cx, sa, std::move(*f));
  ike_auth::establish_as_initiator(cx, sa, in);
}

// The EAP server's packet `p` goes to our eap::Peer; its answer (or, after EAP-Success,
// AUTH keyed with the MSK) goes in the next IKE_AUTH request.
void answer_eap_request(EngineContext& cx, IkeSa& sa, const wire::RawPayload& p) {
  EapExchange& eap = *sa.eap;
  Bytes packet(kEapPacketMax);
  eap::Step st = eap.peer->receive(p.body, packet);
  if (st.dropped)
    return cx.drop(DropReason::malformed,
                   "EAP request: " + std::string(eap::drop_reason_name(*st.dropped)));
  Bytes inner(st.written + 512);
  wire::PayloadWriter w(inner);
  switch (eap.peer->status()) {
  case eap::Status::failure:
    // An MS-CHAPv2 Failure is answered (the server then ends with EAP-Failure); a server
    // that failed to prove itself is refused at once.
    if (st.written == 0)
      return ike_auth::refuse_responder(cx, sa, eap_failure(cx, sa, eap, eap.peer->failure()));
    eap.local_failure = eap.peer->failure();
    [[fallthrough]];
  case eap::Status::running:
    w.add_raw(PayloadType::eap, ByteView(packet).first(st.written));
    break;
  case eap::Status::success: {
    eap.msk = eap.peer->msk();
    eap.phase = Phase::final_auth;
    auto mine = cx.msk_auth_data(sa, true, eap.id_body_i);
    if (!mine)
      return cx.fail(
          sa, cx.failure(sa, ExchangeType::ike_auth, FailureStep::auth, mine.error().message));
    w.add(PayloadType::auth,
          wire::AuthPayload{wire::AuthMethod::shared_key_message_integrity_code, *mine});
    break;
  }
  }
  sa.out.reset();
  ++sa.msg_id_out;
  auto d = cx.seal(sa, ExchangeType::ike_auth, false, sa.msg_id_out, w, inner);
  if (!d)
    return cx.fail(sa,
                   cx.failure(sa, ExchangeType::ike_auth, FailureStep::config, d.error().message));
  cx.send_request(sa, RequestKind::ike_auth, ExchangeType::ike_auth, std::move(*d));
}

} // namespace

void process_response(EngineContext& cx, IkeSa& sa, Inbound& in) {
  EapExchange& eap = *sa.eap;
  // RFC 7296 1.2, 2.21.1: beside AUTH in the last response an error notify is about the
  // Child SA (INTERNAL_ADDRESS_FAILURE, TS_UNACCEPTABLE, ...): the IKE SA stands, and
  // establish_as_initiator reports the Child SA's failure, as without EAP.
  const bool final_auth = eap.phase == Phase::final_auth && in.find(PayloadType::auth);
  if (const wire::NotifyPayload* e = in.error_notify(); e && !final_auth) {
    Failure f =
        eap.local_failure != eap::FailureReason::none
            ? eap_failure(cx, sa, eap, eap.local_failure)
            : cx.failure(sa, ExchangeType::ike_auth,
                         eap.phase == Phase::final_auth ? FailureStep::auth : FailureStep::eap,
                         "responder answered " + std::string(wire::notify_type_name(e->type)));
    f.from_peer = true;
    return cx.fail(sa, with_notify(std::move(f), e->type));
  }
  if (eap.local_failure != eap::FailureReason::none) { // EAP-Failure alone (strongSwan)
    Failure f = eap_failure(cx, sa, eap, eap.local_failure);
    f.from_peer = true;
    return cx.fail(sa, std::move(f));
  }
  if (eap.phase == Phase::final_auth) return verify_final_auth(cx, sa, in);
  const wire::RawPayload* p = in.find(PayloadType::eap);
  if (!p)
    return ike_auth::refuse_responder(cx, sa,
                                      cx.failure(sa, ExchangeType::ike_auth, FailureStep::eap,
                                                 "the responder sent no EAP payload"));
  answer_eap_request(cx, sa, *p);
}

} // namespace ikekit::ike::ike_auth_eap
