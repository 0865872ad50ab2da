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
// a NAT was detected (or encapsulation is forced), move to port 4500 (2.23).
#include "crypto/digest.hpp"
#include "crypto/sign.hpp"
#include "ike/engine_impl.hpp"
#include "wire/rules.hpp"

#include <algorithm>

namespace ikekit::ike {

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
  add_notify(w, NotifyType::nat_detection_source_ip, nat_src);
  add_notify(w, NotifyType::nat_detection_destination_ip, nat_dst);
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

} // namespace

Result<SaId> Engine::Impl::start(std::shared_ptr<const PeerConfig> peer) {
  if (!peer->remote_address)
    return make_error(Errc::usage, "remote_address",
                      "connection \"" + peer->name + "\" has no remote address to initiate to");
  if (peer->ike_proposals.empty() || peer->ike_proposals[0].ke.empty())
    return make_error(Errc::usage, "ike_proposal",
                      "connection \"" + peer->name + "\" has no IKE proposal");
  IkeSa& sa = new_sa(peer, true);
  sa.spi_i = new_ike_spi();
  table.index_sa(sa);
  sa.local = peer->local;
  sa.remote = Endpoint{*peer->remote_address, peer->remote_port};
  sa.nat_t = sa.local.port == config.nat_t_port;
  choose_transport(sa);
  sa.hs->ke_group = peer->ike_proposals[0].ke[0];
  auto kex = crypto::KeyExchange::generate(*sa.hs->ke_group, rng);
  if (!kex) {
    set_state(sa, IkeSaState::dead);
    sa.dead_until = now;
    return kex.error();
  }
  sa.hs->kex = std::move(*kex);
  sa.hs->ni = random_bytes(kNonceSize);
  set_state(sa, IkeSaState::connecting);
  send_init_request(sa);
  return sa.id;
}

void Engine::Impl::send_init_request(IkeSa& sa) {
  const PeerConfig& peer = *sa.peer;
  Bytes out(8192);
  wire::MessageWriter w(out, header_for(sa, ExchangeType::ike_sa_init, false, 0));
  if (!sa.hs->cookie.empty()) add_notify(w, NotifyType::cookie, sa.hs->cookie); // first (2.6)
  w.add(PayloadType::sa,
        encode_proposals(peer.ike_proposals, wire::ProtocolId::ike, {}, sa.hs->ke_group, true));
  w.add(PayloadType::ke,
        wire::KePayload{wire::KeGroup(sa.hs->ke_group->id), sa.hs->kex->public_value()});
  w.add(PayloadType::nonce, wire::NoncePayload{sa.hs->ni});
  Bytes src = peer.force_encap ? fake_nat_hash(rng) : nat_detection_hash(sa.spi_i, 0, sa.local);
  add_common_notifies(w, peer, src, nat_detection_hash(sa.spi_i, 0, sa.remote),
                      crypto::encode_sig_hash_list(crypto::supported_sig_hashes()));
  auto n = w.finish();
  if (!n)
    return fail(
        sa, failure(sa, wire::ExchangeType::ike_sa_init, FailureStep::config, n.error().message));
  out.resize(*n);
  sa.hs->init_request = out;
  sa.out.reset();
  send_request(sa, RequestKind::ike_sa_init, ExchangeType::ike_sa_init, {std::move(out)});
}

