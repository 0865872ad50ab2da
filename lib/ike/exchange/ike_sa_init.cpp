// IKE_SA_INIT, RFC 7296 1.2, 2.6 (cookies), 1.3/2.7 (INVALID_KE_PAYLOAD), 2.23 (NAT).
//
//   Initiator                         Responder
//   -------------------------------------------------------------------
//   HDR, SAi1, KEi, Ni,
//     N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP),
//     N(IKEV2_FRAGMENTATION_SUPPORTED), N(SIGNATURE_HASH_ALGORITHMS)  -->
//                                <--  HDR, SAr1, KEr, Nr, [CERTREQ], N(NAT_D...), ...
//
//   Cookie (2.6), when the responder is under load:
//                                <--  HDR, N(COOKIE)
//   HDR, N(COOKIE), SAi1, KEi, Ni  -->
//
//   Wrong group guessed (1.2, 2.7):
//                                <--  HDR, N(INVALID_KE_PAYLOAD)   (data: the wanted group)
//   HDR, SAi1, KEi', Ni  -->
//
// The responder keeps no state for COOKIE / INVALID_KE_PAYLOAD / NO_PROPOSAL_CHOSEN
// answers. After this exchange both sides derive SKEYSEED and SK_* (keymat.hpp) and, if
// a NAT was detected (or encapsulation is forced), move to port 4500 (2.23); a MOBIKE
// initiator moves there whenever the responder supports NAT traversal (RFC 4555 3.3).
#include "ike_sa_init.hpp"

#include "crypto/digest.hpp"
#include "crypto/sign.hpp"
#include "ike_auth.hpp"
#include "wire/rules.hpp"

#include <algorithm>

