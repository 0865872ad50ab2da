// Child SA negotiation shared by IKE_AUTH (the first Child SA, RFC 7296 1.2) and
// CREATE_CHILD_SA (RFC 7296 1.3): ESP proposals (with/without ESN), traffic selectors
// with narrowing (2.9), transport mode (1.3.1 USE_TRANSPORT_MODE), KEYMAT (2.17).
//
//   Initiator                         Responder
//   ..., [N(USE_TRANSPORT_MODE)], SAi2, TSi, TSr  -->
//                                <--  ..., [N(USE_TRANSPORT_MODE)], SAr2, TSi', TSr'
//                                     or N(NO_PROPOSAL_CHOSEN) / N(TS_UNACCEPTABLE)
#include "ike/engine_impl.hpp"
#include "ike/ts.hpp"

namespace ikekit::ike {

using wire::NotifyType;
using wire::PayloadType;

namespace {

// Evidence lines "<label> <selector>" ("TSi 10.1.0.0/24").
void add_ts_lines(std::vector<std::string>& out, std::string_view label,
                  const std::vector<TsSpec>& ts) {
  for (auto& s : ts_strings(ts))
    out.push_back(std::string(label) + " " + s);
}

// A TS failure's evidence in one shape on both sides: the selectors a Child SA offered
// ("TSi ...", "TSr ...") and our policy ("remote ...", "local ...").
void add_ts_evidence(Failure& f, const std::vector<TsSpec>& ts_i, const std::vector<TsSpec>& ts_r,
                     const std::vector<TsSpec>& policy_remote,
                     const std::vector<TsSpec>& policy_local) {
  add_ts_lines(f.offered, "TSi", ts_i);
  add_ts_lines(f.offered, "TSr", ts_r);
  add_ts_lines(f.configured, "remote", policy_remote);
  add_ts_lines(f.configured, "local", policy_local);
}

// The Child SA both sides agreed on: `chosen` carries the peer's SPI; transport mode
// only when `in` carries USE_TRANSPORT_MODE (RFC 7296 1.3.1: the request asks, the
// response agrees) and the connection is configured for it, else tunnel mode.
ChildSa negotiated_child(std::shared_ptr<const ChildConfig> cfg, uint32_t spi_in,
                         const Chosen& chosen, const Inbound& in, std::vector<TsSpec> local_ts,
                         std::vector<TsSpec> remote_ts) {
  ChildSa c;
  c.cfg = std::move(cfg);
  c.spi_in = spi_in;
  c.spi_out = load_be32(chosen.spi.data());
  c.alg = chosen;
  c.mode = (in.notify(NotifyType::use_transport_mode) && c.cfg->mode == ChildMode::transport)
               ? ChildMode::transport
               : ChildMode::tunnel;
  c.local_ts = std::move(local_ts);
  c.remote_ts = std::move(remote_ts);
  return c;
}

} // namespace

std::vector<TsSpec> Engine::Impl::default_ts(const std::vector<TsSpec>& cfg,
                                             const IpAddress& a) const {
  if (!cfg.empty()) return cfg;
  return {TsSpec::host(a)}; // strongSwan's "dynamic": our/their outer address
}

void Engine::Impl::write_child_request(wire::PayloadWriter& w, const ChildConfig& cfg,
                                       uint32_t spi_in, const std::vector<TsSpec>& ts_i,
                                       const std::vector<TsSpec>& ts_r,
                                       const crypto::KeyExchange* pfs, ByteView nonce,
                                       std::vector<Bytes>& storage) {
  if (cfg.mode == ChildMode::transport) add_notify(w, NotifyType::use_transport_mode);
  storage.emplace_back(4);
  store_be32(storage.back().data(), spi_in);
  ByteView spi = storage.back();
  // The first Child SA (IKE_AUTH) never carries KE transforms (RFC 7296 1.2); with
  // CREATE_CHILD_SA they are sent when PFS is configured.
  bool with_ke = !nonce.empty();
  w.add(PayloadType::sa, encode_proposals(cfg.esp_proposals, wire::ProtocolId::esp, spi,
                                          pfs ? &pfs->info() : nullptr, with_ke));
  if (!nonce.empty()) w.add(PayloadType::nonce, wire::NoncePayload{nonce});
  if (pfs)
    w.add(PayloadType::ke, wire::KePayload{wire::KeGroup(pfs->info().id), pfs->public_value()});
  w.add(PayloadType::tsi, to_payload(ts_i, storage));
  w.add(PayloadType::tsr, to_payload(ts_r, storage));
}

void Engine::Impl::write_child_answer(wire::PayloadWriter& w, const ChildSa& c,
                                      const crypto::KeyExchange* pfs, ByteView nonce,
                                      std::vector<Bytes>& storage) {
  if (c.mode == ChildMode::transport) add_notify(w, NotifyType::use_transport_mode);
  storage.emplace_back(4);
  store_be32(storage.back().data(), c.spi_in);
  w.add(PayloadType::sa, encode_chosen(c.alg, wire::ProtocolId::esp, storage.back()));
  if (!nonce.empty()) w.add(PayloadType::nonce, wire::NoncePayload{nonce});
  if (pfs)
    w.add(PayloadType::ke, wire::KePayload{wire::KeGroup(pfs->info().id), pfs->public_value()});
  // The responder's TSi are the initiator's side: our remote.
  w.add(PayloadType::tsi, to_payload(c.remote_ts, storage));
  w.add(PayloadType::tsr, to_payload(c.local_ts, storage));
}

Engine::Impl::ChildAnswer Engine::Impl::answer_child(IkeSa& sa, Inbound& in,
                                                     std::shared_ptr<const ChildConfig> cfg,
                                                     wire::ExchangeType exchange, bool ignore_ke,
                                                     const crypto::TransformInfo* ke_hint) {
  ChildAnswer a;
  const wire::RawPayload* sa_raw = in.find(PayloadType::sa);
  const wire::RawPayload* tsi_raw = in.find(PayloadType::tsi);
  const wire::RawPayload* tsr_raw = in.find(PayloadType::tsr);
  if (!sa_raw || !tsi_raw || !tsr_raw) {
    a.error = NotifyType::invalid_syntax;
    a.failure =
        failure(sa, exchange, FailureStep::proposal, "Child SA request without SA, TSi and TSr");
    return a;
  }
  auto offered = wire::parse_sa(sa_raw->body);
  auto tsi = wire::parse_ts(tsi_raw->body);
  auto tsr = wire::parse_ts(tsr_raw->body);
  if (!offered || !tsi || !tsr) {
    a.error = NotifyType::invalid_syntax;
    a.failure = failure(sa, exchange, FailureStep::proposal, "malformed SA or TS payload");
    return a;
  }
  auto chosen =
      select_proposal(cfg->esp_proposals, *offered, wire::ProtocolId::esp, ke_hint, ignore_ke);
  if (!chosen || chosen->spi.size() != 4) {
    a.error = NotifyType::no_proposal_chosen;
    a.failure = failure(sa, exchange, FailureStep::proposal, "no ESP proposal in common");
    a.failure->notify = a.error;
    a.failure->offered = proposal_strings(*offered);
    a.failure->configured = proposal_strings(cfg->esp_proposals);
    return a;
  }
  std::vector<TsSpec> ts_i = from_payload(*tsi), ts_r = from_payload(*tsr);
  // RFC 7296 2.9: narrow to our policy, always (remote_ts_policy for the NAT case).
  std::vector<TsSpec> allowed_local = default_ts(cfg->local_ts, sa.local.address);
  std::vector<TsSpec> allowed_remote =
      remote_ts_policy(cfg->remote_ts, sa.remote.address, sa.nat_remote, ts_i, allowed_local);
  auto narrowed_i = narrow(ts_i, allowed_remote);
  auto narrowed_r = narrow(ts_r, allowed_local);
  if (narrowed_i.empty() || narrowed_r.empty()) {
    a.error = NotifyType::ts_unacceptable;
    a.failure =
        failure(sa, exchange, FailureStep::ts, "traffic selectors do not intersect our policy");
    a.failure->notify = a.error;
    add_ts_evidence(*a.failure, ts_i, ts_r, allowed_remote, allowed_local);
    return a;
  }
  a.child = negotiated_child(std::move(cfg), new_child_spi(sa), *chosen, in, std::move(narrowed_r),
                             std::move(narrowed_i));
  return a;
}

std::variant<ChildSa, Failure>
Engine::Impl::accept_child_answer(IkeSa& sa, Inbound& in, std::shared_ptr<const ChildConfig> cfg,
                                  uint32_t spi_in, const std::vector<TsSpec>& ts_i,
                                  const std::vector<TsSpec>& ts_r, wire::ExchangeType exchange,
                                  bool ignore_ke) {
  const wire::RawPayload* sa_raw = in.find(PayloadType::sa);
  const wire::RawPayload* tsi_raw = in.find(PayloadType::tsi);
  const wire::RawPayload* tsr_raw = in.find(PayloadType::tsr);
  if (!sa_raw || !tsi_raw || !tsr_raw) {
    const wire::NotifyPayload* e = in.error_notify();
    FailureStep step = FailureStep::proposal;
    if (e && e->type == NotifyType::ts_unacceptable) step = FailureStep::ts;
    // RFC 7296 3.10.1: no internal address for our CFG_REQUEST, so no Child SA.
    if (e && e->type == NotifyType::internal_address_failure) step = FailureStep::cp;
    Failure f = failure(sa, exchange, step,
                        e ? "responder answered " + std::string(wire::notify_type_name(e->type))
                          : "responder sent no Child SA");
    f.from_peer = e != nullptr;
    if (e) f.notify = e->type;
    if (f.step == FailureStep::ts) {
      // What we proposed, and our policy (the responder's answer names none).
      add_ts_evidence(f, ts_i, ts_r, default_ts(cfg->remote_ts, sa.remote.address),
                      default_ts(cfg->local_ts, sa.local.address));
    } else if (f.step == FailureStep::proposal) {
      f.offered = proposal_strings(cfg->esp_proposals);
    }
    return f;
  }
  auto answer = wire::parse_sa(sa_raw->body);
  auto tsi = wire::parse_ts(tsi_raw->body);
  auto tsr = wire::parse_ts(tsr_raw->body);
  std::optional<Chosen> chosen;
  if (answer) chosen = check_chosen(cfg->esp_proposals, *answer, wire::ProtocolId::esp, ignore_ke);
  if (!chosen || chosen->spi.size() != 4 || !tsi || !tsr) {
    Failure f = failure(sa, exchange, FailureStep::proposal,
                        "responder chose an ESP proposal we did not offer");
    f.offered = proposal_strings(cfg->esp_proposals);
    if (answer) f.configured = proposal_strings(*answer);
    return f;
  }
  auto got_i = from_payload(*tsi), got_r = from_payload(*tsr);
  if (got_i.empty() || got_r.empty() || !is_subset(got_i, ts_i) || !is_subset(got_r, ts_r)) {
    Failure f = failure(sa, exchange, FailureStep::ts,
                        "responder's traffic selectors are not a subset of ours");
    add_ts_lines(f.offered, "TSi", ts_i);
    add_ts_lines(f.offered, "TSr", ts_r);
    add_ts_lines(f.configured, "TSi", got_i); // the responder's answer
    add_ts_lines(f.configured, "TSr", got_r);
    return f;
  }
  return negotiated_child(std::move(cfg), spi_in, *chosen, in, std::move(got_i), std::move(got_r));
}

bool Engine::Impl::install_child(IkeSa& sa, ChildSa c, bool exchange_initiator, ByteView g_ir,
                                 ByteView ni, ByteView nr, std::optional<uint32_t> rekeyed_spi) {
  ChildTransforms t{c.alg.encr, c.alg.integ};
  auto keys = derive_child_keys(*sa.alg.prf, sa.sk_d, t, g_ir, ni, nr);
  if (!keys) {
    emit(failure(sa, wire::ExchangeType::create_child_sa, FailureStep::keys, keys.error().message));
    return false;
  }
  c.established_at = now;
  lifetime_deadlines(c.cfg->lifetimes, c.rekey_at, c.expire_at);

  ChildSaUp up;
  up.sa = sa.id;
  up.peer = sa.peer ? sa.peer->name : "";
  up.name = c.name();
  up.spi_in = c.spi_in;
  up.spi_out = c.spi_out;
  up.mode = c.mode;
  up.udp_encap = encap_of(sa) != Encap::none; // RFC 3948: not IKE's port (RFC 4555 3.5)
  up.stream = sa.stream;
  up.encap = encap_of(sa);
  up.local = sa.local;
  up.remote = sa.remote;
  up.encr = keyword_of(c.alg.encr);
  up.integ = keyword_of(c.alg.integ);
  up.esn = c.alg.esn;
  up.local_ts = c.local_ts;
  up.remote_ts = c.remote_ts;
  up.lifetimes = c.cfg->lifetimes;
  up.rekeyed_spi_in = rekeyed_spi;
  if (sa.cp().ours) {
    up.virtual_ips = sa.cp().vips;
    up.dns = sa.cp().dns;
    up.subnets = sa.cp().subnets;
  }
  // RFC 7296 2.17: initiator->responder keys first.
  if (exchange_initiator) {
    up.encr_out = std::move(keys->encr_i);
    up.integ_out = std::move(keys->integ_i);
    up.encr_in = std::move(keys->encr_r);
    up.integ_in = std::move(keys->integ_r);
  } else {
    up.encr_out = std::move(keys->encr_r);
    up.integ_out = std::move(keys->integ_r);
    up.encr_in = std::move(keys->encr_i);
    up.integ_in = std::move(keys->integ_i);
  }
  emit(std::move(up));
  ++stats.child_sas_established;
  sa.children.push_back(std::move(c));
  return true;
}

} // namespace ikekit::ike