void Engine::Impl::on_init_request(const Datagram& dg, const wire::Message& msg) {
  const wire::IkeHeader& h = msg.header;
  auto types = wire::payload_types(msg.payloads);
  if (auto ok = wire::check_payload_rules(ExchangeType::ike_sa_init, false, types, {}); !ok)
    return drop(DropReason::payload_rules, ok.error().field + ": " + ok.error().message);
  if (wire::first_unsupported_critical(msg.payloads))
    return drop(DropReason::unsupported_critical, "IKE_SA_INIT");
  auto sa_p = wire::parse_sa(msg.find(PayloadType::sa)->body);
  auto ke_p = wire::parse_ke(msg.find(PayloadType::ke)->body);
  auto ni_p = wire::parse_nonce(msg.find(PayloadType::nonce)->body);
  if (!sa_p || !ke_p || !ni_p) return drop(DropReason::malformed, "IKE_SA_INIT payloads");
  auto notifies = parse_notifies(msg.payloads);

  std::vector<std::shared_ptr<const PeerConfig>> candidates;
  for (auto& p : peers)
    if (peer_matches_address(*p, dg) && !p->ike_proposals.empty()) candidates.push_back(p);
  if (candidates.empty())
    return drop(DropReason::no_config, "no connection for " + dg.remote.address.to_string());

  auto stateless = [&](NotifyType t, ByteView data) {
    Bytes out(512);
    wire::IkeHeader rh;
    rh.spi_i = h.spi_i;
    rh.exchange_type = ExchangeType::ike_sa_init;
    rh.flags = wire::kFlagResponse;
    wire::MessageWriter w(out, rh);
    add_notify(w, t, data);
    auto n = w.finish();
    if (!n) return;
    out.resize(*n);
    OutDatagram d{dg.local, dg.remote, dg.nat_t, std::move(out)};
    d.stream = dg.stream;
    tx.push_back(std::move(d));
  };

  // RFC 7296 2.6 and the half-open limits (admission.cpp), before any state is kept.
  if (auto cookie = cookie_demanded(dg, h.spi_i, ni_p->data, notifies)) {
    ++stats.cookies_sent;
    return stateless(NotifyType::cookie, *cookie);
  }
  if (!half_open_admits(dg.remote.address)) return;

  // RFC 7296 2.7: choose a proposal; prefer the group of KEi.
  const crypto::TransformInfo* hint =
      crypto::find_transform(TransformKind::ke, uint16_t(ke_p->group));
  std::shared_ptr<const PeerConfig> peer;
  std::optional<Chosen> chosen;
  for (auto& c : candidates) {
    chosen = select_proposal(c->ike_proposals, *sa_p, wire::ProtocolId::ike, hint);
    if (chosen) {
      peer = c;
      break;
    }
  }
  if (!chosen) {
    Failure f;
    f.peer = candidates.front()->name;
    f.exchange = wire::ExchangeType::ike_sa_init;
    f.step = FailureStep::proposal;
    f.reason = "no proposal in common";
    f.notify = NotifyType::no_proposal_chosen;
    f.offered = proposal_strings(*sa_p);
    for (auto& c : candidates)
      for (auto& s : proposal_strings(c->ike_proposals))
        f.configured.push_back(s);
    ++stats.failures;
    emit(std::move(f));
    return stateless(NotifyType::no_proposal_chosen, {});
  }
  if (auto why = nonce_too_short(ni_p->data, *chosen->prf))
    return drop(DropReason::malformed, "IKE_SA_INIT request: " + *why);
  if (chosen->ke != hint) {
    uint8_t g[2];
    store_be16(g, chosen->ke->id);
    return stateless(NotifyType::invalid_ke_payload, ByteView(g, 2));
  }

  IkeSa& sa = new_sa(peer, false);
  sa.spi_i = h.spi_i;
  sa.spi_r = new_ike_spi();
  table.index_sa(sa);
  sa.local = dg.local;
  sa.remote = dg.remote;
  sa.nat_t = dg.nat_t;
  sa.stream = dg.stream;
  sa.alg = *chosen;
  sa.hs->ni.assign(ni_p->data.begin(), ni_p->data.end());
  sa.hs->nr = random_bytes(kNonceSize);
  set_state(sa, IkeSaState::half_open);
  sa.half_open_deadline = now + config.half_open_timeout;
  auto kex = crypto::KeyExchange::generate(*chosen->ke, rng);
  if (!kex) {
    remove_sa(sa, DownReason::failure);
    return drop(DropReason::malformed, "key exchange");
  }
  auto g_ir = kex->shared_secret(ke_p->data);
  if (!g_ir) {
    remove_sa(sa, DownReason::failure);
    return drop(DropReason::malformed, g_ir.error().field + ": " + g_ir.error().message);
  }
  sa.hs->kex = std::move(*kex);

  Inbound in;
  in.hdr = h;
  in.dg = &dg;
  in.outer = msg.payloads;
  in.notifies = notifies;
  detect_nat(sa, in, h.spi_i, 0);
  read_features(sa, in);
  sa.hs->init_request.assign(msg.bytes.begin(), msg.bytes.end());
  request_digest = crypto::sha256(dg.data); // retransmissions are answered (RFC 7296 2.1)

  Bytes out(8192);
  wire::MessageWriter w(out, header_for(sa, ExchangeType::ike_sa_init, true, 0));
  w.add(PayloadType::sa, encode_chosen(*chosen, wire::ProtocolId::ike, {}));
  w.add(PayloadType::ke,
        wire::KePayload{wire::KeGroup(chosen->ke->id), sa.hs->kex->public_value()});
  w.add(PayloadType::nonce, wire::NoncePayload{sa.hs->nr});
  // Forcing UDP encapsulation needs no fake when the request already showed a NAT (it
  // happens anyway): the peer then learns the truth about our side.
  sa.encap_forced = peer->force_encap && !sa.nat_local && !sa.nat_remote;
  Bytes src =
      sa.encap_forced ? fake_nat_hash(rng) : nat_detection_hash(sa.spi_i, sa.spi_r, sa.local);
  add_common_notifies(w, *peer, src, nat_detection_hash(sa.spi_i, sa.spi_r, sa.remote),
                      crypto::encode_sig_hash_list(crypto::supported_sig_hashes()));
  if (peer->remote_auth == AuthMethodKind::pubkey && peer->cas && peer->send_certreq)
    w.add(PayloadType::certreq, wire::CertReqPayload{wire::CertEncoding::x509_signature,
                                                     peer->cas->certreq_authorities()});
  auto n = w.finish();
  if (!n) {
    remove_sa(sa, DownReason::failure);
    return;
  }
  out.resize(*n);
  sa.hs->init_response = out;
  if (!derive_ike_sa_keys(sa, g_ir->reveal())) {
    remove_sa(sa, DownReason::failure);
    return;
  }
  send_response(sa, {std::move(out)});
}

