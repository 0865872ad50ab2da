// IKE_AUTH, RFC 7296 1.2 and 2.15-2.16 (EAP: exchange/ike_auth_eap.cpp).
//
//   Initiator                         Responder
//   -------------------------------------------------------------------
//   HDR, SK {IDi, [CERT,] [N(INITIAL_CONTACT),] [CERTREQ,] [IDr,]
//            AUTH, [N(USE_TRANSPORT_MODE),] SAi2, TSi, TSr}  -->
//                                <--  HDR, SK {IDr, [CERT,] AUTH,
//                                              [N(USE_TRANSPORT_MODE),] SAr2, TSi, TSr}
//
// A failed AUTH: the responder answers HDR, SK {N(AUTHENTICATION_FAILED)} (2.21.2) and
// both sides report a Failure. A failed Child SA (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE)
// leaves the IKE SA up (1.2: "the IKE SA is still created").
#include "ike_auth.hpp"

#include "config_payload.hpp"
#include "ike/eap_exchange.hpp"
#include "ike/ts.hpp"
#include "ike_auth_eap.hpp"
#include "mobike.hpp"

#include <algorithm>

namespace ikekit::ike {

using wire::ExchangeType;
using wire::NotifyType;
using wire::PayloadType;

Bytes id_body(wire::IdType type, ByteView data) {
  Bytes b(4 + data.size(), 0);
  b[0] = uint8_t(type);
  std::copy(data.begin(), data.end(), b.begin() + 4);
  return b;
}

namespace {

bool id_matches(const std::optional<Identity>& want, const wire::IdPayload& got) {
  return !want || (want->type == got.type && equal_bytes(want->data, got.data));
}

bool requested(const std::vector<Bytes>& certreqs, const crypto::Certificate& c) {
  Bytes h = c.spki_sha1();
  for (const auto& r : certreqs)
    if (equal_bytes(r, h)) return true;
  return false;
}

} // namespace

// CERT payloads (RFC 7296 3.6) honouring the peer's CERTREQ (3.7): the end entity, then
// our chain upwards, stopping before the first certificate the peer named as a CA it
// trusts (it has that one and needs nothing above it). No CERTREQ: the whole chain.
void write_certs(wire::PayloadWriter& w, const PeerConfig& peer, const std::vector<Bytes>& certreqs,
                 std::vector<Bytes>& storage) {
  if (peer.local_auth != AuthMethodKind::pubkey) return;
  for (size_t i = 0; i < peer.local_certs.size(); ++i) {
    const crypto::Certificate& c = peer.local_certs[i];
    if (i > 0 && requested(certreqs, c)) break;
    storage.push_back(c.der());
    w.add(PayloadType::cert, wire::CertPayload{wire::CertEncoding::x509_signature, storage.back()});
  }
}

} // namespace ikekit::ike