namespace ikekit::ike::ike_sa_init {

using crypto::TransformKind;
using wire::ExchangeType;
using wire::NotifyType;
using wire::PayloadType;

namespace {

Bytes fake_nat_hash(Rng& rng) {
  Bytes b(20);
  rng.fill(b);
  return b;
}

void add_common_notifies(wire::PayloadWriter& w, const PeerConfig& peer, const Bytes& nat_src,
                         const Bytes& nat_dst, const Bytes& sig_hashes) {
  if (peer.nat_detection_in_init) {
    add_notify(w, NotifyType::nat_detection_source_ip, nat_src);
    add_notify(w, NotifyType::nat_detection_destination_ip, nat_dst);
  }
  if (peer.fragmentation) add_notify(w, NotifyType::ikev2_fragmentation_supported);
  add_notify(w, NotifyType::signature_hash_algorithms, sig_hashes);
}

void read_features(IkeSa& sa, const Inbound& in) {
  for (const auto& n : in.notifies) {
    if (n.type == NotifyType::ikev2_fragmentation_supported) sa.peer_fragmentation = true;
    if (n.type == NotifyType::signature_hash_algorithms)
      if (auto l = crypto::parse_sig_hash_list(n.data)) sa.hs->peer_sig_hashes = std::move(*l);
  }
  for (const auto& p : in.outer)
    if (p.type == uint8_t(PayloadType::certreq))
      if (auto cr = wire::parse_certreq(p.body))
        for (size_t i = 0; i < cr->hash_count(); ++i)
          sa.hs->peer_certreqs.emplace_back(cr->hash(i).begin(), cr->hash(i).end());
}

bool peer_matches_address(const PeerConfig& p, const Datagram& dg) {
  return !p.remote_address || *p.remote_address == dg.remote.address;
}

bool derive_ike_sa_keys(EngineContext& cx, IkeSa& sa, ByteView g_ir) {
  IkeTransforms t{sa.alg.encr, sa.alg.integ, sa.alg.prf};
  auto keys = derive_ike_keys(t, sa.hs->ni, sa.hs->nr, g_ir, sa.spi_i, sa.spi_r);
  if (!keys) return false;
  cx.emit_ike_keys(sa, *keys);
  if (!install_ike_keys(sa, std::move(*keys))) return false;
  sa.hs->kex.reset(); // g^ir is in SKEYSEED now
  return true;
}

} // namespace

Result<SaId> start(EngineContext& cx, const std::shared_ptr<const PeerConfig>& peer) {
  if (!peer->remote_address)
    return make_error(Errc::usage, "remote_address",
                      "connection \"" + peer->name + "\" has no remote address to initiate to");
  if (peer->ike_proposals.empty() || peer->ike_proposals[0].ke.empty())
    return make_error(Errc::usage, "ike_proposal",
                      "connection \"" + peer->name + "\" has no IKE proposal");
  IkeSa& sa = cx.new_sa(peer, true);
  sa.spi_i = cx.new_ike_spi();
  cx.table.index_sa(sa);
  sa.local = peer->local;
  sa.remote = Endpoint{*peer->remote_address, peer->remote_port};
  sa.nat_t = sa.local.port == cx.config.nat_t_port;
  cx.choose_transport(sa);
  sa.hs->ke_group = peer->ike_proposals[0].ke[0];
  auto kex = cx.init_key_exchange(*sa.hs->ke_group);
  if (!kex) {
    cx.set_state(sa, IkeSaState::dead);
    sa.dead_until = cx.now;
    return kex.error();
  }
  sa.hs->kex = std::move(*kex);
  sa.hs->ni = cx.random_bytes(kNonceSize);
  cx.set_state(sa, IkeSaState::connecting);
  send_init_request(cx, sa);
  return sa.id;
}

void send_init_request(EngineContext& cx, IkeSa& sa) {
  const PeerConfig& peer = *sa.peer;
  Bytes out(8192);
  wire::MessageWriter w(out, cx.header_for(sa, ExchangeType::ike_sa_init, false, 0));
  if (!sa.hs->cookie.empty()) add_notify(w, NotifyType::cookie, sa.hs->cookie); // first (2.6)
  w.add(PayloadType::sa,
        encode_proposals(peer.ike_proposals, wire::ProtocolId::ike, {}, sa.hs->ke_group, true));
  w.add(PayloadType::ke,
        wire::KePayload{wire::KeGroup(sa.hs->ke_group->id), sa.hs->kex->public_value()});
  w.add(PayloadType::nonce, wire::NoncePayload{sa.hs->ni});
  Bytes src = peer.force_encap ? fake_nat_hash(cx.rng) : nat_detection_hash(sa.spi_i, 0, sa.local);
  add_common_notifies(w, peer, src, nat_detection_hash(sa.spi_i, 0, sa.remote),
                      crypto::encode_sig_hash_list(crypto::supported_sig_hashes()));
  auto n = w.finish();
  if (!n)
    return cx.fail(sa, cx.failure(sa, wire::ExchangeType::ike_sa_init, FailureStep::config,
                                  n.error().message));
  out.resize(*n);
  sa.hs->init_request = out;
  sa.out.reset();
  cx.send_request(sa, RequestKind::ike_sa_init, ExchangeType::ike_sa_init, {std::move(out)});
}

namespace {

// The request's SAi1, KEi and Ni, once its payloads follow the rules (RFC 7296 3.3-3.9).
struct InitRequest {
  wire::SaPayload sa;
  wire::KePayload ke;
  wire::NoncePayload ni;
  std::vector<wire::NotifyPayload> notifies;
};

std::optional<InitRequest> parse_request(EngineContext& cx, const wire::Message& msg) {
  auto types = wire::payload_types(msg.payloads);
  if (auto ok = wire::check_payload_rules(ExchangeType::ike_sa_init, false, types, {}); !ok) {
    cx.drop(DropReason::payload_rules, ok.error().field + ": " + ok.error().message);
    return std::nullopt;
  }
  if (wire::first_unsupported_critical(msg.payloads)) {
    cx.drop(DropReason::unsupported_critical, "IKE_SA_INIT");
    return std::nullopt;
  }
  auto sa_p = wire::parse_sa(msg.find(PayloadType::sa)->body);
  auto ke_p = wire::parse_ke(msg.find(PayloadType::ke)->body);
  auto ni_p = wire::parse_nonce(msg.find(PayloadType::nonce)->body);
  if (!sa_p || !ke_p || !ni_p) {
    cx.drop(DropReason::malformed, "IKE_SA_INIT payloads");
    return std::nullopt;
  }
  return InitRequest{std::move(*sa_p), *ke_p, *ni_p, parse_notifies(msg.payloads)};
}

// RFC 7296 2.6, 2.7: answers that keep no state (COOKIE, NO_PROPOSAL_CHOSEN,
// INVALID_KE_PAYLOAD): HDR (SPIi, no SPIr), N(type, data).
void answer_statelessly(EngineContext& cx, const Datagram& dg, uint64_t spi_i, NotifyType t,
                        ByteView data) {
  Bytes out(512);
  wire::IkeHeader rh;
  rh.spi_i = spi_i;
  rh.exchange_type = ExchangeType::ike_sa_init;
  rh.flags = wire::kFlagResponse;
  wire::MessageWriter w(out, rh);
  add_notify(w, t, data);
  auto n = w.finish();
  if (!n) return;
  out.resize(*n);
  EngineContext::OutDatagram d{dg.local, dg.remote, dg.nat_t, std::move(out)};
  d.stream = dg.stream;
  cx.tx.push_back(std::move(d));
}

// The connections the request may be for: those that accept its source address.
std::vector<std::shared_ptr<const PeerConfig>> candidates_for(const EngineContext& cx,
                                                              const Datagram& dg) {
  std::vector<std::shared_ptr<const PeerConfig>> candidates;
  for (auto& p : cx.peers)
    if (peer_matches_address(*p, dg) && !p->ike_proposals.empty()) candidates.push_back(p);
  return candidates;
}

// RFC 7296 2.7: the first candidate with a proposal in common, preferring the group of
// KEi (`hint`).
std::pair<std::shared_ptr<const PeerConfig>, std::optional<Chosen>>
select_connection(const std::vector<std::shared_ptr<const PeerConfig>>& candidates,
                  const wire::SaPayload& offered, const crypto::TransformInfo* hint) {
  for (auto& c : candidates)
    if (auto chosen = select_proposal(c->ike_proposals, offered, wire::ProtocolId::ike, hint))
      return {c, chosen};
  return {nullptr, std::nullopt};
}

// The Failure event of a request with no proposal in common (the answer is stateless).
void report_no_proposal(EngineContext& cx,
                        const std::vector<std::shared_ptr<const PeerConfig>>& candidates,
                        const wire::SaPayload& offered) {
  Failure f;
  f.peer = candidates.front()->name;
  f.exchange = wire::ExchangeType::ike_sa_init;
  f.step = FailureStep::proposal;
  f.reason = "no proposal in common";
  f.notify = NotifyType::no_proposal_chosen;
  f.offered = proposal_strings(offered);
  for (auto& c : candidates)
    for (auto& s : proposal_strings(c->ike_proposals))
      f.configured.push_back(s);
  ++cx.stats.failures;
  cx.emit(std::move(f));
}

// The half-open IKE SA of an admitted request: SPIs, endpoints, Ni and our Nr.
IkeSa& new_responder_sa(EngineContext& cx, const Datagram& dg, const wire::IkeHeader& h,
                        std::shared_ptr<const PeerConfig> peer, const Chosen& chosen, ByteView ni) {
  IkeSa& sa = cx.new_sa(std::move(peer), false);
  sa.spi_i = h.spi_i;
  sa.spi_r = cx.new_ike_spi();
  cx.table.index_sa(sa);
  sa.local = dg.local;
  sa.remote = dg.remote;
  sa.nat_t = dg.nat_t;
  sa.stream = dg.stream;
  sa.alg = chosen;
  sa.hs->ni.assign(ni.begin(), ni.end());
  sa.hs->nr = cx.random_bytes(kNonceSize);
  cx.set_state(sa, IkeSaState::half_open);
  sa.half_open_deadline = cx.now + cx.config.half_open_timeout;
  return sa;
}

// Our KEr and g^ir (RFC 7296 1.2); nullopt (dropped, the SA removed) when it fails.
std::optional<SecretBytes> exchange_keys(EngineContext& cx, IkeSa& sa, const Chosen& chosen,
                                         const wire::KePayload& ke) {
  auto kex = cx.init_key_exchange(*chosen.ke);
  if (!kex) {
    cx.remove_sa(sa, DownReason::failure);
    cx.drop(DropReason::malformed, "key exchange");
    return std::nullopt;
  }
  auto g_ir = kex->shared_secret(ke.data);
  if (!g_ir) {
    cx.remove_sa(sa, DownReason::failure);
    cx.drop(DropReason::malformed, g_ir.error().field + ": " + g_ir.error().message);
    return std::nullopt;
  }
  sa.hs->kex = std::move(*kex);
  return std::move(*g_ir);
}

// What the request tells about the initiator: NAT detection (2.23), fragmentation and
// signature hash support, CERTREQs; its bytes for AUTH (2.15) and for answering a
// retransmission (2.1).
void read_request(EngineContext& cx, IkeSa& sa, const Datagram& dg, const wire::Message& msg,
                  std::vector<wire::NotifyPayload> notifies) {
  Inbound in;
  in.hdr = msg.header;
  in.dg = &dg;
  in.outer = msg.payloads;
  in.notifies = std::move(notifies);
  if (sa.peer->nat_detection_in_init) detect_nat(sa, in, msg.header.spi_i, 0);
  read_features(sa, in);
  sa.hs->init_request.assign(msg.bytes.begin(), msg.bytes.end());
  cx.request_digest = crypto::sha256(dg.data); // retransmissions are answered (RFC 7296 2.1)
}

// HDR, SAr1, KEr, Nr, N(NAT_DETECTION_*), [N(IKEV2_FRAGMENTATION_SUPPORTED)],
// N(SIGNATURE_HASH_ALGORITHMS), [CERTREQ].
Result<Bytes> write_response(EngineContext& cx, IkeSa& sa, const PeerConfig& peer,
                             const Chosen& chosen) {
  Bytes out(8192);
  wire::MessageWriter w(out, cx.header_for(sa, ExchangeType::ike_sa_init, true, 0));
  w.add(PayloadType::sa, encode_chosen(chosen, wire::ProtocolId::ike, {}));
  w.add(PayloadType::ke, wire::KePayload{wire::KeGroup(chosen.ke->id), sa.hs->kex->public_value()});
  w.add(PayloadType::nonce, wire::NoncePayload{sa.hs->nr});
  // Forcing UDP encapsulation needs no fake when the request already showed a NAT (it
  // happens anyway): the peer then learns the truth about our side.
  sa.encap_forced = peer.force_encap && !sa.nat_local && !sa.nat_remote;
  Bytes src =
      sa.encap_forced ? fake_nat_hash(cx.rng) : nat_detection_hash(sa.spi_i, sa.spi_r, sa.local);
  add_common_notifies(w, peer, src, nat_detection_hash(sa.spi_i, sa.spi_r, sa.remote),
                      crypto::encode_sig_hash_list(crypto::supported_sig_hashes()));
  if (peer.remote_auth == AuthMethodKind::pubkey && peer.cas && peer.send_certreq)
    w.add(PayloadType::certreq, wire::CertReqPayload{wire::CertEncoding::x509_signature,
                                                     peer.cas->certreq_authorities()});
  auto n = w.finish();
  if (!n) return n.error();
  out.resize(*n);
  return out;
}

} // namespace

void process_request(EngineContext& cx, const Datagram& dg, const wire::Message& msg) {
  const wire::IkeHeader& h = msg.header;
  auto req = parse_request(cx, msg);
  if (!req) return;
  auto candidates = candidates_for(cx, dg);
  if (candidates.empty())
    return cx.drop(DropReason::no_config, "no connection for " + dg.remote.address.to_string());

  // RFC 7296 2.6 and the half-open limits (admission.cpp), before any state is kept.
  if (auto cookie = cx.cookie_demanded(dg, h.spi_i, req->ni.data, req->notifies)) {
    ++cx.stats.cookies_sent;
    return answer_statelessly(cx, dg, h.spi_i, NotifyType::cookie, *cookie);
  }
  if (!cx.half_open_admits(dg.remote.address)) return;

  const crypto::TransformInfo* hint =
      crypto::find_transform(TransformKind::ke, uint16_t(req->ke.group));
  auto [peer, chosen] = select_connection(candidates, req->sa, hint);
  if (!chosen) {
    report_no_proposal(cx, candidates, req->sa);
    return answer_statelessly(cx, dg, h.spi_i, NotifyType::no_proposal_chosen, {});
  }
  if (auto why = nonce_too_short(req->ni.data, *chosen->prf))
    return cx.drop(DropReason::malformed, "IKE_SA_INIT request: " + *why);
  if (chosen->ke != hint) { // RFC 7296 1.3: the group we want, in two octets
    uint8_t g[2];
    store_be16(g, chosen->ke->id);
    return answer_statelessly(cx, dg, h.spi_i, NotifyType::invalid_ke_payload, ByteView(g, 2));
  }

  IkeSa& sa = new_responder_sa(cx, dg, h, peer, *chosen, req->ni.data);
  auto g_ir = exchange_keys(cx, sa, *chosen, req->ke);
  if (!g_ir) return;
  read_request(cx, sa, dg, msg, std::move(req->notifies));
  auto out = write_response(cx, sa, *peer, *chosen);
  if (!out) return cx.remove_sa(sa, DownReason::failure);
  sa.hs->init_response = *out;
  if (!derive_ike_sa_keys(cx, sa, g_ir->reveal())) return cx.remove_sa(sa, DownReason::failure);
  cx.send_response(sa, {std::move(*out)});
}

namespace {

// An IKE_SA_INIT request's chain without a leading N(COOKIE): the type of its first
// payload and the bytes from there on, and the COOKIE's data (empty when it had none).
struct ChainPastCookie {
  uint8_t first_type = 0;
  ByteView rest;
  ByteView cookie;
};

ChainPastCookie chain_past_cookie(const wire::Message& msg) {
  ChainPastCookie c{uint8_t(msg.header.next_payload), msg.bytes.subspan(wire::kIkeHeaderSize), {}};
  if (msg.payloads.empty() || msg.payloads.front().payload_type() != PayloadType::n) return c;
  const wire::RawPayload& first = msg.payloads.front();
  auto n = wire::parse_notify(first.body);
  if (!n || n->type != NotifyType::cookie) return c;
  return ChainPastCookie{first.next_type, msg.bytes.subspan(first.offset + first.whole.size()),
                         n->data};
}

} // namespace

bool adopt_cookie_retry(EngineContext& cx, IkeSa& sa, const Datagram& dg,
                        const wire::Message& msg) {
  if (!sa.hs || sa.hs->init_request.empty()) return false;
  const Bytes& kept = sa.hs->init_request;
  if (std::equal(msg.bytes.begin(), msg.bytes.end(), kept.begin(), kept.end()))
    return false; // a plain retransmission
  ChainPastCookie now = chain_past_cookie(msg);
  if (now.cookie.empty()) return false;
  auto answered = wire::parse_message(sa.hs->init_request, wire::ChainOptions{false});
  if (!answered) return false;
  ChainPastCookie before = chain_past_cookie(*answered);
  if (now.first_type != before.first_type || now.rest.size() != before.rest.size() ||
      !std::equal(now.rest.begin(), now.rest.end(), before.rest.begin()))
    return false;
  if (!cx.admission->cookie_valid(now.cookie, sa.hs->ni, dg.remote.address, sa.spi_i, cx.now,
                                  cx.rng))
    return false;
  sa.hs->init_request.assign(msg.bytes.begin(), msg.bytes.end());
  sa.answered.digest = crypto::sha256(dg.data);
  return true;
}

namespace {

// RFC 7296 2.6: the responder wants a COOKIE; the request goes again with it, first.
void retry_with_cookie(EngineContext& cx, IkeSa& sa, const wire::NotifyPayload& c) {
  if (sa.hs->cookie_retries >= 3 || c.data.empty() || c.data.size() > 64)
    return cx.fail(sa, cx.failure(sa, wire::ExchangeType::ike_sa_init, FailureStep::cookie,
                                  "responder keeps asking for a COOKIE"));
  ++sa.hs->cookie_retries;
  sa.hs->cookie.assign(c.data.begin(), c.data.end());
  send_init_request(cx, sa);
}

// RFC 7296 1.3, 2.7: INVALID_KE_PAYLOAD names the group the responder wants; the
// request goes again with a KEi of that group if we propose it.
void retry_with_group(EngineContext& cx, IkeSa& sa, const wire::NotifyPayload& k) {
  const PeerConfig& peer = *sa.peer;
  uint16_t g = k.data.size() == 2 ? load_be16(k.data.data()) : 0;
  const crypto::TransformInfo* t = crypto::find_transform(TransformKind::ke, g);
  if (!t || !proposals_allow_ke(peer.ike_proposals, g) || t == sa.hs->ke_group ||
      sa.hs->ke_retries >= 2) {
    Failure f =
        cx.failure(sa, wire::ExchangeType::ike_sa_init, FailureStep::ke,
                   "responder wants KE group " + std::to_string(g) + " which we do not propose");
    f.from_peer = true;
    f.notify = NotifyType::invalid_ke_payload;
    f.configured = proposal_strings(peer.ike_proposals);
    return cx.fail(sa, std::move(f));
  }
  ++sa.hs->ke_retries;
  sa.hs->ke_group = t;
  auto kex = cx.init_key_exchange(*t);
  if (!kex)
    return cx.fail(
        sa, cx.failure(sa, wire::ExchangeType::ike_sa_init, FailureStep::ke, kex.error().message));
  sa.hs->kex = std::move(*kex);
  send_init_request(cx, sa);
}

// A response without SAr1: COOKIE, INVALID_KE_PAYLOAD, or an error (e.g.
// NO_PROPOSAL_CHOSEN) that ends the IKE SA.
void process_notify_response(EngineContext& cx, IkeSa& sa, Inbound& in) {
  if (auto* c = in.notify(NotifyType::cookie)) return retry_with_cookie(cx, sa, *c);
  if (auto* k = in.notify(NotifyType::invalid_ke_payload)) return retry_with_group(cx, sa, *k);
  const wire::NotifyPayload* e = in.error_notify();
  Failure f = cx.failure(sa, wire::ExchangeType::ike_sa_init,
                         e && e->type == NotifyType::no_proposal_chosen ? FailureStep::proposal
                                                                        : FailureStep::notify,
                         e ? "responder answered " + std::string(wire::notify_type_name(e->type))
                           : "responder sent no SA");
  f.from_peer = true;
  if (e) f.notify = e->type;
  f.offered = proposal_strings(sa.peer->ike_proposals);
  cx.fail(sa, std::move(f));
}

} // namespace

void process_response(EngineContext& cx, IkeSa& sa, Inbound& in) {
  // In the clear: the message ID is checked here, and the notifies are outside SK.
  if (!cx.accept_response(sa, in.hdr)) return;
  in.notifies = parse_notifies(in.outer);
  const PeerConfig& peer = *sa.peer;
  auto outer_types = wire::payload_types(in.outer);
  if (auto ok = wire::check_payload_rules(ExchangeType::ike_sa_init, true, outer_types, {}); !ok)
    return cx.drop(DropReason::payload_rules, ok.error().field + ": " + ok.error().message);
  if (!in.find(PayloadType::sa)) return process_notify_response(cx, sa, in);

  auto sa_p = wire::parse_sa(in.find(PayloadType::sa)->body);
  auto ke_p = wire::parse_ke(in.find(PayloadType::ke)->body);
  auto nr_p = wire::parse_nonce(in.find(PayloadType::nonce)->body);
  if (!sa_p || !ke_p || !nr_p)
    return cx.drop(DropReason::malformed, "IKE_SA_INIT response payloads");
  // SAr1 must be one of our proposals, with the group of our KEi (RFC 7296 2.7).
  auto chosen = check_chosen(peer.ike_proposals, *sa_p, wire::ProtocolId::ike);
  if (!chosen || chosen->ke != sa.hs->ke_group || uint16_t(ke_p->group) != sa.hs->ke_group->id) {
    Failure f = cx.failure(sa, wire::ExchangeType::ike_sa_init, FailureStep::proposal,
                           "responder chose a proposal we did not offer");
    f.offered = proposal_strings(peer.ike_proposals);
    f.configured = proposal_strings(*sa_p);
    return cx.fail(sa, std::move(f));
  }
  if (auto why = nonce_too_short(nr_p->data, *chosen->prf))
    return cx.fail(sa, cx.failure(sa, wire::ExchangeType::ike_sa_init, FailureStep::proposal,
                                  "responder's " + *why));
  auto g_ir = sa.hs->kex->shared_secret(ke_p->data);
  if (!g_ir)
    return cx.fail(
        sa, cx.failure(sa, wire::ExchangeType::ike_sa_init, FailureStep::ke, g_ir.error().message));

  sa.spi_r = in.hdr.spi_r;
  sa.alg = *chosen;
  sa.hs->nr.assign(nr_p->data.begin(), nr_p->data.end());
  sa.hs->init_response.assign(in.message.begin(), in.message.end());
  bool peer_nat_t = peer.nat_detection_in_init && detect_nat(sa, in, sa.spi_i, sa.spi_r);
  sa.encap_forced = peer.force_encap;
  read_features(sa, in);
  if (!derive_ike_sa_keys(cx, sa, g_ir->reveal()))
    return cx.fail(sa, cx.failure(sa, wire::ExchangeType::ike_sa_init, FailureStep::keys,
                                  "key derivation failed"));
  cx.request_done(sa);
  // 2.23: to port 4500 when a NAT was detected (or encapsulation is forced). RFC 4555 3.3
  // (its flows) and strongSwan (ike_natd.c): a MOBIKE initiator goes there for IKE_AUTH
  // whenever the peer supports NAT traversal (it sent NAT_D), NAT or not: no later
  // exchange is there to switch in, and an update that moves the SA behind a NAT
  // (mobike.cpp) must find IKE where ESP in UDP goes (RFC 3948). Without a NAT, ESP stays
  // plain (encap none): the port is no reason to encapsulate (RFC 4555 3.5).
  if (sa.nat_local || sa.nat_remote || sa.encap_forced || (peer.mobike && peer_nat_t))
    cx.float_to_nat_t(sa);
  cx.set_state(sa, IkeSaState::authenticating);
  ike_auth::start(cx, sa);
}

} // namespace ikekit::ike::ike_sa_init