void Engine::Impl::on_init_response(IkeSa& sa, Inbound& in) {
  const PeerConfig& peer = *sa.peer;
  auto outer_types = wire::payload_types(in.outer);
  if (auto ok = wire::check_payload_rules(ExchangeType::ike_sa_init, true, outer_types, {}); !ok)
    return drop(DropReason::payload_rules, ok.error().field + ": " + ok.error().message);

  if (!in.find(PayloadType::sa)) { // notify-only answers
    if (auto* c = in.notify(NotifyType::cookie)) {
      if (sa.hs->cookie_retries >= 3 || c->data.empty() || c->data.size() > 64)
        return fail(sa, failure(sa, wire::ExchangeType::ike_sa_init, FailureStep::cookie,
                                "responder keeps asking for a COOKIE"));
      ++sa.hs->cookie_retries;
      sa.hs->cookie.assign(c->data.begin(), c->data.end());
      return send_init_request(sa);
    }
    if (auto* k = in.notify(NotifyType::invalid_ke_payload)) {
      uint16_t g = k->data.size() == 2 ? load_be16(k->data.data()) : 0;
      const crypto::TransformInfo* t = crypto::find_transform(TransformKind::ke, g);
      if (!t || !proposals_allow_ke(peer.ike_proposals, g) || t == sa.hs->ke_group ||
          sa.hs->ke_retries >= 2) {
        Failure f =
            failure(sa, wire::ExchangeType::ike_sa_init, FailureStep::ke,
                    "responder wants KE group " + std::to_string(g) + " which we do not propose");
        f.from_peer = true;
        f.notify = NotifyType::invalid_ke_payload;
        f.configured = proposal_strings(peer.ike_proposals);
        return fail(sa, std::move(f));
      }
      ++sa.hs->ke_retries;
      sa.hs->ke_group = t;
      auto kex = crypto::KeyExchange::generate(*t, rng);
      if (!kex)
        return fail(
            sa, failure(sa, wire::ExchangeType::ike_sa_init, FailureStep::ke, kex.error().message));
      sa.hs->kex = std::move(*kex);
      return send_init_request(sa);
    }
    const wire::NotifyPayload* e = in.error_notify();
    Failure f = failure(sa, wire::ExchangeType::ike_sa_init,
                        e && e->type == NotifyType::no_proposal_chosen ? FailureStep::proposal
                                                                       : FailureStep::notify,
                        e ? "responder answered " + std::string(wire::notify_type_name(e->type))
                          : "responder sent no SA");
    f.from_peer = true;
    if (e) f.notify = e->type;
    f.offered = proposal_strings(peer.ike_proposals);
    return fail(sa, std::move(f));
  }

  auto sa_p = wire::parse_sa(in.find(PayloadType::sa)->body);
  auto ke_p = wire::parse_ke(in.find(PayloadType::ke)->body);
  auto nr_p = wire::parse_nonce(in.find(PayloadType::nonce)->body);
  if (!sa_p || !ke_p || !nr_p) return drop(DropReason::malformed, "IKE_SA_INIT response payloads");
  auto chosen = check_chosen(peer.ike_proposals, *sa_p, wire::ProtocolId::ike);
  if (!chosen || chosen->ke != sa.hs->ke_group || uint16_t(ke_p->group) != sa.hs->ke_group->id) {
    Failure f = failure(sa, wire::ExchangeType::ike_sa_init, FailureStep::proposal,
                        "responder chose a proposal we did not offer");
    f.offered = proposal_strings(peer.ike_proposals);
    f.configured = proposal_strings(*sa_p);
    return fail(sa, std::move(f));
  }
  if (auto why = nonce_too_short(nr_p->data, *chosen->prf))
    return fail(sa, failure(sa, wire::ExchangeType::ike_sa_init, FailureStep::proposal,
                            "responder's " + *why));
  auto g_ir = sa.hs->kex->shared_secret(ke_p->data);
  if (!g_ir)
    return fail(
        sa, failure(sa, wire::ExchangeType::ike_sa_init, FailureStep::ke, g_ir.error().message));
  sa.spi_r = in.hdr.spi_r;
  sa.alg = *chosen;
  sa.hs->nr.assign(nr_p->data.begin(), nr_p->data.end());
  sa.hs->init_response.assign(in.message.begin(), in.message.end());
  detect_nat(sa, in, sa.spi_i, sa.spi_r);
  sa.encap_forced = peer.force_encap;
  read_features(sa, in);
  if (!derive_ike_sa_keys(sa, g_ir->reveal()))
    return fail(sa, failure(sa, wire::ExchangeType::ike_sa_init, FailureStep::keys,
                            "key derivation failed"));
  request_done(sa);
  if (sa.nat_local || sa.nat_remote || sa.encap_forced) float_to_nat_t(sa);
  set_state(sa, IkeSaState::authenticating);
  send_auth_request(sa);
}