namespace ikekit::ike::ike_auth {

using wire::ExchangeType;
using wire::NotifyType;
using wire::PayloadType;

namespace {

// CERTREQ payloads in an IKE_AUTH request (the initiator's, RFC 7296 1.2 message 3).
void read_certreqs(IkeSa& sa, std::span<const wire::RawPayload> chain) {
  for (const auto& p : chain)
    if (p.type == uint8_t(PayloadType::certreq))
      if (auto cr = wire::parse_certreq(p.body))
        for (size_t i = 0; i < cr->hash_count(); ++i)
          sa.hs->peer_certreqs.emplace_back(cr->hash(i).begin(), cr->hash(i).end());
}

} // namespace

void start(EngineContext& cx, IkeSa& sa) {
  const PeerConfig& peer = *sa.peer;
  std::vector<Bytes> storage;
  storage.reserve(64);
  PayloadScratch::Lease scratch = cx.auth_scratch.lease();
  MutBytes inner = scratch.bytes();
  wire::PayloadWriter& w = scratch.writer();
  w.add(PayloadType::idi, wire::IdPayload{peer.local_id.type, peer.local_id.data});
  write_certs(w, peer, sa.hs->peer_certreqs, storage);
  if (peer.send_initial_contact) add_notify(w, NotifyType::initial_contact);
  mobike::offer(sa, w); // exchange/mobike.cpp
  if (peer.remote_auth == AuthMethodKind::pubkey && peer.cas && peer.send_certreq) {
    storage.push_back(peer.cas->certreq_authorities());
    w.add(PayloadType::certreq,
          wire::CertReqPayload{wire::CertEncoding::x509_signature, storage.back()});
  }
  if (peer.remote_id)
    w.add(PayloadType::idr, wire::IdPayload{peer.remote_id->type, peer.remote_id->data});
  if (peer.local_auth == AuthMethodKind::eap_mschapv2) {
    ike_auth_eap::begin_as_initiator(cx, sa); // RFC 7296 2.16: no AUTH asks for EAP
  } else {
    auto auth = cx.make_auth(sa, id_body(peer.local_id.type, peer.local_id.data));
    if (!auth)
      return cx.fail(sa, cx.failure(sa, wire::ExchangeType::ike_auth, FailureStep::auth,
                                    auth.error().message));
    w.add(PayloadType::auth, wire::AuthPayload{auth->first, auth->second});
    if (peer.local_auth == AuthMethodKind::psk) sa.local_auth_desc = "psk";
  }
  config_payload::write_cfg_request(sa, w, storage); // config_payload.cpp
  if (!peer.child.esp_proposals.empty()) {
    sa.first_child_spi = cx.new_child_spi(sa);
    sa.hs->first_ts_i = config_payload::initiator_local_ts(cx, sa);
    sa.hs->first_ts_r = cx.default_ts(peer.child.remote_ts, sa.remote.address);
    cx.write_child_request(w, peer.child, sa.first_child_spi, sa.hs->first_ts_i, sa.hs->first_ts_r,
                           nullptr, {}, storage);
  }
  auto d = cx.seal(sa, ExchangeType::ike_auth, false, sa.msg_id_out, w, inner);
  if (!d)
    return cx.fail(
        sa, cx.failure(sa, wire::ExchangeType::ike_auth, FailureStep::config, d.error().message));
  cx.send_request(sa, RequestKind::ike_auth, ExchangeType::ike_auth, std::move(*d));
}

namespace {

// The connection picked by address at IKE_SA_INIT may not be the one IDi (and IDr) name:
// re-pick with the same address rule, the peer's identity and ours, and only among the
// connections whose IKE proposals allow the algorithms the IKE SA already uses (as
// strongSwan; otherwise a connection configured only for strong algorithms would come up
// with whatever another connection negotiated).
std::optional<Failure> switch_connection_by_id(EngineContext& cx, IkeSa& sa,
                                               const wire::IdPayload& idi,
                                               const std::optional<wire::IdPayload>& idr) {
  auto names_us = [&](const PeerConfig& p) {
    return !idr || (idr->type == p.local_id.type && equal_bytes(idr->data, p.local_id.data));
  };
  if (id_matches(sa.peer->remote_id, idi) && names_us(*sa.peer)) return std::nullopt;
  std::shared_ptr<const PeerConfig> unfit; // right identities, wrong algorithms
  for (auto& p : cx.peers) {
    if (p->remote_address && !(*p->remote_address == sa.remote.address)) continue;
    if (!id_matches(p->remote_id, idi) || !names_us(*p)) continue;
    if (proposals_allow(p->ike_proposals, sa.alg, wire::ProtocolId::ike)) {
      sa.peer = p;
      return std::nullopt;
    }
    if (!unfit) unfit = p;
  }
  if (id_matches(sa.peer->remote_id, idi)) return std::nullopt; // IDr is only a hint
  if (unfit) {
    Failure f =
        cx.failure(sa, wire::ExchangeType::ike_auth, FailureStep::proposal,
                   "the IKE SA's algorithms are not allowed by connection \"" + unfit->name +
                       "\", which peer identity " + wire::id_to_text(idi) + " selects");
    f.peer = unfit->name;
    f.offered.push_back(sa.alg.to_string());
    f.configured = proposal_strings(unfit->ike_proposals);
    return f;
  }
  Failure f = cx.failure(sa, wire::ExchangeType::ike_auth, FailureStep::id,
                         "peer identity " + wire::id_to_text(idi) + " is not configured");
  if (sa.peer->remote_id) f.configured.push_back(sa.peer->remote_id->to_string());
  f.offered.push_back(wire::id_to_text(idi));
  return f;
}

} // namespace

void reject_request(EngineContext& cx, IkeSa& sa, uint32_t msg_id, Failure f, NotifyType t,
                    ByteView eap) {
  Bytes inner(256 + eap.size());
  wire::PayloadWriter w(inner);
  if (!eap.empty()) w.add_raw(PayloadType::eap, eap);
  add_notify(w, t);
  (void)cx.answer(sa, ExchangeType::ike_auth, msg_id, w, inner);
  f.notify = t;
  cx.fail(sa, std::move(f));
}

// Only in state half_open (sa_state.cpp).
void process_request(EngineContext& cx, IkeSa& sa, Inbound& in) {
  if (sa.eap) return ike_auth_eap::process_request(cx, sa, in);
  const wire::RawPayload* idi_raw = in.find(PayloadType::idi);
  if (!idi_raw) return cx.drop(DropReason::payload_rules, "IKE_AUTH request without IDi");
  auto idi = wire::parse_id(idi_raw->body);
  if (!idi) return cx.drop(DropReason::malformed, idi.error().field);
  std::optional<wire::IdPayload> idr;
  if (const auto* r = in.find(PayloadType::idr))
    if (auto p = wire::parse_id(r->body)) idr = *p;

  auto reject = [&](Failure f, NotifyType t) {
    reject_request(cx, sa, in.hdr.message_id, std::move(f), t);
  };

  if (auto f = switch_connection_by_id(cx, sa, *idi, idr))
    return reject(std::move(*f), NotifyType::authentication_failed);

  read_certreqs(sa, in.chain());
  // RFC 7296 2.16: an initiator that leaves AUTH out asks for EAP.
  if (!in.find(PayloadType::auth) && sa.peer->remote_auth == AuthMethodKind::eap_mschapv2)
    return ike_auth_eap::begin_as_responder(cx, sa, in, *idi);
  Bytes peer_id_body = id_body(idi->type, idi->data);
  if (auto f = cx.verify_auth(sa, in, *idi, peer_id_body, wire::ExchangeType::ike_auth))
    return reject(std::move(*f), NotifyType::authentication_failed);
  sa.remote_id = Identity{idi->type, Bytes(idi->data.begin(), idi->data.end())};
  if (auto f = cx.check_uniqueness(sa, in.notify(NotifyType::initial_contact) != nullptr))
    return reject(std::move(*f), NotifyType::authentication_failed);
  sa.authenticated = true;

  const PeerConfig& peer = *sa.peer;
  std::vector<Bytes> storage;
  storage.reserve(64);
  PayloadScratch::Lease scratch = cx.auth_scratch.lease();
  MutBytes inner = scratch.bytes();
  wire::PayloadWriter& w = scratch.writer();
  w.add(PayloadType::idr, wire::IdPayload{peer.local_id.type, peer.local_id.data});
  write_certs(w, peer, sa.hs->peer_certreqs, storage);
  auto auth = cx.make_auth(sa, id_body(peer.local_id.type, peer.local_id.data));
  if (!auth)
    return reject(
        cx.failure(sa, wire::ExchangeType::ike_auth, FailureStep::auth, auth.error().message),
        NotifyType::authentication_failed);
  if (peer.local_auth == AuthMethodKind::psk) sa.local_auth_desc = "psk";
  w.add(PayloadType::auth, wire::AuthPayload{auth->first, auth->second});
  establish_as_responder(cx, sa, in, in.hdr.message_id, w, inner, storage);
}

namespace {

void ike_sa_up(EngineContext& cx, IkeSa& sa) {
  cx.set_state(sa, IkeSaState::established);
  release_after_auth(sa);
  sa.established_at = cx.now;
  sa.half_open_deadline.reset();
  cx.schedule_timers(sa);
  ++cx.stats.ike_sas_established;
  IkeSaUp up;
  up.sa = sa.id;
  up.peer = sa.peer->name;
  up.initiator = sa.initiator;
  up.spi_i = sa.spi_i;
  up.spi_r = sa.spi_r;
  up.local = sa.local;
  up.remote = sa.remote;
  up.nat_t = sa.nat_t;
  up.stream = sa.stream;
  up.nat_local = sa.nat_local;
  up.nat_remote = sa.nat_remote;
  up.encap = encap_of(sa);
  up.encr = keyword_of(sa.alg.encr);
  up.integ = keyword_of(sa.alg.integ);
  up.prf = keyword_of(sa.alg.prf);
  up.ke = keyword_of(sa.alg.ke);
  up.local_id = sa.peer->local_id;
  up.remote_id = sa.remote_id;
  up.local_auth = sa.local_auth_desc;
  up.remote_auth = sa.remote_auth_desc;
  up.eap_method = sa.eap_method();
  up.eap_identity = sa.eap_identity();
  up.replaces = sa.replaces;
  cx.emit(std::move(up));
}

} // namespace

// The end of the responder's IKE_AUTH: the first Child SA's answer to `child_request`
// after what `w` holds (IDr, CERT, AUTH), the response, the IKE SA up, the child installed.
void establish_as_responder(EngineContext& cx, IkeSa& sa, Inbound& child_request, uint32_t msg_id,
                            wire::PayloadWriter& w, ByteView inner, std::vector<Bytes>& storage) {
  Inbound& in = child_request;
  config_payload::read_cfg_request(sa, in); // config_payload.cpp; with EAP, the first request's CP
  mobike::answer(sa, in, w); // mobike.cpp: MOBIKE_SUPPORTED, from the first request too
  // The response that carries the Child SA answers the CFG_REQUEST (config_payload.cpp);
  // no internal address: no Child SA (RFC 7296 3.10.1 INTERNAL_ADDRESS_FAILURE).
  // The connection's Child SA config, shared; a copy narrowed to the leased addresses
  // when the peer asked for some.
  std::shared_ptr<const ChildConfig> child_cfg = connection_child(sa);
  std::shared_ptr<ChildConfig> with_vips;
  if (sa.cp().requested) child_cfg = with_vips = std::make_shared<ChildConfig>(sa.peer->child);
  EngineContext::ChildAnswer child;
  if (auto f = with_vips ? config_payload::answer_cfg_request(cx, sa, w, storage, *with_vips)
                         : std::nullopt) {
    add_notify(w, NotifyType::internal_address_failure);
    child.failure = std::move(f);
  } else if (in.find(PayloadType::sa)) {
    child = cx.answer_child(sa, in, child_cfg, wire::ExchangeType::ike_auth, true, nullptr);
    if (child.child)
      cx.write_child_answer(w, *child.child, nullptr, {}, storage);
    else
      add_notify(w, child.error);
  }
  if (!cx.answer(sa, ExchangeType::ike_auth, msg_id, w, inner)) return;
  Boxed<Handshake> hs = std::move(sa.hs); // ike_sa_up frees it; the first Child SA's keys
  ike_sa_up(cx, sa);                      // come from the IKE_SA_INIT nonces (2.17)
  if (child.child) {
    cx.install_child(sa, std::move(*child.child), false, {}, hs->ni, hs->nr, std::nullopt);
  } else if (child.failure) {
    ++cx.stats.failures;
    cx.emit(std::move(*child.failure));
  }
}

// Only in state authenticating (sa_state.cpp).
void process_response(EngineContext& cx, IkeSa& sa, Inbound& in) {
  if (sa.eap && sa.eap->phase != EapExchange::Phase::first)
    return ike_auth_eap::process_response(cx, sa, in);
  const PeerConfig& peer = *sa.peer;
  const wire::RawPayload* idr_raw = in.find(PayloadType::idr);
  if (!idr_raw || !in.find(PayloadType::auth)) {
    const wire::NotifyPayload* e = in.error_notify();
    Failure f = cx.failure(sa, wire::ExchangeType::ike_auth, FailureStep::auth,
                           e ? "responder answered " + std::string(wire::notify_type_name(e->type))
                             : "responder sent no AUTH");
    f.from_peer = e != nullptr;
    if (e) f.notify = e->type;
    return cx.fail(sa, std::move(f));
  }
  auto idr = wire::parse_id(idr_raw->body);
  if (!idr) return cx.drop(DropReason::malformed, idr.error().field);
  auto refuse = [&](Failure f) { refuse_responder(cx, sa, std::move(f)); };
  if (!id_matches(peer.remote_id, *idr)) {
    Failure f =
        cx.failure(sa, wire::ExchangeType::ike_auth, FailureStep::id,
                   "responder identity " + wire::id_to_text(*idr) + " is not the configured one");
    f.offered.push_back(wire::id_to_text(*idr));
    f.configured.push_back(peer.remote_id->to_string());
    return refuse(std::move(f));
  }
  if (auto f =
          cx.verify_auth(sa, in, *idr, id_body(idr->type, idr->data), wire::ExchangeType::ike_auth))
    return refuse(std::move(*f));
  sa.remote_id = Identity{idr->type, Bytes(idr->data.begin(), idr->data.end())};
  if (sa.eap) return ike_auth_eap::continue_as_initiator(cx, sa, in, *idr);
  if (auto f = cx.check_uniqueness(sa, false)) return refuse(std::move(*f));
  establish_as_initiator(cx, sa, in);
}

// RFC 7296 2.21.2: when the responder does not authenticate, the initiator tells it in
// an INFORMATIONAL with AUTHENTICATION_FAILED (sent once, not retransmitted) and deletes
// the IKE SA.
void refuse_responder(EngineContext& cx, IkeSa& sa, Failure f) {
  sa.out.reset();
  ++sa.msg_id_out;
  Bytes inner(64);
  wire::PayloadWriter w(inner);
  add_notify(w, NotifyType::authentication_failed);
  if (auto d = cx.seal(sa, ExchangeType::informational, false, sa.msg_id_out, w, inner))
    for (auto& x : *d)
      cx.transmit(sa, x);
  f.notify = NotifyType::authentication_failed;
  cx.fail(sa, std::move(f));
}

// The end of the initiator's IKE_AUTH: the responder is authenticated; the IKE SA comes up
// and the first Child SA is taken from the response.
void establish_as_initiator(EngineContext& cx, IkeSa& sa, Inbound& in) {
  sa.authenticated = true;
  sa.out.reset();
  ++sa.msg_id_out;
  config_payload::read_cfg_reply(sa, in); // config_payload.cpp
  mobike::accept(sa, in);                 // mobike.cpp
  Boxed<Handshake> hs = std::move(sa.hs); // ike_sa_up frees it; the first Child SA needs it
  ike_sa_up(cx, sa);
  if (sa.first_child_spi != 0) {
    auto r =
        cx.accept_child_answer(sa, in, connection_child(sa), sa.first_child_spi, hs->first_ts_i,
                               hs->first_ts_r, wire::ExchangeType::ike_auth, true);
    if (auto* c = std::get_if<ChildSa>(&r)) {
      cx.install_child(sa, std::move(*c), true, {}, hs->ni, hs->nr, std::nullopt);
    } else {
      ++cx.stats.failures;
      cx.emit(std::get<Failure>(std::move(r)));
      // The responder installed a Child SA we refuse: have it deleted.
      if (in.find(PayloadType::sa)) {
        Task t{RequestKind::delete_child, sa.first_child_spi};
        t.orphan = true;
        sa.tasks.push_back(std::move(t));
      }
    }
  }
  cx.run_tasks(sa);
}

} // namespace ikekit::ike::ike_auth