bool Engine::Impl::derive_ike_sa_keys(IkeSa& sa, ByteView g_ir) {
  IkeTransforms t{sa.alg.encr, sa.alg.integ, sa.alg.prf};
  auto keys = derive_ike_keys(t, sa.hs->ni, sa.hs->nr, g_ir, sa.spi_i, sa.spi_r);
  if (!keys) return false;
  emit_ike_keys(sa, *keys);
  if (!install_ike_keys(sa, std::move(*keys))) return false;
  sa.hs->kex.reset(); // g^ir is in SKEYSEED now
  return true;
}

void Engine::Impl::emit_ike_keys(const IkeSa& sa, const IkeKeys& keys) {
  if (!config.emit_keys) return;
  IkeSaKeys k;
  k.spi_i = sa.spi_i;
  k.spi_r = sa.spi_r;
  k.encr = sa.alg.encr ? std::string(sa.alg.encr->keyword) : "";
  k.integ = sa.alg.integ ? std::string(sa.alg.integ->keyword) : "";
  k.prf = sa.alg.prf ? std::string(sa.alg.prf->keyword) : "";
  k.ke = sa.alg.ke ? std::string(sa.alg.ke->keyword) : "";
  k.sk_d = keys.sk_d;
  k.sk_ai = keys.sk_ai;
  k.sk_ar = keys.sk_ar;
  k.sk_ei = keys.sk_ei;
  k.sk_er = keys.sk_er;
  k.sk_pi = keys.sk_pi;
  k.sk_pr = keys.sk_pr;
  emit(SaKeys{sa.id, std::move(k)});
}

void Engine::Impl::float_to_nat_t(IkeSa& sa) {
  // RFC 7296 2.23: "the initiator MUST ... send all subsequent traffic ... to port 4500"
  // with the non-ESP marker (added by the I/O layer when Transmit::nat_t).
  // RFC 9329: a stream stays where it is; its ESP goes in it, not in UDP.
  if (sa.nat_t || sa.stream) return;
  sa.nat_t = true;
  sa.local.port = config.nat_t_port;
  if (sa.remote.port == 500) sa.remote.port = config.nat_t_port;
}

} // namespace ikekit::ike
